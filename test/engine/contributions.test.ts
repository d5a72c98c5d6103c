// Container contributions reach image containers and Compose services alike: the same config
// (customizations.hyperbox.seccomp.profile, plus a capability adding env, a mount, a label and a
// Linux capability) brought up once from an image and once as a Compose service, and the two
// inspected containers compared. The seccomp profile really applies (chroot is denied in both),
// replaces securityOpt "seccomp=unconfined", and a profile that is missing or wrong stops up.
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ContainerInspectInfo } from 'dockerode';
import { CONTRIBUTORS, type ContainerContributor } from '../../src/engine/live/contributions';
import { RuntimeError } from '../../src/engine/runtime/errors';
import { down } from '../../src/engine/runtime/ops';
import { busyboxImage, docker } from './images';
import { hbUp, inspect, workspace } from './helpers';

/** Allows everything except chroot (which root in a default container may call). */
const PROFILE = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['chroot'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] };

function testContributor(folder: string): ContainerContributor {
  return {
    name: 'test capability',
    contribute: () => ({
      env: { HB_CONTRIBUTED: 'yes $HOME stays literal' },
      mounts: [{ Type: 'bind', Source: path.join(folder, 'shared'), Target: '/contributed' }],
      labels: { 'hyperbox.test.contributed': 'yes' },
      capAdd: ['SYS_PTRACE'],
    }),
  };
}

/** What a contribution can change, as the engine reports it for a container. */
function contributed(info: ContainerInspectInfo) {
  const seccomp = (info.HostConfig.SecurityOpt ?? []).filter((o: string) => o.startsWith('seccomp'));
  return {
    env: info.Config.Env.filter((e) => e.startsWith('HB_CONTRIBUTED=')),
    mount: info.Mounts.filter((m) => m.Destination === '/contributed').map((m) => ({ type: m.Type, source: m.Source, rw: m.RW })),
    label: info.Config.Labels['hyperbox.test.contributed'],
    capAdd: (info.HostConfig.CapAdd ?? []).filter((c: string) => /SYS_PTRACE/.test(c)).map((c: string) => c.replace(/^CAP_/, '')),
    // compose re-serializes the profile it reads; the profile itself must be the same
    seccomp: seccomp.map((o: string) => {
      const value = o.slice('seccomp='.length);
      return value.startsWith('{') ? JSON.parse(value) : value;
    }),
  };
}

function sharedWorkspace(name: string, config: object): string {
  const folder = workspace(name, config, {
    '.devcontainer/seccomp.json': JSON.stringify(PROFILE, null, 2),
    'shared/hello.txt': 'from the host\n',
    '.devcontainer/docker-compose.yml': ['services:', '  dev:', `    image: ${busyboxImage()}`, ''].join('\n'),
  });
  mkdirSync(path.join(folder, 'shared'), { recursive: true });
  return folder;
}

describe('engine: container contributions (image and Compose alike)', () => {
  const common = {
    overrideCommand: true,
    securityOpt: ['seccomp=unconfined'],
    customizations: { hyperbox: { seccomp: { profile: 'seccomp.json' } } },
  };
  let composeFolder: string | undefined;
  after(async () => {
    if (composeFolder) await down({ folder: composeFolder, env: process.env }).catch(() => undefined);
  });

  it('an image container and a Compose service get the same seccomp profile, env, mount, label and capability', async () => {
    const imageFolder = sharedWorkspace('contrib-image', { image: busyboxImage(), ...common });
    composeFolder = sharedWorkspace('contrib-compose', { dockerComposeFile: 'docker-compose.yml', service: 'dev', workspaceFolder: '/', ...common });
    const fromImage = await hbUp(imageFolder, { contributors: [...CONTRIBUTORS, testContributor(imageFolder)] });
    const fromCompose = await hbUp(composeFolder, { contributors: [...CONTRIBUTORS, testContributor(composeFolder)] });
    for (const [what, r] of [
      ['image', fromImage],
      ['compose', fromCompose],
    ] as const) {
      assert.match(r.log.text, /Running the container with the seccomp profile \.devcontainer\/seccomp\.json/, what);
      assert.match(r.log.text, /customizations\.hyperbox\.seccomp\.profile replaces the seccomp option already asked for \(runArgs or securityOpt: "seccomp=unconfined"\)/, what);
    }
    const a = contributed(await inspect(fromImage.result.containerId!));
    const b = contributed(await inspect(fromCompose.result.containerId!));
    assert.deepEqual(a.seccomp, [PROFILE], 'the image container runs with the profile, and without seccomp=unconfined');
    assert.deepEqual(b.seccomp, a.seccomp, 'the Compose service has the same profile');
    assert.deepEqual(a.env, ['HB_CONTRIBUTED=yes $HOME stays literal']);
    assert.deepEqual(b.env, a.env);
    assert.deepEqual(a.label, 'yes');
    assert.deepEqual(b.label, a.label);
    assert.deepEqual(a.capAdd, ['SYS_PTRACE']);
    assert.deepEqual(b.capAdd, a.capAdd);
    assert.deepEqual(a.mount, [{ type: 'bind', source: path.join(imageFolder, 'shared'), rw: true }]);
    assert.deepEqual(b.mount, [{ type: 'bind', source: path.join(composeFolder, 'shared'), rw: true }]);
    // the profile is enforced in both: chroot is denied, everything else works
    for (const id of [fromImage.result.containerId!, fromCompose.result.containerId!]) {
      const denied = docker(['exec', id, 'chroot', '/', 'true'], { allowFail: true });
      assert.notEqual(denied.code, 0, `chroot is denied in ${id.slice(0, 12)}`);
      assert.match(denied.stderr + denied.stdout, /Operation not permitted/);
      assert.equal(docker(['exec', id, 'cat', '/contributed/hello.txt']).stdout, 'from the host\n');
    }
  });

  it('a profile that is missing, not JSON or not a seccomp profile stops up, naming the file and the problem', async () => {
    const cases: [string, string | undefined, RegExp][] = [
      ['missing', undefined, /seccomp\.json, which does not exist\. Fix the path/],
      ['not JSON', '{ "defaultAction": ', /seccomp\.json is not valid JSON/],
      ['not a profile', JSON.stringify({ defaultAction: 'ALLOW' }), /seccomp\.json is not a valid seccomp profile: "defaultAction" is "ALLOW", not one of SCMP_ACT_KILL/],
    ];
    for (const [what, text, message] of cases) {
      const folder = workspace(`contrib-bad-${what.replace(/ /g, '-')}`, { image: busyboxImage(), customizations: { hyperbox: { seccomp: { profile: 'seccomp.json' } } } });
      if (text !== undefined) writeFileSync(path.join(folder, '.devcontainer', 'seccomp.json'), text);
      await assert.rejects(hbUp(folder), (e: unknown) => {
        assert.ok(e instanceof RuntimeError, what);
        assert.equal(e.code, 'config');
        assert.match(e.message, /customizations\.hyperbox\.seccomp\.profile in .*devcontainer\.json/);
        assert.match(e.message, message, what);
        return true;
      });
      const left = docker(['ps', '-a', '-q', '--filter', `label=devcontainer.local_folder=${folder}`]).stdout.trim();
      assert.equal(left, '', `${what}: no container was made`);
    }
  });
});
