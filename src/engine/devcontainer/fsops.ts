// The few file-system calls the devcontainer service makes, in two flavours with one signature.
// The engine uses `asyncFs` (the event loop keeps serving while a slow disk answers). The `hb`
// CLI does one job and exits, so it uses `syncFs`: about twenty sequential thread-pool round trips
// become plain calls, which makes `hb config` measurably faster on a busy machine.
import * as nodeFs from 'node:fs';

export interface ConfigFs {
  stat(p: string): Promise<nodeFs.Stats>;
  lstat(p: string): Promise<nodeFs.Stats>;
  readdir(p: string): Promise<string[]>;
  readdirEntries(p: string): Promise<nodeFs.Dirent[]>;
  readFile(p: string): Promise<Buffer>;
}

export const asyncFs: ConfigFs = {
  // nodeFs.promises is read on first use: loading it costs start-up time the CLI does not need
  stat: (p) => nodeFs.promises.stat(p),
  lstat: (p) => nodeFs.promises.lstat(p),
  readdir: (p) => nodeFs.promises.readdir(p),
  readdirEntries: (p) => nodeFs.promises.readdir(p, { withFileTypes: true }),
  readFile: (p) => nodeFs.promises.readFile(p),
};

/** Synchronous calls behind the same promise-returning signature (errors become rejections). */
export const syncFs: ConfigFs = {
  stat: async (p) => nodeFs.statSync(p),
  lstat: async (p) => nodeFs.lstatSync(p),
  readdir: async (p) => nodeFs.readdirSync(p),
  readdirEntries: async (p) => nodeFs.readdirSync(p, { withFileTypes: true }),
  readFile: async (p) => nodeFs.readFileSync(p),
};
