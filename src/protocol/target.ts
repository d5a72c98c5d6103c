// The dev container a request is about: its folder and config (runtime, seccomp, ports, reload and
// the other capabilities' requests take it). Kept apart so those protocol files need not import each other.
export interface RuntimeTarget {
  folder: string;
  configFile?: string;
  /** Progress notifications of this request carry this token. */
  progressToken?: string;
}
