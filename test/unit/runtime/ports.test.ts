// Ports and events, the pure parts: port specs, portsAttributes, the ports to forward, /proc/net/tcp,
// `hb ports` arguments, and Docker events turned into ContainerEvent.
import { strict as assert } from 'node:assert';
import { portsArgs } from '../../../src/engine/cli/ports';
import { JsonLines, toContainerEvent } from '../../../src/engine/runtime/live/events';
import { attributesFor, desiredPorts, mergedPortsAttributes, parsePortSpec, parseProcNetTcp } from '../../../src/engine/runtime/live/ports';

describe('runtime: ports', () => {
  it('parses port specs: numbers, strings and service:port', () => {
    assert.deepEqual(parsePortSpec(3000), { port: 3000 });
    assert.deepEqual(parsePortSpec('5173'), { port: 5173 });
    assert.deepEqual(parsePortSpec('db:5432'), { port: 5432, service: 'db' });
    for (const bad of [0, 70000, 1.5, 'x', 'db:', ':80', 'a b:80', null]) assert.equal(parsePortSpec(bad), undefined, String(bad));
  });

  it('finds portsAttributes by port, service:port and range; otherPortsAttributes for the rest', () => {
    const table = { '3000': { label: 'Web', onAutoForward: 'openBrowser' }, 'db:5432': { label: 'Postgres' }, '8000-8010': { label: 'APIs', protocol: 'https' } };
    assert.deepEqual(attributesFor({ port: 3000 }, table), { label: 'Web', onAutoForward: 'openBrowser' });
    assert.deepEqual(attributesFor({ port: 5432, service: 'db' }, table), { label: 'Postgres' });
    assert.deepEqual(attributesFor({ port: 8005 }, table), { label: 'APIs', protocol: 'https' });
    assert.deepEqual(attributesFor({ port: 9999 }, table, { onAutoForward: 'silent' }), { onAutoForward: 'silent' });
    assert.deepEqual(attributesFor({ port: 9999 }, table), {});
    // later entries (the config) win over image metadata, per key
    const merged = mergedPortsAttributes([{ portsAttributes: { '3000': { label: 'image' }, '4000': { label: 'kept' } } }, { portsAttributes: { '3000': { label: 'config' } } }]);
    assert.deepEqual(merged.portsAttributes, { '3000': { label: 'config' }, '4000': { label: 'kept' } });
  });

  it('forwards forwardPorts plus added ports, minus removed ones, each once', () => {
    const d = desiredPorts([3000, '3000', 'db:5432', 'junk', 8080], { added: ['9000', '3000'], removed: ['8080'] });
    assert.deepEqual(
      d.map((x) => [x.spec.service ?? '', x.spec.port, x.source]),
      [
        ['', 3000, 'forwardPorts'],
        ['db', 5432, 'forwardPorts'],
        ['', 9000, 'added'],
      ],
    );
  });

  it('reads listening sockets from /proc/net/tcp and tcp6', () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0',
      '   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 777 1 0000000000000000 100 0 0 10 0',
      '   2: 0100007F:0BB8 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 0 1 0000000000000000 20 4 30 10 -1',
    ].join('\n');
    const s = parseProcNetTcp(tcp);
    assert.deepEqual(s[0], { localPort: 3000, localAddress: '127.0.0.1', state: 0x0a, inode: 4242 });
    assert.deepEqual(s[1], { localPort: 8080, localAddress: '0.0.0.0', state: 0x0a, inode: 777 });
    assert.equal(s[2].state, 1);
    const v6 = parseProcNetTcp('head\n   0: 00000000000000000000000001000000:1435 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99 1 0 100 0 0 10 0\n');
    assert.equal(v6[0].localPort, 5173);
    assert.equal(v6[0].inode, 99);
  });

  it('parses hb ports arguments', () => {
    assert.deepEqual(portsArgs([]), { folder: undefined });
    assert.deepEqual(portsArgs(['ws']), { folder: 'ws' });
    assert.deepEqual(portsArgs(['add', '3000']), { folder: undefined, op: 'add', port: '3000' });
    assert.deepEqual(portsArgs(['ws', 'remove', 'db:5432']), { folder: 'ws', op: 'remove', port: 'db:5432' });
    assert.throws(() => portsArgs(['add']), /needs a PORT/);
    assert.throws(() => portsArgs(['a', 'b']), /unexpected b/);
    assert.throws(() => portsArgs(['ws', 'add', '1', '2']), /unexpected 2/);
  });
});

describe('runtime: container events', () => {
  const attrs = { 'devcontainer.local_folder': '/w', 'devcontainer.config_file': '/w/.devcontainer/devcontainer.json', name: 'hb-w-1' };
  it('turns engine events about dev containers into ContainerEvent', () => {
    const die = toContainerEvent({ Type: 'container', Action: 'die', Actor: { ID: 'abc', Attributes: { ...attrs, exitCode: '137' } }, time: 1700000000, timeNano: 1700000000123000000 });
    assert.deepEqual(die, {
      containerId: 'abc',
      name: 'hb-w-1',
      folder: '/w',
      configFile: '/w/.devcontainer/devcontainer.json',
      action: 'die',
      state: 'stopped',
      exitCode: 137,
      time: new Date(1700000000123).toISOString(),
    });
    assert.equal(toContainerEvent({ Type: 'container', Action: 'start', Actor: { ID: 'abc', Attributes: attrs } })?.state, 'running');
    assert.equal(toContainerEvent({ Type: 'container', Action: 'destroy', Actor: { ID: 'abc', Attributes: attrs } })?.state, 'missing');
    assert.equal(toContainerEvent({ Type: 'container', Action: 'pause', Actor: { ID: 'abc', Attributes: attrs } })?.state, 'paused');
    // not ours, not a state change, not a container
    assert.equal(toContainerEvent({ Type: 'container', Action: 'start', Actor: { ID: 'abc', Attributes: { name: 'x' } } }), undefined);
    assert.equal(toContainerEvent({ Type: 'container', Action: 'exec_start: sh', Actor: { ID: 'abc', Attributes: attrs } }), undefined);
    assert.equal(toContainerEvent({ Type: 'network', Action: 'connect', Actor: { ID: 'abc', Attributes: attrs } }), undefined);
  });

  it('splits a stream of JSON lines cut anywhere', () => {
    const got: unknown[] = [];
    const j = new JsonLines();
    j.push('{"a":1}\n{"b"', (o) => got.push(o));
    j.push(':2}\nnot json\n\n{"c":3}', (o) => got.push(o));
    j.push('\n', (o) => got.push(o));
    assert.deepEqual(got, [{ a: 1 }, { b: 2 }, { c: 3 }]);
  });
});

describe('runtime: language profile variables', () => {
  it('resolves ${containerEnv:VAR:default}, ${containerWorkspaceFolder} and ${devcontainerId}', async () => {
    const { resolveProfileVars } = await import('../../../src/engine/runtime/create/profile.js');
    const vars = { containerEnv: { CARGO_HOME: '/opt/cargo' }, containerWorkspaceFolder: '/workspaces/p', devcontainerId: 'abc' };
    assert.equal(resolveProfileVars('${containerEnv:CARGO_HOME:/usr/local/cargo}/registry', vars), '/opt/cargo/registry');
    assert.equal(resolveProfileVars('${containerEnv:RUSTUP_HOME:/usr/local/rustup}/x', vars), '/usr/local/rustup/x');
    assert.equal(resolveProfileVars('${containerEnv:NOPE}/x', vars), '/x');
    assert.equal(resolveProfileVars('${containerWorkspaceFolder}/node_modules', vars), '/workspaces/p/node_modules');
    assert.equal(resolveProfileVars('hyperbox-${devcontainerId}-venv', vars), 'hyperbox-abc-venv');
    assert.equal(resolveProfileVars('${localEnv:HOME}', vars), '${localEnv:HOME}');
  });
});
