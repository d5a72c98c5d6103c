// hb up on `build` configs: the context tar and .dockerignore, args/target, the engine's BuildKit
// through the Engine API and its classic builder, BuildKit through the docker CLI, a failing build,
// drift of the files COPY names, rebuild.
import { strict as assert } from 'node:assert';
import { appendFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { RuntimeError } from '../../src/engine/runtime/errors';
import { status } from '../../src/engine/runtime/ops';
import { busyboxImage, docker } from './images';
import { containersOf, dockerExec, envWithDockerWithoutBuildx, hbUp, removeEverythingUnder, TEST_ROOT, workspace } from './helpers';

describe('engine: up (Dockerfile configs)', () => {
  after(() => removeEverythingUnder(TEST_ROOT));

  it('builds with the context as a tar that respects .dockerignore, with args and target', async () => {
    const folder = workspace(
      'build',
      {
        build: { dockerfile: 'Dockerfile', context: '..', args: { GREETING: 'hello-arg' }, target: 'dev' },
      },
      {
        '.devcontainer/Dockerfile': [
          `FROM ${busyboxImage()} AS base`,
          'ARG GREETING=none',
          'RUN echo "$GREETING" > /greeting',
          'FROM base AS dev',
          'COPY . /ctx',
          'RUN echo dev > /stage',
          'FROM base AS prod',
          'RUN echo prod > /stage',
        ].join('\n'),
        '.dockerignore': 'secret.txt\nlogs/\n*.tmp\n!keep.tmp\n',
        'secret.txt': 'do not send',
        'logs/a.log': 'no',
        'x.tmp': 'no',
        'keep.tmp': 'yes',
        'src/main.txt': 'code',
      },
    );
    const { result, log } = await hbUp(folder);
    assert.equal(result.state, 'running');
    assert.match(log.text, /Building image hb-build-/);
    // the engine's BuildKit, given the tar as the context
    assert.match(log.text, /#\d+ \[internal\] load remote build context/);
    assert.match(log.text, /#\d+ \[dev \d\/\d\] COPY \. \/ctx/);
    const id = result.containerId!;
    assert.equal(dockerExec(id, 'cat /greeting').trim(), 'hello-arg');
    assert.equal(dockerExec(id, 'cat /stage').trim(), 'dev');
    const files = dockerExec(id, 'cd /ctx && find . -type f | sort').trim().split('\n');
    assert.ok(files.includes('./src/main.txt'));
    assert.ok(files.includes('./keep.tmp'));
    assert.ok(files.includes('./.devcontainer/Dockerfile'));
    for (const ignored of ['./secret.txt', './logs/a.log', './x.tmp']) assert.ok(!files.includes(ignored), `${ignored} was sent`);
  });

  it('builds a Dockerfile that needs BuildKit through the docker CLI and says so', async () => {
    const folder = workspace('buildkit', { build: { dockerfile: 'Dockerfile' } }, {
      '.devcontainer/Dockerfile': `FROM ${busyboxImage()}\nRUN --mount=type=cache,target=/cache echo cached > /cache/x && cp /cache/x /built\n`,
    });
    const { result, log } = await hbUp(folder);
    assert.match(log.text, /needs BuildKit: RUN --mount \(line 2\) is a BuildKit feature\. Building it with the docker CLI \(DOCKER_BUILDKIT=1\)/);
    assert.equal(dockerExec(result.containerId!, 'cat /built').trim(), 'cached');
  });

  it('with a docker CLI first on PATH that cannot build with BuildKit (28.x, no buildx), builds with the next one that can and names it', async () => {
    // a fresh machine: Docker's CLI 28.2 in /usr/local/bin first on PATH, without buildx; Debian's 20.10 in /usr/bin
    const { env, first } = envWithDockerWithoutBuildx();
    const folder = workspace('buildkit-path', { build: { dockerfile: 'Dockerfile' } }, {
      '.devcontainer/Dockerfile': `FROM ${busyboxImage()}\nRUN --mount=type=cache,target=/x true\nRUN echo built > /built\n`,
    });
    const { result, log } = await hbUp(folder, { env });
    assert.equal(result.state, 'running');
    assert.match(log.text, /Building with the docker CLI \/usr\/bin\/docker 20\.\d+\.\d+ \(BuildKit built in\), since \S+\/docker 28\.\d+\.\d+ has no buildx plugin/);
    assert.ok(log.text.includes(`since ${first} 28.`), log.text);
    assert.doesNotMatch(log.text, /needs the buildx plugin/);
    assert.equal(dockerExec(result.containerId!, 'cat /built').trim(), 'built');
  });

  it('applies build.options: build args, extra hosts and labels through the Engine API, BuildKit-only ones through the docker CLI; an unmappable flag is an error naming it', async () => {
    const folder = workspace(
      'buildopts',
      { build: { dockerfile: 'Dockerfile', args: { GREETING: 'from-args' }, options: ['--build-arg', 'GREETING=from-options', '--add-host=buildhost.test:10.1.2.3', '--label', 'team=core', '--network', 'none'] } },
      { '.devcontainer/Dockerfile': `FROM ${busyboxImage()}\nARG GREETING=none\nRUN echo "$GREETING" > /greeting && (grep buildhost.test /etc/hosts || echo missing) > /hosts\n` },
    );
    const { result, log } = await hbUp(folder);
    const id = result.containerId!;
    assert.doesNotMatch(log.text, /BuildKit/);
    // options come after build.args, as on a docker build command line
    assert.equal(dockerExec(id, 'cat /greeting').trim(), 'from-options');
    assert.match(dockerExec(id, 'cat /hosts'), /^10\.1\.2\.3\s+buildhost\.test$/m);
    assert.equal(docker(['image', 'inspect', '--format', '{{index .Config.Labels "team"}}', result.image!]).stdout.trim(), 'core');

    // --secret exists only in BuildKit: the build goes through the docker CLI, which gets the options as written
    writeFileSync(path.join(folder, 'secret.txt'), 'the-secret');
    const kit = workspace(
      'buildopts-kit',
      { build: { dockerfile: 'Dockerfile', options: ['--secret', `id=tok,src=${path.join(folder, 'secret.txt')}`] } },
      { '.devcontainer/Dockerfile': `FROM ${busyboxImage()}\nRUN --mount=type=secret,id=tok cp /run/secrets/tok /copied\n` },
    );
    const viaCli = await hbUp(kit);
    assert.match(viaCli.log.text, /Building it with the docker CLI/);
    assert.equal(dockerExec(viaCli.result.containerId!, 'cat /copied'), 'the-secret');

    const bad = workspace('buildopts-bad', { build: { dockerfile: 'Dockerfile', options: ['--network', 'host', '--frobnicate'] } }, { '.devcontainer/Dockerfile': `FROM ${busyboxImage()}\n` });
    await assert.rejects(hbUp(bad), (e: unknown) => {
      assert.ok(e instanceof RuntimeError);
      assert.equal(e.code, 'unsupported');
      assert.match(e.message, /build\.options: --frobnicate is not a docker build flag HyperBox can map/);
      return true;
    });
    assert.equal((await containersOf(bad)).length, 0);
  });

  it('shows the failing step, its Dockerfile line and its output when a build fails, with BuildKit and with the classic builder', async () => {
    const dockerfile = `FROM ${busyboxImage()}\nRUN echo fine\nRUN echo "about to fail" && echo "the reason" >&2 && exit 3\nRUN echo never\n`;
    const folder = workspace('buildfail', { build: { dockerfile: 'Dockerfile' } }, { '.devcontainer/Dockerfile': dockerfile });
    await assert.rejects(hbUp(folder), (e: unknown) => {
      assert.ok(e instanceof RuntimeError);
      assert.equal(e.code, 'build-failed');
      assert.match(e.message, /failed at \[3\/4\] RUN echo "about to fail".*, Dockerfile line 3/);
      assert.match(e.message, /exit code: 3/);
      assert.match(e.message, /Last output:[\s\S]*about to fail[\s\S]*the reason/);
      return true;
    });
    assert.equal((await containersOf(folder)).length, 0);

    const classic = workspace('buildfail-classic', { build: { dockerfile: 'Dockerfile' } }, { '.devcontainer/Dockerfile': dockerfile });
    await assert.rejects(hbUp(classic, { env: { ...process.env, DOCKER_BUILDKIT: '0' } }), (e: unknown) => {
      assert.ok(e instanceof RuntimeError);
      assert.equal(e.code, 'build-failed');
      assert.match(e.message, /failed at Step 3\/\d : RUN echo "about to fail".*, Dockerfile line 3/);
      assert.match(e.message, /returned a non-zero code: 3/);
      assert.match(e.message, /Last output:[\s\S]*about to fail[\s\S]*the reason/);
      return true;
    });
  });

  it('finds drift in files COPY names (by size and mtime, hashing only what changed), and rebuild clears it', async () => {
    const folder = workspace('copydrift', { build: { dockerfile: 'Dockerfile', context: '..' } }, {
      '.devcontainer/Dockerfile': `FROM ${busyboxImage()}\nCOPY app/ /app/\nCOPY README.md /README.md\n`,
      'app/a.txt': 'one',
      'notes.txt': 'not copied',
      'README.md': 'readme',
    });
    const first = await hbUp(folder);
    assert.equal(first.result.state, 'running');
    // a file nothing copies: no drift
    appendFileSync(path.join(folder, 'notes.txt'), ' changed');
    assert.equal((await status({ folder, env: process.env })).state, 'running');
    // a copied file
    writeFileSync(path.join(folder, 'app', 'b.txt'), 'new file');
    const stale = await status({ folder, env: process.env });
    assert.equal(stale.state, 'stale');
    assert.deepEqual(stale.drift.changed, ['COPY app/']);
    // the Dockerfile itself
    appendFileSync(path.join(folder, '.devcontainer', 'Dockerfile'), 'RUN true\n');
    assert.deepEqual((await status({ folder, env: process.env })).drift.changed, ['Dockerfile Dockerfile', 'COPY app/']);
    const rebuilt = await hbUp(folder, { rebuild: true });
    assert.notEqual(rebuilt.result.containerId, first.result.containerId);
    assert.equal(rebuilt.result.state, 'running');
    assert.equal(dockerExec(rebuilt.result.containerId!, 'cat /app/b.txt'), 'new file');
    assert.equal((await containersOf(folder)).length, 1);
  });
});
