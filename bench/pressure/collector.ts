// One side of bench/pressure's CPU figure: a Node process that holds a pressure sampler for the
// containers given on stdin (JSON [{containerId, name, pid}]) and either runs it at 1 Hz, turning
// each sample into the JSON an engine would send (--on), or only holds it (--off). After 5 s
// of warm-up it measures its own user+sys CPU for the given seconds and prints
// {"cpuMs", "wallMs", "samples", "bytes", "containers", "read"} on stdout.
import { readFileSync } from 'node:fs';
import { PressureSampler, type PressureTarget } from '../../src/engine/pressure/sampler';

const on = process.argv.includes('--on');
const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 60;
const targets = JSON.parse(readFileSync(0, 'utf8')) as PressureTarget[];

const sampler = new PressureSampler();
for (const t of targets) sampler.addContainer(t);
let samples = 0;
let bytes = 0;
let read = 0;
sampler.subscribe((s) => {
  samples++;
  bytes += JSON.stringify(s).length;
  // containers whose PSI files were read in this sample
  read = s.containers.filter((c) => c.memory && c.cpu && c.io).length;
});

// the sampler starts at once and the measurement after WARMUP seconds: the figure is the steady
// cost of an engine that has been sampling for a while, without the first samples' compilation
const WARMUP = 5;
if (on) sampler.start();
setTimeout(() => {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const before = samples;
  setTimeout(() => {
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - t0;
    sampler.dispose();
    process.stdout.write(JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, wallMs, samples: samples - before, bytes, containers: targets.length, read }) + '\n');
  }, seconds * 1000);
}, WARMUP * 1000);
