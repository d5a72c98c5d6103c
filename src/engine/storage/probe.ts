// Storage capabilities of the host, each decided from evidence — a filesystem the kernel lists, a
// module it has, an option of its build configuration, a device node, a tool on PATH, the engine's
// own answer — never from the kernel's version number. Then the image storage backend to use, with
// the reason.
import { accessSync, constants as fsConstants, existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Availability, DoctorFinding, DoctorReport } from '../../protocol';
import { enabled, option, type KernelFacts } from './kernel';

type Storage = DoctorReport['storage'];

const finding = (available: Availability, ...evidence: string[]): DoctorFinding => ({ available, evidence });

/** A filesystem: listed by the kernel, built in, loaded, loadable, or enabled in the config. */
export function filesystem(k: KernelFacts, fs: string, module: string, configName: string): DoctorFinding {
  if (k.filesystems.has(fs)) return finding('yes', `/proc/filesystems lists ${fs}`);
  if (k.loaded.has(module)) return finding('yes', `module ${module} is loaded (/proc/modules)`);
  if (k.builtin.has(module)) return finding('yes', `${module} is built in (/lib/modules/${k.release}/modules.builtin)`);
  const file = k.loadable.get(module);
  if (file) return finding('yes', `module ${module} can be loaded (/lib/modules/${k.release}/${file}); the first mount loads it`);
  const c = option(k, configName);
  if (enabled(c)) return finding('yes', `${configName}=${c} in ${k.configSource}`);
  const where = [`not in /proc/filesystems`, `no ${module} module in /lib/modules/${k.release || '<release>'}`];
  if (c === 'n') where.push(`${configName} is not set in ${k.configSource}`);
  return finding('no', ...where);
}

/** The directories of PATH, under root (fixture trees); a binary found is reported by its host path. */
export function findOnPath(root: string, env: NodeJS.ProcessEnv, names: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const dirs = (env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(path.delimiter).filter((d) => d.startsWith('/'));
  for (const name of names) {
    for (const dir of dirs) {
      try {
        accessSync(path.join(root, dir, name), fsConstants.X_OK);
        out.set(name, path.join(dir, name));
        break;
      } catch {
        // next directory
      }
    }
  }
  return out;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** What the engine's /info says about storage (Driver, DriverStatus), when it was reached. */
export interface EngineStorageInfo {
  Driver?: string;
  DriverStatus?: [string, string][] | null;
}

/** A lazy-pulling snapshotter: configured in containerd (proxy plugin), used by the engine, or only installed. */
function snapshotter(kind: 'nydus' | 'stargz', containerdConfig: { file: string; text: string } | undefined, bins: Map<string, string>, engine: EngineStorageInfo | undefined): DoctorFinding {
  const evidence: string[] = [];
  const driver = engine?.Driver ?? '';
  if (driver.toLowerCase().includes(kind)) return finding('yes', `the engine's storage driver is ${driver}`);
  const section = new RegExp(`\\[\\s*proxy_plugins\\s*\\.\\s*["']?([\\w.-]*${kind}[\\w.-]*)`, 'i').exec(containerdConfig?.text ?? '');
  const binNames = kind === 'nydus' ? ['containerd-nydus-grpc', 'nydus-snapshotter'] : ['containerd-stargz-grpc'];
  const bin = binNames.map((b) => bins.get(b)).find(Boolean);
  if (section) {
    evidence.push(`${containerdConfig!.file} configures the proxy plugin "${section[1]}"`);
    if (bin) evidence.push(`${bin} is installed`);
    else evidence.push(`but no ${binNames.join(' or ')} on PATH`);
    return finding(bin ? 'yes' : 'no', ...evidence);
  }
  if (bin) return finding('no', `${bin} is installed but ${containerdConfig ? `${containerdConfig.file} has no proxy_plugins entry for it` : 'there is no containerd config (/etc/containerd/config.toml) that registers it'}`);
  return finding('no', `no ${binNames.join(' or ')} on PATH and no ${kind} proxy plugin in ${containerdConfig?.file ?? '/etc/containerd/config.toml'}`);
}

export function probeStorage(k: KernelFacts, env: NodeJS.ProcessEnv, engine: EngineStorageInfo | undefined): Storage {
  const root = k.root;
  const at = (...p: string[]) => path.join(root, ...p);
  const overlayfs = filesystem(k, 'overlay', 'overlay', 'CONFIG_OVERLAY_FS');
  const fuse = filesystem(k, 'fuse', 'fuse', 'CONFIG_FUSE_FS');
  if (fuse.available === 'yes' && !existsSync(at('dev', 'fuse'))) {
    fuse.evidence.push('but /dev/fuse is missing: FUSE mounts fail until it exists (modprobe fuse, or pass the device into this container)');
    fuse.available = 'no';
  }
  const erofs = filesystem(k, 'erofs', 'erofs', 'CONFIG_EROFS_FS');

  // file-backed EROFS mounts (an image file mounted directly, no loop device): CONFIG_EROFS_FS_BACKED_BY_FILE
  let erofsFileBacked: DoctorFinding;
  const fileBacked = option(k, 'CONFIG_EROFS_FS_BACKED_BY_FILE');
  if (erofs.available === 'no') erofsFileBacked = finding('no', 'EROFS itself is not available');
  else if (fileBacked === undefined)
    erofsFileBacked = finding('unknown', `no kernel configuration to tell (/boot/config-${k.release || '<release>'} or /proc/config.gz): look for CONFIG_EROFS_FS_BACKED_BY_FILE (kernels from 6.12 may have it)`);
  else if (enabled(fileBacked)) erofsFileBacked = finding('yes', `CONFIG_EROFS_FS_BACKED_BY_FILE=${fileBacked} in ${k.configSource}`);
  else erofsFileBacked = finding('no', `CONFIG_EROFS_FS_BACKED_BY_FILE is not set in ${k.configSource}: EROFS images need a loop or block device`);

  // EROFS over fscache, on demand (nydus's in-kernel lazy pulling): EROFS_FS_ONDEMAND + CACHEFILES_ONDEMAND, /dev/cachefiles
  let erofsOnDemand: DoctorFinding;
  const devCachefiles = existsSync(at('dev', 'cachefiles'));
  const ondemand = option(k, 'CONFIG_EROFS_FS_ONDEMAND');
  const cfOndemand = option(k, 'CONFIG_CACHEFILES_ONDEMAND');
  const cachefilesModule = k.loadable.get('cachefiles');
  if (erofs.available === 'no') erofsOnDemand = finding('no', 'EROFS itself is not available');
  else if (ondemand !== undefined && !enabled(ondemand)) erofsOnDemand = finding('no', `CONFIG_EROFS_FS_ONDEMAND is not set in ${k.configSource}`, devCachefiles ? '/dev/cachefiles exists' : '/dev/cachefiles is absent');
  else if (cfOndemand !== undefined && !enabled(cfOndemand)) erofsOnDemand = finding('no', `CONFIG_CACHEFILES_ONDEMAND is not set in ${k.configSource}`, devCachefiles ? '/dev/cachefiles exists' : '/dev/cachefiles is absent');
  else if (ondemand !== undefined && cfOndemand !== undefined) {
    // both built: the device is there, or appears once the cachefiles module is loaded
    if (devCachefiles) erofsOnDemand = finding('yes', `CONFIG_EROFS_FS_ONDEMAND=${ondemand} and CONFIG_CACHEFILES_ONDEMAND=${cfOndemand} in ${k.configSource}`, '/dev/cachefiles exists');
    else if (cfOndemand === 'm' || cachefilesModule)
      erofsOnDemand = finding('yes', `CONFIG_EROFS_FS_ONDEMAND=${ondemand} and CONFIG_CACHEFILES_ONDEMAND=${cfOndemand} in ${k.configSource}`, '/dev/cachefiles appears after modprobe cachefiles');
    else erofsOnDemand = finding('no', `CONFIG_EROFS_FS_ONDEMAND=${ondemand} and CONFIG_CACHEFILES_ONDEMAND=${cfOndemand} in ${k.configSource}`, 'but /dev/cachefiles is absent (create it: mknod /dev/cachefiles c 10 $(grep cachefiles /proc/misc))');
  } else if (devCachefiles) erofsOnDemand = finding('unknown', '/dev/cachefiles exists, but there is no kernel configuration to tell whether EROFS and cachefiles were built with on-demand mode');
  else erofsOnDemand = finding('no', '/dev/cachefiles is absent', cachefilesModule ? `module cachefiles can be loaded (${cachefilesModule}); whether it has on-demand mode needs the kernel configuration` : 'and no cachefiles module');

  const bins = findOnPath(root, env, ['mkcomposefs', 'containerd-nydus-grpc', 'nydus-snapshotter', 'containerd-stargz-grpc']);
  let composefs: DoctorFinding;
  const kernelCan = overlayfs.available === 'yes' && erofs.available === 'yes';
  const tool = bins.get('mkcomposefs');
  if (tool && kernelCan) composefs = finding('yes', `${tool} is installed`, 'the kernel has overlayfs and EROFS, which composefs images mount with');
  else if (tool) composefs = finding('no', `${tool} is installed but the kernel lacks ${overlayfs.available !== 'yes' ? 'overlayfs' : 'EROFS'}`);
  else if (kernelCan) composefs = finding('no', 'the kernel can mount composefs images (overlayfs and EROFS), but mkcomposefs is not installed (the composefs package)');
  else composefs = finding('no', 'no mkcomposefs, and the kernel lacks overlayfs or EROFS');

  const configFile = '/etc/containerd/config.toml';
  const text = read(at(configFile));
  const containerdConfig = text === undefined ? undefined : { file: configFile, text };
  const snapshotters = { nydus: snapshotter('nydus', containerdConfig, bins, engine), stargz: snapshotter('stargz', containerdConfig, bins, engine) };
  const engineDriver = engine?.Driver ?? null;
  const storage: Storage = {
    overlayfs,
    fuse,
    erofs,
    erofsFileBacked,
    erofsOnDemand,
    composefs,
    engineDriver,
    snapshotters,
    recommended: { backend: '', reason: '' },
  };
  storage.recommended = recommendBackend(storage);
  return storage;
}

/** The image storage backend for this host and why, from the findings alone (pure, so tests give any host). */
export function recommendBackend(s: Omit<Storage, 'recommended'>): Storage['recommended'] {
  const yes = (f: DoctorFinding) => f.available === 'yes';
  const driver = s.engineDriver ? ` (the engine uses ${s.engineDriver})` : '';
  if (!yes(s.overlayfs)) {
    if (yes(s.fuse)) return { backend: 'fuse-overlayfs', reason: `the kernel has no overlayfs but has FUSE: fuse-overlayfs gives layered images at some speed cost${driver}; vfs would copy every layer` };
    return { backend: 'vfs', reason: `the kernel has neither overlayfs nor FUSE: only vfs (a full copy per layer, slow and large) works${driver}` };
  }
  if (yes(s.snapshotters.nydus) && yes(s.erofsOnDemand))
    return { backend: 'nydus (EROFS over fscache)', reason: 'a nydus snapshotter is configured and the kernel has EROFS with fscache on-demand: images start before they are fully pulled, read in the kernel without FUSE' };
  if (yes(s.snapshotters.nydus) && yes(s.fuse))
    return { backend: 'nydus (FUSE)', reason: `a nydus snapshotter is configured; without EROFS on-demand (${s.erofsOnDemand.evidence[0]}) it lazily pulls through FUSE` };
  if (yes(s.snapshotters.stargz) && yes(s.fuse)) return { backend: 'stargz (FUSE)', reason: 'a stargz snapshotter is configured and FUSE works: eStargz images start before they are fully pulled' };
  if (yes(s.composefs)) return { backend: 'composefs', reason: 'mkcomposefs is installed and the kernel has overlayfs and EROFS: content-addressed, shared and verifiable image files' };
  const extra: string[] = [];
  if (yes(s.erofs) && yes(s.erofsFileBacked)) extra.push('EROFS with file-backed mounts is here too, but no composefs tool or EROFS snapshotter is set up to use it');
  else if (yes(s.erofs)) extra.push(`EROFS is here, but ${s.erofsFileBacked.available === 'no' ? 'without file-backed mounts' : 'whether it mounts image files directly is unknown'}`);
  if (yes(s.erofs) && !yes(s.erofsOnDemand)) extra.push(`lazy pulling in the kernel (EROFS over fscache) is not available: ${s.erofsOnDemand.evidence[0]}`);
  return {
    backend: 'overlayfs',
    reason: `overlayfs is in the kernel${driver}: the fastest well-tested choice for local dev containers${extra.length ? `; ${extra.join('; ')}` : ''}`,
  };
}
