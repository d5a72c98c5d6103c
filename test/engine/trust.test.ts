// Trust as an attacker tries it: `hb up FOLDER </dev/null`, no --trust, an empty trust store. Each
// config of issue 10's table must get no container and run nothing (a host file that must not
// appear); a config that reaches nothing comes up without asking; the record is keyed on the
// findings, so a change asks again; concurrent `hb up --trust` keep every record.
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { derivedImage, busyboxImage, docker } from './images';
import { containersOf, hb, hbAsync, inspect, removeEverythingUnder, TEST_ROOT, workspace, writeConfig } from './helpers';

/** hb up without --trust, stdin not a terminal, a trust store of its own (empty unless `configDir` is given). */
function upUntrusted(folder: string, configDir = mkdtempSync(path.join(TEST_ROOT, 'trust-store-'))) {
  const r = hb(['up', folder], { env: { HB_CONFIG_DIR: configDir } });
  return { ...r, configDir };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Refused, naming what was found, and nothing made for the folder. */
async function assertRefused(folder: string, finding: RegExp, r = upUntrusted(folder)): Promise<string> {
  assert.equal(r.code, 1, `hb up should have refused: ${r.stderr}`);
  assert.match(r.stderr, /is not trusted for what its dev container reaches and runs, so nothing was made and nothing ran/);
  assert.match(r.stderr, finding);
  assert.match(r.stderr, /run again with --trust/);
  assert.deepEqual(await containersOf(folder), [], 'no container may exist for an untrusted folder');
  return r.stderr;
}

describe('engine: trust (issue 10, as an attacker)', function () {
  this.timeout(300_000);
  const share = mkdtempSync(path.join(TEST_ROOT, 'share-'));
  after(async () => {
    await removeEverythingUnder(TEST_ROOT);
  });

  it('a runArgs health check that writes to a bind mount: refused, the check never runs', async () => {
    const marker = path.join(share, 'health-ran');
    const folder = workspace('trust-health', {
      image: busyboxImage(),
      runArgs: ['-v', `${share}:/h`, '--health-cmd', 'touch /h/health-ran', '--health-interval', '1s'],
    });
    const err = await assertRefused(folder, /a health check from runArgs runs in the container: touch \/h\/health-ran/);
    assert.match(err, new RegExp(`a volume \\(-v\\) of ${share} at /h: outside the workspace folder`));
    await sleep(2500);
    assert.equal(existsSync(marker), false, 'the health check ran on an untrusted folder');
  });

  it("an image whose devcontainer.metadata label holds a postCreateCommand and a bind mount of /: refused (the label is judged before create)", async () => {
    const marker = path.join(share, `meta-ran-${process.pid}`);
    const label = JSON.stringify([{ postCreateCommand: `touch /host${marker}`, mounts: ['type=bind,source=/,target=/host'] }]);
    const image = derivedImage('trust-metadata', `LABEL devcontainer.metadata='${label}'`);
    const folder = workspace('trust-meta', { image });
    const err = await assertRefused(folder, /postCreateCommand from image metadata runs in the container: touch \/host/);
    assert.match(err, /bind mount of \/ \(this machine's whole file system; it holds the engine socket\) at \/host/);
    assert.equal(existsSync(marker), false);
  });

  it('the same image, first seen only after the build: the final gate before create refuses it', async () => {
    const marker = path.join(share, `meta-built-${process.pid}`);
    const label = JSON.stringify([{ postCreateCommand: `touch /host${marker}`, mounts: ['type=bind,source=/,target=/host'] }]);
    const image = derivedImage('trust-metadata-built', `LABEL devcontainer.metadata='${label}'`);
    // a Dockerfile build: the label exists only once built; the build itself is trusted by its own record
    const folder = workspace('trust-meta-build', { build: { dockerfile: 'Dockerfile' } }, { '.devcontainer/Dockerfile': `FROM ${image}\n` });
    const store = mkdtempSync(path.join(TEST_ROOT, 'trust-store-'));
    const configFile = path.join(folder, '.devcontainer', 'devcontainer.json');
    writeFileSync(path.join(store, 'trust.json'), JSON.stringify({ [`${folder}\u0000${configFile}`]: { findings: ['build:dockerfile:.devcontainer/Dockerfile'], trustedAt: new Date().toISOString() } }));
    const r = upUntrusted(folder, store);
    const err = await assertRefused(folder, /postCreateCommand from image metadata runs in the container/, r);
    assert.match(err, /\(new\)/, 'the findings the build revealed are marked new');
    assert.match(err, /Building image/);
    assert.equal(existsSync(marker), false);
  });

  for (const [name, config] of [
    ['mounts "type=bind,Source=/,target=/host"', { mounts: ['type=bind,Source=/,target=/host'] }],
    ['mounts "type=bind, source=/,target=/host"', { mounts: ['type=bind, source=/,target=/host'] }],
    ['mounts "type=bind,source= /,target=/host"', { mounts: ['type=bind,source= /,target=/host'] }],
    ['mounts object with "Source": "/"', { mounts: [{ type: 'bind', Source: '/', target: '/host' }] }],
    ['runArgs ["-v/:/host"]', { runArgs: ['-v/:/host'] }],
  ] as const) {
    it(`${name}: / is found whatever the spelling; refused`, async () => {
      const folder = workspace('trust-spelling', { image: busyboxImage(), ...config });
      await assertRefused(folder, /of \/ \(this machine's whole file system; it holds the engine socket\) at \/host: outside the workspace folder/);
    });
  }

  it('a committed symlink link -> / in the workspace, mounted from the workspace: refused (sources are realpath\'d)', async () => {
    const folder = workspace('trust-link', { image: busyboxImage(), mounts: ['type=bind,source=${localWorkspaceFolder}/link,target=/host'] });
    symlinkSync('/', path.join(folder, 'link'));
    await assertRefused(folder, /link \(\/\) \(this machine's whole file system/);
  });

  it('runArgs ["--privileged=1"]: refused', async () => {
    await assertRefused(workspace('trust-priv', { image: busyboxImage(), runArgs: ['--privileged=1'] }), /the container runs privileged/);
  });

  for (const [name, config, finding] of [
    ['a bind mount of /var/run (the Docker socket)', { mounts: ['type=bind,source=/var/run,target=/r'] }, /of \/var\/run \(\/run\) \(it holds the engine socket\) at \/r/],
    ['the Docker socket itself', { runArgs: ['-v', '/var/run/docker.sock:/var/run/docker.sock'] }, /the engine socket \/var\/run\/docker.sock .*full control of the container engine/],
    ['a bind mount of /etc', { mounts: ['type=bind,source=/etc,target=/e,readonly'] }, /of \/etc \(read-only\) at \/e/],
    ['a bind mount of /root', { runArgs: ['--mount', 'type=bind,src=/root,dst=/r'] }, /of \/root at \/r/],
    ['--device', { runArgs: ['--device', '/dev/fuse'] }, /it gets this machine's device \/dev\/fuse/],
    ['--pid=host', { runArgs: ['--pid=host'] }, /shares this machine's pid namespace/],
    ['capAdd SYS_ADMIN', { capAdd: ['SYS_ADMIN'] }, /the kernel capability SYS_ADMIN/],
    ['securityOpt seccomp=unconfined', { securityOpt: ['seccomp=unconfined'] }, /the seccomp filter is off/],
    ['a volume whose driver options bind /', { mounts: ['type=volume,source=hb-trust-bind,target=/v,volume-opt=o=bind,volume-opt=type=none,volume-opt=device=/'] }, /the volume hb-trust-bind binds \/ from this machine/],
    ['--volumes-from', { runArgs: ['--volumes-from', 'some-container'] }, /every volume of the container some-container/],
    ['--env-file outside the folder', { runArgs: ['--env-file', '/etc/os-release'] }, /copies \/(usr\/lib|etc)\/os-release from this machine into the container/],
    ['--label-file outside the folder', { runArgs: ['--label-file', '/etc/hostname'] }, /copies \/etc\/hostname from this machine into the container/],
    ['--device-cgroup-rule', { runArgs: ['--device-cgroup-rule', 'c 1:3 mr'] }, /devices matching the cgroup rule "c 1:3 mr"/],
    ['--ipc=host', { runArgs: ['--ipc=host'] }, /shares this machine's ipc namespace/],
    ['--network=container:other', { runArgs: ['--network=container:other'] }, /joins the network namespace of another container/],
    ['securityOpt apparmor=unconfined', { securityOpt: ['apparmor=unconfined'] }, /AppArmor confinement is off/],
    ['securityOpt systempaths=unconfined', { securityOpt: ['systempaths=unconfined'] }, /\/proc and \/sys paths are not masked/],
    ["overrideCommand false: the image's own command", { overrideCommand: false }, /the image's own command runs/],
  ] as const) {
    it(`${name}: refused`, async () => {
      await assertRefused(workspace('trust-host', { image: busyboxImage(), ...config }), finding);
    });
  }

  it('a local Feature with an entrypoint: the Feature build and its entrypoint are findings; refused before the build', async () => {
    const folder = workspace('trust-feature', { image: busyboxImage(), features: { './feat': {} } }, {
      '.devcontainer/feat/devcontainer-feature.json': JSON.stringify({ id: 'feat', version: '1.0.0', entrypoint: '/usr/local/share/feat-entry.sh' }),
      '.devcontainer/feat/install.sh': '#!/bin/sh\necho installed\n',
    });
    const err = await assertRefused(folder, /an entrypoint from image metadata or a Feature runs in the container: \/usr\/local\/share\/feat-entry\.sh/);
    assert.match(err, /it installs the Feature \.\/feat \(its install\.sh runs in an image build\)/);
    assert.doesNotMatch(err, /Building|installed/, 'the Feature was built before the answer');
  });

  it('a bind mount from the git root the default workspace mount uses needs no trust; a sibling of the repository does', async () => {
    const root = workspace('trust-gitroot', { image: busyboxImage() }, {
      'lib/a.txt': 'x',
      'app/.devcontainer/devcontainer.json': JSON.stringify({ image: busyboxImage(), mounts: ['type=bind,source=${localWorkspaceFolder}/../lib,target=/lib2'] }),
    });
    mkdirSync(path.join(root, '.git', 'objects'), { recursive: true });
    mkdirSync(path.join(root, '.git', 'refs'), { recursive: true });
    writeFileSync(path.join(root, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    const app = path.join(root, 'app');
    const r = upUntrusted(app);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(path.join(r.configDir, 'trust.json')), false, 'nothing to trust, nothing recorded');
    writeConfig(app, { image: busyboxImage(), mounts: ['type=bind,source=${localWorkspaceFolder}/../..,target=/up'] });
    const refused = upUntrusted(app);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, new RegExp(`a bind mount of .*${path.basename(TEST_ROOT)}\\)? at /up: outside the workspace folder`));
  });

  it("hb seccomp record runs the folder's workload only when trusted for it: refused without --trust, the workload never runs", async () => {
    const folder = workspace('trust-seccomp', { image: busyboxImage() });
    const made = hb(['up', folder, '--trust']);
    assert.equal(made.code, 0, made.stderr);
    const marker = path.join(folder, 'workload-ran');
    const r = hb(['seccomp', 'record', folder, '--', 'touch', `/workspaces/${path.basename(folder)}/workload-ran`], { env: { HB_CONFIG_DIR: mkdtempSync(path.join(TEST_ROOT, 'trust-store-')) } });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /hb seccomp: the workload, recorded or replayed in a copy of the dev container, runs in the container: touch/);
    assert.equal(existsSync(marker), false, 'the workload ran for a folder not trusted for it');
  });

  it('SYS_PTRACE with seccomp=unconfined is one "debugger support" finding', async () => {
    const err = await assertRefused(workspace('trust-debug', { image: busyboxImage(), capAdd: ['SYS_PTRACE'], securityOpt: ['seccomp=unconfined'] }), /debugger support/);
    assert.equal(err.split('\n').filter((l) => l.startsWith('  - ')).length, 1, err);
  });

  it('initializeCommand and postCreateCommand: refused, and the host command never runs', async () => {
    const marker = path.join(share, `init-ran-${process.pid}`);
    const folder = workspace('trust-init', { image: busyboxImage(), initializeCommand: `touch ${marker}`, postCreateCommand: 'true' });
    await assertRefused(folder, /initializeCommand runs on this machine/);
    assert.equal(existsSync(marker), false);
  });

  it('a config that reaches nothing (image, environment, ports) comes up without asking; the image\'s own HEALTHCHECK is turned off', async () => {
    const image = derivedImage('trust-healthcheck', 'HEALTHCHECK --interval=1s CMD touch /workspaces/*/image-health-ran');
    const folder = workspace('trust-plain', { image, containerEnv: { A: 'b' }, remoteEnv: { C: 'd' }, forwardPorts: [3000], appPort: ['127.0.0.1:18931:80'] });
    const r = upUntrusted(folder);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /The image's own health check is off/);
    const [c] = await containersOf(folder);
    assert.deepEqual((await inspect(c.Id)).Config.Healthcheck?.Test, ['NONE']);
    await sleep(2500);
    assert.equal(existsSync(path.join(folder, 'image-health-ran')), false);
    assert.equal(existsSync(path.join(r.configDir, 'trust.json')), false, 'nothing to trust, nothing recorded');
  });

  it('the record is keyed on the findings: a changed mount asks again, listing it as new; the unchanged config does not', async () => {
    const folder = workspace('trust-change', { image: busyboxImage(), mounts: [`type=bind,source=${share},target=/s`] });
    const store = mkdtempSync(path.join(TEST_ROOT, 'trust-store-'));
    const first = hb(['up', folder, '--trust'], { env: { HB_CONFIG_DIR: store } });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(upUntrusted(folder, store).code, 0, 'trusted for the same findings: no question');
    writeConfig(folder, { image: busyboxImage(), mounts: [`type=bind,source=${share},target=/s`, 'type=bind,source=/etc,target=/e'] });
    const r = upUntrusted(folder, store);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /of \/etc at \/e: outside the workspace folder \(new\)/);
    assert.doesNotMatch(r.stderr.split('\n').find((l) => l.includes(share)) ?? '', /\(new\)/);
  });

  it('eight hb up --trust on different folders at once keep eight trust records', async () => {
    const store = mkdtempSync(path.join(TEST_ROOT, 'trust-store-'));
    const folders = Array.from({ length: 8 }, (_, i) => workspace(`trust-many${i}`, { image: busyboxImage(), postCreateCommand: `echo ${i}` }));
    const runs = await Promise.all(folders.map((f) => hbAsync(['up', f, '--trust'], { env: { HB_CONFIG_DIR: store } })));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const records = JSON.parse(readFileSync(path.join(store, 'trust.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(Object.keys(records).length, 8);
    for (const f of folders) assert.ok(Object.keys(records).some((k) => k.startsWith(`${f}\u0000`)), `no record for ${f}`);
  });

  it('Compose: a service\'s env_file outside the workspace folder is a finding (after interpolation); one inside is not; refused, nothing started', async () => {
    const secret = path.join(share, 'secret.env');
    writeFileSync(secret, 'TOKEN=from-the-host\n');
    const project = `trustenvfile${process.pid}`;
    const folder = workspace(
      project,
      { dockerComposeFile: ['docker-compose.yml'], service: 'dev', workspaceFolder: '/workspace', overrideCommand: true },
      {
        '.devcontainer/local.env': 'A=1\n',
        '.devcontainer/docker-compose.yml': [
          "version: '2.4'",
          'services:',
          '  dev:',
          `    image: ${busyboxImage()}`,
          '    env_file:',
          '      - ./local.env',
          '      - ${HB_TEST_SHARE}/secret.env',
          '    volumes:',
          '      - ..:/workspace',
          '',
        ].join('\n'),
      },
    );
    const r = hb(['up', folder], { env: { HB_CONFIG_DIR: mkdtempSync(path.join(TEST_ROOT, 'trust-store-')), HB_TEST_SHARE: share } });
    const err = await assertRefused(folder, new RegExp(`compose service dev: it copies ${secret} from this machine into the container \\(an env file or label file outside the workspace folder\\)`), { ...r, configDir: '' });
    assert.doesNotMatch(err, /local\.env/, 'an env file in the workspace is not a finding');
    assert.equal(docker(['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${project}_devcontainer`]).stdout.trim(), '');
  });

  it('Compose: an env_file outside the folder brought in through extends (another file, then a service there) is a finding too; refused, nothing started', async () => {
    const secret = path.join(share, 'secret-extends.env');
    writeFileSync(secret, 'TOKEN=from-the-host\n');
    const project = `trustextends${process.pid}`;
    const folder = workspace(
      project,
      { dockerComposeFile: ['docker-compose.yml'], service: 'dev', workspaceFolder: '/workspace', overrideCommand: true },
      {
        '.devcontainer/docker-compose.yml': [
          "version: '2.4'",
          'services:',
          '  dev:',
          '    extends:',
          '      file: base/common.yml',
          '      service: app',
          '    volumes:',
          '      - ..:/workspace',
          '',
        ].join('\n'),
        '.devcontainer/base/common.yml': [
          "version: '2.4'",
          'services:',
          '  app:',
          '    extends: secrets',
          `    image: ${busyboxImage()}`,
          '  secrets:',
          `    image: ${busyboxImage()}`,
          '    env_file: ${HB_TEST_SHARE}/secret-extends.env',
          '',
        ].join('\n'),
      },
    );
    const r = hb(['up', folder], { env: { HB_CONFIG_DIR: mkdtempSync(path.join(TEST_ROOT, 'trust-store-')), HB_TEST_SHARE: share } });
    await assertRefused(folder, new RegExp(`compose service dev: it copies ${secret} from this machine into the container`), { ...r, configDir: '' });
    assert.equal(docker(['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${project}_devcontainer`]).stdout.trim(), '');
  });

  it("Compose: the dev service image's own HEALTHCHECK is turned off (healthcheck: disable in the override) for a folder not trusted; the check never runs", async () => {
    const image = derivedImage('trust-compose-healthcheck', 'HEALTHCHECK --interval=1s CMD touch /workspace/image-health-ran');
    const project = `trusthealth${process.pid}`;
    const folder = workspace(
      project,
      { dockerComposeFile: ['docker-compose.yml'], service: 'dev', workspaceFolder: '/workspace', overrideCommand: true },
      { '.devcontainer/docker-compose.yml': ["version: '2.4'", 'services:', '  dev:', `    image: ${image}`, '    volumes:', '      - ..:/workspace', ''].join('\n') },
    );
    try {
      const r = upUntrusted(folder);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /The image's own health check of compose service dev is off \(touch \/workspace\/image-health-ran\)/);
      const [c] = await containersOf(folder);
      assert.deepEqual((await inspect(c.Id)).Config.Healthcheck?.Test, ['NONE']);
      await sleep(2500);
      assert.equal(existsSync(path.join(folder, 'image-health-ran')), false, 'the image health check ran for a folder not trusted');
      // trusted, it stays: the same config with --trust gets the image's check back
      const trusted = hb(['rebuild', folder, '--trust'], { env: { HB_CONFIG_DIR: r.configDir } });
      assert.equal(trusted.code, 0, trusted.stderr);
      const [again] = await containersOf(folder);
      assert.deepEqual((await inspect(again.Id)).Config.Healthcheck?.Test, ['CMD-SHELL', 'touch /workspace/image-health-ran']);
    } finally {
      hb(['down', folder]);
    }
  });

  it('Compose: a runServices service (and what it depends on) is judged like the dev container; refused, nothing started', async () => {
    const marker = path.join(share, `compose-ran-${process.pid}`);
    const folder = workspace(
      `trustcompose${process.pid}`,
      { dockerComposeFile: ['docker-compose.yml'], service: 'dev', runServices: ['web'], workspaceFolder: '/workspace', overrideCommand: true },
      {
        '.devcontainer/docker-compose.yml': [
          "version: '2.4'",
          'services:',
          '  dev:',
          `    image: ${busyboxImage()}`,
          '    volumes:',
          '      - ..:/workspace',
          '  web:',
          `    image: ${busyboxImage()}`,
          '    depends_on: [db]',
          `    command: sh -c "sleep 3600"`,
          '  db:',
          `    image: ${busyboxImage()}`,
          '    privileged: true',
          `    command: sh -c "touch /s/${path.basename(marker)}; sleep 3600"`,
          '    volumes:',
          `      - ${share}:/s`,
          '',
        ].join('\n'),
      },
    );
    const err = await assertRefused(folder, /compose service db: the container runs privileged/);
    assert.match(err, new RegExp(`compose service db: a volume \\(-v\\) of ${share} at /s|compose service db: a bind mount of ${share} at /s`));
    assert.match(err, /compose service web: the image's own command runs: sh -c "?sleep 3600/);
    assert.equal(docker(['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=trustcompose${process.pid}_devcontainer`]).stdout.trim(), '');
    await sleep(500);
    assert.equal(existsSync(marker), false);
  });
});

