// The traces contribution: OTEL_* variables and the label only when traces are wanted and the
// folder is trusted, the config's own values kept, the user's port first.
import { strict as assert } from 'node:assert';
import { applyContribution } from '../../../src/engine/live/contributions';
import { customTraces, DEFAULT_EBPF_IMAGE, ebpfSidecarPlan, ebpfTrustFinding, LABEL_TRACES, sidecarTrustFindings, tracesContributor, tracesLabel, tracesWanted } from '../../../src/engine/live/traces';
import type { Reporter } from '../../../src/engine/runtime/report';
import type { Engine } from '../../../src/engine/runtime/engine/docker';

function reporter(): Reporter & { lines: string[] } {
  const lines: string[] = [];
  return { lines, step: () => undefined, output: () => undefined, info: (m) => void lines.push(m), warn: (m) => void lines.push(`warning: ${m}`) };
}

const resolved = (config: Record<string, unknown>) => ({ config, configFile: '/w/.devcontainer/devcontainer.json', workspaceFolder: '/w/shop', kind: 'image' }) as never;
/** A local engine this process may relay into when it runs as root (the relay path), else the gateway. */
const engine = { endpoint: { options: { socketPath: '/var/run/docker.sock' }, host: 'unix:///var/run/docker.sock', source: 'default' }, docker: { getNetwork: () => ({ inspect: async () => ({ IPAM: { Config: [{ Gateway: '172.17.0.1' }] } }) }) } } as unknown as Engine;

describe('live: traces contribution', () => {
  it('reads customizations.hyperbox.traces as true, false or {port}', () => {
    assert.deepEqual(customTraces({ customizations: { hyperbox: { traces: true } } }), { on: true });
    assert.deepEqual(customTraces({ customizations: { hyperbox: { traces: { port: 4400 } } } }), { on: true, port: 4400 });
    assert.deepEqual(customTraces({ customizations: { hyperbox: { traces: false } } }), { on: false });
    assert.deepEqual(customTraces({}), { on: false });
    assert.deepEqual(tracesWanted({ customizations: { hyperbox: { traces: { port: 4400 } } } }, { traces: { enabled: true, port: 4500 } }), { on: true, port: 4500, by: 'the hyperbox.traces.enabled setting' });
  });

  it('adds nothing when traces are off, and nothing but a note for an untrusted folder', async () => {
    const r = reporter();
    assert.equal(await tracesContributor.contribute({ resolved: resolved({}), env: {}, report: r, trusted: true, engine }), undefined);
    assert.equal(await tracesContributor.contribute({ resolved: resolved({ customizations: { hyperbox: { traces: true } } }), env: {}, report: r, trusted: false, engine }), undefined);
    assert.match(r.lines.join('\n'), /not known to be trusted.*customizations\.hyperbox\.traces/);
  });

  it('sets the OTEL variables the config does not set, and labels the container with how it reaches the receiver', async () => {
    const r = reporter();
    const c = (await tracesContributor.contribute({
      resolved: resolved({ name: 'Shop', remoteEnv: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } }),
      env: {},
      report: r,
      trusted: true,
      engine,
      settings: { traces: { enabled: true } },
    }))!;
    const root = process.getuid?.() === 0;
    assert.deepEqual(c.envDefaults, { OTEL_EXPORTER_OTLP_ENDPOINT: `http://${root ? '127.0.0.1' : '172.17.0.1'}:4318`, OTEL_SERVICE_NAME: 'Shop' });
    assert.deepEqual(tracesLabel(c.labels), { port: 4318, via: root ? 'relay' : 'gateway' });
    // runArgs -e wins too (envDefaults never replace a variable the request sets)
    const body = { Env: ['OTEL_SERVICE_NAME=mine'] };
    applyContribution(body, c, 'traces');
    assert.deepEqual(body.Env, ['OTEL_SERVICE_NAME=mine', `OTEL_EXPORTER_OTLP_ENDPOINT=${c.envDefaults.OTEL_EXPORTER_OTLP_ENDPOINT}`]);
    assert.equal(tracesLabel({ [LABEL_TRACES]: 'not json' }), undefined);
  });
});

describe('live: the eBPF sidecar plan', () => {
  const c = { id: 'abcdef0123456789', info: { Name: '/hb-shop', Config: { Env: ['OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4400', 'OTEL_SERVICE_NAME=shop'] } } } as never;
  it('exists only when the user setting allows it (customizations never do)', () => {
    assert.equal(ebpfSidecarPlan(c, {}), undefined);
    assert.equal(ebpfSidecarPlan(c, { traces: { enabled: true, ebpf: { enabled: false } } }), undefined);
    assert.deepEqual(sidecarTrustFindings(undefined), []);
  });
  it('runs the upstream image (or the one named) privileged, in the host PID namespace and the container network, sending where the container does', () => {
    const p = ebpfSidecarPlan(c, { traces: { enabled: false, ebpf: { enabled: true } } })!;
    assert.equal(p.image, DEFAULT_EBPF_IMAGE);
    assert.deepEqual(p.create.HostConfig, { Privileged: true, PidMode: 'host', NetworkMode: 'container:abcdef0123456789', Binds: ['/sys/fs/cgroup:/sys/fs/cgroup'], AutoRemove: false });
    assert.deepEqual(p.create.Env, ['OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4400', 'OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf', 'OTEL_SERVICE_NAME=shop']);
    assert.equal(ebpfSidecarPlan(c, { traces: { enabled: false, ebpf: { enabled: true, image: 'local/obi:dev' } } })!.image, 'local/obi:dev');
    const findings = sidecarTrustFindings(p).join('\n');
    assert.match(findings, /privileged/);
    assert.match(findings, /PID namespace/);
    assert.match(findings, /\/sys\/fs\/cgroup/);
  });
  it('is one trust finding for up\'s gate: only with the setting and traces on, listing its privileges, the same for every container and image', () => {
    const on = { traces: { enabled: true, ebpf: { enabled: true, image: 'local/obi:dev' } } };
    assert.equal(ebpfTrustFinding({}, { traces: { enabled: true, ebpf: { enabled: false } } }), undefined);
    // customizations turn traces on, never the sidecar
    assert.equal(ebpfTrustFinding({ customizations: { hyperbox: { traces: true } } }, {}), undefined);
    // the sidecar only goes with a container that sends traces
    assert.equal(ebpfTrustFinding({}, { traces: { enabled: false, ebpf: { enabled: true } } }), undefined);
    const f = ebpfTrustFinding({}, on)!;
    assert.match(f.key, /^sidecar:/);
    assert.match(f.text, /^the eBPF instrumentation sidecar \(hyperbox\.traces\.ebpf\.enabled\) runs beside the dev container: runs the image local\/obi:dev; privileged.*PID namespace.*\/sys\/fs\/cgroup/);
    assert.deepEqual(ebpfTrustFinding({ customizations: { hyperbox: { traces: true } } }, { traces: { enabled: false, ebpf: { enabled: true, image: 'local/obi:dev' } } }), f);
    // the image is the user's own (machine setting), never the folder's: the same finding, named in the text
    const other = ebpfTrustFinding({}, { traces: { enabled: true, ebpf: { enabled: true, image: 'local/obi:2' } } })!;
    assert.equal(other.key, f.key);
    assert.match(other.text, /runs the image local\/obi:2/);
  });
});
