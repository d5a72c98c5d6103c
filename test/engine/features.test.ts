// hb up with local Features: options (defaults, upper-cased names), install order (dependsOn,
// installsAfter), what a Feature contributes (env, capAdd, init, mounts, entrypoint, lifecycle
// commands before the config's), the derived image cached by content, and OCI Features refused
// at once with a clear error.
import { strict as assert } from 'node:assert';
import { appendFileSync } from 'node:fs';
import * as path from 'node:path';
import { RuntimeError } from '../../src/engine/runtime/errors';
import { down, status } from '../../src/engine/runtime/ops';
import { busyboxImage } from './images';
import { dockerExec, hbUp, inspect, workspace } from './helpers';

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

  it('refuses an OCI Feature at once: it needs a registry', async () => {
    const folder = workspace('features-oci', { image: busyboxImage(), features: { 'ghcr.io/devcontainers/features/node:1': {} } });
    const t = Date.now();
    await assert.rejects(hbUp(folder), (e: unknown) => {
      assert.ok(e instanceof RuntimeError);
      assert.equal(e.code, 'unsupported');
      assert.match(e.message, /Feature "ghcr\.io\/devcontainers\/features\/node:1" needs a registry \(ghcr\.io\)/);
      return true;
    });
    assert.ok(Date.now() - t < 2000, 'decided without waiting on the network');
  });
});
