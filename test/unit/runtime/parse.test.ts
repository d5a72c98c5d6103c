// The runtime's pure parts: runArgs, mounts, ports, Dockerfiles, metadata merging, trust, errors.
import { strict as assert } from 'node:assert';
import { engineError } from '../../../src/engine/runtime/engine/docker';
import { buildKitReason, contextSources, globToRegExp, parseDockerfile } from '../../../src/engine/runtime/build/dockerfile';
import { RuntimeError } from '../../../src/engine/runtime/errors';
import { diffInputs } from '../../../src/engine/runtime/build/inputs';
import { canonical } from '../../../src/engine/util/canonical';
import { mergeMetadata } from '../../../src/engine/runtime/build/metadata';
import { mountField, parseBytes, parseMount } from '../../../src/engine/runtime/create/mounts';
import { resolveConfig } from '../../../src/engine/devcontainer/resolve';
import { makeFolder, removeAll } from '../helpers/folders';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { addPort, emptyCreateParts, parseRunArgs } from '../../../src/engine/runtime/create/runArgs';
import { buildFinding, commandFindings, fixedTrust, healthcheckFinding, isTrusted, rememberTrust, requestFindings, TrustGate } from '../../../src/engine/runtime/create/trust';

const opts = { baseDir: '/tmp', env: { HOME_VAR: 'from-host' } };

describe('runtime: runArgs', () => {
  it('maps flags in every spelling to Engine API fields', () => {
    const p = parseRunArgs(
      [
        '--cap-add', 'SYS_PTRACE', '--cap-add=NET_ADMIN', '--security-opt', 'seccomp=unconfined', '--privileged', '--init',
        '-e', 'A=1', '--env=B=2', '-eC=3', '-e', 'HOME_VAR', '-l', 'x=y', '--network', 'host', '--name', 'mine',
        '-p', '127.0.0.1:8080:80', '-p', '9000-9001:9000-9001/udp', '-v', '/a:/b:ro', '--mount', 'type=tmpfs,target=/t',
        '--shm-size', '1g', '--memory=512m', '--cpus', '1.5', '--ulimit', 'nofile=1024:2048', '--add-host', 'h:1.2.3.4',
        '--device', '/dev/fuse', '--gpus', 'all', '-it', '--user', 'dev', '-w', '/w', '--hostname', 'box', '--restart', 'on-failure:3',
        '--sysctl', 'net.ipv4.ip_forward=1', '--tmpfs', '/run:size=64m', '--health-cmd', 'true', '--health-interval', '1m30s',
      ],
      opts,
    );
    assert.deepEqual(p.hostConfig.CapAdd, ['SYS_PTRACE', 'NET_ADMIN']);
    assert.deepEqual(p.hostConfig.SecurityOpt, ['seccomp=unconfined']);
    assert.equal(p.hostConfig.Privileged, true);
    assert.equal(p.hostConfig.Init, true);
    assert.deepEqual(p.env, ['A=1', 'B=2', 'C=3', 'HOME_VAR=from-host']);
    assert.deepEqual(p.labels, { x: 'y' });
    assert.equal(p.hostConfig.NetworkMode, 'host');
    assert.equal(p.name, 'mine');
    assert.deepEqual(p.portBindings['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: '8080' }]);
    assert.deepEqual(p.portBindings['9001/udp'], [{ HostIp: '', HostPort: '9001' }]);
    assert.deepEqual(p.binds, ['/a:/b:ro']);
    assert.deepEqual(p.mounts, [{ Type: 'tmpfs', Target: '/t' }]);
    assert.equal(p.hostConfig.ShmSize, 1024 ** 3);
    assert.equal(p.hostConfig.Memory, 512 * 1024 ** 2);
    assert.equal(p.hostConfig.NanoCpus, 1.5e9);
    assert.deepEqual(p.hostConfig.Ulimits, [{ Name: 'nofile', Soft: 1024, Hard: 2048 }]);
    assert.deepEqual(p.hostConfig.ExtraHosts, ['h:1.2.3.4']);
    assert.deepEqual(p.hostConfig.Devices, [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }]);
    assert.equal((p.hostConfig.DeviceRequests as { Count: number }[])[0].Count, -1);
    assert.equal(p.config.Tty, true);
    assert.equal(p.config.OpenStdin, true);
    assert.equal(p.config.User, 'dev');
    assert.equal(p.config.WorkingDir, '/w');
    assert.equal(p.config.Hostname, 'box');
    assert.deepEqual(p.hostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.deepEqual(p.hostConfig.Sysctls, { 'net.ipv4.ip_forward': '1' });
    assert.deepEqual(p.hostConfig.Tmpfs, { '/run': 'size=64m' });
    assert.deepEqual(p.config.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 90e9 });
    // Go's spellings of microseconds, both of them
    const micro = parseRunArgs(['--health-cmd', 'true', '--health-timeout', '1500\u00b5s', '--health-start-period', '2us'], opts);
    assert.deepEqual(micro.config.Healthcheck, { Test: ['CMD-SHELL', 'true'], Timeout: 1.5e6, StartPeriod: 2e3 });
  });

  it('refuses what it cannot map, naming the flag, and stray values', () => {
    assert.throws(() => parseRunArgs(['--frobnicate'], opts), (e: unknown) => e instanceof RuntimeError && /runArgs: --frobnicate is not a docker run flag/.test(e.message));
    assert.throws(() => parseRunArgs(['--pull', 'always'], opts), /runArgs: --pull cannot be applied: it is a docker client pull policy/);
    assert.throws(() => parseRunArgs(['-x'], opts), /runArgs: -x is not a docker run flag/);
    assert.throws(() => parseRunArgs(['ubuntu'], opts), /"ubuntu" \(item 1\) is not a flag/);
    assert.throws(() => parseRunArgs(['--cap-add'], opts), /--cap-add needs a value/);
    assert.throws(() => parseRunArgs(['--memory', 'lots'], opts), /not a size/);
    assert.throws(() => parseRunArgs('--privileged', opts), /runArgs must be an array of strings/);
  });

  it('publishes appPort-style specs, with ranges and IPv6', () => {
    const p = emptyCreateParts();
    addPort(p, '3000:3000', '127.0.0.1', 'appPort');
    addPort(p, '[::1]:8443:443', '127.0.0.1', 'appPort');
    assert.deepEqual(p.portBindings['3000/tcp'], [{ HostIp: '127.0.0.1', HostPort: '3000' }]);
    assert.deepEqual(p.portBindings['443/tcp'], [{ HostIp: '::1', HostPort: '8443' }]);
    assert.throws(() => addPort(p, '1:2:3:4', '', 'appPort'), /is not a port/);
    assert.throws(() => addPort(p, '10-12:20-21', '', 'appPort'), /is not a port/);
  });
});

describe('runtime: mounts', () => {
  it('reads string and object forms', () => {
    assert.deepEqual(parseMount('source=/a,target=/b,type=bind,consistency=cached,readonly', 'm'), {
      Type: 'bind', Source: '/a', Target: '/b', ReadOnly: true, Consistency: 'cached',
    });
    assert.deepEqual(parseMount({ type: 'volume', source: 'v', target: '/data' }, 'm'), { Type: 'volume', Source: 'v', Target: '/data' });
    assert.deepEqual(parseMount('type=tmpfs,dst=/t,tmpfs-size=64m', 'm'), { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 64 * 1024 ** 2 } });
    assert.throws(() => parseMount('type=bind,target=/b', 'mounts[0]'), /mounts\[0\] is a bind mount without a source/);
    assert.throws(() => parseMount('type=volume,source=v', 'mounts[1]'), /mounts\[1\] has no target/);
    assert.throws(() => parseMount('type=npipe,target=/x', 'm'), /has type "npipe"/);
    assert.throws(() => parseMount('type=bind,source=/a,target=/b,bogus=1', 'm'), /option "bogus"/);
    assert.equal(parseBytes('1.5g', 'x'), 1.5 * 1024 ** 3);
  });
});

describe('runtime: mount strings read as docker run --mount reads them (CSV)', () => {
  after(removeAll);

  it('a quoted field holds commas and doubled quotes; unquoted fields cannot hold a quote', () => {
    assert.deepEqual(parseMount('type=bind,"source=/x/comma,target=/etc",target=/w', 'm'), { Type: 'bind', Source: '/x/comma,target=/etc', Target: '/w' });
    assert.deepEqual(parseMount('type=bind,"source=/x/a""b",target=/w', 'm'), { Type: 'bind', Source: '/x/a"b', Target: '/w' });
    assert.deepEqual(parseMount('type=bind,"source=/x/trailing ",target=/w', 'm'), { Type: 'bind', Source: '/x/trailing ', Target: '/w' });
    assert.throws(() => parseMount('type=bind,"source=/x,target=/w', 'mounts[0]'), /mounts\[0\] has a quote that is not closed/);
    assert.throws(() => parseMount('type=bind,"source=/x"y,target=/w', 'm'), /text after a closing quote/);
    assert.throws(() => parseMount('type=bind,source=/x"y,target=/w', 'm'), /a quote inside a field that does not start with one/);
  });

  it('any folder name round-trips through mountField and parseMount', () => {
    for (const name of ['/x/comma,target=/etc', '/x/a"b', '/x/"q"', '/x/ lead', '/x/trail ', '/x/plain', '/x/a=b', '/x/a,,b', '/x/,', '/x/ü ñ']) {
      const spec = ['type=bind', mountField('source', name), mountField('target', `/workspaces${name}`)].join(',');
      assert.deepEqual(parseMount(spec, 'm'), { Type: 'bind', Source: name, Target: `/workspaces${name}` }, spec);
    }
    assert.equal(mountField('source', '/plain/path'), 'source=/plain/path');
  });

  it('the default workspace mount of a folder named "comma,target=etc" is that folder, at /workspaces/<its name>', async () => {
    const root = makeFolder({ 'comma/': '' });
    const folder = path.join(root, 'comma,target=etc');
    mkdirSync(path.join(folder, '.devcontainer'), { recursive: true });
    writeFileSync(path.join(folder, '.devcontainer', 'devcontainer.json'), '{ "image": "x" }');
    const r = await resolveConfig({ folder, env: {} });
    assert.deepEqual(parseMount(r.workspace!.workspaceMount!, 'workspaceMount'), { Type: 'bind', Source: folder, Target: '/workspaces/comma,target=etc' });
    assert.equal(r.workspace!.containerWorkspaceFolder, '/workspaces/comma,target=etc');
  });
});

describe('runtime: Dockerfiles', () => {
  const df = [
    '# syntax-like comment, not a directive: after this anything goes',
    'FROM base AS build',
    'COPY --chown=1:1 package.json package-lock.json ./',
    'COPY ["src dir/", "/app/src/"]',
    'COPY --from=build /out /out',
    'ADD https://example.invalid/x.tgz /x.tgz',
    'RUN echo a \\',
    '  && echo b',
    'COPY *.txt /docs/',
  ].join('\n');

  it('lists instructions with their lines and the context paths COPY/ADD read', () => {
    const ins = parseDockerfile(df);
    assert.deepEqual(ins.map((i) => [i.keyword, i.line]), [['FROM', 2], ['COPY', 3], ['COPY', 4], ['COPY', 5], ['ADD', 6], ['RUN', 7], ['COPY', 9]]);
    assert.equal(ins[5].args, 'echo a && echo b');
    assert.deepEqual(contextSources(df).map((s) => s.source), ['package.json', 'package-lock.json', 'src dir/', '*.txt']);
  });

  it('says when a Dockerfile needs BuildKit', () => {
    assert.equal(buildKitReason(df), undefined);
    assert.match(buildKitReason('FROM x\nRUN --mount=type=cache,target=/c make\n')!, /RUN --mount \(line 2\)/);
    assert.match(buildKitReason('# syntax=docker/dockerfile:1\nFROM x\n')!, /# syntax=docker\/dockerfile:1/);
    assert.match(buildKitReason('FROM x\nCOPY --chmod=755 a /a\n')!, /COPY --chmod/);
    assert.match(buildKitReason('FROM x\nRUN <<EOF\necho hi\nEOF\n')!, /heredoc/);
  });

  it('matches COPY wildcards like Go filepath.Match', () => {
    assert.ok(globToRegExp('*.txt').test('a.txt'));
    assert.ok(!globToRegExp('*.txt').test('dir/a.txt'));
    assert.ok(globToRegExp('file?.[ch]').test('file1.c'));
    assert.ok(globToRegExp('[!a]*').test('b'));
  });
});

describe('runtime: metadata, inputs, trust, errors', () => {
  it('merges image metadata and the config as the spec says', () => {
    const m = mergeMetadata(
      [
        { remoteUser: 'node', capAdd: ['A'], containerEnv: { X: '1', Y: '1' }, postCreateCommand: 'image-cmd', mounts: ['type=volume,source=a,target=/t'], init: true },
        { capAdd: ['A', 'B'], containerEnv: { Y: '2' }, postCreateCommand: 'config-cmd', mounts: [{ type: 'volume', source: 'b', target: '/t' }], remoteUser: 'dev' },
      ],
      ['image metadata', 'devcontainer.json'],
    );
    assert.equal(m.remoteUser, 'dev');
    assert.deepEqual(m.capAdd, ['A', 'B']);
    assert.deepEqual(m.containerEnv, { X: '1', Y: '2' });
    assert.deepEqual(m.hooks.postCreateCommand.map((h) => h.origin), ['image metadata', 'devcontainer.json']);
    assert.deepEqual(m.mounts, [{ type: 'volume', source: 'b', target: '/t' }]);
    assert.equal(m.init, true);
    assert.equal(m.waitFor, 'updateContentCommand');
    assert.equal(m.userEnvProbe, 'loginInteractiveShell');
  });

  it('hashes inputs canonically and says what changed', () => {
    assert.equal(canonical({ b: 1, a: [1, { d: 2, c: 3 }] }), '{"a":[1,{"c":3,"d":2}],"b":1}');
    assert.deepEqual(diffInputs({ a: '1', b: '2', c: '3' }, { a: '1', b: '9', d: '4' }), ['b', 'd (added)', 'c (removed)']);
  });

  it('needs trust for whatever the parsers turn into a host-reaching field, in every spelling they accept', async () => {
    const scope = { roots: ['/work/ws'], baseDir: '/work/ws' };
    const keys = async (parts: ReturnType<typeof parseRunArgs>) =>
      (await requestFindings({ Healthcheck: parts.config.Healthcheck as never, HostConfig: { ...parts.hostConfig, Mounts: parts.mounts, Binds: parts.binds } }, { ...scope, filesRead: parts.filesRead })).map((f) => f.key);
    // mounts: key case, spaces around keys and values, source/src, string and object forms
    const mountSpellings: (string | Record<string, string>)[] = [];
    for (const type of ['type=bind', 'Type=bind', ' type = bind ', 'TYPE=bind'])
      for (const src of ['source=/', 'Source=/', 'src=/', 'SRC= /', ' source = / '])
        for (const dst of ['target=/host', 'Target=/host', 'dst=/host', 'destination=/host']) mountSpellings.push([type, src, dst].join(','));
    for (const s of ['source', 'Source', 'src', 'SRC']) mountSpellings.push({ type: 'bind', [s]: '/', target: '/host' });
    for (const spec of mountSpellings) {
      const m = parseMount(spec, 'mounts[0]');
      assert.equal(m.Source?.trim(), '/', JSON.stringify(spec));
      const found = (await requestFindings({ HostConfig: { Mounts: [m] } }, scope)).map((f) => f.key);
      assert.deepEqual(found, ['host-path:/:rw:/host'], JSON.stringify(spec));
      // the same through runArgs --mount (string forms)
      if (typeof spec === 'string') assert.deepEqual(await keys(parseRunArgs(['--mount', spec], { baseDir: '/work/ws', env: {} })), ['host-path:/:rw:/host'], spec);
    }
    // runArgs: separate, "=" and attached values, true/1 booleans
    const cases: [string[], string][] = [];
    for (const v of [['-v', '/:/host'], ['-v/:/host'], ['-v=/:/host'], ['--volume', '/:/host'], ['--volume=/:/host']]) cases.push([v, 'host-path:/:rw:/host']);
    for (const v of [['--privileged'], ['--privileged=true'], ['--privileged=1']]) cases.push([v, 'privileged']);
    for (const v of [['--cap-add', 'SYS_ADMIN'], ['--cap-add=sys_admin'], ['--cap-add=CAP_SYS_ADMIN']]) cases.push([v, 'cap:SYS_ADMIN']);
    for (const v of [['--security-opt', 'seccomp=unconfined'], ['--security-opt=seccomp:unconfined']]) cases.push([v, 'security:seccomp-off']);
    for (const v of [['--security-opt', 'label=disable'], ['--security-opt=label:disable']]) cases.push([v, 'security:label:disable']);
    cases.push([['--security-opt', 'apparmor=unconfined'], 'security:apparmor-off'], [['--security-opt=systempaths=unconfined'], 'security:systempaths-off']);
    for (const [flag, field] of [['--pid', 'PidMode'], ['--ipc', 'IpcMode'], ['--uts', 'UTSMode'], ['--network', 'NetworkMode'], ['--net', 'NetworkMode'], ['--cgroupns', 'CgroupnsMode'], ['--userns', 'UsernsMode']]) {
      cases.push([[flag, 'host'], `namespace:${field}:host`], [[`${flag}=host`], `namespace:${field}:host`]);
    }
    cases.push([['--pid=container:other'], 'namespace:PidMode:container:other']);
    for (const v of [['--device', '/dev/fuse'], ['--device=/dev/fuse:/dev/f:rw']]) cases.push([v, 'device:/dev/fuse']);
    cases.push([['--device-cgroup-rule', 'c 1:3 mr'], 'device-cgroup-rule:c 1:3 mr'], [['--volumes-from=other'], 'volumes-from:other']);
    cases.push([['--gpus', 'all'], 'device-request::gpu:-1']);
    const hc = parseRunArgs(['--health-cmd=touch /x'], { baseDir: '/work/ws', env: {} }).config.Healthcheck as { Test: string[] };
    assert.match(healthcheckFinding(hc.Test, 'runArgs')!.text, /health check from runArgs runs in the container: touch \/x/);
    for (const [argv, key] of cases) {
      const found = await keys(parseRunArgs(argv, { baseDir: '/work/ws', env: {} }));
      assert.ok(found.some((k) => k.startsWith(key)), `${argv.join(' ')} gave ${JSON.stringify(found)}, expected ${key}`);
    }
    // and what stays inside the workspace, or reaches nothing, needs none
    for (const argv of [['-v', '/work/ws/sub:/x'], ['--cap-add', 'CHOWN'], ['--network', 'bridge'], ['--privileged=false'], ['-e', 'A=b'], ['-p', '3000:3000']]) {
      assert.deepEqual(await keys(parseRunArgs(argv, { baseDir: '/work/ws', env: {} })), [], argv.join(' '));
    }
  });

  it('shows SYS_PTRACE with seccomp=unconfined as one "debugger support" finding; commands from every source are findings', async () => {
    const found = await requestFindings({ HostConfig: { CapAdd: ['SYS_PTRACE'], SecurityOpt: ['seccomp=unconfined'] } }, { roots: ['/w'], baseDir: '/w' });
    assert.deepEqual(found.map((f) => f.key), ['debugger-support']);
    const cmds = commandFindings({ initializeCommand: 'make', hooks: { onCreateCommand: [], updateContentCommand: [], postCreateCommand: [{ command: 'a', origin: 'image metadata' }], postStartCommand: [], postAttachCommand: [] }, entrypoints: ['/x.sh'] });
    assert.deepEqual(cmds.map((f) => f.key.split(':')[0]), ['initializeCommand', 'command', 'entrypoint']);
    assert.match(cmds[1].text, /postCreateCommand from image metadata runs in the container: a/);
  });

  it('keys a custom seccomp profile on its content: a path and the same JSON inline are one finding, a changed profile is a new one', async () => {
    const profile = JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW' });
    const folder = makeFolder({ 'p.json': profile, 'q.json': JSON.stringify({ defaultAction: 'SCMP_ACT_LOG' }) });
    const key = async (opt: string) => (await requestFindings({ HostConfig: { SecurityOpt: [opt] } }, { roots: [folder], baseDir: folder })).map((f) => f.key);
    const byPath = await key('seccomp=p.json');
    assert.equal(byPath.length, 1);
    assert.match(byPath[0], /^security:seccomp-profile:[0-9a-f]{16}$/);
    assert.deepEqual(await key(`seccomp=${profile}`), byPath, 'the same content inline');
    assert.deepEqual(await key(`seccomp:${path.join(folder, 'p.json')}`), byPath, 'an absolute path, ":" form');
    assert.notDeepEqual(await key('seccomp=q.json'), byPath, 'another content: asks again');
    removeAll();
  });

  it('hb up --trust records exactly the findings: the same again leaves the record as it is, others replace it', async () => {
    const env = { HB_CONFIG_DIR: makeFolder() };
    const store = path.join(env.HB_CONFIG_DIR, 'trust.json');
    const [a, b] = [buildFinding('feature:a', 'it installs a'), buildFinding('feature:b', 'it installs b')];
    await rememberTrust(env, '/w', [a, b], '/w/c.json');
    const first = readFileSync(store, 'utf8');
    const mtime = statSync(store).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    // the same findings (in another order, one twice), as each gate of every up --trust has them: not written
    await rememberTrust(env, '/w', [b, a, b], '/w/c.json');
    assert.equal(readFileSync(store, 'utf8'), first);
    assert.equal(statSync(store).mtimeMs, mtime);
    // fewer findings: the record becomes exactly those, so the one dropped asks again later
    await rememberTrust(env, '/w', [a], '/w/c.json');
    assert.deepEqual(JSON.parse(readFileSync(store, 'utf8'))['/w\u0000/w/c.json'].findings, ['build:feature:a']);
    assert.equal(await isTrusted(env, '/w', [a, b], '/w/c.json'), false);
    assert.equal(await isTrusted(env, '/w', [a], '/w/c.json'), true);
  });

  it('lists a gate\'s findings once each, in the same order on every machine (by code unit, whatever the locale)', async () => {
    const f = (key: string) => ({ key, text: key });
    const gate = new TrustGate(fixedTrust(true), { folder: '/w', configFile: '/w/c.json' });
    await gate.pass([f('socket:/x'), f('cap:SYS_ADMIN'), f('command:postStartCommand:1'), f('cap:NET_ADMIN'), f('command:b:9'), f('command:b:a'), f('command:b:_'), f('cap:SYS_ADMIN')]);
    // (localeCompare would put '_' before '9', and its order depends on the locale)
    assert.deepEqual(
      gate.findings.map((x) => x.key),
      ['cap:NET_ADMIN', 'cap:SYS_ADMIN', 'command:b:9', 'command:b:_', 'command:b:a', 'command:postStartCommand:1', 'socket:/x'],
    );
  });

  it('turns "no engine" into one message with the fix', () => {
    const endpoint = { host: 'unix:///var/run/docker.sock', source: 'default', options: { socketPath: '/var/run/docker.sock' } };
    const err = (code: string) => Object.assign(new Error(`connect ${code}`), { code, syscall: 'connect', address: '/var/run/docker.sock' });
    assert.match((engineError(err('EACCES'), endpoint) as Error).message, /permission denied on \/var\/run\/docker\.sock\. Add your user to the docker group/);
    assert.match((engineError(err('ENOENT'), endpoint) as Error).message, /does not exist: no Docker engine is running there\. Start Docker/);
    assert.match((engineError(err('ECONNREFUSED'), endpoint) as Error).message, /the Docker daemon is not running/);
    const other = new Error('HTTP 500');
    assert.equal(engineError(other, endpoint), other);
  });
});
