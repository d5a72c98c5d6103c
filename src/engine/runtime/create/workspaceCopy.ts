// A workspace for an engine on another machine: a bind mount there would show that machine's
// folder (or nothing), so the container is made without host bind mounts and the workspace is
// copied in (putArchive) before any lifecycle command runs, owned by the remote user.
//
// What is copied: every file under the workspace mount's source except `.git` (history stays on
// this machine, where the editor runs git) and what the workspace's .gitignore files exclude
// (node_modules, build output, caches: what postCreateCommand makes again). Files that
// .gitignore excludes but the container needs (a local .env) must be copied by hand.
import { promises as fs } from 'node:fs';
import type { Ignore } from 'ignore';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type { Engine } from '../engine/docker';
import { RuntimeError } from '../errors';
import { execIn } from '../lifecycle/exec';
import type { ApiMount } from './mounts';
import type { Reporter } from '../report';

/** One .gitignore file's rules: the `ignore` library, which follows git's own matching (anchoring, `dir/`, `**`, `!`, escapes). */
export type IgnoreRules = Ignore;

/** Parses a .gitignore. */
export function parseGitignore(text: string): IgnoreRules {
  const { ignore } = require('../lazy-build.js') as typeof import('../lazy-build.js');
  return ignore().add(text);
}

/** The .gitignore files that apply at a folder: each with the folder it sits in (relative, `` for the root). */
export type IgnoreStack = { base: string; rules: IgnoreRules }[];

/** Whether `rel` (relative to the workspace root, `/`-separated) is excluded: the last matching rule wins, deeper files last. */
export function isIgnored(stack: IgnoreStack, rel: string, isDir: boolean): boolean {
  let ignored = false;
  for (const { base, rules } of stack) {
    if (base && rel !== base && !rel.startsWith(`${base}/`)) continue;
    const sub = base ? rel.slice(base.length + 1) : rel;
    if (!sub) continue;
    // a trailing slash tells the library it is a folder (for `dir/` rules)
    const r = rules.test(isDir ? `${sub}/` : sub);
    if (r.ignored) ignored = true;
    else if (r.unignored) ignored = false;
  }
  return ignored;
}

/** Always left out, whatever .gitignore says. */
export const ALWAYS_SKIPPED = ['.git'];

export interface WorkspaceFiles {
  /** Paths to send (relative, `/`-separated): folders, files and symlinks. */
  keep: Set<string>;
  files: number;
  bytes: number;
  /** Top-most excluded paths, for the report (at most a few are named). */
  skipped: string[];
}

/** Walks the workspace and decides what to copy. */
export async function listWorkspace(root: string): Promise<WorkspaceFiles> {
  const out: WorkspaceFiles = { keep: new Set(), files: 0, bytes: 0, skipped: [] };
  const visit = async (rel: string, stack: IgnoreStack): Promise<void> => {
    const abs = path.join(root, rel);
    let names: string[];
    try {
      names = (await fs.readdir(abs)).sort();
    } catch {
      return;
    }
    if (names.includes('.gitignore')) {
      try {
        stack = [...stack, { base: rel, rules: parseGitignore(await fs.readFile(path.join(abs, '.gitignore'), 'utf8')) }];
      } catch {
        // unreadable: as if absent
      }
    }
    for (const name of names) {
      const childRel = rel ? `${rel}/${name}` : name;
      let st;
      try {
        st = await fs.lstat(path.join(root, childRel));
      } catch {
        continue;
      }
      const isDir = st.isDirectory();
      if (ALWAYS_SKIPPED.includes(name) || isIgnored(stack, childRel, isDir)) {
        out.skipped.push(isDir ? `${childRel}/` : childRel);
        continue;
      }
      if (isDir) {
        out.keep.add(childRel);
        await visit(childRel, stack);
      } else if (st.isFile() || st.isSymbolicLink()) {
        out.keep.add(childRel);
        out.files++;
        out.bytes += st.isFile() ? st.size : 0;
      }
    }
  };
  await visit('', []);
  return out;
}

/** The listed files as a tar stream, every entry owned by uid:gid. */
export function packWorkspace(root: string, list: WorkspaceFiles, uid: number, gid: number): Readable {
  const { tarFs } = require('../lazy-build.js') as typeof import('../lazy-build.js');
  return tarFs.pack(root, {
    ignore: (abs: string) => {
      const rel = path.relative(root, abs).split(path.sep).join('/');
      return rel !== '' && !list.keep.has(rel);
    },
    map: (header) => {
      header.uid = uid;
      header.gid = gid;
      return header;
    },
  });
}

/** What to copy, and where. */
export interface CopyPlan {
  source: string;
  target: string;
}

/** The Docker socket is the engine's own: its bind mount means the same on the engine's machine. */
const ENGINE_SOCKETS = new Set(['/var/run/docker.sock', '/run/docker.sock']);

/**
 * For an engine on another machine: takes the host bind mounts out of a create request (they
 * name this machine's paths) and returns the workspace to copy in instead, when the workspace
 * mount was one of them. Each other bind mount dropped is named in a warning.
 */
export function planRemoteWorkspace(
  hostConfig: { Mounts?: ApiMount[]; Binds?: string[] } | undefined,
  workspaceTarget: string | undefined,
  where: string,
  report: Pick<Reporter, 'warn'>,
): CopyPlan | undefined {
  if (!hostConfig) return undefined;
  let plan: CopyPlan | undefined;
  const dropped: string[] = [];
  hostConfig.Mounts = (hostConfig.Mounts ?? []).filter((m) => {
    if (m.Type !== 'bind' || ENGINE_SOCKETS.has(m.Source ?? '')) return true;
    if (!plan && workspaceTarget && m.Target === workspaceTarget && m.Source) plan = { source: m.Source, target: m.Target };
    else dropped.push(`${m.Source} -> ${m.Target}`);
    return false;
  });
  if (hostConfig.Binds?.length) {
    hostConfig.Binds = hostConfig.Binds.filter((b) => {
      const [source, target] = b.split(':');
      if (!source.startsWith('/') || ENGINE_SOCKETS.has(source)) return true; // a named volume, or the engine's socket
      dropped.push(`${source} -> ${target}`);
      return false;
    });
    if (!hostConfig.Binds.length) delete hostConfig.Binds;
  }
  if (dropped.length) {
    report.warn(
      `The Docker engine ${where} is on another machine, so these bind mounts of this machine's folders are left out of the container: ${dropped.join(', ')}. ` +
        'Use volumes for them, or a local engine (unset DOCKER_HOST / docker context use default); HB_ENGINE_REMOTE=0 keeps them when that machine has the same folders.',
    );
  }
  return plan;
}

export interface CopyResult {
  files: number;
  bytes: number;
  target: string;
  skipped: string[];
}

const BIG_COPY = 256 * 1024 * 1024;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

/** Copies the workspace into the container, owned by `user`; reports what it copied. */
export async function copyWorkspace(engine: Engine, containerId: string, plan: CopyPlan, user: string, report: Reporter): Promise<CopyResult> {
  const list = await listWorkspace(plan.source);
  if (list.bytes > BIG_COPY) {
    report.warn(`The workspace copy is large (${formatBytes(list.bytes)} in ${list.files} files): add what the container does not need (build output, dependencies it installs itself) to .gitignore.`);
  }
  // the user's numeric IDs, and the target folder made and owned by them
  const script = 'u="$1"; t="$2"; uid=$(id -u "$u" 2>/dev/null) || uid=${u%%:*}; gid=$(id -g "$u" 2>/dev/null) || gid=$uid; mkdir -p "$t" && chown "$uid:$gid" "$t" && echo "$uid $gid"';
  const res = await execIn(engine, containerId, { cmd: ['/bin/sh', '-c', script, 'sh', user, plan.target], user: 'root' });
  const ids = /^(\d+) (\d+)\s*$/m.exec(res.output);
  if (res.exitCode !== 0 || !ids) {
    throw new RuntimeError('create-failed', `Could not prepare ${plan.target} in the container for the workspace copy (user ${user}): ${res.output.trim() || `exit code ${res.exitCode}`}. Check that the image has /bin/sh and that ${user} exists in it.`);
  }
  const [uid, gid] = [Number(ids[1]), Number(ids[2])];
  try {
    await engine.docker.getContainer(containerId).putArchive(packWorkspace(plan.source, list, uid, gid), { path: plan.target });
  } catch (e) {
    const err = e as { json?: { message?: string }; message?: string };
    throw new RuntimeError('create-failed', `Could not copy the workspace ${plan.source} into the container at ${plan.target}: ${err.json?.message ?? err.message}. hb rebuild tries again.`);
  }
  const shown = list.skipped.slice(0, 5).join(', ') + (list.skipped.length > 5 ? ` and ${list.skipped.length - 5} more` : '');
  report.info(
    `Copied the workspace into the container (the engine is on another machine, so it cannot be bind-mounted): ${list.files} files, ${formatBytes(list.bytes)} to ${plan.target}, owned by ${user}` +
      `${list.skipped.length ? `; left out ${shown} (.git and what .gitignore excludes)` : ''}. Changes made on either side are not synced; hb rebuild copies it again.`,
  );
  return { files: list.files, bytes: list.bytes, target: plan.target, skipped: list.skipped };
}
