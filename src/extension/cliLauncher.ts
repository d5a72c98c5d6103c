// The pure parts of "HyperBox: Install 'hb' Command in PATH": the launcher's text, quoting for sh,
// recognising a launcher HyperBox wrote, and choosing where it goes. No `vscode`, no I/O: the
// command (cliInstall.ts) probes the folders and passes what it found.
import * as path from 'node:path';

/** The name of the command the launcher provides. */
export const LAUNCHER_NAME = 'hb';

/** The comment line that marks a launcher as HyperBox's own (install rewrites it, uninstall removes it). */
export const LAUNCHER_MARKER = "# hyperbox-cli-launcher: written by \"HyperBox: Install 'hb' Command in PATH\"; \"HyperBox: Uninstall 'hb' Command from PATH\" removes it.";

/** A word for sh that stays one word whatever it contains (single quotes; a ' becomes '\''). */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The launcher: runs the extension's bundled CLI with the editor's own runtime (Electron as Node). */
export function launcherText(execPath: string, cliPath: string): string {
  return [
    '#!/bin/sh',
    LAUNCHER_MARKER,
    '# Runs the hb CLI bundled with the HyperBox VS Code extension, with VS Code\'s own runtime.',
    // an update of the extension or of VS Code moves them: say what to do instead of a cryptic error
    `if [ ! -f ${shQuote(cliPath)} ] || [ ! -x ${shQuote(execPath)} ]; then`,
    `  echo ${shQuote(`hb: ${cliPath} or ${execPath} is gone (HyperBox or VS Code was updated or removed). In VS Code, run "HyperBox: Install 'hb' Command in PATH" again.`)} >&2`,
    '  exit 127',
    'fi',
    `ELECTRON_RUN_AS_NODE=1 exec ${shQuote(execPath)} ${shQuote(cliPath)} "$@"`,
    '',
  ].join('\n');
}

/** Whether a file's text is a launcher HyperBox wrote (it has the marker line). */
export function isOurLauncher(text: string): boolean {
  return text.split(/\r?\n/).some((line) => line.trim() === LAUNCHER_MARKER);
}

/** What the command found out about one candidate folder. */
export interface ProbedDir {
  dir: string;
  /** The folder exists (or was made) and this user may write in it. */
  writable: boolean;
}

export interface Target {
  dir: string;
  file: string;
  /** The folder is on PATH, so `hb` works in a new terminal as it is. */
  onPath: boolean;
}

/** Whether a folder is one of PATH's entries (trailing slashes ignored; relative entries never match). */
export function isOnPath(dir: string, pathEnv: string | undefined, delimiter: string = path.delimiter): boolean {
  const want = path.resolve(dir);
  return (pathEnv ?? '')
    .split(delimiter)
    .filter((e) => e && path.isAbsolute(e))
    .some((e) => path.resolve(e) === want);
}

/** The first writable candidate, in order; undefined when none is. */
export function chooseTarget(candidates: readonly ProbedDir[], pathEnv: string | undefined, delimiter: string = path.delimiter): Target | undefined {
  const found = candidates.find((c) => c.writable);
  return found && { dir: found.dir, file: path.join(found.dir, LAUNCHER_NAME), onPath: isOnPath(found.dir, pathEnv, delimiter) };
}

/**
 * The line to add to a shell profile so a folder is on PATH: `$HOME/...` for a folder in the home
 * folder (so the line still works if the home folder moves), the quoted path otherwise.
 */
export function pathLine(dir: string, homeDir: string): string {
  const rel = path.relative(homeDir, dir);
  const inHome = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  const shown = inHome && !/["\\$`]/.test(rel) ? `$HOME/${rel.split(path.sep).join('/')}` : dir.replace(/["\\$`]/g, (c) => `\\${c}`);
  return `export PATH="${shown}:$PATH"`;
}
