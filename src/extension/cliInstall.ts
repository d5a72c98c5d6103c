// "HyperBox: Install 'hb' Command in PATH" and its uninstall, like VS Code's own for `code`: a small
// sh launcher that runs the extension's bundled CLI (dist/cli.js) with the editor's runtime. Only
// runs when invoked; all file I/O is async. Never touches an `hb` that HyperBox did not write.
import { promises as fs, constants as fsConstants } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LAUNCHER_NAME, chooseTarget, isOurLauncher, launcherText, pathLine, type ProbedDir } from './cliLauncher';

/** A folder the launcher may go to; `create` makes it when it is missing (~/.local/bin). */
export interface CliDir {
  dir: string;
  create?: boolean;
}

/** Knobs tests turn; the extension uses the defaults. */
export interface CliInstallOptions {
  /** Candidate folders, in order of preference. Default: /usr/local/bin, then ~/.local/bin. */
  dirs?: CliDir[];
  /** PATH as the user's shells see it. Default: the extension host's. */
  pathEnv?: string;
  platform?: NodeJS.Platform;
  /** The runtime the launcher runs. Default: the extension host's (VS Code's Electron, as Node). */
  execPath?: string;
}

interface Env {
  extensionPath: string;
  log: vscode.LogOutputChannel;
  options: CliInstallOptions;
}

function defaultDirs(): CliDir[] {
  return [{ dir: '/usr/local/bin' }, { dir: path.join(os.homedir(), '.local', 'bin'), create: true }];
}

const notOnWindows = (platform: NodeJS.Platform) => {
  if (platform !== 'win32') return false;
  void vscode.window.showInformationMessage("HyperBox: the 'hb' command in PATH is not supported on Windows yet. Run it with \"node <extension folder>\\dist\\cli.js\" for now.");
  return true;
};

/** What is at a path: nothing, our launcher, or something else (described for the user). */
async function inspect(file: string): Promise<{ kind: 'none' } | { kind: 'ours' } | { kind: 'foreign'; what: string }> {
  let st;
  try {
    st = await fs.lstat(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    throw e;
  }
  if (st.isSymbolicLink()) return { kind: 'foreign', what: `a symbolic link to ${await fs.readlink(file).catch(() => '?')}` };
  if (!st.isFile()) return { kind: 'foreign', what: st.isDirectory() ? 'a folder' : 'a special file' };
  const handle = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    const text = buf.subarray(0, bytesRead).toString('utf8');
    if (isOurLauncher(text)) return { kind: 'ours' };
    const first = text.split('\n', 1)[0];
    return { kind: 'foreign', what: first.startsWith('#!') ? `a script (${first.slice(0, 80)})` : 'a program' };
  } finally {
    await handle.close();
  }
}

async function probe(c: CliDir): Promise<ProbedDir> {
  try {
    if (c.create) await fs.mkdir(c.dir, { recursive: true });
    const st = await fs.stat(c.dir);
    if (!st.isDirectory()) return { dir: c.dir, writable: false };
    await fs.access(c.dir, fsConstants.W_OK);
    return { dir: c.dir, writable: true };
  } catch {
    return { dir: c.dir, writable: false };
  }
}

export async function installCli(env: Env): Promise<void> {
  const { options, log } = env;
  if (notOnWindows(options.platform ?? process.platform)) return;
  const dirs = options.dirs ?? defaultDirs();
  // the preferred folder is probed first; later ones (and making ~/.local/bin) only if it is not writable
  const probed: ProbedDir[] = [];
  for (const d of dirs) {
    const p = await probe(d);
    probed.push(p);
    if (p.writable) break;
  }
  const target = chooseTarget(probed, options.pathEnv ?? process.env.PATH);
  if (!target) {
    void vscode.window.showErrorMessage(`HyperBox: cannot install 'hb': none of ${dirs.map((d) => d.dir).join(', ')} is writable.`);
    return;
  }
  const existing = await inspect(target.file);
  if (existing.kind === 'foreign') {
    void vscode.window.showWarningMessage(
      `HyperBox: ${target.file} already exists and HyperBox did not write it (it is ${existing.what}). It was left as it is; remove or rename it, then run "HyperBox: Install 'hb' Command in PATH" again.`,
    );
    return;
  }
  const cli = path.join(env.extensionPath, 'dist', 'cli.js');
  const text = launcherText(options.execPath ?? process.execPath, cli);
  // written beside the target and renamed over it: a running `hb` never sees half a file
  const temp = path.join(target.dir, `.${LAUNCHER_NAME}.hyperbox-${process.pid}-${Date.now()}`);
  try {
    await fs.writeFile(temp, text, { mode: 0o755, flag: 'wx' });
    await fs.chmod(temp, 0o755);
    await fs.rename(temp, target.file);
  } catch (e) {
    await fs.rm(temp, { force: true });
    throw e;
  }
  log.info(`Installed the 'hb' launcher at ${target.file} (runs ${cli}).`);
  const verb = existing.kind === 'ours' ? 'updated' : 'installed';
  if (target.onPath) {
    void vscode.window.showInformationMessage(`HyperBox: 'hb' ${verb} at ${target.file}. Run "hb --help" in a new terminal.`);
  } else {
    const line = pathLine(target.dir, os.homedir());
    log.info(`${target.dir} is not on PATH; add to your shell profile: ${line}`);
    void vscode.window.showInformationMessage(
      `HyperBox: 'hb' ${verb} at ${target.file}, but ${target.dir} is not on your PATH. Add this line to your shell profile (~/.profile, ~/.bashrc or ~/.zshrc), then open a new terminal: ${line}`,
    );
  }
}

export async function uninstallCli(env: Env): Promise<void> {
  const { options, log } = env;
  if (notOnWindows(options.platform ?? process.platform)) return;
  const dirs = options.dirs ?? defaultDirs();
  const removed: string[] = [];
  const left: string[] = [];
  for (const { dir } of dirs) {
    const file = path.join(dir, LAUNCHER_NAME);
    const found = await inspect(file);
    if (found.kind === 'ours') {
      await fs.rm(file);
      removed.push(file);
      log.info(`Removed the 'hb' launcher at ${file}.`);
    } else if (found.kind === 'foreign') {
      left.push(`${file} (${found.what})`);
    }
  }
  const others = left.length > 0 ? ` Left alone, as HyperBox did not write them: ${left.join(', ')}.` : '';
  if (removed.length > 0) void vscode.window.showInformationMessage(`HyperBox: removed 'hb' from ${removed.join(', ')}.${others}`);
  else void vscode.window.showInformationMessage(`HyperBox: there is no 'hb' launcher written by HyperBox in ${dirs.map((d) => d.dir).join(' or ')}; nothing was removed.${others}`);
}
