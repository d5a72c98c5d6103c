// The facts about the running kernel that the doctor decides from: its release, its build
// configuration (/boot/config-<release>, else /proc/config.gz), its command line, the filesystems
// it has (/proc/filesystems) and its modules (loaded: /proc/modules; built in or loadable:
// /lib/modules/<release>/modules.builtin and modules.dep). Every path is under `root`, so tests
// use fixture trees of kernels this machine does not run.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface KernelFacts {
  root: string;
  release: string;
  /** [major, minor], for the report only: features are decided from evidence, never from it. */
  version: [number, number] | null;
  /** Where the build configuration was read from, or null when there is none. */
  configSource: string | null;
  config: Map<string, string> | null;
  cmdline: string[];
  /** /proc/filesystems names. */
  filesystems: Set<string>;
  /** Loaded modules (/proc/modules). */
  loaded: Set<string>;
  /** Built-in modules by name (modules.builtin). */
  builtin: Set<string>;
  /** Loadable modules by name → path (modules.dep). */
  loadable: Map<string, string>;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** "CONFIG_X=y" → X: "y"; "# CONFIG_X is not set" → X: "n". */
export function parseKernelConfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const set = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (set) out.set(set[1], set[2].replace(/^"(.*)"$/, '$1'));
    else {
      const unset = /^# (CONFIG_\w+) is not set$/.exec(line);
      if (unset) out.set(unset[1], 'n');
    }
  }
  return out;
}

/** "kernel/fs/erofs/erofs.ko.xz" → "erofs" (module names use _ where files may use -). */
function moduleName(p: string): string {
  return path.basename(p).replace(/\.ko(\.\w+)?$/, '').replace(/-/g, '_');
}

export function readKernelFacts(root = '/'): KernelFacts {
  const at = (...p: string[]) => path.join(root, ...p);
  const release = (read(at('proc', 'sys', 'kernel', 'osrelease')) ?? '').trim();
  const m = /^(\d+)\.(\d+)/.exec(release);
  let configSource: string | null = null;
  let config: Map<string, string> | null = null;
  const boot = release ? at('boot', `config-${release}`) : '';
  const bootText = boot ? read(boot) : undefined;
  if (bootText !== undefined) {
    configSource = `/boot/config-${release}`;
    config = parseKernelConfig(bootText);
  } else if (existsSync(at('proc', 'config.gz'))) {
    try {
      config = parseKernelConfig(gunzipSync(readFileSync(at('proc', 'config.gz'))).toString('utf8'));
      configSource = '/proc/config.gz';
    } catch {
      // unreadable or not gzip: as if there were none
    }
  }
  const filesystems = new Set(
    (read(at('proc', 'filesystems')) ?? '')
      .split('\n')
      .map((l) => l.trim().split(/\s+/).pop() ?? '')
      .filter(Boolean),
  );
  const loaded = new Set(
    (read(at('proc', 'modules')) ?? '')
      .split('\n')
      .map((l) => l.split(' ')[0])
      .filter(Boolean),
  );
  const mods = release ? at('lib', 'modules', release) : '';
  const builtin = new Set(
    (mods ? read(path.join(mods, 'modules.builtin')) ?? '' : '')
      .split('\n')
      .filter(Boolean)
      .map(moduleName),
  );
  const loadable = new Map<string, string>();
  for (const line of (mods ? read(path.join(mods, 'modules.dep')) ?? '' : '').split('\n')) {
    const file = line.split(':')[0];
    if (file) loadable.set(moduleName(file), file);
  }
  return {
    root,
    release,
    version: m ? [Number(m[1]), Number(m[2])] : null,
    configSource,
    config,
    cmdline: (read(at('proc', 'cmdline')) ?? '').trim().split(/\s+/).filter(Boolean),
    filesystems,
    loaded,
    builtin,
    loadable,
  };
}

/**
 * A config option: "y", "m", another value, "n" (not set: written so, or absent from a config that
 * exists, which is how Kconfig leaves options whose dependencies are off), or undefined when there
 * is no config to tell.
 */
export function option(k: KernelFacts, name: string): string | undefined {
  if (!k.config) return undefined;
  return k.config.get(name) ?? 'n';
}

export const enabled = (v: string | undefined) => v === 'y' || v === 'm';

/** The last value of a kernel command-line parameter (the kernel takes the last one), e.g. psi. */
export function cmdlineParam(k: KernelFacts, name: string): string | undefined {
  let v: string | undefined;
  for (const a of k.cmdline) {
    if (a === '--') break;
    if (a.startsWith(`${name}=`)) v = a.slice(name.length + 1);
  }
  return v;
}
