// The harness that runs HyperBox in a real VS Code on a machine without internet access:
// code-server (VS Code's workbench and extension host served to a browser) on 127.0.0.1, with a
// throwaway user-data and extensions folder, driven by Debian's Chromium through playwright-core.
// Used by the extension-host test launcher, the UI tests and scripts/try.sh.
import { spawn, spawnSync, execFile, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, statSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { BrowserContext, Page } from 'playwright-core';
import { DOCKER, nodeImage } from '../engine/images';

const execFileP = promisify(execFile);

export const repoRoot = path.resolve(__dirname, '..', '..');
/** Screenshots, logs and built test files (gitignored). */
export const outputDir = path.join(repoRoot, '.test-output', 'e2e');
export const exampleFixture = path.join(repoRoot, 'test', 'fixtures', 'example');
export const chromiumPath = process.env.HB_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // nothing but this machine: other host names fail at once, without a DNS query
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

let logPrefix = 'e2e';
/** The word before the harness's messages: "e2e" in the tests, "try" in scripts/try.sh. */
export function setLogPrefix(prefix: string): void {
  logPrefix = prefix;
}
const log = (msg: string) => process.stderr.write(`${logPrefix}: ${msg}\n`);

/** The code-server launcher: $HB_CODE_SERVER, or scripts/code-server.sh (installs into the cache when missing). */
export async function codeServerBin(): Promise<string> {
  const fromEnv = process.env.HB_CODE_SERVER;
  if (fromEnv) return fromEnv;
  const child = spawn('bash', [path.join(repoRoot, 'scripts', 'code-server.sh')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code: number = await new Promise((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  const bin = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !bin) throw new Error(`scripts/code-server.sh failed (exit ${code}); see its messages above`);
  process.env.HB_CODE_SERVER = bin; // later calls in this process skip the check
  return bin;
}

/** A TCP port that is free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A fresh temporary folder under the system's temp dir. */
export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `hb-e2e-${prefix}-`));
}

/** Copies a fixture workspace to a temporary folder, so tests never change the checked-in one. */
export async function copyFixture(fixture = exampleFixture): Promise<string> {
  const dir = path.join(await tempDir('ws'), path.basename(fixture));
  await cp(fixture, dir, { recursive: true });
  return dir;
}

function newestVsix(since: number): string | undefined {
  const candidates: { file: string; mtime: number }[] = [];
  for (const dir of [repoRoot, path.join(repoRoot, 'dist'), path.join(repoRoot, '.test-output'), outputDir]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (!name.endsWith('.vsix')) continue;
      const file = path.join(dir, name);
      const mtime = statSync(file).mtimeMs;
      if (mtime >= since) candidates.push({ file, mtime });
    }
  }
  candidates.sort((a, b) => b.mtime - a.mtime);
  return candidates[0]?.file;
}

async function runLogged(cmd: string, args: string[], logFile: string, env?: NodeJS.ProcessEnv): Promise<void> {
  await mkdir(path.dirname(logFile), { recursive: true });
  const out = createWriteStream(logFile);
  const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  child.stdout.pipe(out, { end: false });
  child.stderr.pipe(out, { end: false });
  const code: number = await new Promise((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  out.end();
  if (code !== 0) {
    const text = await readFile(logFile, 'utf8').catch(() => '');
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${code}):\n${text.split('\n').slice(-30).join('\n')}`);
  }
}

/**
 * Packages the extension and returns the .vsix path: $HB_VSIX when set; else `npm run package`
 * when scripts/package.sh exists (the project's own packaging); else a plain
 * `vsce package --no-dependencies` of the built bundle into .test-output/e2e/.
 */
export async function packageExtension(): Promise<string> {
  if (process.env.HB_VSIX) return path.resolve(process.env.HB_VSIX);
  const started = Date.now() - 1000;
  if (existsSync(path.join(repoRoot, 'scripts', 'package.sh'))) {
    log('packaging the extension (npm run package) ...');
    await runLogged('npm', ['run', '--silent', 'package'], path.join(outputDir, 'package.log'));
    const vsix = newestVsix(started);
    if (!vsix) throw new Error('npm run package succeeded but wrote no new .vsix (looked in ., dist/, .test-output/)');
    return vsix;
  }
  log('packaging the extension (build + vsce package --no-dependencies; scripts/package.sh is not there yet) ...');
  await runLogged('node', ['esbuild.mjs', '--quiet'], path.join(outputDir, 'build.log'));
  await mkdir(outputDir, { recursive: true });
  // Only what the extension needs at run time; the checked-in tree has no .vscodeignore yet.
  const ignoreFile = path.join(outputDir, 'vscodeignore');
  await writeFile(
    ignoreFile,
    ['**', '!package.json', '!dist/*.js', '!schemas/**', '!media/**', '!bin/**', '!LICENSE', '!README.md',
      '!CHANGELOG.md', ''].join('\n'),
  );
  const vsix = path.join(outputDir, 'hyperbox.vsix');
  await runLogged(
    path.join(repoRoot, 'node_modules', '.bin', 'vsce'),
    ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--ignoreFile', ignoreFile, '-o', vsix],
    path.join(outputDir, 'package.log'),
  );
  return vsix;
}

/** The folders code-server keeps its state in; throwaway unless given. */
export interface Profile {
  userDataDir: string;
  extensionsDir: string;
}

export async function newProfile(settings: Record<string, unknown> = {}): Promise<Profile> {
  const root = await tempDir('profile');
  const profile = { userDataDir: path.join(root, 'user-data'), extensionsDir: path.join(root, 'extensions') };
  await mkdir(path.join(profile.userDataDir, 'User'), { recursive: true });
  await mkdir(profile.extensionsDir, { recursive: true });
  await writeFile(
    path.join(profile.userDataDir, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.enableExperiments': false,
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'extensions.ignoreRecommendations': true,
        ...settings,
      },
      null,
      2,
    ),
  );
  return profile;
}

/** The environment for code-server: ours minus anything that would tie it to an editor we run in. */
function serverEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('VSCODE_') || k.startsWith('ELECTRON_') || k === 'PASSWORD' || k === 'HASHED_PASSWORD') continue;
    env[k] = v;
  }
  // No extension gallery (it is on the internet): '{}' leaves VS Code without one.
  return { ...env, EXTENSIONS_GALLERY: '{}', ...extra };
}

export async function installExtension(bin: string, profile: Profile, vsix: string): Promise<void> {
  const { stdout, stderr } = await execFileP(
    bin,
    ['--user-data-dir', profile.userDataDir, '--extensions-dir', profile.extensionsDir, '--install-extension', vsix, '--force'],
    { env: serverEnv(), timeout: 120_000 },
  );
  const text = `${stdout}\n${stderr}`;
  if (!/successfully installed|already installed/i.test(text)) {
    throw new Error(`code-server --install-extension ${vsix} did not report success:\n${text}`);
  }
}

export async function listExtensions(bin: string, profile: Profile): Promise<string[]> {
  const { stdout } = await execFileP(
    bin,
    ['--user-data-dir', profile.userDataDir, '--extensions-dir', profile.extensionsDir, '--list-extensions', '--show-versions'],
    { env: serverEnv(), timeout: 60_000 },
  );
  return stdout.split('\n').map((l) => l.trim()).filter(Boolean);
}

export interface CodeServerOptions {
  /** The folder to open (also what the bare URL opens). */
  folder: string;
  profile?: Profile;
  /** A .vsix to install before starting. */
  vsix?: string;
  port?: number;
  /** Extra environment for the server (the extension host inherits it). */
  env?: NodeJS.ProcessEnv;
  /** Where the server's output goes (default: a file in the profile). */
  logFile?: string;
  /** Extra code-server arguments, e.g. --disable-workspace-trust. */
  args?: string[];
}

export interface CodeServer {
  port: number;
  /** http://127.0.0.1:<port>/ */
  url: string;
  folder: string;
  profile: Profile;
  logFile: string;
  process: ChildProcess;
  /** The workbench URL for a folder, with an optional `payload` (e.g. extension tests). */
  folderUrl(folder?: string, payload?: [string, string][]): string;
  /** vscode-remote:// URI of a path on this server (for payload entries). */
  remoteUri(p: string): string;
  /** Kills the server's whole process group and waits for it. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

async function waitForServer(url: string, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const text = await readFile(logFile, 'utf8').catch(() => '');
      throw new Error(`code-server exited (${child.exitCode ?? child.signalCode}) before serving:\n${text.split('\n').slice(-30).join('\n')}`);
    }
    try {
      const res = await fetch(new URL('healthz', url), { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
      lastError = `HTTP ${res.status}`;
    } catch (e) {
      lastError = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`code-server did not serve ${url} within ${timeoutMs / 1000} s (${lastError}); log: ${logFile}`);
}

/** Starts code-server on 127.0.0.1 and resolves when it answers; installs `vsix` first when given. */
export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  const bin = await codeServerBin();
  const profile = opts.profile ?? (await newProfile());
  if (opts.vsix) await installExtension(bin, profile, opts.vsix);
  const port = opts.port ?? (await freePort());
  const logFile = opts.logFile ?? path.join(path.dirname(profile.userDataDir), 'code-server.log');
  await mkdir(path.dirname(logFile), { recursive: true });
  // An explicit config file keeps code-server from writing ~/.config/code-server/config.yaml.
  const configFile = path.join(path.dirname(profile.userDataDir), 'config.yaml');
  await writeFile(configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const args = [
    '--config', configFile,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--user-data-dir', profile.userDataDir,
    '--extensions-dir', profile.extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    ...(opts.args ?? []),
    opts.folder,
  ];
  const out = createWriteStream(logFile);
  await new Promise((r) => out.once('open', r));
  // detached: its own process group, so stop() ends the extension host and helpers too
  const child = spawn(bin, args, { detached: true, stdio: ['ignore', out, out], env: serverEnv(opts.env) });
  running.add(child);
  const url = `http://127.0.0.1:${port}/`;
  const server: CodeServer = {
    port,
    url,
    folder: opts.folder,
    profile,
    logFile,
    process: child,
    folderUrl(folder = opts.folder, payload) {
      const u = new URL(url);
      u.searchParams.set('folder', folder);
      if (payload) u.searchParams.set('payload', JSON.stringify(payload));
      return u.toString();
    },
    remoteUri(p: string) {
      return `vscode-remote://127.0.0.1:${port}${path.resolve(p)}`;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        try {
          process.kill(-child.pid!, 'SIGTERM');
        } catch {
          /* already gone */
        }
        const timer = setTimeout(() => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }, 5000);
        await exited;
        clearTimeout(timer);
      }
      // helpers that outlived the leader still share its process group
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* none left */
      }
      running.delete(child);
      out.end();
    },
  };
  try {
    await waitForServer(url, child, logFile, 60_000);
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Debian's Chromium, headless, with a fresh profile; never a downloaded browser. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`${chromiumPath} is missing: install Debian's chromium (scripts/e2e.sh does as root; scripts/debian-packages.txt) or set HB_CHROMIUM`);
  }
  const { chromium } = await import('playwright-core');
  const userDataDir = await tempDir('chromium');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport: { width: 1440, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close().catch(() => undefined);
      await rm(userDataDir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}

/** Runs a command from the command palette by its title, as a user does (F1, the title, Enter). */
export async function runFromPalette(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`>${title}`);
  await page.waitForTimeout(500);
  await page.keyboard.press('Enter');
}

/** Waits until the workbench has rendered (the status bar is there). */
export async function waitForWorkbench(page: Page, timeoutMs = 60_000): Promise<void> {
  await page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: timeoutMs });
}

/** Text and aria-label of every status bar item, in order. */
export async function statusBarItems(page: Page): Promise<{ id: string; text: string; label: string }[]> {
  return page.$$eval('.statusbar-item', (els) =>
    els.map((el) => ({
      id: el.id,
      text: (el.textContent ?? '').trim(),
      label: el.getAttribute('aria-label') ?? el.querySelector('[aria-label]')?.getAttribute('aria-label') ?? '',
    })),
  );
}

/** Copies VS Code's logs (window, extension host, output channels) of a profile to `dest`. */
export async function keepLogs(profile: Profile, dest: string): Promise<void> {
  const logs = path.join(profile.userDataDir, 'logs');
  if (!existsSync(logs)) return;
  await rm(dest, { recursive: true, force: true });
  await cp(logs, dest, { recursive: true }).catch(() => undefined);
}

/**
 * Errors an extension left in kept logs (see keepLogs): the `[error]` entries of its own output
 * channels, and the extension host's `[error]` entries whose text (a stack) mentions it.
 */
export async function extensionLogErrors(logsDir: string, extensionId: string): Promise<string[]> {
  const errors: string[] = [];
  const entries = (text: string) => text.split(/\n(?=\d{4}-\d\d-\d\d[ T])/); // one per timestamped line
  const walk = async (dir: string): Promise<void> => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) {
        await walk(p);
        continue;
      }
      const own = path.basename(dir) === extensionId && name.endsWith('.log');
      const host = /exthost\.log$/i.test(name);
      if (!own && !host) continue;
      for (const entry of entries(await readFile(p, 'utf8'))) {
        const [first] = entry.split('\n');
        if (!first.includes('[error]') || (host && !entry.includes(extensionId))) continue;
        errors.push(entry.split('\n').slice(0, own ? 1 : 3).join('\n'));
      }
    }
  };
  await walk(logsDir);
  return errors;
}

export function formatLogErrors(errors: string[], where: string): string {
  const body = errors.map((e) => e.split('\n').map((l) => `        ${l.trim()}`).join('\n')).join('\n');
  return `HyperBox logged ${errors.length} error(s) (${where}):\n${body}\n`;
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
}

/** Where the extension-host suite is compiled to (its index.js is the extensionTestsPath). */
export const hostSuiteOut = path.join(outputDir, 'suite');

/**
 * Compiles test/e2e/suite/*.ts to CommonJS in .test-output/e2e/suite/ (one file each, not bundled:
 * `vscode` comes from the extension host and `mocha` from this repo's node_modules).
 */
export async function buildHostSuite(): Promise<string> {
  const esbuild = await import('esbuild');
  const srcDir = path.join(repoRoot, 'test', 'e2e', 'suite');
  const entryPoints = readdirSync(srcDir).filter((f) => f.endsWith('.ts')).map((f) => path.join(srcDir, f));
  await rm(hostSuiteOut, { recursive: true, force: true });
  await esbuild.build({
    entryPoints,
    outdir: hostSuiteOut,
    bundle: false,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  return path.join(hostSuiteOut, 'index.js');
}

/** Builds the extension bundle (dist/) the way the project does. */
export async function buildExtension(): Promise<void> {
  await runLogged('node', ['esbuild.mjs', '--quiet'], path.join(outputDir, 'build.log'));
}

export interface HostResults {
  passed: number;
  failed: number;
  pending: number;
  tests: { title: string; state: 'passed' | 'failed' | 'pending'; durationMs?: number; error?: string }[];
  error?: string;
  vscodeVersion?: string;
}

/** Prints a results file the way mocha's spec reporter would, ending with "N passed, N failed". */
export function printHostResults(results: HostResults, heading: string): void {
  const lines = [`\n  ${heading}${results.vscodeVersion ? ` (VS Code ${results.vscodeVersion})` : ''}\n`];
  for (const t of results.tests) {
    const mark = t.state === 'passed' ? '✔' : t.state === 'failed' ? '✖' : '-';
    lines.push(`    ${mark} ${t.title}${t.durationMs !== undefined ? ` (${t.durationMs} ms)` : ''}`);
  }
  for (const t of results.tests.filter((x) => x.state === 'failed')) {
    lines.push('', `  ✖ ${t.title}`, ...(t.error ?? '').split('\n').map((l) => `      ${l}`));
  }
  if (results.error) lines.push('', '  suite error:', ...results.error.split('\n').map((l) => `      ${l}`));
  lines.push('', `${results.passed} passed, ${results.failed} failed${results.pending ? `, ${results.pending} skipped` : ''}`);
  process.stdout.write(lines.join('\n') + '\n');
}

const EXAMPLE_IMAGE = 'mcr.microsoft.com/devcontainers/javascript-node:20';

/**
 * The example names the Dev Containers Node image. When this engine does not have it and cannot
 * pull it (no registry reachable), the copy is pointed at a Node image built here from this
 * machine's own Node (test/engine/images.ts), and the app is started at each container start, so
 * the example still works end to end: container, terminal, port 3000 forwarded.
 */
export async function offlineExample(folder: string): Promise<void> {
  const run = (args: string[], timeout: number) => spawnSync(DOCKER, args, { encoding: 'utf8', timeout });
  if (run(['version', '--format', '{{.Server.Version}}'], 10_000).status !== 0) {
    log('no Docker engine answers; HyperBox will say so in the status bar (see README, "Tests", for starting one)');
    return;
  }
  if (run(['image', 'inspect', '--format', '{{.Id}}', EXAMPLE_IMAGE], 10_000).status === 0) return;
  log(`pulling ${EXAMPLE_IMAGE} ...`);
  if (run(['pull', '-q', EXAMPLE_IMAGE], 120_000).status === 0) return;
  const image = nodeImage();
  log(`${EXAMPLE_IMAGE} cannot be pulled here; the example uses ${image}, built from this machine's Node`);
  const config = {
    name: 'HyperBox example (offline Node image)',
    image,
    forwardPorts: [3000],
    portsAttributes: { '3000': { label: 'Web app' } },
    containerEnv: { APP_NAME: '${localWorkspaceFolderBasename}' },
    postCreateCommand: 'node --version',
    postStartCommand: 'node server.js > /tmp/server.log 2>&1 &',
    remoteUser: 'node',
  };
  await writeFile(path.join(folder, '.devcontainer', 'devcontainer.json'), `${JSON.stringify(config, null, 2)}\n`);
}
