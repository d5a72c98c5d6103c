// BuildKit through the Engine API: reading its progress messages, when a build goes to the
// engine's classic builder instead, and the classic build after an engine refuses BuildKit.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { BuildKitProgress, decodeBuildKitStatus } from '../../../src/engine/runtime/build/buildkitProgress';
import { Readable } from 'node:stream';
import DockerModem from 'docker-modem';
import * as tarStream from 'tar-stream';
import type { Engine } from '../../../src/engine/runtime/engine/docker';
import { buildImage, classicBuilderReason } from '../../../src/engine/runtime/build/image';
import { makeFolder, removeAll } from '../helpers/folders';
import { parseBuildOptions } from '../../../src/engine/runtime/build/buildOptions';

// The response of Docker 20.10.24 to `POST /build?version=2&nocache=1` for this Dockerfile, as it sent it:
//   FROM hyperbox-test/busybox:a7695c4c49c4
//   RUN echo fine
//   RUN echo "about to fail" && echo "the reason" >&2 && exit 3
//   RUN echo never
const recorded = readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'buildkit', 'failing-run.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as { id?: string; aux?: string; error?: string });

describe('BuildKit progress (Engine API, version=2)', () => {
  it('turns the engine\'s status messages into numbered plain progress lines with the commands\' output, and names the step that failed', () => {
    const p = new BuildKitProgress();
    let text = '';
    for (const ev of recorded) if (ev.id === 'moby.buildkit.trace' && ev.aux) text += p.add(ev.aux);
    const lines = text.trim().split('\n');
    assert.equal(lines[0], '#1 [internal] load remote build context');
    assert.ok(lines.includes('#4 [1/4] FROM docker.io/hyperbox-test/busybox:a7695c4c49c4'), text);
    assert.ok(lines.includes('#5 [2/4] RUN echo fine'), text);
    assert.match(text, /^#5 \d+\.\d{3} fine$/m);
    assert.match(text, /^#5 DONE \d+\.\ds$/m);
    assert.ok(lines.includes('#6 [3/4] RUN echo "about to fail" && echo "the reason" >&2 && exit 3'), text);
    assert.match(text, /^#6 \d+\.\d{3} about to fail$/m);
    assert.match(text, /^#6 \d+\.\d{3} the reason$/m);
    assert.match(text, /^#6 ERROR: executor failed running .*exit code: 3$/m);
    // the step after the failing one never ran
    assert.doesNotMatch(text, /echo never/);
    // each step starts once, however many messages repeat it
    assert.equal(lines.filter((l) => l === '#5 [2/4] RUN echo fine').length, 1);
    assert.equal(p.failed, '[3/4] RUN echo "about to fail" && echo "the reason" >&2 && exit 3');
    assert.ok(recorded.some((ev) => ev.error && /exit code: 3/.test(ev.error)));
  });

  it('reads a step\'s name, digest and times from one message, and refuses bytes that are not one', () => {
    const first = recorded.find((ev) => ev.id === 'moby.buildkit.trace')!;
    const status = decodeBuildKitStatus(first.aux!);
    assert.equal(status.vertexes.length, 1);
    assert.match(status.vertexes[0].digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(status.vertexes[0].name, '[internal] load remote build context');
    const done = recorded.map((ev) => (ev.aux && ev.id === 'moby.buildkit.trace' ? decodeBuildKitStatus(ev.aux) : undefined)).find((s) => s?.vertexes[0]?.completed);
    const v = done!.vertexes[0];
    // timestamps in ms since the epoch: the recording was made on 4 December 2026
    assert.ok(v.started! > Date.UTC(2026, 11, 4) && v.completed! >= v.started! && v.completed! - v.started! < 60_000, JSON.stringify(v));
    assert.throws(() => decodeBuildKitStatus(Buffer.from([0x0a, 0x50, 0x01]).toString('base64')));
  });
});

describe('which builder an Engine API build goes to', () => {
  const docker = { name: 'Docker Engine', os: 'linux', apiVersion: '1.41', builder: '' };
  const df = 'FROM busybox\nRUN true\n';
  const parts = (options?: string[]) => parseBuildOptions(options, { baseDir: '/', env: {} });

  it('BuildKit on a Linux Docker engine that has it, whatever it says its default is', () => {
    assert.equal(classicBuilderReason(docker, {}, df, parts()), undefined);
    assert.equal(classicBuilderReason({ ...docker, builder: '2' }, {}, df, parts()), undefined);
    assert.equal(classicBuilderReason(docker, {}, df, parts(['--network', 'host', '--add-host', 'a:1.2.3.4', '--label', 'x=y', '--pull'])), undefined);
  });

  it('the classic builder when asked for (DOCKER_BUILDKIT=0), when the engine has no BuildKit, or when the build needs what only the classic builder does', () => {
    assert.match(classicBuilderReason(docker, { DOCKER_BUILDKIT: '0' }, df, parts())!, /DOCKER_BUILDKIT=0/);
    assert.match(classicBuilderReason(docker, { DOCKER_BUILDKIT: 'false' }, df, parts())!, /DOCKER_BUILDKIT=false/);
    assert.match(classicBuilderReason({ ...docker, builder: '1' }, {}, df, parts())!, /set to the classic builder/);
    assert.match(classicBuilderReason({ ...docker, name: 'Podman Engine' }, {}, df, parts())!, /Podman Engine builds with Buildah/);
    assert.match(classicBuilderReason({ ...docker, os: 'windows' }, {}, df, parts())!, /runs on windows/);
    assert.match(classicBuilderReason({ ...docker, apiVersion: '1.38' }, {}, df, parts())!, /older than 1\.39/);
    assert.match(classicBuilderReason(undefined, {}, df, parts())!, /did not say what it is/);
    const id = 'a'.repeat(64);
    assert.match(classicBuilderReason(docker, {}, `FROM sha256:${id}\nRUN true\n`, parts())!, /FROM names an image by its ID \(line 1\)/);
    assert.match(classicBuilderReason(docker, {}, `ARG X\nFROM --platform=linux/amd64 ${id.slice(0, 12)} AS base\n`, parts())!, /line 2/);
    assert.match(classicBuilderReason(docker, {}, df, parts(['--memory', '1g', '--cpu-shares', '512']))!, /build\.options has --memory, --cpu-shares, which only the classic builder applies/);
    assert.match(classicBuilderReason(docker, {}, df, parts(['--ulimit', 'nofile=1024:2048']))!, /--ulimit/);
    assert.match(classicBuilderReason(docker, {}, df, parts(['--network', 'mynet']))!, /--network mynet/);
  });
});

describe('an engine that refuses BuildKit', () => {
  after(removeAll);

  it('gets the build again, context and all, on its classic builder, and the user is told why', async () => {
    const dir = makeFolder({ 'Dockerfile': 'FROM busybox\nCOPY . /app\n', 'a.txt': 'a\n' });
    const requests: { version?: string; files: string[] }[] = [];
    const modem = new DockerModem();
    const engine = {
      endpoint: { source: 'default', host: 'unix:///var/run/docker.sock', options: {} },
      info: async () => ({ name: 'Docker Engine', version: '20.10.24', apiVersion: '1.41', os: 'linux', arch: '', builder: '' }),
      docker: {
        modem: {
          followProgress: modem.followProgress.bind(modem),
          dial(o: { options: { version?: string }; file: NodeJS.ReadableStream }, cb: (err: unknown, res?: unknown) => void) {
            const files: string[] = [];
            const ex = tarStream.extract();
            ex.on('entry', (h: { name: string }, s: NodeJS.ReadableStream, next: () => void) => {
              files.push(h.name);
              s.resume();
              s.on('end', next);
            });
            ex.on('finish', () => {
              requests.push({ version: o.options.version, files });
              if (o.options.version === '2') cb(Object.assign(new Error('(HTTP code 400) unexpected - buildkit not supported by daemon'), { statusCode: 400, json: { message: 'buildkit not supported by daemon' } }));
              else cb(null, Readable.from([`${JSON.stringify({ stream: 'Step 1/2 : FROM busybox\n' })}\n`, `${JSON.stringify({ stream: 'Successfully built 0123456789ab\n' })}\n`]));
            });
            o.file.pipe(ex);
          },
        },
      },
    } as unknown as Engine;
    const infos: string[] = [];
    const output: string[] = [];
    const report = { step: () => undefined, info: (m: string) => infos.push(m), warn: () => undefined, output: (_: string, t: string) => output.push(t) };
    assert.deepEqual(await buildImage(engine, { dockerfile: path.join(dir, 'Dockerfile'), context: dir, tag: 'hb-test:latest', env: {} }, report), { via: 'engine' });
    assert.deepEqual(requests.map((r) => r.version), ['2', undefined]);
    // the second request carries the whole context again
    assert.deepEqual(requests[1].files.sort(), ['Dockerfile', 'a.txt']);
    assert.deepEqual(requests[0].files.sort(), requests[1].files.sort());
    assert.ok(infos.some((m) => /did not build with BuildKit \(buildkit not supported by daemon\); building with its classic builder/.test(m)), infos.join('\n'));
    assert.match(output.join(''), /Step 1\/2 : FROM busybox/);
  });
});
