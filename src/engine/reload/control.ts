// Where a running hot reload (hb watch, or the editor's engine) can be found: a state file and a
// local socket in the runtime folder, named by a hash of the project. `hb reload` sends "reload"
// on the socket; `hb status` reads the state file (pid, command, last reload).
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { cacheDir, readJson } from '../runtime/dirs';
import type { ReloadRecord } from './session';
import { sha256 } from '../util/sha256';

export interface ReloadState {
  /** The process that supervises the app: hb watch or an engine. */
  owner: { pid: number; kind: 'hb watch' | 'engine' };
  folder: string;
  containerId: string;
  command: string;
  strategy: string;
  /** The app's pid in the container, or null between runs (crashed). */
  pid: number | null;
  startedAt: string;
  last?: ReloadRecord;
  /** p50 / p95 of the recent reloads (ms). */
  p50?: number;
  p95?: number;
}

export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.XDG_RUNTIME_DIR ? path.join(env.XDG_RUNTIME_DIR, 'hyperbox') : path.join(cacheDir(env), 'run');
}

function key(folder: string, configFile: string): string {
  return sha256(`${path.resolve(folder)}\0${configFile}`).slice(0, 16);
}

export function controlPaths(env: NodeJS.ProcessEnv, folder: string, configFile: string): { state: string; socket: string } {
  const dir = runtimeDir(env);
  const k = key(folder, configFile);
  // a socket path is limited to ~100 bytes: fall back to the temp folder when the runtime one is deep
  const socket = path.join(dir, `reload-${k}.sock`);
  return { state: path.join(dir, `reload-${k}.json`), socket: socket.length < 100 ? socket : path.join(os.tmpdir(), `hb-reload-${k}.sock`) };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running reload's state, or undefined when none runs (a stale file from a dead process is ignored). */
export async function readReloadState(env: NodeJS.ProcessEnv, folder: string, configFile: string): Promise<ReloadState | undefined> {
  const s = await readJson<ReloadState>(controlPaths(env, folder, configFile).state);
  return s && alive(s.owner.pid) ? s : undefined;
}

export function percentile(values: number[], p: number): number | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export interface ControlServer {
  /** Writes the state file now. */
  update(state: ReloadState): Promise<void>;
  close(): Promise<void>;
}

/** Serves `hb reload` for this project: "reload\n" → one JSON line (the record), then close. */
export async function serveControl(env: NodeJS.ProcessEnv, folder: string, configFile: string, reload: () => Promise<ReloadRecord | undefined>): Promise<ControlServer> {
  const paths = controlPaths(env, folder, configFile);
  await fs.mkdir(path.dirname(paths.state), { recursive: true, mode: 0o700 });
  const existing = await readReloadState(env, folder, configFile);
  if (existing && existing.owner.pid !== process.pid) {
    throw new Error(`Hot reload already runs for ${folder} (${existing.owner.kind}, pid ${existing.owner.pid}); stop it first, or use hb reload.`);
  }
  await fs.rm(paths.socket, { force: true });
  const server = net.createServer((sock) => {
    let got = '';
    sock.on('data', (d) => {
      got += d;
      if (!got.includes('\n')) return;
      if (got.trim() !== 'reload') return void sock.end(`${JSON.stringify({ error: `unknown request ${JSON.stringify(got.trim())}` })}\n`);
      reload().then(
        (r) => sock.end(`${JSON.stringify(r ?? {})}\n`),
        (e) => sock.end(`${JSON.stringify({ error: (e as Error).message })}\n`),
      );
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(paths.socket, () => resolve());
  });
  await fs.chmod(paths.socket, 0o600).catch(() => undefined);
  server.unref();
  return {
    async update(state) {
      const tmp = `${paths.state}.${process.pid}.tmp`;
      await fs.writeFile(tmp, JSON.stringify(state));
      await fs.rename(tmp, paths.state);
    },
    async close() {
      await new Promise((r) => server.close(() => r(undefined)));
      await fs.rm(paths.socket, { force: true });
      const s = await readJson<ReloadState>(paths.state);
      if (s?.owner.pid === process.pid) await fs.rm(paths.state, { force: true });
    },
  };
}

/** Asks the running hot reload of a project for one reload; undefined when none runs. */
export async function requestReload(env: NodeJS.ProcessEnv, folder: string, configFile: string, timeoutMs = 60_000): Promise<(ReloadRecord & { error?: string }) | undefined> {
  const state = await readReloadState(env, folder, configFile);
  if (!state) return undefined;
  const { socket } = controlPaths(env, folder, configFile);
  return new Promise((resolve, reject) => {
    const s = net.connect(socket);
    let got = '';
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`The hot reload of ${folder} (pid ${state.owner.pid}) did not answer within ${timeoutMs / 1000} s.`));
    }, timeoutMs);
    s.on('connect', () => s.write('reload\n'));
    s.on('data', (d) => (got += d));
    s.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(t);
      resolve(e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? undefined : Promise.reject(e));
    });
    s.on('close', () => {
      clearTimeout(t);
      try {
        resolve(JSON.parse(got));
      } catch {
        resolve(undefined);
      }
    });
  });
}
