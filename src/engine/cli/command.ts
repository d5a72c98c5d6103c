// The shape of an `hb` command: its options (node:util parseArgs), help text and handler.
import type { ParseArgsConfig } from 'node:util';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface CommandContext {
  /** Parsed option values. */
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  /** Positional arguments after the command name. */
  positionals: string[];
  /** The arguments after `--`, when there was one (they are also the last `positionals`). */
  afterDashDash?: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Writes to stdout (results only). */
  out(text: string): void;
  /** Writes to stderr (messages, progress, logs). */
  err(text: string): void;
  /** Whether stdout is a terminal (colours, prompts). */
  isTTY: boolean;
  /** Asks a question on the terminal and returns the answer; absent when stdin or stderr is not a terminal. */
  prompt?(question: string): Promise<string>;
  /** Cancelled on Ctrl-C (SIGINT), so long operations can stop and clean up. */
  signal?: AbortSignal;
  /** Raw output streams, for commands that pass bytes through (hb exec, hb logs). */
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Longer help: options and examples. */
  help: string;
  options: OptionSpec;
  /** Options end at the first positional argument (hb exec CMD -x: -x belongs to CMD). */
  stopAtFirstPositional?: boolean;
  /** Returns the exit code. */
  run(ctx: CommandContext): Promise<number>;
}

/** Thrown for bad usage; `hb` prints it with the command's usage and exits 2. */
export class UsageError extends Error {
  // Recognised by name: each command runs from a bundle of its own (see esbuild.mjs), so the class
  // a command throws is not the one `hb` itself was built with.
  override name = 'UsageError';
}

export function isUsageError(e: unknown): e is UsageError {
  return e instanceof Error && e.name === 'UsageError';
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
