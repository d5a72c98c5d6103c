// Container contributions applied to a create request (what image and Compose containers both get),
// and the seccomp profile check behind customizations.hyperbox.seccomp.profile.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyContribution, applyContributions, type ContainerContributor } from '../../../src/engine/live/contributions';
import { readSeccompProfile, seccompContributor, seccompProblem } from '../../../src/engine/live/seccomp';
import { RuntimeError } from '../../../src/engine/runtime/errors';
import type { Reporter } from '../../../src/engine/runtime/report';

function reporter(): Reporter & { lines: string[] } {
  const lines: string[] = [];
  return { lines, step: () => undefined, output: () => undefined, info: (m) => void lines.push(m), warn: (m) => void lines.push(`warning: ${m}`) };
}

describe('live: container contributions', () => {
  it('adds env (over the config’s value), labels, mounts, capabilities, devices and the runtime', () => {
    const body = { Env: ['A=config', 'B=1'], Labels: { keep: 'x' }, HostConfig: { Mounts: [{ Type: 'bind' as const, Source: '/w', Target: '/workspace' }], CapAdd: ['NET_ADMIN'] } };
    applyContribution(
      body,
      {
        env: { A: 'capability', C: '3' },
        labels: { added: 'y' },
        mounts: [{ Type: 'volume', Source: 'v', Target: '/cache' }],
        capAdd: ['SYS_PTRACE', 'NET_ADMIN'],
        devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }],
        runtime: 'crun',
      },
      'test',
    );
    assert.deepEqual(body.Env, ['B=1', 'A=capability', 'C=3']);
    assert.deepEqual(body.Labels, { keep: 'x', added: 'y' });
    const host = body.HostConfig as Record<string, unknown>;
    assert.deepEqual((host.Mounts as { Target: string }[]).map((m) => m.Target), ['/workspace', '/cache']);
    assert.deepEqual(host.CapAdd, ['NET_ADMIN', 'SYS_PTRACE']);
    assert.deepEqual(host.Devices, [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }]);
    assert.equal(host.Runtime, 'crun');
  });

  it('a seccomp option replaces the one already asked for, says so, and keeps the others', () => {
    const report = reporter();
    const body = { HostConfig: { SecurityOpt: ['seccomp=unconfined', 'no-new-privileges', 'label=disable'] } };
    const r = applyContribution(body, { securityOpt: ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'] }, 'customizations.hyperbox.seccomp.profile', report);
    assert.deepEqual(body.HostConfig.SecurityOpt, ['no-new-privileges', 'label=disable', 'seccomp={"defaultAction":"SCMP_ACT_ALLOW"}']);
    assert.deepEqual(r.replaced, ['seccomp=unconfined']);
    assert.match(report.lines.join('\n'), /customizations\.hyperbox\.seccomp\.profile replaces the seccomp option already asked for \(runArgs or securityOpt: "seccomp=unconfined"\)/);
  });

  it('refuses a mount over one the config has, and a runtime other than the chosen one, naming the capability', () => {
    const body = { HostConfig: { Mounts: [{ Type: 'bind' as const, Source: '/w', Target: '/workspace' }], Runtime: 'runc' } };
    assert.throws(() => applyContribution(body, { mounts: [{ Type: 'tmpfs', Target: '/workspace' }] }, 'hot reload'), (e: unknown) => e instanceof RuntimeError && /hot reload mounts tmpfs at \/workspace/.test(e.message));
    assert.throws(() => applyContribution(body, { runtime: 'runsc' }, 'sandbox'), (e: unknown) => e instanceof RuntimeError && /sandbox needs the OCI runtime "runsc", but "runc" was chosen/.test(e.message));
  });

  it('asks each contributor in order; an error of one stops the up (a contribution is never silently dropped)', async () => {
    const order: string[] = [];
    const mk = (name: string, env?: Record<string, string>, fail?: boolean): ContainerContributor => ({
      name,
      contribute: () => {
        order.push(name);
        if (fail) throw new RuntimeError('config', `${name} is broken`);
        return env ? { env } : undefined;
      },
    });
    const body: { Env?: string[] } = {};
    const ctx = { resolved: { config: {}, configFile: '/w/.devcontainer/devcontainer.json', workspaceFolder: '/w' } as never, env: {}, report: reporter() };
    assert.deepEqual(await applyContributions(body, ctx, [mk('one', { X: '1' }), mk('none'), mk('two', { X: '2' })]), ['one', 'two']);
    assert.deepEqual(body.Env, ['X=2']);
    await assert.rejects(applyContributions({}, ctx, [mk('bad', undefined, true), mk('after')]), /bad is broken/);
    assert.deepEqual(order.slice(-1), ['bad']);
  });
});

describe('live: seccomp profiles', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hb-seccomp-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts a profile with defaultAction, architectures and syscalls (names or the older name)', () => {
    assert.equal(
      seccompProblem({
        defaultAction: 'SCMP_ACT_ERRNO',
        defaultErrnoRet: 1,
        architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
        archMap: [{ architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] }],
        syscalls: [
          { names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' },
          { name: 'personality', action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
        ],
      }),
      undefined,
    );
  });

  it('names what is wrong', () => {
    const cases: [unknown, RegExp][] = [
      [[], /not a JSON object/],
      [{ syscalls: [] }, /no "defaultAction"/],
      [{ defaultAction: 'allow' }, /"defaultAction" is "allow", not one of SCMP_ACT_KILL/],
      [{ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['x86_64'] }, /architectures\[0\] is "x86_64", not an architecture/],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: {} }, /"syscalls" must be a list/],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ action: 'SCMP_ACT_ERRNO' }] }, /syscalls\[0\] has no "names"/],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['chroot'] }] }, /syscalls\[0\] has no "action"/],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['chroot'], action: 'deny' }] }, /syscalls\[0\]\.action is "deny"/],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['Chroot!'], action: 'SCMP_ACT_ERRNO' }] }, /syscalls\[0\]\.names\[0\] is "Chroot!", not a system call name/],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'EQ' }] }] }, /args\[0\]\.op is "EQ"/],
    ];
    for (const [doc, message] of cases) assert.match(seccompProblem(doc) ?? 'accepted', message, JSON.stringify(doc));
  });

  it('reads the file relative to devcontainer.json, sends it as one compact seccomp= option and labels the container with the file', async () => {
    writeFileSync(path.join(dir, 'profile.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW' }, null, 2));
    const report = reporter();
    const c = await seccompContributor.contribute({
      resolved: { config: { customizations: { hyperbox: { seccomp: { profile: 'profile.json' } } } }, configFile: path.join(dir, 'devcontainer.json'), workspaceFolder: dir } as never,
      env: {},
      report,
    });
    // the label names the file for hb status and the editor (the option holds only the JSON)
    assert.deepEqual(c, { securityOpt: ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'], labels: { 'hyperbox.seccomp.profile': 'profile.json' } });
    assert.match(report.lines[0], /Running the container with the seccomp profile profile\.json/);
    const none = await seccompContributor.contribute({ resolved: { config: {}, configFile: path.join(dir, 'devcontainer.json'), workspaceFolder: dir } as never, env: {}, report });
    assert.equal(none, undefined);
  });

  it('a missing or invalid file is an error naming it', async () => {
    await assert.rejects(readSeccompProfile(path.join(dir, 'nope.json'), 'the setting'), /the setting names .*nope\.json, which does not exist/);
    writeFileSync(path.join(dir, 'bad.json'), '{"defaultAction": "SCMP_ACT_ALLOW",');
    await assert.rejects(readSeccompProfile(path.join(dir, 'bad.json'), 'the setting'), /the setting: .*bad\.json is not valid JSON/);
  });
});
