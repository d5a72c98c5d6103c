// Data safety and robustness against a real engine: a closed stdout, hooks that failed, races with
// a container removed behind hb's back, an engine that never answers, exact workspace mounts,
// volumes hb down may and may not remove.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import * as path from 'node:path';
import { connectEngine, withEngine } from '../../src/engine/runtime/engine/docker';
import { RuntimeError } from '../../src/engine/runtime/errors';
import { findComposeCli, LABEL_COMPOSE_PROJECT } from '../../src/engine/runtime/create/compose';
import { busyboxImage, docker } from './images';
import { CLI, containersOf, dockerExec, hb, hbAsync, inspect, removeEverythingUnder, TEST_ROOT, workspace } from './helpers';

/** hb with stdout a pipe whose reader has already gone (`| true` after a pause). */
function hbIntoClosedStdout(args: string[]): { rc: number; stderr: string } {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = `{ sleep 0.3; ${[process.execPath, CLI, ...args].map(q).join(' ')} 2>&3; echo "rc=$?" >&3; } 3>&2 | true`;
  const r = spawnSync('bash', ['-c', script], { cwd: TEST_ROOT, env: process.env, encoding: 'utf8' });
  const m = /rc=(\d+)\n?$/.exec(r.stderr);
  assert.ok(m, `no exit code in: ${r.stderr}`);
  return { rc: Number(m[1]), stderr: r.stderr.slice(0, m.index) };
}

describe('engine: data safety and robustness', () => {
  after(async () => {
    await removeEverythingUnder(TEST_ROOT);
  });

  it('hb up and hb status into a closed stdout: the up finishes (postCreateCommand runs), no trace, exit 0', async () => {
    const folder = workspace('closed-stdout', { image: busyboxImage(), postCreateCommand: 'sleep 1; touch post-create-ran' });
    const r = hbIntoClosedStdout(['up', folder, '--trust']);
    assert.equal(r.rc, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /EPIPE|node:events|\n\s+at /);
    assert.ok(existsSync(path.join(folder, 'post-create-ran')), `postCreateCommand did not run:\n${r.stderr}`);
    const s = hbIntoClosedStdout(['status', folder]);
    assert.equal(s.rc, 0, s.stderr);
    assert.doesNotMatch(s.stderr, /EPIPE|node:events|\n\s+at /);
    assert.equal((await containersOf(folder)).length, 1);
  });

  it('a container or exec removed behind hb\'s back: our words, naming the container and what to do', async () => {
    const engine = await connectEngine(process.env);
    const c = await engine.docker.createContainer({ Image: busyboxImage(), Cmd: ['sleep', '60'], Labels: { 'hyperbox.test': '1' } });
    await c.start();
    const ex = await c.exec({ Cmd: ['true'] });
    docker(['rm', '-f', c.id]);
    const failOf = async (fn: () => Promise<unknown>) => {
      try {
        await withEngine(process.env, fn as never);
      } catch (e) {
        return e as Error;
      }
      assert.fail('expected an error');
    };
    const inspect = await failOf(() => c.inspect());
    assert.ok(inspect instanceof RuntimeError, String(inspect));
    assert.equal(inspect.code, 'not-found');
    assert.match(inspect.message, new RegExp(`The container ${c.id.slice(0, 12)} is gone: it was removed .* Run hb up to make it again`));
    assert.doesNotMatch(inspect.message, /HTTP code|no such container/);
    const exec = await failOf(() => ex.inspect());
    assert.ok(exec instanceof RuntimeError, String(exec));
    assert.match(exec.message, /The command HyperBox was running in the container is gone: the container was removed or restarted/);
    assert.doesNotMatch(exec.message, /HTTP code|no such exec/);
  });

  it('hb up prints the config\'s warnings as hb config does, and refuses a config that is not UTF-8 at the line and column', async () => {
    const folder = workspace('warnings', `{\n  "image": "${busyboxImage()}",\n  "postCreateComand": "touch x"\n}\n`);
    const r = hb(['up', folder]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stderr.includes(`${path.relative(TEST_ROOT, path.join(folder, '.devcontainer', 'devcontainer.json'))}:3:3: warning: Unknown property "postCreateComand". Did you mean "postCreateCommand"?`), r.stderr);
    assert.equal(hb(['down', folder]).code, 0);

    const latin1 = workspace('latin1', '{}');
    writeFileSync(path.join(latin1, '.devcontainer', 'devcontainer.json'), Buffer.concat([Buffer.from(`{\n  "image": "${busyboxImage()}",\n  "name": "caf`), Buffer.from([0xe9]), Buffer.from('"\n}\n')]));
    const bad = hb(['up', latin1]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /is not valid UTF-8: the byte 0xe9 at line 3, column 15 .*Save the file as UTF-8/);
    assert.equal((await containersOf(latin1)).length, 0);
  });

  it('the workspace mount is exactly the folder, whatever its name: /x/comma,target=/etc beside /x/comma', async () => {
    const x = path.join(TEST_ROOT, `x-${process.pid}`);
    mkdirSync(path.join(x, 'comma'), { recursive: true });
    writeFileSync(path.join(x, 'comma', 'wrong-folder'), '');
    const folder = path.join(x, 'comma,target=', 'etc');
    mkdirSync(path.join(folder, '.devcontainer'), { recursive: true });
    writeFileSync(path.join(folder, '.devcontainer', 'devcontainer.json'), JSON.stringify({ image: busyboxImage() }));
    writeFileSync(path.join(folder, 'right-folder'), '');
    const r = hb(['up', folder, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const id = JSON.parse(r.stdout).containerId as string;
    const info = await inspect(id);
    const binds = (info.Mounts ?? []).filter((m) => m.Type === 'bind' && m.Destination.startsWith('/workspaces'));
    assert.deepEqual(binds.map((m) => [m.Source, m.Destination]), [[folder, '/workspaces/etc']]);
    assert.equal(dockerExec(id, 'ls /workspaces/etc').trim().split('\n').sort().join(' '), 'right-folder');
    assert.equal(hb(['down', folder]).code, 0);
  });

  it('an engine address that accepts connections and never answers: status, ps, up, exec and down fail in time, naming the address', async () => {
    const held: Socket[] = [];
    const server = createServer((c) => void held.push(c));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const folder = workspace('silent', { image: busyboxImage() });
      const env = { DOCKER_HOST: `tcp://127.0.0.1:${port}`, HB_ENGINE_TIMEOUT: '2' };
      for (const args of [['status', folder], ['ps'], ['up', folder], ['exec', '--folder', folder, 'true'], ['down', folder]]) {
        const started = Date.now();
        const r = await hbAsync(args, { env });
        const took = Date.now() - started;
        assert.equal(r.code, 1, `${args[0]}: ${r.stderr}`);
        assert.ok(took < 10_000, `hb ${args[0]} took ${took} ms`);
        assert.match(r.stderr, new RegExp(`hb ${args[0]}: The Docker engine at tcp://127\\.0\\.0\\.1:${port} \\(from DOCKER_HOST\\) accepted the connection but did not answer .* within 2 s\\. Check that this address is a Docker engine`));
      }
      assert.ok(held.length >= 5, `the listener saw ${held.length} connections`);
    } finally {
      held.forEach((c) => c.destroy());
      server.close();
    }
  });

  it('the time limit leaves streams alone: an exec that is silent for longer than the limit still finishes', async () => {
    const folder = workspace('slow-exec', { image: busyboxImage() });
    assert.equal(hb(['up', folder]).code, 0);
    const r = hb(['exec', '--folder', folder, 'sh', '-c', 'sleep 3; echo finished'], { env: { HB_ENGINE_TIMEOUT: '1' } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'finished\n');
    assert.equal(hb(['down', folder]).code, 0);
  });

  it('a failed postCreateCommand runs again at the next hb up (as the message says); hb run-hooks runs hooks again on demand', async () => {
    const count = (folder: string, name: string) => (existsSync(path.join(folder, name)) ? readFileSync(path.join(folder, name), 'utf8').split('\n').filter(Boolean).length : 0);
    const folder = workspace('failed-hook', {
      image: busyboxImage(),
      onCreateCommand: 'echo x >> on-create-runs',
      postCreateCommand: 'echo x >> post-create-runs; test -f fixed',
      postStartCommand: 'echo x >> post-start-runs',
    });
    const first = hb(['up', folder, '--trust']);
    assert.equal(first.code, 1);
    assert.match(first.stderr, /postCreateCommand from devcontainer.json failed with exit code 1/);
    assert.match(first.stderr, /then run hb up again: it runs postCreateCommand again/);
    assert.deepEqual([count(folder, 'on-create-runs'), count(folder, 'post-create-runs'), count(folder, 'post-start-runs')], [1, 1, 0]);
    // still failing: runs again, and again is not marked
    assert.equal(hb(['up', folder]).code, 1);
    assert.deepEqual([count(folder, 'on-create-runs'), count(folder, 'post-create-runs')], [1, 2]);
    writeFileSync(path.join(folder, 'fixed'), '');
    const fixed = hb(['up', folder]);
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.deepEqual([count(folder, 'on-create-runs'), count(folder, 'post-create-runs'), count(folder, 'post-start-runs')], [1, 3, 1]);
    // done now: a plain up runs none of them
    assert.equal(hb(['up', folder]).code, 0);
    assert.deepEqual([count(folder, 'on-create-runs'), count(folder, 'post-create-runs'), count(folder, 'post-start-runs')], [1, 3, 1]);
    // on demand: one hook, then all of them
    const one = hb(['run-hooks', folder, '--hook', 'postCreateCommand']);
    assert.equal(one.code, 0, one.stderr);
    assert.deepEqual([count(folder, 'on-create-runs'), count(folder, 'post-create-runs'), count(folder, 'post-start-runs')], [1, 4, 1]);
    assert.equal(hb(['run-hooks', folder]).code, 0);
    assert.deepEqual([count(folder, 'on-create-runs'), count(folder, 'post-create-runs'), count(folder, 'post-start-runs')], [2, 5, 2]);
    assert.equal(hb(['run-hooks', folder, '--hook', 'postCreate']).code, 2);
    assert.equal((await containersOf(folder)).length, 1);
  });

  it('the same for a postCreateCommand in object form (commands in parallel, run one exec each)', async () => {
    const folder = workspace('failed-hook-object', { image: busyboxImage(), postCreateCommand: { a: 'echo x >> a-runs', b: 'test -f fixed' } });
    assert.equal(hb(['up', folder, '--trust']).code, 1);
    writeFileSync(path.join(folder, 'fixed'), '');
    const r = hb(['up', folder]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(path.join(folder, 'a-runs'), 'utf8'), 'x\nx\n');
  });

  it('hb down --volumes removes the volumes HyperBox made for the container and its anonymous ones; a user\'s volume and the shared profile cache stay, each with why', async () => {
    const mine = `hb-test-user-${process.pid}`;
    const made = `hb-test-made-${process.pid}`;
    const caches = ['hyperbox-cache-cargo-registry', 'hyperbox-cache-cargo-git'];
    const cachesBefore = caches.filter((c) => docker(['volume', 'inspect', c], { allowFail: true }).code === 0);
    docker(['volume', 'create', mine]);
    docker(['volume', 'rm', made], { allowFail: true });
    const cargo = { 'Cargo.toml': '[package]\nname = "p"\nversion = "0.1.0"\nedition = "2021"\n', 'src/main.rs': 'fn main() {}\n' };
    try {
      const folder = workspace(
        'down-volumes',
        { image: busyboxImage(), mounts: [`type=volume,source=${mine},target=/mine`, `type=volume,source=${made},target=/made`, 'type=volume,target=/anon'] },
        cargo,
      );
      const up = hb(['up', folder, '--json']);
      assert.equal(up.code, 0, up.stderr);
      const info = await inspect(JSON.parse(up.stdout).containerId);
      const anon = info.Mounts.find((m) => m.Destination === '/anon')!.Name!;
      assert.match(docker(['volume', 'inspect', made, '--format', '{{ index .Labels "hyperbox.volume.for" }}']).stdout, /^[0-9a-v]{52}\n$/);
      assert.ok(info.Mounts.some((m) => m.Name === 'hyperbox-cache-cargo-registry'), 'the profile\'s cache volume is mounted');

      const r = hb(['down', folder, '--volumes', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.deepEqual([...out.volumesRemoved].sort(), [anon, made].sort());
      const why = Object.fromEntries(out.kept.map((k: { name: string; reason: string }) => [k.name, k.reason]));
      assert.deepEqual(Object.keys(why).sort(), [...caches, mine].sort());
      assert.match(why[mine], /not made by HyperBox for this container \(docker volume create/);
      assert.match(why['hyperbox-cache-cargo-registry'], /language profile's cache, shared/);
      assert.equal(docker(['volume', 'inspect', mine], { allowFail: true }).code, 0, 'the user\'s volume stays');
      for (const c of caches) assert.equal(docker(['volume', 'inspect', c], { allowFail: true }).code, 0, `${c} stays`);
      assert.notEqual(docker(['volume', 'inspect', made], { allowFail: true }).code, 0, 'the volume made for it goes');
      assert.notEqual(docker(['volume', 'inspect', anon], { allowFail: true }).code, 0, 'the anonymous volume goes');
      // the human form says the same
      assert.equal(hb(['up', folder]).code, 0);
      const human = hb(['down', folder, '--volumes']);
      assert.match(human.stderr, new RegExp(`kept volume ${mine}: not made by HyperBox`));
    } finally {
      docker(['volume', 'rm', '-f', mine, made], { allowFail: true });
      for (const c of caches) if (!cachesBefore.includes(c)) docker(['volume', 'rm', c], { allowFail: true });
    }
  });

  it('Compose: hb down --volumes lists the project\'s volumes and deletes them only when named or --yes', async () => {
    await findComposeCli(process.env);
    const folder = workspace(
      `compose-volumes${process.pid}`,
      { dockerComposeFile: ['docker-compose.yml'], service: 'dev', workspaceFolder: '/workspace', overrideCommand: true },
      {
        '.devcontainer/docker-compose.yml': [
          "version: '2.4'",
          'services:',
          '  dev:',
          `    image: ${busyboxImage()}`,
          '    volumes:',
          '      - ..:/workspace',
          '      - dbdata:/var/lib/db',
          'volumes:',
          '  dbdata: {}',
          '',
        ].join('\n'),
      },
    );
    const up = hb(['up', folder, '--json', '--trust']);
    assert.equal(up.code, 0, up.stderr);
    const project = (await inspect(JSON.parse(up.stdout).containerId)).Config.Labels[LABEL_COMPOSE_PROJECT];
    const volume = `${project}_dbdata`;
    docker(['run', '--rm', '-v', `${volume}:/d`, busyboxImage(), 'sh', '-c', 'echo precious > /d/table']);
    try {
      // no terminal, nothing named: refused, nothing removed
      const refused = hb(['down', folder, '--volumes']);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, new RegExp(`would delete the data in ${volume}\\. Nothing was removed\\. To delete them, name them: hb down --volumes --volume ${volume}`));
      assert.equal((await containersOf(folder)).length, 1);
      assert.equal(docker(['volume', 'inspect', volume], { allowFail: true }).code, 0);
      // named: deleted
      const named = hb(['down', folder, '--volumes', '--volume', volume, '--json']);
      assert.equal(named.code, 0, named.stderr);
      assert.ok(JSON.parse(named.stdout).volumesRemoved.includes(volume));
      assert.notEqual(docker(['volume', 'inspect', volume], { allowFail: true }).code, 0);
      assert.equal((await containersOf(folder)).length, 0);
    } finally {
      hb(['down', folder, '--volumes', '--yes']);
      docker(['volume', 'rm', '-f', volume], { allowFail: true });
    }
  });
});
