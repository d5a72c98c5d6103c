// Syscall names against architectures, from libseccomp's own table: `scmp_sys_resolver` (Debian's
// `seccomp` package). It takes one name per run, so answers are cached under the cache folder,
// keyed by the resolver binary's size and time (a libseccomp update starts a new cache).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { cacheDir, readJson, writeJson } from '../runtime/dirs';
import { RuntimeError } from '../runtime/errors';
import { runProgram, which } from '../util/program';

export const RESOLVER = 'scmp_sys_resolver';

/** The architectures a profile lists for this host, the native one first (libseccomp's names). */
export function hostArchitectures(arch: string = process.arch): string[] {
  if (arch === 'x64') return ['x86_64', 'x86', 'x32'];
  if (arch === 'arm64') return ['aarch64', 'arm'];
  if (arch === 'arm') return ['arm'];
  if (arch === 'ia32') return ['x86'];
  throw new RuntimeError('unsupported', `hb seccomp does not know which seccomp architectures go with ${arch}.`);
}

/** libseccomp's architecture name as the OCI/Docker profile spells it. */
export function profileArch(a: string): string {
  return `SCMP_ARCH_${a.toUpperCase()}`;
}

async function resolverPath(env: NodeJS.ProcessEnv): Promise<string> {
  const found = which(RESOLVER, env, ['/usr/bin']);
  if (found) return found;
  throw new RuntimeError('missing-tool', `${RESOLVER} was not found on PATH: hb seccomp checks every syscall name with libseccomp's own table. Install it with: apt-get install seccomp`);
}

async function run(file: string, args: string[]): Promise<string> {
  const r = await runProgram(file, args);
  if (r.code !== 0) throw new Error(r.error?.message ?? `${file} ${args.join(' ')} exited with code ${r.code}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/**
 * The syscall number of each name on each architecture (-1: not a syscall there; other negative
 * numbers are libseccomp's pseudo-syscalls, e.g. socket through socketcall on x86).
 */
export async function resolveNames(names: string[], archs: string[], env: NodeJS.ProcessEnv): Promise<Map<string, Map<string, number>>> {
  const tool = await resolverPath(env);
  const st = await fs.stat(tool);
  const file = path.join(cacheDir(env), 'seccomp', `resolver-${st.size}-${Math.floor(st.mtimeMs)}.json`);
  const cache = (await readJson<Record<string, number>>(file)) ?? {};
  const todo: [string, string][] = [];
  for (const a of archs) for (const n of names) if (!(`${a}:${n}` in cache)) todo.push([a, n]);
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const [a, n] = todo[next++];
      const out = await run(tool, ['-a', a, n]).catch((e: Error) => {
        throw new RuntimeError('command-failed', `${RESOLVER} -a ${a} ${n} failed: ${e.message}`);
      });
      cache[`${a}:${n}`] = Number(out);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  if (todo.length) await writeJson(file, cache);
  const result = new Map<string, Map<string, number>>();
  for (const n of names) result.set(n, new Map(archs.map((a) => [a, cache[`${a}:${n}`]])));
  return result;
}

/** Names that are a syscall on none of the architectures. */
export async function unknownNames(names: string[], archs: string[], env: NodeJS.ProcessEnv): Promise<string[]> {
  const r = await resolveNames(names, archs, env);
  return names.filter((n) => [...r.get(n)!.values()].every((v) => v === -1)).sort();
}

/** Highest syscall number asked about when listing an architecture's syscalls. */
export const MAX_SYSCALL = 511;

/** Every syscall name libseccomp knows on the architecture (numbers 0..511 resolved back to names; cached). */
export async function allSyscallNames(arch: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  return [...new Set((await syscallNumbers(arch, env)).values())].sort();
}

/**
 * The names of some syscall numbers on the architecture, from libseccomp's table: from the whole
 * table when it was listed before (syscallNumbers), else one resolver run per number not cached yet.
 */
export async function namesOfNumbers(arch: string, numbers: number[], env: NodeJS.ProcessEnv): Promise<Map<number, string>> {
  const tool = await resolverPath(env);
  const st = await fs.stat(tool);
  const whole = await readJson<[number, string][]>(path.join(cacheDir(env), 'seccomp', `numbers-${arch}-${st.size}-${Math.floor(st.mtimeMs)}.json`));
  if (whole?.length) return seeded(arch, new Map(whole), tool, env);
  // number → name, or null for a number libseccomp does not know there
  const file = path.join(cacheDir(env), 'seccomp', `names-${arch}-${st.size}-${Math.floor(st.mtimeMs)}.json`);
  const cache = (await readJson<Record<string, string | null>>(file)) ?? {};
  const todo = [...new Set(numbers)].filter((n) => !(String(n) in cache));
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const n = todo[next++];
      const out = await run(tool, ['-a', arch, String(n)]).catch(() => '');
      cache[String(n)] = /^[a-z_][a-z0-9_]*$/.test(out) ? out : null;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  if (todo.length) await writeJson(file, cache);
  const out = new Map<number, string>();
  for (const n of numbers) {
    const name = cache[String(n)];
    if (name) out.set(n, name);
  }
  return seeded(arch, out, tool, env);
}

/** The names' numbers go into resolveNames' cache too (the same table answered): checking them later runs nothing. */
async function seeded(arch: string, names: Map<number, string>, tool: string, env: NodeJS.ProcessEnv): Promise<Map<number, string>> {
  const st = await fs.stat(tool);
  const file = path.join(cacheDir(env), 'seccomp', `resolver-${st.size}-${Math.floor(st.mtimeMs)}.json`);
  const cache = (await readJson<Record<string, number>>(file)) ?? {};
  let added = false;
  for (const [n, name] of names) {
    if (cache[`${arch}:${name}`] !== n) {
      cache[`${arch}:${name}`] = n;
      added = true;
    }
  }
  if (added) await writeJson(file, cache);
  return names;
}

/** Syscall number to name on the architecture, for 0..511, from libseccomp's table (cached). */
export async function syscallNumbers(arch: string, env: NodeJS.ProcessEnv): Promise<Map<number, string>> {
  const tool = await resolverPath(env);
  const st = await fs.stat(tool);
  const file = path.join(cacheDir(env), 'seccomp', `numbers-${arch}-${st.size}-${Math.floor(st.mtimeMs)}.json`);
  const cached = await readJson<[number, string][]>(file);
  if (cached?.length) return new Map(cached);
  const found: [number, string][] = [];
  let next = 0;
  const worker = async () => {
    while (next <= MAX_SYSCALL) {
      const n = next++;
      const out = await run(tool, ['-a', arch, String(n)]).catch(() => '');
      if (/^[a-z_][a-z0-9_]*$/.test(out)) found.push([n, out]);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  found.sort((a, b) => a[0] - b[0]);
  await writeJson(file, found);
  return new Map(found);
}
