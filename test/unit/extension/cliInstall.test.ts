// "HyperBox: Install 'hb' Command in PATH" and its uninstall: the pure parts (launcher text, sh
// quoting, choosing the folder, PATH advice), then the commands through the stubbed vscode API with
// a temporary HOME and temporary candidate folders (never the real /usr/local/bin).
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { CliInstallOptions } from '../../../src/extension/cliInstall';
import { LAUNCHER_MARKER, chooseTarget, isOnPath, isOurLauncher, launcherText, pathLine, shQuote } from '../../../src/extension/cliLauncher';
import { registerCommands } from '../../../src/extension/commands';
import { Ctx } from '../../../src/extension/context';
import { Commands } from '../../../src/extension/contributions';
import { ROOT, ensureBuilt, removeTempDirs, tempDir } from './helpers';
import { commands, stub, window } from '../stubs/vscode';

const run = promisify(execFile);
const VERSION = (require(path.join(ROOT, 'package.json')) as { version: string }).version;

describe("'hb' launcher (pure parts)", () => {
  it('quotes any path as one sh word', async () => {
    assert.equal(shQuote('/usr/bin/node'), "'/usr/bin/node'");
    assert.equal(shQuote("it's"), `'it'\\''s'`);
    const nasty = `/tmp/a b/$HOME/"q"/\`x\`/it's\\n`;
    const { stdout } = await run('sh', ['-c', `printf '%s' ${shQuote(nasty)}`]);
    assert.equal(stdout, nasty);
  });

  it('writes a launcher that runs the CLI with the runtime as Node, and knows it by its marker', () => {
    const text = launcherText('/opt/VS Code/code', "/home/u/.vscode/extensions/hyper box's/dist/cli.js");
    assert.ok(text.startsWith('#!/bin/sh\n'));
    assert.ok(text.split('\n').includes(LAUNCHER_MARKER));
    assert.match(text, /^ELECTRON_RUN_AS_NODE=1 exec '\/opt\/VS Code\/code' '\/home\/u\/\.vscode\/extensions\/hyper box'\\''s\/dist\/cli\.js' "\$@"$/m);
    assert.ok(isOurLauncher(text));
    assert.ok(isOurLauncher(text.replace(/\n/g, '\r\n')));
    assert.ok(!isOurLauncher('#!/usr/bin/env node\nrequire("hb")\n'));
    assert.ok(!isOurLauncher(`#!/bin/sh\necho "${LAUNCHER_MARKER}"\n`), 'the marker must be a line of its own');
  });

  it('chooses the first writable folder and says whether it is on PATH', () => {
    const candidates = [
      { dir: '/usr/local/bin', writable: false },
      { dir: '/home/u/.local/bin', writable: true },
    ];
    assert.deepEqual(chooseTarget(candidates, '/usr/bin:/home/u/.local/bin/', ':'), { dir: '/home/u/.local/bin', file: '/home/u/.local/bin/hb', onPath: true });
    assert.equal(chooseTarget(candidates, '/usr/bin:/bin', ':')?.onPath, false);
    assert.equal(chooseTarget([{ dir: '/usr/local/bin', writable: true }, ...candidates], '/usr/local/bin', ':')?.file, '/usr/local/bin/hb');
    assert.equal(chooseTarget([{ dir: '/x', writable: false }], '/x', ':'), undefined);
    assert.ok(!isOnPath('/home/u/.local/bin', 'bin::.local/bin', ':'), 'relative and empty PATH entries never match');
    assert.ok(!isOnPath('/home/u/.local/bin', undefined, ':'));
  });

  it('gives the line for the shell profile: $HOME-relative inside the home folder, quoted outside', () => {
    assert.equal(pathLine('/home/u/.local/bin', '/home/u'), 'export PATH="$HOME/.local/bin:$PATH"');
    assert.equal(pathLine('/opt/my tools', '/home/u'), 'export PATH="/opt/my tools:$PATH"');
    assert.equal(pathLine('/opt/$x', '/home/u'), 'export PATH="/opt/\\$x:$PATH"');
  });
});

describe("HyperBox: Install / Uninstall 'hb' Command in PATH (vscode stubbed)", function () {
  this.timeout(60_000);
  const savedHome = process.env.HOME;
  let ctx: Ctx | undefined;
  let context: ReturnType<typeof stub.extensionContext> | undefined;
  let home: string;
  let system: string;
  let local: string;

  before(async function () {
    if (process.platform === 'win32') this.skip();
    await ensureBuilt();
  });
  after(() => removeTempDirs());
  beforeEach(async () => {
    stub.reset();
    home = await tempDir('cli-home');
    process.env.HOME = home;
    system = path.join(await tempDir('cli-system'), 'bin');
    await fs.mkdir(system);
    local = path.join(home, '.local', 'bin');
  });
  afterEach(() => {
    if (savedHome !== undefined) process.env.HOME = savedHome;
    else delete process.env.HOME;
    ctx?.dispose();
    for (const d of context?.subscriptions.splice(0) ?? []) d.dispose();
    ctx = undefined;
    stub.reset();
  });

  /** A context that is never started (these commands need no engine), with the given candidates. */
  function make(cli: CliInstallOptions): void {
    context = stub.extensionContext(ROOT);
    const log = window.createOutputChannel('HyperBox', { log: true });
    ctx = new Ctx(context as never, log as never, { cli });
    registerCommands(ctx);
  }
  const messages = () => stub.messages.map((m) => `${m.level}: ${m.message}`).join('\n');
  const exists = (f: string) => fs.stat(f).then(() => true, () => false);

  it('writes an executable launcher in the first writable folder that really runs hb', async () => {
    make({ dirs: [{ dir: system }, { dir: local, create: true }], pathEnv: `/usr/bin:${system}` });
    await commands.executeCommand(Commands.installCli);
    const file = path.join(system, 'hb');
    assert.match(messages(), new RegExp(`^info: HyperBox: 'hb' installed at ${file}\\. Run "hb --help"`));
    assert.ok(!(await exists(local)), '~/.local/bin is made only when it is needed');
    const st = await fs.stat(file);
    assert.equal(st.mode & 0o111, 0o111, 'executable');
    assert.equal(await fs.readFile(file, 'utf8'), launcherText(process.execPath, path.join(ROOT, 'dist', 'cli.js')));
    const { stdout } = await run('sh', [file, '--version']);
    assert.match(stdout, new RegExp(VERSION.replace(/\./g, '\\.')));
    assert.deepEqual((await fs.readdir(system)).sort(), ['hb'], 'no temporary file left behind');

    // a launcher whose CLI is gone (the extension was updated) says what to do
    const stale = path.join(system, 'stale');
    await fs.writeFile(stale, launcherText(process.execPath, path.join(home, "old version's", 'dist', 'cli.js')), { mode: 0o755 });
    const failed = await run('sh', [stale, '--version']).then(() => undefined, (e: { code: number; stderr: string }) => e);
    assert.ok(failed, 'a launcher whose CLI is gone fails');
    assert.equal(failed.code, 127);
    assert.match(failed.stderr, /is gone .*run "HyperBox: Install 'hb' Command in PATH" again\.\n$/);
    await fs.rm(stale);

    // running it again updates our own launcher
    stub.messages.length = 0;
    await commands.executeCommand(Commands.installCli);
    assert.match(messages(), /'hb' updated at/);
  });

  it('falls back to ~/.local/bin (made for it) and says what to add to the shell profile when it is not on PATH', async () => {
    // a missing folder is not writable (as /usr/local/bin is not for most users; chmod would not do under root)
    const missing = path.join(system, 'missing');
    make({ dirs: [{ dir: missing }, { dir: local, create: true }], pathEnv: '/usr/bin:/bin' });
    await commands.executeCommand(Commands.installCli);
    assert.ok(!(await exists(missing)));
    const file = path.join(local, 'hb');
    assert.ok(isOurLauncher(await fs.readFile(file, 'utf8')));
    assert.ok(!(await exists(path.join(system, 'hb'))));
    const [m] = stub.messages;
    assert.equal(m.level, 'info');
    assert.ok(m.message.includes(`'hb' installed at ${file}, but ${local} is not on your PATH`), m.message);
    assert.ok(m.message.endsWith('export PATH="$HOME/.local/bin:$PATH"'), m.message);
  });

  it('never overwrites an hb it did not write, and says what is there', async () => {
    const file = path.join(system, 'hb');
    const foreign = '#!/usr/bin/env node\nrequire("./somebody-else");\n';
    await fs.writeFile(file, foreign, { mode: 0o755 });
    make({ dirs: [{ dir: system }, { dir: local, create: true }], pathEnv: system });
    await commands.executeCommand(Commands.installCli);
    assert.equal(await fs.readFile(file, 'utf8'), foreign);
    assert.equal(stub.messages.length, 1);
    assert.equal(stub.messages[0].level, 'warning');
    assert.match(stub.messages[0].message, new RegExp(`${file} already exists and HyperBox did not write it \\(it is a script \\(#!/usr/bin/env node\\)\\)`));
    assert.ok(!(await exists(local)), 'it stops: no launcher elsewhere either');

    // a symbolic link is never ours either
    await fs.rm(file);
    await fs.symlink('/usr/bin/true', file);
    stub.messages.length = 0;
    await commands.executeCommand(Commands.installCli);
    assert.match(messages(), /it is a symbolic link to \/usr\/bin\/true/);
    assert.equal(await fs.readlink(file), '/usr/bin/true');
  });

  it('uninstall removes only a launcher HyperBox wrote', async () => {
    make({ dirs: [{ dir: system }, { dir: local, create: true }], pathEnv: system });
    await commands.executeCommand(Commands.uninstallCli);
    assert.match(messages(), /there is no 'hb' launcher written by HyperBox in .*; nothing was removed\./);

    await commands.executeCommand(Commands.installCli);
    const ours = path.join(system, 'hb');
    const foreign = path.join(local, 'hb');
    await fs.mkdir(local, { recursive: true });
    await fs.writeFile(foreign, '#!/bin/sh\necho mine\n', { mode: 0o755 });
    stub.messages.length = 0;
    await commands.executeCommand(Commands.uninstallCli);
    assert.ok(!(await exists(ours)), 'ours is removed');
    assert.equal(await fs.readFile(foreign, 'utf8'), '#!/bin/sh\necho mine\n', 'the other one is left alone');
    assert.match(messages(), new RegExp(`^info: HyperBox: removed 'hb' from ${ours}\\. Left alone, as HyperBox did not write them: ${foreign} `));
  });

  it('says plainly that Windows is not supported yet, and writes nothing', async () => {
    make({ dirs: [{ dir: system }], pathEnv: system, platform: 'win32' });
    await commands.executeCommand(Commands.installCli);
    await commands.executeCommand(Commands.uninstallCli);
    assert.equal(stub.messages.length, 2);
    for (const m of stub.messages) assert.match(m.message, /not supported on Windows yet/);
    assert.deepEqual(await fs.readdir(system), []);
  });
});
