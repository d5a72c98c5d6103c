// How the runtime tells its caller what it is doing: the CLI prints it to stderr, the engine
// sends it as Progress / output notifications. Output is streamed as it comes.
export interface Reporter {
  /** A step starts, e.g. "Creating container". */
  step(message: string): void;
  /** Output of a build or a command; `source` names it (build, initializeCommand, postCreateCommand, ...). */
  output(source: string, text: string): void;
  info(message: string): void;
  warn(message: string): void;
}
