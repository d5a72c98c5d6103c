// OCI runtimes: which ones the engine has registered (its /info Runtimes), what each one is, and
// which one a dev container runs under, first found of: `hb up --runtime`, runArgs `--runtime`,
// `customizations.hyperbox.runtime`, the editor's `hyperbox.runtime` setting (requestedRuntime);
// with none asked for, on ARM hosts youki or crun when the engine has them (they start containers
// faster and use less memory than runc on small boards).
import { hyperboxOf, type DevContainerConfig } from '../../devcontainer/config';
import type { Engine } from './docker';
import { RuntimeError } from '../errors';
import { installedPodmanRuntimes, isPodman } from './podman';

export type RuntimeKind = 'runc' | 'crun' | 'youki' | 'runsc' | 'kata' | 'other';

export interface OciRuntime {
  /** The name the engine knows it by (HostConfig.Runtime). */
  name: string;
  /** The binary (or shim) the engine runs, when it says. */
  path?: string;
  kind: RuntimeKind;
  /** What it is, in a few words. */
  description: string;
  /** The engine's default runtime. */
  isDefault: boolean;
}

export interface RuntimeList {
  runtimes: OciRuntime[];
  defaultRuntime: string;
}

const DESCRIPTIONS: Record<RuntimeKind, string> = {
  runc: 'runc, the reference OCI runtime',
  crun: 'crun, a fast, small OCI runtime in C',
  youki: 'youki, an OCI runtime in Rust',
  runsc: 'gVisor (runsc), a user-space kernel sandbox',
  kata: 'Kata Containers, each container in a lightweight VM',
  other: 'an OCI runtime HyperBox does not recognise',
};

/** What a runtime is, from its registered name and its path (the binary's name decides first). */
export function runtimeKind(name: string, path?: string): RuntimeKind {
  const base = (path ?? '').split('/').pop() ?? '';
  for (const s of [base, name]) {
    const l = s.toLowerCase();
    if (!l) continue;
    if (/kata/.test(l)) return 'kata';
    if (/runsc|gvisor/.test(l)) return 'runsc';
    if (/youki/.test(l)) return 'youki';
    if (/crun/.test(l)) return 'crun';
    if (/runc/.test(l)) return 'runc';
  }
  return 'other';
}

/** The runtimes of an /info answer (`Runtimes`: name → {path}, `DefaultRuntime`). */
export function parseRuntimes(info: { Runtimes?: Record<string, { path?: string; runtimeType?: string } | undefined>; DefaultRuntime?: string }): RuntimeList {
  const defaultRuntime = info.DefaultRuntime || 'runc';
  const runtimes = Object.entries(info.Runtimes ?? {}).map(([name, r]) => {
    const path = r?.path || r?.runtimeType || undefined;
    const kind = runtimeKind(name, path);
    return { name, path, kind, description: DESCRIPTIONS[kind], isDefault: name === defaultRuntime };
  });
  runtimes.sort((a, b) => Number(b.isDefault) - Number(a.isDefault) || a.name.localeCompare(b.name));
  return { runtimes, defaultRuntime };
}

export async function listRuntimes(engine: Engine, env: NodeJS.ProcessEnv = process.env): Promise<RuntimeList> {
  const [info, who] = await Promise.all([engine.docker.info() as Promise<Parameters<typeof parseRuntimes>[0]>, engine.info().catch(() => undefined)]);
  // Podman lists runtimes it knows of, installed or not (podman.ts)
  return isPodman(who) ? installedPodmanRuntimes(parseRuntimes(info), engine, env) : parseRuntimes(info);
}

export interface RuntimeChoice {
  /** The runtime for HostConfig.Runtime; undefined leaves the engine's default. */
  runtime?: string;
  /** Why it was chosen, for the progress output. */
  reason?: string;
}

/** `customizations.hyperbox.runtime` of a config, when it is a non-empty string. */
export function configuredRuntime(config: DevContainerConfig): string | undefined {
  return hyperboxOf(config).runtime;
}

export interface RuntimeRequest {
  name: string;
  /** Where it was asked for, for messages. */
  from: string;
}

/**
 * The runtime asked for, by the one precedence the README states: `hb up --runtime`, then runArgs
 * `--runtime`, then `customizations.hyperbox.runtime`, then the editor's `hyperbox.runtime`
 * setting. `over` lists the other, different requests it wins over (to say so).
 */
export function requestedRuntime(sources: { cli?: string; runArgs?: string; config?: string; setting?: string }): (RuntimeRequest & { over: RuntimeRequest[] }) | undefined {
  const all: RuntimeRequest[] = [];
  const add = (name: string | undefined, from: string) => {
    if (typeof name === 'string' && name.trim()) all.push({ name: name.trim(), from });
  };
  add(sources.cli, 'hb up --runtime');
  add(sources.runArgs, 'runArgs --runtime');
  add(sources.config, 'customizations.hyperbox.runtime');
  add(sources.setting, 'the hyperbox.runtime setting');
  if (!all.length) return undefined;
  const [first, ...rest] = all;
  return { ...first, over: rest.filter((r) => r.name !== first.name) };
}

/**
 * Picks the runtime. `requested` (with where it came from) must be registered: the error names the
 * ones that are and how to register another. Without one, on arm64 youki then crun are preferred
 * when registered; elsewhere the engine's default stays.
 */
export function chooseRuntime(list: RuntimeList, requested: { name: string; from: string } | undefined, arch: string): RuntimeChoice {
  const names = list.runtimes.map((r) => r.name);
  if (requested) {
    const hit = list.runtimes.find((r) => r.name === requested.name);
    if (!hit) {
      const kind = runtimeKind(requested.name);
      const bin = kind === 'other' ? requested.name : kind === 'kata' ? 'kata-runtime' : kind;
      throw new RuntimeError(
        'config',
        `The OCI runtime "${requested.name}" (from ${requested.from}) is not registered with the Docker engine, which has: ${names.join(', ') || 'none listed'}. ` +
          `Register it (start dockerd with --add-runtime ${requested.name}=/usr/bin/${bin}, or add it under "runtimes" in /etc/docker/daemon.json and reload dockerd), or pick one of those.`,
      );
    }
    return { runtime: hit.name, reason: `runtime ${hit.name} (${hit.description}) from ${requested.from}` };
  }
  if (arch === 'arm64') {
    for (const kind of ['youki', 'crun'] as const) {
      const hit = list.runtimes.find((r) => r.kind === kind);
      if (hit && !list.runtimes.find((r) => r.isDefault && r.kind === kind)) {
        return {
          runtime: hit.name,
          reason: `runtime ${hit.name}: on this ARM (arm64) host HyperBox prefers ${kind}, which starts containers faster and uses less memory than runc; set customizations.hyperbox.runtime (or hb up --runtime) to choose another`,
        };
      }
    }
  }
  return {};
}
