// `hb doctor [--json]`: what this host can do for dev containers (src/engine/storage/doctor.ts).
// A bundle of its own (esbuild.mjs) that never loads dockerode for a local engine, so it answers in
// about the time Node takes to start (bench/pressure.mjs).
import type { DoctorFinding, DoctorReport } from '../../protocol';
import { doctor } from '../storage/doctor';
import { EXIT_OK, type Command } from './command';
import { colors } from './format';

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'Check what this host can do for dev containers: kernel, PSI, cgroups, storage, runtimes, GPU',
  usage: 'hb doctor [--json]',
  help: [
    'Reports the kernel version; whether PSI (pressure stall information) is on; the cgroup version',
    'and where containers\' cgroups are; storage: overlayfs, FUSE, EROFS (file-backed mounts, over',
    'fscache on demand), composefs, the engine\'s storage driver, nydus or stargz snapshotters, and',
    'the image storage backend to use with the reason; the OCI runtimes; GPUs and whether the engine',
    'can pass them through; the CPU architecture. Each finding names its evidence.',
    '',
    'Options:',
    '  --json   print {"kernel", "psi", "cgroup", "storage", "runtimes", "gpu", "arch", "recommendations"}',
  ].join('\n'),
  options: { json: { type: 'boolean' } },
  async run(ctx) {
    const report = await doctor({ env: ctx.env });
    if (ctx.values.json) ctx.out(JSON.stringify(report, null, 2) + '\n');
    else printDoctor(report, (t) => ctx.out(t), colors(ctx.isTTY, ctx.env));
    return EXIT_OK;
  },
};

export function printDoctor(r: DoctorReport, out: (text: string) => void, c = colors(false, {})): void {
  const mark = (f: DoctorFinding) => (f.available === 'yes' ? c.green('yes') : f.available === 'no' ? c.yellow('no') : c.dim('unknown'));
  const row = (k: string, v: string) => out(`${c.bold(k.padEnd(18))} ${v}\n`);
  const sub = (text: string) => out(`${' '.repeat(19)}${c.dim(text)}\n`);
  const item = (k: string, f: DoctorFinding) => {
    row(k, `${mark(f)}  ${c.dim(f.evidence.join('; '))}`);
  };
  row('Kernel', `${r.kernel.release}${r.kernel.config ? c.dim(` (config: ${r.kernel.config})`) : c.dim(' (no kernel config found)')}`);
  row('PSI', `${mark(r.psi)}  ${c.dim(r.psi.evidence.join('; '))}`);
  row('Cgroups', `${r.cgroup.version}${r.cgroup.unified ? `, cgroup2 at ${r.cgroup.unified}` : ''}${r.cgroup.memoryV1 ? `, v1 memory at ${r.cgroup.memoryV1}` : ''}`);
  if (r.cgroup.containers) sub(`containers: ${r.cgroup.containers}`);
  for (const n of r.cgroup.notes) sub(n);
  out('\n');
  const s = r.storage;
  item('overlayfs', s.overlayfs);
  item('FUSE', s.fuse);
  item('EROFS', s.erofs);
  item('  file-backed', s.erofsFileBacked);
  item('  over fscache', s.erofsOnDemand);
  item('composefs', s.composefs);
  item('nydus', s.snapshotters.nydus);
  item('stargz', s.snapshotters.stargz);
  row('Engine storage', s.engineDriver ?? c.dim('unknown (engine not reached)'));
  row('Recommended', `${c.bold(s.recommended.backend)}: ${s.recommended.reason}`);
  out('\n');
  if (r.runtimes.registered) {
    row('Runtimes', r.runtimes.registered.map((x) => `${x.name}${x.isDefault ? ' (default)' : ''}`).join(', ') || 'none');
  } else {
    row('Runtimes', c.yellow(`unknown: ${r.runtimes.error}`));
    if (r.runtimes.installed.length) sub(`installed here: ${r.runtimes.installed.map((x) => x.path).join(', ')}`);
  }
  for (const u of r.runtimes.unregistered) sub(`${u.path} (${u.kind}) installed, not registered with the engine`);
  row('GPU', r.gpu.present ? `${r.gpu.nvidia.length ? r.gpu.nvidia.join('; ') : r.gpu.renderNodes.join(', ')}; pass-through: ${r.gpu.passthrough}` : 'none');
  sub(r.gpu.present ? r.gpu.how : r.gpu.details.join('; '));
  row('Architecture', r.arch.arch);
  if (r.arch.advice) sub(r.arch.advice);
  out('\n');
  if (r.recommendations.length) {
    out(c.bold('Recommendations') + '\n');
    for (const x of r.recommendations) out(`  - ${x}\n`);
  } else out(c.green('Nothing to change: this host has what HyperBox uses.') + '\n');
}
