// PSI-aware prewarming against the real engine: nothing for an untrusted folder, for a build in no
// trust record, or with the setting off; deferred (with the reason) when the host's PSI is above
// the calm thresholds; when calm, the image built under a temporary tag and, for a missing
// container, the container made stopped with no lifecycle command run; the next up starts that
// container and runs its hooks ("prewarmed container" in its timeline, with the time saved), or
// (for a stale config: the rebuild) re-tags the image instead of building ("prewarmed image").
// A container whose findings were never trusted is not made; one whose inputs changed is replaced.
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { connectEngine } from '../../src/engine/runtime/engine/docker';
import { down, status } from '../../src/engine/runtime/ops';
import type { Timeline } from '../../src/engine/runtime/up/timeline';
import { prewarm } from '../../src/engine/live/prewarm';
import { prewarmTag } from '../../src/engine/runtime/up/prewarmed';
import { computeInputs } from '../../src/engine/runtime/build/inputs';
import { loadConfig } from '../../src/engine/runtime/container';
import { previewTrust } from '../../src/engine/runtime/up/up';
import { busyboxImage, docker } from './images';
import { hbUp, workspace } from './helpers';

const quiet = { step: () => undefined, output: () => undefined, info: () => undefined, warn: () => undefined };

/** A /proc/pressure fixture: memory and io "some" avg10 as given. */
function procRoot(memory: number, io: number): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'hb-psi-'));
  mkdirSync(path.join(root, 'proc', 'pressure'), { recursive: true });
  const line = (v: number) => `some avg10=${v.toFixed(2)} avg60=0.00 avg300=0.00 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=1\n`;
  writeFileSync(path.join(root, 'proc', 'pressure', 'memory'), line(memory));
  writeFileSync(path.join(root, 'proc', 'pressure', 'io'), line(io));
  return root;
}

describe('engine: PSI-aware prewarming', () => {
  it('defers under pressure; when calm makes the image and the container stopped, running nothing; the next up starts it and runs its hooks', async () => {
    const folder = workspace('prewarm', { build: { dockerfile: 'Dockerfile' }, postCreateCommand: 'echo created >> hooks.txt', postStartCommand: 'echo started >> hooks.txt' }, {
      '.devcontainer/Dockerfile': `FROM ${busyboxImage()}\nRUN echo prewarmed-${Date.now()} > /stamp && sleep 2\nLABEL hyperbox.test=1\n`,
    });
    const o = { engine: () => connectEngine(process.env), env: process.env, report: quiet };
    assert.equal((await prewarm({ folder, trusted: true, enabled: false }, o)).state, 'off');
    assert.equal((await prewarm({ folder, trusted: false, enabled: true }, o)).state, 'untrusted');
    // Workspace Trust alone is not enough: the build is in no trust record yet
    const unrecorded = await prewarm({ folder, trusted: true, enabled: true }, { ...o, root: procRoot(0, 0) });
    assert.equal(unrecorded.state, 'untrusted');
    assert.match(unrecorded.reason, /no record that you trusted this folder's build \(it builds an image from \.devcontainer\/Dockerfile/);
    // what the editor's Restricted Mode showed and the user accepted: the build, and the hooks the next up runs
    const accepted = (await previewTrust({ folder, env: process.env })).findings.map((f) => f.key);
    assert.ok(accepted.includes('build:dockerfile:.devcontainer/Dockerfile'), accepted.join(', '));
    const busy = await prewarm({ folder, trusted: true, enabled: true, acceptedFindings: accepted }, { ...o, root: procRoot(4.5, 0) });
    assert.equal(busy.state, 'deferred');
    assert.match(busy.reason, /memory pressure \(some avg10 4\.5 % ≥ 1 %\)/);

    const resolved = await loadConfig(folder, undefined, process.env);
    const tag = prewarmTag(resolved.devcontainerId!, await computeInputs(resolved, process.env));
    const calm = await prewarm({ folder, trusted: true, enabled: true, acceptedFindings: accepted }, { ...o, root: procRoot(0, 0) });
    try {
      assert.equal(calm.state, 'ready', calm.reason);
      assert.equal(calm.tag, tag);
      assert.ok(calm.buildMs! >= 2000, `build time ${calm.buildMs} ms`);
      assert.match(calm.reason, /container .* made \(stopped\)/);
      // one container, made and never started; no lifecycle command ran
      const made = docker(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.State}}', '--filter', `label=devcontainer.local_folder=${folder}`]).stdout.trim();
      assert.equal(made, `${calm.containerId} created`);
      assert.equal(existsSync(path.join(folder, 'hooks.txt')), false, 'no lifecycle command ran');
      const before = await status({ folder, env: process.env });
      assert.equal(before.state, 'stopped');
      assert.match(before.message ?? '', /Prewarmed .* never started/);
      // a container is there: nothing more to prewarm, and never a second one
      assert.equal((await prewarm({ folder, trusted: true, enabled: true, acceptedFindings: accepted }, { ...o, root: procRoot(0, 0) })).state, 'not-needed');

      let timeline: ReturnType<Timeline['snapshot']> | undefined;
      const { result } = await hbUp(folder, { onTimeline: (t, final) => final && (timeline = t.snapshot()) });
      assert.equal(result.containerId, calm.containerId, 'the up started the prewarmed container');
      assert.equal(result.created, true);
      assert.ok(!result.timings.some((t) => t.step === 'build' || t.step === 'create'), `made again: ${result.timings.map((t) => t.step).join(', ')}`);
      const step = timeline!.entries.find((e) => e.step === 'prewarmed container');
      assert.ok(step, timeline!.entries.map((e) => e.step).join(', '));
      assert.match(step.detail ?? '', /made stopped while the host was calm; it saved \d+\.\d s \(build and create\)/);
      const saved = Number(/saved (\d+\.\d) s/.exec(step.detail ?? '')![1]) * 1000;
      assert.ok(saved >= calm.buildMs! - 50, `saved ${saved} ms, the build took ${calm.buildMs} ms`);
      // what a new container gets, now that it runs: its create and start hooks, in order
      assert.deepEqual(readFileSync(path.join(folder, 'hooks.txt'), 'utf8').trim().split('\n'), ['created', 'started']);
      assert.equal(docker(['exec', result.containerId, 'cat', '/stamp']).stdout.trim().startsWith('prewarmed-'), true);
      // the next up of the running container runs no create hook again
      await hbUp(folder);
      assert.deepEqual(readFileSync(path.join(folder, 'hooks.txt'), 'utf8').trim().split('\n'), ['created', 'started']);
      // the temporary tag is gone: the image lives on under the up's own name
      assert.notEqual(docker(['image', 'inspect', tag], { allowFail: true }).code, 0);
      // the container is up and current: nothing more to prewarm
      assert.equal((await prewarm({ folder, trusted: true, enabled: true, acceptedFindings: accepted }, { ...o, root: procRoot(0, 0) })).state, 'not-needed');
    } finally {
      await down({ folder, env: process.env, report: quiet }).catch(() => undefined);
      docker(['rmi', '-f', tag], { allowFail: true });
    }
  });

  it('a stale config is prewarmed beside its container (no second one), and the rebuild uses it', async () => {
    const dockerfile = (stamp: string) => `FROM ${busyboxImage()}\nRUN echo ${stamp} > /stamp && sleep 2\nLABEL hyperbox.test=1\n`;
    // initializeCommand counts the ups that ran lifecycle commands: prewarming runs none
    const folder = workspace('prewarm-stale', { build: { dockerfile: 'Dockerfile' }, initializeCommand: 'echo up >> ups.txt' }, { '.devcontainer/Dockerfile': dockerfile(`first-${Date.now()}`) });
    const ups = () => readFileSync(path.join(folder, 'ups.txt'), 'utf8').trim().split('\n').length;
    const o = { engine: () => connectEngine(process.env), env: process.env, report: quiet };
    let tag: string | undefined;
    try {
      const first = await hbUp(folder);
      // what the editor keeps of its up: the findings it was trusted for, the build among them
      const accepted = (first.result.findings ?? []).map((f) => f.key);
      assert.ok(accepted.includes('build:dockerfile:.devcontainer/Dockerfile'), accepted.join(', '));
      writeFileSync(path.join(folder, '.devcontainer', 'Dockerfile'), dockerfile(`second-${Date.now()}`));
      assert.equal((await status({ folder, env: process.env })).state, 'stale');

      const resolved = await loadConfig(folder, undefined, process.env);
      tag = prewarmTag(resolved.devcontainerId!, await computeInputs(resolved, process.env));
      const calm = await prewarm({ folder, trusted: true, enabled: true, acceptedFindings: accepted }, { ...o, root: procRoot(0, 0) });
      assert.equal(calm.state, 'ready', calm.reason);
      assert.equal(calm.tag, tag);
      // the old container is untouched and alone: prewarming made an image, not a container
      const containers = docker(['ps', '-a', '-q', '--no-trunc', '--filter', `label=devcontainer.local_folder=${folder}`]).stdout.trim().split('\n').filter(Boolean);
      assert.deepEqual(containers, [first.result.containerId]);
      assert.equal(docker(['exec', first.result.containerId!, 'cat', '/stamp']).stdout.trim().startsWith('first-'), true);
      assert.equal(ups(), 1, 'prewarming ran no lifecycle command');

      // the rebuild the editor offers for a stale container: the prewarmed image, no build
      let timeline: ReturnType<Timeline['snapshot']> | undefined;
      const { result } = await hbUp(folder, { rebuild: true, onTimeline: (t, final) => final && (timeline = t.snapshot()) });
      assert.ok(!result.timings.some((t) => t.step === 'build'), `built again: ${result.timings.map((t) => t.step).join(', ')}`);
      const step = timeline!.entries.find((e) => e.step === 'prewarmed image');
      assert.ok(step, timeline!.entries.map((e) => e.step).join(', '));
      assert.match(step.detail ?? '', new RegExp(`^${tag.replace(/[.:]/g, '\\$&')} became .*; it saved a ${(calm.buildMs! / 1000).toFixed(1).replace('.', '\\.')} s build$`));
      assert.equal(docker(['exec', result.containerId!, 'cat', '/stamp']).stdout.trim().startsWith('second-'), true);
      assert.equal((await status({ folder, env: process.env })).state, 'running');
      assert.equal(ups(), 2);
    } finally {
      await down({ folder, env: process.env, report: quiet }).catch(() => undefined);
      if (tag) docker(['rmi', '-f', tag], { allowFail: true });
    }
  });

  it('makes no container that reaches what was never trusted, and replaces a prewarmed one whose inputs changed', async () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'hb-prewarm-outside-'));
    const dockerfile = `FROM ${busyboxImage()}\nRUN echo ${Date.now()} > /stamp\nLABEL hyperbox.test=1\n`;
    const config = (env: string) => ({ build: { dockerfile: 'Dockerfile' }, containerEnv: { WHICH: env }, mounts: [`source=${outside},target=/outside,type=bind`] });
    const folder = workspace('prewarm-trust', config('one'), { '.devcontainer/Dockerfile': dockerfile });
    const o = { engine: () => connectEngine(process.env), env: process.env, report: quiet, root: procRoot(0, 0) };
    const resolved = await loadConfig(folder, undefined, process.env);
    const tags: string[] = [prewarmTag(resolved.devcontainerId!, await computeInputs(resolved, process.env))];
    try {
      // the build was trusted, the bind mount of a folder outside the workspace never was
      const only = await prewarm({ folder, trusted: true, enabled: true, acceptedFindings: ['build:dockerfile:.devcontainer/Dockerfile'] }, o);
      assert.equal(only.state, 'ready', only.reason);
      assert.equal(only.containerId, undefined);
      assert.match(only.reason, new RegExp(`No container was made: .*${outside.replace(/[.]/g, '\\.')}.*start it once yourself`));
      assert.equal(docker(['ps', '-a', '-q', '--filter', `label=devcontainer.local_folder=${folder}`]).stdout.trim(), '');

      // once the user started it (hb's trust store records every finding), prewarming makes it
      const first = await hbUp(folder);
      await down({ folder, env: process.env, report: quiet });
      const accepted = (first.result.findings ?? []).map((f) => f.key);
      // the editor saw that container removed in this window: the image again, never the container
      const afterRemove = await prewarm({ folder, trusted: true, enabled: true, acceptedFindings: accepted, container: false }, o);
      assert.equal(afterRemove.state, 'ready', afterRemove.reason);
      assert.equal(afterRemove.containerId, undefined);
      assert.match(afterRemove.reason, /No container was made: you removed its container in this window/);
      assert.equal(docker(['ps', '-a', '-q', '--filter', `label=devcontainer.local_folder=${folder}`]).stdout.trim(), '');
      const calm = await prewarm({ folder, trusted: true, enabled: true, acceptedFindings: accepted }, o);
      assert.ok(calm.containerId, calm.reason);
      assert.ok(docker(['inspect', '--format', '{{json .HostConfig.Mounts}}', calm.containerId]).stdout.includes(outside), 'made with the mount it was trusted for');

      // its inputs change before anyone starts it: the up replaces it instead of starting a stale one
      writeFileSync(path.join(folder, '.devcontainer', 'devcontainer.json'), JSON.stringify(config('two')));
      const { result, log } = await hbUp(folder);
      assert.notEqual(result.containerId, calm.containerId);
      assert.match(log.text, /prewarmed for this folder is out of date \(.* changed since\): making a new one/);
      assert.equal(docker(['exec', result.containerId!, 'sh', '-c', 'echo "$WHICH"']).stdout.trim(), 'two');
      assert.deepEqual(docker(['ps', '-a', '-q', '--no-trunc', '--filter', `label=devcontainer.local_folder=${folder}`]).stdout.trim().split('\n'), [result.containerId]);
    } finally {
      await down({ folder, env: process.env, report: quiet }).catch(() => undefined);
      for (const t of tags) docker(['rmi', '-f', t], { allowFail: true });
    }
  });

  it('an image config: its missing container is made stopped, the next up starts it; a stale one has nothing to prepare', async () => {
    const config = (env: string) => ({ image: busyboxImage(), containerEnv: { WHICH: env }, postCreateCommand: 'echo created >> hooks.txt' });
    const folder = workspace('prewarm-image', config('one'));
    const o = { engine: () => connectEngine(process.env), env: process.env, report: quiet, root: procRoot(0, 0) };
    try {
      // nothing accepted yet: the postCreateCommand it would run was never trusted, so no container
      const none = await prewarm({ folder, trusted: true, enabled: true }, o);
      assert.equal(none.state, 'untrusted', none.reason);
      assert.match(none.reason, /^No container was made: .*postCreateCommand/);
      const accepted = (await previewTrust({ folder, env: process.env })).findings.map((f) => f.key);
      const made = await prewarm({ folder, trusted: true, enabled: true, acceptedFindings: accepted }, o);
      assert.equal(made.state, 'ready', made.reason);
      assert.equal(made.tag, undefined, 'an image config has no image of its own to build');
      assert.match(made.reason, /^The dev container is prewarmed: its container .* made \(stopped\)/);
      assert.equal(docker(['inspect', '--format', '{{.State.Status}}', made.containerId!]).stdout.trim(), 'created');
      assert.equal(existsSync(path.join(folder, 'hooks.txt')), false, 'no lifecycle command ran');

      let timeline: ReturnType<Timeline['snapshot']> | undefined;
      const { result } = await hbUp(folder, { onTimeline: (t, final) => final && (timeline = t.snapshot()) });
      assert.equal(result.containerId, made.containerId);
      assert.ok(timeline!.entries.some((e) => e.step === 'prewarmed container'), timeline!.entries.map((e) => e.step).join(', '));
      assert.equal(readFileSync(path.join(folder, 'hooks.txt'), 'utf8').trim(), 'created');

      writeFileSync(path.join(folder, '.devcontainer', 'devcontainer.json'), JSON.stringify(config('two')));
      assert.equal((await status({ folder, env: process.env })).state, 'stale');
      const stale = await prewarm({ folder, trusted: true, enabled: true, acceptedFindings: accepted }, o);
      assert.equal(stale.state, 'not-needed');
      assert.match(stale.reason, /only a missing container is prewarmed/);
    } finally {
      await down({ folder, env: process.env, report: quiet }).catch(() => undefined);
    }
  });
});
