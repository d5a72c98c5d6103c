// hb up with local Features: options (defaults, upper-cased names), install order (dependsOn,
// installsAfter), what a Feature contributes (env, capAdd, init, mounts, entrypoint, lifecycle
// commands before the config's), the derived image cached by content; and OCI Features from
// Debian's docker-registry on 127.0.0.1 (published by the test through the OCI push API): a
// dependsOn chain, options checked against the manifest, devcontainer-lock.json written and
// honoured (--frozen-lockfile), image and Compose configs.
import { strict as assert } from 'node:assert';
import { appendFileSync } from 'node:fs';
import * as path from 'node:path';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { RuntimeError } from '../../src/engine/runtime/errors';
import { publishFeature, startRegistry, type TestRegistry } from '../unit/helpers/registry';
import { down, status } from '../../src/engine/runtime/ops';
import { busyboxImage } from './images';
import { dockerExec, hb, hbUp, inspect, reference, workspace } from './helpers';

const feature = (manifest: object, install: string) => ({
  manifest: JSON.stringify(manifest, null, 2),
  install: `#!/bin/sh\nset -e\n${install}\n`,
});

describe('engine: up with local Features', () => {
  it('installs them in order with their options, and applies what they contribute', async () => {
    const hello = feature(
      {
        id: 'hello',
        version: '1.0.0',
        options: { greeting: { type: 'string', default: 'hello' }, 'with-dash': { type: 'string', default: 'dashed' }, loud: { type: 'boolean', default: false } },
        dependsOn: { './base': {} },
        containerEnv: { HELLO_HOME: '/opt/hello' },
        capAdd: ['SYS_PTRACE'],
        init: true,
        mounts: [{ type: 'tmpfs', target: '/hello-tmp' }],
        entrypoint: '/usr/local/bin/hello-entry.sh',
        postCreateCommand: 'echo feature-hello >> /tmp/hooks.txt',
      },
      [
        'echo hello >> /etc/hb-order',
        'echo "$GREETING|$WITH_DASH|$LOUD|$_REMOTE_USER|$_REMOTE_USER_HOME|$BASE_DIR" > /etc/hello.txt',
        'mkdir -p /usr/local/bin',
        "printf '#!/bin/sh\\ntouch /tmp/entry-ran\\n' > /usr/local/bin/hello-entry.sh",
        'chmod +x /usr/local/bin/hello-entry.sh',
      ].join('\n'),
    );
    const base = feature({ id: 'base', version: '1.0.0', containerEnv: { BASE_DIR: '/opt/base' } }, 'echo base >> /etc/hb-order');
    const extra = feature({ id: 'extra', version: '1.0.0', installsAfter: ['hello'], securityOpt: ['seccomp=unconfined'] }, 'echo extra >> /etc/hb-order');
    const folder = workspace(
      'features',
      {
        image: busyboxImage(),
        features: { './hello': { greeting: 'hi there', loud: true }, './extra': {}, './base': {} },
        postCreateCommand: 'echo config >> /tmp/hooks.txt',
      },
      {
        '.devcontainer/hello/devcontainer-feature.json': hello.manifest,
        '.devcontainer/hello/install.sh': hello.install,
        '.devcontainer/base/devcontainer-feature.json': base.manifest,
        '.devcontainer/base/install.sh': base.install,
        '.devcontainer/extra/devcontainer-feature.json': extra.manifest,
        '.devcontainer/extra/install.sh': extra.install,
      },
    );
    const { result, log } = await hbUp(folder);
    assert.equal(result.state, 'running');
    const id = result.containerId!;
    // dependsOn puts base before hello; installsAfter puts extra after hello
    assert.equal(dockerExec(id, 'cat /etc/hb-order'), 'base\nhello\nextra\n');
    // options: the config's, else the defaults, with upper-cased names; earlier Features' env is set
    assert.equal(dockerExec(id, 'cat /etc/hello.txt').trim(), 'hi there|dashed|true|root|/root|/opt/base');
    const info = await inspect(id);
    assert.ok(info.Config.Env.includes('HELLO_HOME=/opt/hello'));
    assert.ok(info.Config.Env.includes('BASE_DIR=/opt/base'));
    assert.ok(info.HostConfig.CapAdd?.includes('SYS_PTRACE'));
    assert.ok(info.HostConfig.SecurityOpt?.includes('seccomp=unconfined'));
    assert.equal(info.HostConfig.Init, true);
    assert.ok(info.HostConfig.Mounts?.some((m) => m.Target === '/hello-tmp' && m.Type === 'tmpfs'));
    // the Feature's entrypoint ran; its postCreateCommand ran before the config's
    assert.equal(dockerExec(id, 'test -f /tmp/entry-ran && echo yes').trim(), 'yes');
    assert.equal(dockerExec(id, 'cat /tmp/hooks.txt'), 'feature-hello\nconfig\n');
    assert.match(log.text, /Installing Features \.\/base, \.\/hello, \.\/extra/);

    // a second container from the same Features reuses the derived image
    await down({ folder, env: process.env });
    const again = await hbUp(folder);
    assert.match(again.log.text, /already installed in image hb-features-/);
    assert.ok(!again.result.timings.some((t) => t.step === 'build'));

    // a change to a Feature's files makes the container stale
    appendFileSync(path.join(folder, '.devcontainer', 'hello', 'install.sh'), '# changed\n');
    const s = await status({ folder, env: process.env });
    assert.equal(s.state, 'stale');
    assert.ok(s.drift.changed.includes('Feature ./hello'), s.drift.changed.join(', '));
  });

  it('names the Feature whose install.sh fails', async () => {
    const folder = workspace(
      'features-fail',
      { image: busyboxImage(), features: { './broken': {} } },
      {
        '.devcontainer/broken/devcontainer-feature.json': JSON.stringify({ id: 'broken', version: '1.0.0' }),
        '.devcontainer/broken/install.sh': '#!/bin/sh\necho about to fail\nexit 7\n',
      },
    );
    await assert.rejects(hbUp(folder), (e: unknown) => {
      assert.ok(e instanceof RuntimeError);
      assert.equal(e.code, 'build-failed');
      assert.match(e.message, /Installing Feature "\.\/broken" failed/);
      assert.match(e.message, /about to fail/);
      return true;
    });
  });
});

describe('engine: up with OCI Features from a registry', () => {
  let reg: TestRegistry;
  let greetRef: string;
  let baseRef: string;
  let base: { manifestDigest: string };
  let greet: { manifestDigest: string };
  let greetManifest: Parameters<typeof publishFeature>[2];
  before(async () => {
    reg = await startRegistry();
    baseRef = `${reg.host}/hb/features/base:1`;
    greetRef = `${reg.host}/hb/features/greet:1`;
    base = await publishFeature(reg, 'hb/features/base', { id: 'base', version: '1.0.4', containerEnv: { BASE_DIR: '/opt/base' } }, '#!/bin/sh\nset -e\necho base >> /etc/hb-order\n');
    greetManifest = {
        id: 'greet',
        version: '1.2.0',
        options: { greeting: { type: 'string', default: 'hello' }, loud: { type: 'boolean', default: false }, flavour: { type: 'string', enum: ['plain', 'fancy'], default: 'plain' } },
        dependsOn: { [baseRef]: {} },
        containerEnv: { GREET_HOME: '/opt/greet' },
        capAdd: ['SYS_PTRACE'],
        postCreateCommand: 'echo feature-greet >> /tmp/hooks.txt',
      };
    greet = await publishFeature(
      reg,
      'hb/features/greet',
      greetManifest,
      '#!/bin/sh\nset -e\necho greet >> /etc/hb-order\necho "$GREETING|$LOUD|$FLAVOUR|$BASE_DIR" > /etc/greet.txt\n',
    );
  });
  after(async () => {
    await reg?.stop();
  });

  it('installs a Feature and its dependsOn from the registry, writes the lockfile, and honours it', async () => {
    const folder = workspace('features-oci', { image: busyboxImage(), features: { [greetRef]: { greeting: 'hi there', loud: true } }, postCreateCommand: 'echo config >> /tmp/hooks.txt' });
    const { result, log } = await hbUp(folder);
    const id = result.containerId!;
    assert.equal(dockerExec(id, 'cat /etc/hb-order'), 'base\ngreet\n');
    assert.equal(dockerExec(id, 'cat /etc/greet.txt').trim(), 'hi there|true|plain|/opt/base');
    const info = await inspect(id);
    assert.ok(info.Config.Env.includes('GREET_HOME=/opt/greet'));
    assert.ok(info.HostConfig.CapAdd?.includes('SYS_PTRACE'));
    assert.equal(dockerExec(id, 'cat /tmp/hooks.txt'), 'feature-greet\nconfig\n');
    assert.match(log.text, /Downloading Feature .*greet:1/);
    // the lockfile, as the reference writes it: sorted, version, resolved digest, integrity, dependsOn
    const lockFile = path.join(folder, '.devcontainer', 'devcontainer-lock.json');
    assert.deepEqual(JSON.parse(readFileSync(lockFile, 'utf8')), {
      features: {
        [baseRef]: { version: '1.0.4', resolved: `${reg.host}/hb/features/base@${base.manifestDigest}`, integrity: base.manifestDigest },
        [greetRef]: { version: '1.2.0', resolved: `${reg.host}/hb/features/greet@${greet.manifestDigest}`, integrity: greet.manifestDigest, dependsOn: [baseRef] },
      },
    });

    // a newer release moves tag 1; the lockfile keeps the team on 1.2.0, with nothing downloaded
    await publishFeature(reg, 'hb/features/greet', { ...greetManifest, version: '1.3.0' }, '#!/bin/sh\necho new > /etc/greet.txt\n');
    await down({ folder, env: process.env });
    const again = await hbUp(folder, { frozenLockfile: true });
    assert.match(again.log.text, /already installed in image hb-features-/);
    assert.doesNotMatch(again.log.text, /Downloading Feature/);
    assert.equal(dockerExec(again.result.containerId!, 'cat /etc/greet.txt').trim(), 'hi there|true|plain|/opt/base');

    // --frozen-lockfile without a lockfile: refused, and none written
    await down({ folder, env: process.env });
    rmSync(lockFile);
    await assert.rejects(hbUp(folder, { frozenLockfile: true }), /--frozen-lockfile: .*devcontainer-lock\.json does not exist/);
    assert.ok(!existsSync(lockFile));
  });

  it('a wrong option name or value is a config problem at its line, with did-you-mean', async () => {
    const text = `{\n  "image": "${busyboxImage()}",\n  "features": {\n    "${greetRef}": {\n      "greting": "x"\n    }\n  }\n}\n`;
    const folder = workspace('features-oci-option', text);
    await assert.rejects(hbUp(folder), (e: unknown) => {
      assert.ok(e instanceof RuntimeError);
      assert.equal(e.code, 'config');
      assert.match(e.message, /has no option "greting" \(devcontainer\.json line 5\)\. Did you mean "greeting"\?/);
      return true;
    });
    const folder2 = workspace('features-oci-enum', { image: busyboxImage(), features: { [greetRef]: { flavour: 'fancie', loud: 'very' } } });
    await assert.rejects(hbUp(folder2), /option "flavour" .*is "fancie", which is not one of "plain", "fancy"\. Did you mean "fancy"\?/);
  });

  it('a Feature the registry does not have: 404 naming the tags that exist', async () => {
    const folder = workspace('features-oci-404', { image: busyboxImage(), features: { [`${reg.host}/hb/features/greet:7`]: {} } });
    await assert.rejects(hbUp(folder), (e: unknown) => {
      assert.ok(e instanceof RuntimeError);
      assert.equal(e.code, 'not-found');
      assert.match(e.message, /no tag "7" for hb\/features\/greet \(HTTP 404\)\. Tags that exist: .*1\.2\.0/);
      return true;
    });
  });

  it('hb features outdated lists newer versions; hb features upgrade moves the lockfile to them', async () => {
    for (const v of ['1.0.0', '2.0.0']) await publishFeature(reg, 'hb/features/ver', { id: 'ver', version: v }, 'true\n', [v, v.split('.')[0]]);
    const ref = `${reg.host}/hb/features/ver:1`;
    const folder = workspace('features-oci-outdated', { image: busyboxImage(), features: { [ref]: {} } });
    const lockFile = path.join(folder, '.devcontainer', 'devcontainer-lock.json');
    const first = hb(['features', 'upgrade', folder]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(JSON.parse(readFileSync(lockFile, 'utf8')).features[ref].version, '1.0.0');
    await publishFeature(reg, 'hb/features/ver', { id: 'ver', version: '1.1.0' }, 'true\n', ['1.1.0', '1']);
    const out = hb(['features', 'outdated', folder, '--json']);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(JSON.parse(out.stdout).features, [{ feature: ref, current: '1.0.0', wanted: '1.1.0', latest: '2.0.0' }]);
    const table = hb(['features', 'outdated', folder]);
    assert.match(table.stdout, /FEATURE\s+CURRENT\s+WANTED\s+LATEST\n.*ver:1\s+1\.0\.0\s+1\.1\.0\s+2\.0\.0/);
    const up = hb(['features', 'upgrade', folder]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stderr, /ver:1: 1\.0\.0 -> 1\.1\.0/);
    assert.equal(JSON.parse(readFileSync(lockFile, 'utf8')).features[ref].version, '1.1.0');
  });

  it('a Compose config installs an OCI Feature in an image derived from the service\'s', async () => {
    const folder = workspace(
      `features-oci-compose${process.pid}`,
      { dockerComposeFile: 'docker-compose.yml', service: 'dev', workspaceFolder: '/workspace', features: { [`${reg.host}/hb/features/greet:1.2`]: { greeting: 'from compose' } } },
      {
        '.devcontainer/docker-compose.yml': ["version: '2.4'", 'services:', '  dev:', `    image: ${busyboxImage()}`, '    volumes:', '      - ..:/workspace', '    command: ["/bin/sh", "-c", "trap \'exit 0\' TERM; while sleep 1; do :; done"]', ''].join('\n'),
      },
    );
    try {
      const { result } = await hbUp(folder);
      const id = result.containerId!;
      const info = await inspect(id);
      assert.match(info.Config.Image, /^hb-features-/);
      assert.equal(dockerExec(id, 'cat /etc/hb-order'), 'base\ngreet\n');
      assert.equal(dockerExec(id, 'cat /etc/greet.txt'), 'from compose|false|plain|/opt/base\n');
      assert.ok(info.Config.Env.includes('GREET_HOME=/opt/greet'));
      assert.ok(existsSync(path.join(folder, '.devcontainer', 'devcontainer-lock.json')));
    } finally {
      await down({ folder, env: process.env, volumes: true }).catch(() => undefined);
    }
  });

  it('writes the same devcontainer-lock.json as the reference CLI for the same config and registry', async () => {
    const config = { image: busyboxImage(), features: { [`${reg.host}/hb/features/greet:1.2`]: { greeting: 'x' } } };
    const ours = workspace('features-oci-lock-hb', config);
    const theirs = workspace('features-oci-lock-ref', config);
    const r = reference(['upgrade', '--workspace-folder', theirs]);
    assert.equal(r.code, 0, r.stderr || r.stdout);
    const h = hb(['features', 'upgrade', ours]);
    assert.equal(h.code, 0, h.stderr);
    const lock = (f: string) => readFileSync(path.join(f, '.devcontainer', 'devcontainer-lock.json'), 'utf8');
    assert.equal(lock(ours), lock(theirs));
    assert.match(lock(ours), /"dependsOn": \[/);
  });
});
