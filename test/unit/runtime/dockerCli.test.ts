// Choosing the docker CLI on purpose: with Docker's CLI 28 without buildx first on PATH and
// Debian's 20.10 behind it (a fresh machine of this kind), a BuildKit build must use the second,
// say so, and HB_DOCKER_PATH must still win. Real programs on a real PATH: small shell scripts
// that answer as each client does.
import { strict as assert } from 'node:assert';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseBuildKitCli, dockerCandidates, findComposePlugin, probeClient } from '../../../src/engine/runtime/engine/dockerCli';
import { RuntimeError } from '../../../src/engine/runtime/errors';

/** A fake `docker` in `dir`: its --version, whether `buildx version` and `compose version` work. */
function fakeDocker(dir: string, version: string, o: { buildx?: boolean; compose?: string } = {}): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'docker');
  writeFileSync(
    file,
    [
      '#!/bin/sh',
      'case "$1" in',
      `  --version) echo "Docker version ${version}, build abc1234" ;;`,
      o.buildx ? '  buildx) echo "github.com/docker/buildx v0.14.0 171fcbe" ;;' : '  buildx) echo "docker: unknown command: docker buildx" >&2; exit 1 ;;',
      o.compose ? `  compose) echo "${o.compose}" ;;` : '  compose) echo "docker: unknown command: docker compose" >&2; exit 1 ;;',
      '  *) exit 2 ;;',
      'esac',
      '',
    ].join('\n'),
  );
  chmodSync(file, 0o755);
  return file;
}

function recorder(): { info: (m: string) => void; lines: string[] } {
  const lines: string[] = [];
  return { info: (m) => lines.push(m), lines };
}

describe('runtime: choosing the docker CLI', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'hb-dockercli-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('tells a client that can build with BuildKit (buildx, or older than 23) from one that cannot', async () => {
    const env = { PATH: '/usr/bin:/bin' };
    const new28 = await probeClient(fakeDocker(path.join(root, 'a'), '28.2.2'), env);
    assert.deepEqual([new28.version, new28.buildx, new28.buildKit], ['28.2.2', false, false]);
    assert.match(new28.why!, /28\.2\.2 has no buildx plugin/);
    const withBuildx = await probeClient(fakeDocker(path.join(root, 'b'), '28.2.2', { buildx: true }), env);
    assert.deepEqual([withBuildx.buildx, withBuildx.buildKit], [true, true]);
    const debian = await probeClient(fakeDocker(path.join(root, 'c'), '20.10.24+dfsg1'), env);
    assert.deepEqual([debian.version, debian.buildKit], ['20.10.24', true]);
    const broken = await probeClient(path.join(root, 'missing', 'docker'), env);
    assert.equal(broken.buildKit, false);
    assert.match(broken.why!, /did not answer/);
  });

  it('lists each docker on PATH in order, once per real file, then Debian\'s', () => {
    const first = fakeDocker(path.join(root, 'local'), '28.2.2');
    const second = fakeDocker(path.join(root, 'usr'), '20.10.24');
    mkdirSync(path.join(root, 'alias'));
    symlinkSync(second, path.join(root, 'alias', 'docker'));
    mkdirSync(path.join(root, 'empty'));
    const env = { PATH: [path.join(root, 'empty'), path.join(root, 'local'), path.join(root, 'alias'), path.join(root, 'usr')].join(':') };
    const got = dockerCandidates(env).filter((p) => p.startsWith(root));
    assert.deepEqual(got, [first, path.join(root, 'alias', 'docker')]);
  });

  it('skips the CLI first on PATH that lacks buildx for the next one that can build, and says which and why', async () => {
    const local = fakeDocker(path.join(root, 'local'), '28.2.2');
    const debian = fakeDocker(path.join(root, 'usr'), '20.10.24+dfsg1');
    const report = recorder();
    const env = { PATH: `${path.join(root, 'local')}:${path.join(root, 'usr')}` };
    const chosen = await chooseBuildKitCli(env, report, { candidates: dockerCandidates(env).filter((p) => p.startsWith(root)) });
    assert.equal(chosen, debian);
    assert.equal(report.lines.length, 1);
    assert.match(report.lines[0], new RegExp(`Building with the docker CLI ${debian} 20\\.10\\.24 \\(BuildKit built in\\)`));
    assert.match(report.lines[0], new RegExp(`, since ${local} 28\\.2\\.2 has no buildx plugin, which Docker CLI 23 and later need`));
    assert.match(report.lines[0], /HB_DOCKER_PATH/);
  });

  it('keeps the first CLI when it can build (no probing past it)', async () => {
    const withBuildx = fakeDocker(path.join(root, 'local'), '28.2.2', { buildx: true });
    fakeDocker(path.join(root, 'usr'), '20.10.24');
    const report = recorder();
    const env = { PATH: `${path.join(root, 'local')}:${path.join(root, 'usr')}` };
    assert.equal(await chooseBuildKitCli(env, report, { candidates: dockerCandidates(env).filter((p) => p.startsWith(root)) }), withBuildx);
    assert.match(report.lines[0], /28\.2\.2 with buildx\. Set HB_DOCKER_PATH/);
  });

  it('HB_DOCKER_PATH wins even over a better client, and is named', async () => {
    const local = fakeDocker(path.join(root, 'local'), '28.2.2');
    fakeDocker(path.join(root, 'usr'), '20.10.24');
    const report = recorder();
    const chosen = await chooseBuildKitCli({ PATH: path.join(root, 'usr'), HB_DOCKER_PATH: local }, report);
    assert.equal(chosen, local);
    assert.match(report.lines[0], /HB_DOCKER_PATH names: .*local\/docker/);
  });

  it('when no client can build with BuildKit: an error naming each one, why, and what to install', async () => {
    const a = fakeDocker(path.join(root, 'a'), '28.2.2');
    const b = fakeDocker(path.join(root, 'b'), '24.0.7');
    await assert.rejects(chooseBuildKitCli({ PATH: '' }, recorder(), { candidates: [a, b] }), (e: Error) => {
      assert.ok(e instanceof RuntimeError);
      assert.match(e.message, /none of the docker CLIs here can build with it/);
      assert.match(e.message, new RegExp(`${a} 28\\.2\\.2 has no buildx plugin.*${b} 24\\.0\\.7 has no buildx plugin`));
      assert.match(e.message, /docker-buildx.*docker\.io.*HB_DOCKER_PATH/);
      return true;
    });
    await assert.rejects(chooseBuildKitCli({ PATH: '' }, recorder(), { candidates: [] }), /no "docker" is on PATH.*apt-get install docker\.io/);
  });

  it('finds the Compose v2 plugin on any client, not only the first', async () => {
    fakeDocker(path.join(root, 'local'), '28.2.2');
    const other = fakeDocker(path.join(root, 'usr'), '27.0.0', { compose: 'v2.29.1' });
    const env = { PATH: `${path.join(root, 'local')}:${path.join(root, 'usr')}` };
    const candidates = dockerCandidates(env).filter((p) => p.startsWith(root));
    assert.deepEqual(await findComposePlugin(env, { candidates }), { docker: other, version: '2.29.1' });
    assert.equal(await findComposePlugin(env, { candidates: candidates.slice(0, 1) }), undefined);
  });
});
