// How many syscalls the engine's own default seccomp profile allows, measured rather than assumed:
// Docker 20.10 compiles its default profile into dockerd and no file of it exists on the host, and
// `docker info` names it ("profile=default") without its contents. So hb starts one container
// with the engine's defaults (no seccomp option, default capabilities), watches runc load the
// filter built from that profile (strace on containerd, as recording does), reads the filter back
// and evaluates it for every syscall number of the native architecture (bpf.ts), then names the
// numbers with libseccomp's resolver, as generated profiles are named. The answer is cached per
// engine version, default runtime and architecture.
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { SeccompEngineDefault } from '../../protocol';
import { cacheDir, readJson, writeJson } from '../runtime/dirs';
import type { Engine } from '../runtime/engine/docker';
import { RuntimeError } from '../runtime/errors';
import { allowedNumbers, AUDIT_ARCH_AARCH64, AUDIT_ARCH_X86_64, parseStraceFilter } from './bpf';
import { hostArchitectures, MAX_SYSCALL, syscallNumbers } from './resolver';
import { containerdPids, startStrace, stopStrace } from './run';
import { which } from '../util/program';
import { parseTrace } from './strace';

/** strace's options for reading a filter back: process events and filter loads, unabbreviated. */
const FILTER_OPTIONS = ['-f', '-v', '-X', 'raw', '--pidns-translation', '-s', '4000000', '-e', 'trace=process,seccomp,prctl', '-e', 'signal=none'];

const AUDIT_ARCH: Record<string, number> = { x86_64: AUDIT_ARCH_X86_64, aarch64: AUDIT_ARCH_AARCH64 };

async function cacheFile(engine: Engine, env: NodeJS.ProcessEnv): Promise<{ file: string; engineName: string; runtime: string }> {
  const info = await engine.info();
  const raw = (await engine.docker.info().catch(() => ({}))) as { DefaultRuntime?: string };
  const runtime = raw.DefaultRuntime || 'runc';
  const engineName = `${info.name} ${info.version}`;
  const key = createHash('sha256').update(`${engineName}|${runtime}|${hostArchitectures()[0]}|${engine.endpoint.host}`).digest('hex').slice(0, 16);
  return { file: path.join(cacheDir(env), 'seccomp', `engine-default-${key}.json`), engineName, runtime };
}

/** The measured count, if this engine's was measured before (no container is started). */
export async function cachedEngineDefault(engine: Engine, env: NodeJS.ProcessEnv): Promise<SeccompEngineDefault | undefined> {
  const { file } = await cacheFile(engine, env);
  const c = await readJson<SeccompEngineDefault>(file);
  return c?.version === 1 ? c : undefined;
}

/**
 * Measures the engine's default profile with a short-lived container of `image` running `cmd`
 * (it must keep running for a moment: the filter is loaded just before the command starts).
 * Needs root and strace, like recording.
 */
export async function measureEngineDefault(o: { engine: Engine; env: NodeJS.ProcessEnv; image: string; cmd: string[]; entrypoint?: string[]; signal?: AbortSignal }): Promise<SeccompEngineDefault> {
  const cached = await cachedEngineDefault(o.engine, o.env);
  if (cached) return cached;
  const { file: cache, engineName, runtime } = await cacheFile(o.engine, o.env);
  const arch = hostArchitectures()[0];
  const audit = AUDIT_ARCH[arch];
  if (audit === undefined) throw new RuntimeError('unsupported', `hb cannot evaluate seccomp filters for ${arch} yet.`);
  if (!(which('strace', o.env))) throw new RuntimeError('missing-tool', 'strace is not installed: hb reads the engine\'s default filter by tracing a container from the host. Install it with: apt-get install strace');
  const pids = await containerdPids();
  if (!pids.length || process.getuid?.() !== 0) throw new RuntimeError('unsupported', 'Reading the engine\'s default seccomp filter traces containerd, which needs root on the Docker host.');
  const trace = path.join(cacheDir(o.env), 'seccomp', `default-${randomBytes(6).toString('hex')}.txt`);
  await fs.mkdir(path.dirname(trace), { recursive: true });
  const container = await o.engine.docker.createContainer({ Image: o.image, Entrypoint: o.entrypoint ?? [], Cmd: o.cmd, Labels: { 'hyperbox.seccomp.probe': 'engine-default' } });
  let strace: ChildProcess | undefined;
  try {
    strace = await startStrace(pids, trace, o.signal, FILTER_OPTIONS);
    await container.start();
    // runc's init loads the filter just after `start` returns: wait for it to be written
    let parsed = parseTrace('', container.id);
    for (let i = 0; i < 50 && !parsed.filters.length && !o.signal?.aborted; i++) {
      await new Promise((r) => setTimeout(r, 100));
      parsed = parseTrace(await fs.readFile(trace, 'utf8'), container.id);
    }
    await stopStrace(strace);
    strace = undefined;
    parsed = parseTrace(await fs.readFile(trace, 'utf8'), container.id);
    if (o.signal?.aborted) throw new RuntimeError('cancelled', 'Cancelled.');
    if (!parsed.filters.length) throw new RuntimeError('unsupported', `No seccomp filter was loaded in a container started with the engine's defaults: the engine (${engineName}) may run without seccomp (docker info lists "seccomp" under Security Options when it has it).`);
    // the last load is the container's profile (runc may load helper filters before it)
    const prog = parseStraceFilter(parsed.filters[parsed.filters.length - 1]);
    const { always, conditional } = allowedNumbers(prog, audit, MAX_SYSCALL);
    const names = await syscallNumbers(arch, o.env);
    const name = (n: number) => names.get(n) ?? `#${n}`;
    const result: SeccompEngineDefault = {
      version: 1,
      engine: engineName,
      runtime,
      arch,
      allowed: always.length + conditional.length,
      names: [...always, ...conditional].map(name).sort(),
      conditional: conditional.map(name).sort(),
      measuredAt: new Date().toISOString(),
      how: `the filter ${runtime} loaded for a container started with ${engineName}'s defaults, evaluated for syscall numbers 0-${MAX_SYSCALL} on ${arch} and named with scmp_sys_resolver`,
    };
    await writeJson(cache, result);
    return result;
  } finally {
    if (strace) await stopStrace(strace);
    await container.remove({ force: true }).catch(() => undefined);
    await fs.rm(trace, { force: true });
  }
}
