// Helpers for engine tests: throw-away workspaces under one TEST_ROOT (so cleanup finds everything
// the tests made by folder), hb run in-process or as a real process, and a few docker queries.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ContainerInspectInfo } from 'dockerode';
import { connectEngine } from '../../src/engine/runtime/engine/docker';
import { LABEL_IMAGE_FOLDER, LABEL_LOCAL_FOLDER } from '../../src/engine/runtime/create/labels';
import type { Reporter } from '../../src/engine/runtime/report';
import { up, type UpOptions, type UpOutcome } from '../../src/engine/runtime/up/up';
import { DOCKER, TEST_LABEL, docker } from './images';

export const REPO = path.resolve(__dirname, '..', '..');
export const CLI = path.join(REPO, 'dist', 'cli.js');
export const REFERENCE_CLI = path.join(REPO, 'node_modules', '.bin', 'devcontainer');

export const TEST_ROOT = mkdtempSync('/tmp/hb-engine-test-');
// hb's caches and trust store for the whole suite (in-process calls and spawned hb alike)
process.env.HB_CACHE_DIR = path.join(TEST_ROOT, 'cache');
process.env.HB_CONFIG_DIR = path.join(TEST_ROOT, 'config');
process.env.HB_DOCKER_PATH = DOCKER;

let counter = 0;
/** A workspace folder with .devcontainer/devcontainer.json and optional other files. */
export function workspace(name: string, config: object | string, files: Record<string, string> = {}): string {
  const folder = path.join(TEST_ROOT, `${name}-${++counter}`);
  mkdirSync(path.join(folder, '.devcontainer'), { recursive: true });
  writeFileSync(path.join(folder, '.devcontainer', 'devcontainer.json'), typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(folder, rel)), { recursive: true });
    writeFileSync(path.join(folder, rel), text);
  }
  return folder;
}

export function writeConfig(folder: string, config: object): void {
  writeFileSync(path.join(folder, '.devcontainer', 'devcontainer.json'), JSON.stringify(config, null, 2));
}

export interface Collected extends Reporter {
  text: string;
  steps: string[];
}
export function collector(): Collected {
  const c: Collected = {
    text: '',
    steps: [],
    step: (m) => {
      c.steps.push(m);
      c.text += `> ${m}\n`;
    },
    info: (m) => void (c.text += `${m}\n`),
    warn: (m) => void (c.text += `warning: ${m}\n`),
    output: (source, t) => void (c.text += `[${source}] ${t}`),
  };
  return c;
}

/**
 * The environment of a fresh machine of this kind for choosing a docker CLI: no HB_DOCKER_PATH, and
 * first on PATH a docker CLI 28 without the buildx plugin (so it cannot build with BuildKit):
 * /usr/local/bin/docker where that is one (a fresh machine has Docker's 28.2 there), else a
 * stand-in that answers as it does. Returns the environment and that CLI.
 */
export function envWithDockerWithoutBuildx(): { env: NodeJS.ProcessEnv; first: string } {
  let dir = '/usr/local/bin';
  const real = path.join(dir, 'docker');
  if (!existsSync(real) || spawnSync(real, ['buildx', 'version']).status === 0 || !/version 2[3-9]\./.test(spawnSync(real, ['--version'], { encoding: 'utf8' }).stdout ?? '')) {
    dir = path.join(TEST_ROOT, 'docker-28-no-buildx');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'docker'), '#!/bin/sh\n[ "$1" = --version ] && { echo "Docker version 28.2.2, build e6534b4"; exit 0; }\necho "docker: unknown command: docker $1" >&2; exit 1\n', { mode: 0o755 });
  }
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${dir}:${process.env.PATH}` };
  delete env.HB_DOCKER_PATH;
  return { env, first: path.join(dir, 'docker') };
}

/** hb up in this process. */
export async function hbUp(folder: string, extra: Partial<UpOptions> = {}): Promise<UpOutcome & { log: Collected }> {
  const log = collector();
  const outcome = await up({ folder, env: process.env, trusted: true, report: log, ...extra });
  return { ...outcome, log };
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** hb as a real process (the bundled CLI). */
export function hb(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? TEST_ROOT, env: { ...process.env, ...opts.env }, encoding: 'utf8', maxBuffer: 32 * 1024 * 1024 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function hbAsync(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> & { pid?: number; kill(sig?: NodeJS.Signals): void } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? TEST_ROOT, env: { ...process.env, ...opts.env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b) => (stdout += b));
  child.stderr.on('data', (b) => (stderr += b));
  const p = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))) as Promise<Run> & { pid?: number; kill(sig?: NodeJS.Signals): void };
  p.pid = child.pid;
  p.kill = (sig = 'SIGINT') => child.kill(sig);
  return p;
}

/** The reference CLI (@devcontainers/cli), on Debian's docker client. */
export function reference(args: string[]): Run {
  const r = spawnSync(REFERENCE_CLI, [...args, '--docker-path', DOCKER], { encoding: 'utf8', env: process.env, maxBuffer: 32 * 1024 * 1024 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Every container with the reference labels for this folder. */
export async function containersOf(folder: string): Promise<{ Id: string; State: string; Names: string[] }[]> {
  const engine = await connectEngine(process.env);
  return engine.docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL_LOCAL_FOLDER}=${folder}`] }) });
}

export async function inspect(id: string): Promise<ContainerInspectInfo> {
  const engine = await connectEngine(process.env);
  return engine.docker.getContainer(id).inspect();
}

/** Output of a command in a container, through the docker CLI (independent of hb). */
export function dockerExec(id: string, cmd: string, user = 'root'): string {
  return docker(['exec', '-u', user, id, 'sh', '-c', cmd]).stdout;
}

/** Removes the containers, built images and volumes that belong to folders under `prefix`. */
/** How old a dangling test layer or test volume must be before any test run removes it. */
const STALE_MS = 10 * 60_000;

export async function removeEverythingUnder(prefix: string): Promise<void> {
  const engine = await connectEngine(process.env);
  const all = await engine.docker.listContainers({ all: true, filters: JSON.stringify({ label: [LABEL_LOCAL_FOLDER] }) });
  for (const c of all) {
    if (c.Labels[LABEL_LOCAL_FOLDER]?.startsWith(prefix)) await engine.docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
  }
  const images = await engine.docker.listImages({ filters: JSON.stringify({ label: [LABEL_IMAGE_FOLDER] }) });
  for (const i of images) {
    if (i.Labels?.[LABEL_IMAGE_FOLDER]?.startsWith(prefix)) await engine.docker.getImage(i.Id).remove({ force: true }).catch(() => undefined);
  }
  // images the reference CLI built for test folders (vsc-<folder>-<hash>[-uid])
  const ref = docker(['images', '--format', '{{.Repository}}'], { allowFail: true }).stdout.split('\n');
  const names = new Set(ref.filter((r) => r.startsWith('vsc-') && usedBasenames.some((b) => r.startsWith(`vsc-${b}-`))));
  if (names.size) docker(['rmi', '-f', ...names], { allowFail: true });
  // Layers a failed test build left behind (they inherit the base image's test label), and test
  // volumes. Only those older than STALE_MS: a concurrent test run's build in progress has fresh
  // dangling layers and fresh volumes, and removing them would break it. What this run leaves is
  // cleaned by a later one.
  const cutoff = Date.now() - STALE_MS;
  const dangling = await engine.docker.listImages({ filters: JSON.stringify({ dangling: ['true'], label: [`${TEST_LABEL}=1`] }) });
  for (const i of dangling) {
    if (i.Created * 1000 < cutoff) await engine.docker.getImage(i.Id).remove({ force: true }).catch(() => undefined);
  }
  const volumes = await engine.docker.listVolumes({ filters: JSON.stringify({ label: [`${TEST_LABEL}=1`] }) });
  for (const v of volumes.Volumes ?? []) {
    const created = Date.parse((v as { CreatedAt?: string }).CreatedAt ?? '');
    if (!Number.isNaN(created) && created < cutoff) await engine.docker.getVolume(v.Name).remove().catch(() => undefined);
  }
}

const usedBasenames: string[] = [];
/** Notes a folder the reference CLI works on, so its images are removed at the end. */
export function usedByReference(folder: string): string {
  usedBasenames.push(path.basename(folder).toLowerCase());
  return folder;
}

export async function waitFor(check: () => Promise<boolean> | boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
