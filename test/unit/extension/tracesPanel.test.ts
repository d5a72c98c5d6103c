// The Traces and Pressure panels' host side, with the `vscode` API stubbed: every message from the
// webviews validated, a span's source file opened only inside a workspace folder (mapped from the
// container's workspace path; `..`, other absolute paths and links out refused), the traces list
// refreshed on TracesChanged, and the pressure item turning warning or error on the engine's alert.
import { strict as assert } from 'node:assert';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { NotificationType, RequestType } from 'vscode-jsonrpc';
import { mapSourcePath, resolveSourceFile } from '../../../src/extension/panels/sourcePath';
import { TracesPanels, type TracesPanelCtx } from '../../../src/extension/panels/tracesPanel';
import { PressureMonitor, pressureThresholds, type PressureCtx } from '../../../src/extension/panels/pressurePanel';
import { pressureStatusView } from '../../../src/extension/pressureStatus';
import { PressureChanged, TracesChanged, type PressureUpdate, type TraceSummary } from '../../../src/protocol';
import { TRACES_VIEW_TYPE, validatePressureMessage, validateTracesMessage, validateTracesWebviewState, type TracesState } from '../../../src/protocol/webview';
import { EventEmitter, StubLogChannel, StubWebviewPanel, stub, Uri } from '../stubs/vscode';
import { waitFor } from './helpers';

const TRACE = 'a'.repeat(32);

describe('Traces panel messages', () => {
  it('accepts the queries, trace ids and source locations the webview may send', () => {
    assert.deepEqual(validateTracesMessage({ type: 'ready' }), { type: 'ready', params: {} });
    assert.deepEqual(validateTracesMessage({ type: 'query', params: { service: 'api', operation: 'GET', attribute: { key: 'http.route', value: '/x' }, minDurationMs: 5, maxDurationMs: 100 } }), {
      type: 'query',
      params: { service: 'api', operation: 'GET', attribute: { key: 'http.route', value: '/x' }, minDurationMs: 5, maxDurationMs: 100 },
    });
    assert.deepEqual(validateTracesMessage({ type: 'query', params: { service: '', attribute: { key: 'k', value: '' } } }), { type: 'query', params: { attribute: { key: 'k' } } });
    assert.deepEqual(validateTracesMessage({ type: 'startReceiver' }), { type: 'startReceiver', params: {} });
    assert.deepEqual(validateTracesMessage({ type: 'openTrace', params: { traceId: TRACE } }), { type: 'openTrace', params: { traceId: TRACE } });
    assert.deepEqual(validateTracesMessage({ type: 'openSource', params: { filepath: '/workspaces/app/src/a.ts', lineno: 12 } }), { type: 'openSource', params: { filepath: '/workspaces/app/src/a.ts', lineno: 12 } });
  });

  it('drops anything else: unknown types, extra fields, wrong types, bad ids and lines, huge text', () => {
    for (const bad of [
      null,
      { type: 'traces', params: {} },
      { type: 'query', params: { service: 3 } },
      { type: 'query', params: { minDurationMs: -1 } },
      { type: 'query', params: { maxDurationMs: Infinity } },
      { type: 'query', params: { limit: 1e9 } },
      { type: 'query', params: { sql: 'drop' } },
      { type: 'query', params: { operation: 'x'.repeat(5000) } },
      { type: 'openTrace', params: { traceId: 'ZZ' } },
      { type: 'openTrace', params: { traceId: TRACE, extra: 1 } },
      { type: 'openSource', params: { filepath: '' } },
      { type: 'openSource', params: { filepath: '/a\0b' } },
      { type: 'openSource', params: { filepath: '/a', lineno: 0 } },
      { type: 'openSource', params: { filepath: '/a', lineno: 1.5 } },
      { type: 'openSource', params: { filepath: '/a', command: 'rm' } },
      { type: 'ready', params: { x: 1 } },
    ]) {
      assert.equal(validateTracesMessage(bad), undefined, JSON.stringify(bad));
    }
    assert.equal(validatePressureMessage({ type: 'query', params: {} }), undefined);
    assert.deepEqual(validatePressureMessage({ type: 'ready' }), { type: 'ready', params: {} });
  });

  it('restores saved filters and the open trace, and nothing unusable', () => {
    assert.deepEqual(validateTracesWebviewState({ query: { service: 'api' }, traceId: TRACE }), { query: { service: 'api' }, traceId: TRACE });
    assert.deepEqual(validateTracesWebviewState({ query: { service: 1 }, traceId: '../x' }), { query: {}, traceId: null });
    assert.deepEqual(validateTracesWebviewState('x'), { query: {}, traceId: null });
  });
});

describe('a span\'s source file', () => {
  let dir: string;
  let folder: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hb-src-'));
    folder = path.join(dir, 'app');
    mkdirSync(path.join(folder, 'src'), { recursive: true });
    writeFileSync(path.join(folder, 'src', 'a.ts'), 'line1\nline2\n');
    writeFileSync(path.join(dir, 'secret.txt'), 'secret');
    symlinkSync(path.join(dir, 'secret.txt'), path.join(folder, 'link.txt'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('maps the container\'s workspace path to the host folder; host and relative paths inside the folder count too', () => {
    const roots = [{ hostFolder: folder, containerFolder: '/workspaces/app' }];
    assert.deepEqual(mapSourcePath('/workspaces/app/src/a.ts', roots), { ok: true, file: path.join(folder, 'src', 'a.ts') });
    assert.deepEqual(mapSourcePath(path.join(folder, 'src', 'a.ts'), roots), { ok: true, file: path.join(folder, 'src', 'a.ts') });
    assert.deepEqual(mapSourcePath('src/a.ts', roots), { ok: true, file: path.join(folder, 'src', 'a.ts') });
  });

  it('refuses paths outside the folder: .., other absolute paths, the folder itself, a sibling with the same prefix', () => {
    const roots = [{ hostFolder: folder, containerFolder: '/workspaces/app' }];
    for (const p of ['/workspaces/app/../../etc/passwd', '/etc/passwd', '../secret.txt', '/workspaces/app', '/workspaces/app2/x.ts', `${folder}2/x.ts`, path.join(folder, '..', 'secret.txt')]) {
      const m = mapSourcePath(p, roots);
      assert.equal(m.ok, false, p);
      if (!m.ok) assert.match(m.reason, /not inside a workspace folder/);
    }
  });

  it('refuses a link that leads out of the folder, and says when the file does not exist', async () => {
    const roots = [{ hostFolder: folder, containerFolder: '/workspaces/app' }];
    const link = await resolveSourceFile('/workspaces/app/link.txt', roots);
    assert.equal(link.ok, false);
    if (!link.ok) assert.match(link.reason, /symbolic link/);
    const missing = await resolveSourceFile('/workspaces/app/src/none.ts', roots);
    assert.equal(missing.ok, false);
    if (!missing.ok) assert.match(missing.reason, /no such file/);
    assert.deepEqual(await resolveSourceFile('/workspaces/app/src/a.ts', roots), { ok: true, file: path.join(folder, 'src', 'a.ts') });
  });

  it('the panel opens an inside file at its line and warns (opening nothing) for one outside', async () => {
    stub.reset();
    const f = tracesCtx(folder);
    const panels = new TracesPanels(f.ctx);
    panels.show();
    const [panel] = stub.webviewPanels;
    panel.receive({ type: 'ready' });
    panel.receive({ type: 'openSource', params: { filepath: '/workspaces/app/../../etc/passwd', lineno: 1 } });
    panel.receive({ type: 'openSource', params: { filepath: '/workspaces/app/link.txt' } });
    await waitFor(() => stub.messages.filter((m) => m.level === 'warning').length === 2, 'two warnings');
    assert.equal(stub.shownDocuments.length, 0, 'nothing outside the folder is opened');
    panel.receive({ type: 'openSource', params: { filepath: '/workspaces/app/src/a.ts', lineno: 2 } });
    await waitFor(() => stub.shownDocuments.length === 1, 'the file opened');
    assert.equal(stub.shownDocuments[0].uri.fsPath, path.join(folder, 'src', 'a.ts'));
    panels.dispose();
  });
});

const summary = (n: number): TraceSummary => ({
  traceId: n.toString(16).padStart(32, '0'),
  rootName: `GET /${n}`,
  service: 'api',
  services: ['api'],
  rootMissing: false,
  startMs: 1_700_000_000_000 + n,
  durationMs: n,
  spanCount: 2,
  errorCount: 0,
  receivedMs: 1_700_000_000_000 + n,
});

function tracesCtx(folder = '/work/app') {
  const notifications = new Map<string, (p: unknown) => void>();
  const calls: string[] = [];
  let traces = [summary(1)];
  const ctx = {
    extension: { extensionUri: Uri.file('/ext') },
    log: new StubLogChannel('HyperBox'),
    projects: { list: () => [{ folder: { uri: Uri.file(folder), name: 'app', index: 0 } }] },
    model: () => ({ summary: { workspaceFolder: '/workspaces/app' } }),
    engineState: { kind: 'running' },
    request: async <P, R>(type: RequestType<P, R, void>, params: P) => {
      calls.push(`${type.method} ${JSON.stringify(params)}`);
      if (type.method === 'hyperbox/traces/list') return { traces } as R;
      if (type.method === 'hyperbox/traces/get') return null as R;
      throw new Error(`unexpected ${type.method}`);
    },
    request0: async (type: { method: string }) => {
      calls.push(type.method);
      if (type.method === 'hyperbox/traces/status') return { state: 'listening', host: '127.0.0.1', port: 4318, storedTraces: 1, storedSpans: 2, storedBytes: 10, evictedTraces: 0 };
      if (type.method === 'hyperbox/traces/services') return { services: [] };
      throw new Error(`unexpected ${type.method}`);
    },
    onNotification: <P>(type: NotificationType<P>, handler: (p: P) => void) => {
      notifications.set(type.method, handler as (p: unknown) => void);
      return { dispose: () => notifications.delete(type.method) };
    },
  } as unknown as TracesPanelCtx;
  return { ctx, calls, notifications, setTraces: (t: TraceSummary[]) => (traces = t) };
}

const posted = (panel: StubWebviewPanel, type: string) => panel.posted.filter((m) => (m as { type: string }).type === type).map((m) => (m as { params: unknown }).params);

describe('the Traces panel', () => {
  beforeEach(() => stub.reset());

  it('sends the list after ready, asks again with the filters, and follows TracesChanged', async () => {
    const f = tracesCtx();
    const panels = new TracesPanels(f.ctx);
    panels.show();
    const [panel] = stub.webviewPanels;
    assert.equal(panel.viewType, TRACES_VIEW_TYPE);
    assert.match(panel.webview.html, /dist\/media\/traces\.js/);
    assert.deepEqual(panel.posted, [], 'nothing before ready');
    panel.receive({ type: 'ready' });
    const first = await waitFor(() => (posted(panel, 'traces') as TracesState[])[0], 'the list');
    assert.deepEqual(first.traces.map((t) => t.rootName), ['GET /1']);
    assert.equal(first.receiver.port, 4318);
    panel.receive({ type: 'query', params: { service: 'api', minDurationMs: 2 } });
    await waitFor(() => f.calls.some((c) => c.startsWith('hyperbox/traces/list') && c.includes('"minDurationMs":2')), 'the filtered list');
    f.setTraces([summary(2), summary(1)]);
    f.notifications.get(TracesChanged.method)!({ traces: [summary(2)] });
    const later = await waitFor(() => (posted(panel, 'traces') as TracesState[]).find((s) => s.traces.length === 2), 'the new trace');
    assert.deepEqual(later.query, { service: 'api', minDurationMs: 2 });
    panel.receive({ type: 'query', params: { service: ['x'] } });
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(f.ctx.log instanceof StubLogChannel && f.ctx.log.lines.some((l) => l.level === 'warn' && /ignored a message/.test(l.message)), 'an invalid query is logged and dropped');
    panels.dispose();
    assert.equal(f.notifications.size, 0, 'no listener left');
  });

  it('says traces are off, and how to turn them on', async () => {
    const f = tracesCtx();
    (f.ctx as unknown as { request0: (t: { method: string }) => Promise<unknown> }).request0 = async () => ({ state: 'off', storedTraces: 0, storedSpans: 0, storedBytes: 0, evictedTraces: 0 });
    const panels = new TracesPanels(f.ctx);
    panels.show();
    stub.webviewPanels[0].receive({ type: 'ready' });
    const s = await waitFor(() => (posted(stub.webviewPanels[0], 'traces') as TracesState[])[0], 'the state');
    assert.match(s.notice!, /hyperbox\.traces\.enabled/);
    panels.dispose();
  });

  it("shows the engine's word when the eBPF sidecar cannot run, once per container and cause, with Show Logs", async () => {
    const f = tracesCtx();
    const panels = new TracesPanels(f.ctx);
    const notice = f.notifications.get('hyperbox/traces/sidecarProblem')!;
    const refused = { folder: '/work/app', containerId: 'c1', missing: 'privileged' as const, message: 'The eBPF sidecar of app-dev did not start: this Docker engine refuses privileged containers (unable to apply caps: operation not permitted).' };
    notice(refused);
    notice(refused);
    notice({ ...refused, missing: 'trust', message: 'No eBPF sidecar runs for app-dev: ... is not trusted for it.' });
    const shown = stub.messages.filter((m) => m.message.startsWith('HyperBox traces:'));
    assert.deepEqual(
      shown.map((m) => [m.level, m.message, m.items]),
      [
        ['warning', `HyperBox traces: ${refused.message}`, ['Show Logs']],
        ['warning', 'HyperBox traces: No eBPF sidecar runs for app-dev: ... is not trusted for it.', ['Show Logs']],
      ],
    );
    panels.dispose();
    assert.equal(f.notifications.has('hyperbox/traces/sidecarProblem'), false, 'let go with the panels');
  });

  it('offers to recreate a container made before traces were on, once, and "Recreate Container" rebuilds that folder', async () => {
    const f = tracesCtx();
    const panels = new TracesPanels(f.ctx);
    stub.respond = (_m, items) => items.find((i) => i === 'Recreate Container');
    const offer = f.notifications.get('hyperbox/traces/recreateOffer')!;
    const o = { folder: '/work/app', configFile: '/work/app/.devcontainer/devcontainer.json', containerId: 'c1', reason: 'Traces are on (setting), but the container app-dev was made without them. Recreate it so its programs get OTEL_EXPORTER_OTLP_ENDPOINT.' };
    offer(o);
    offer(o);
    const shown = stub.messages.filter((m) => m.message.startsWith('HyperBox traces:'));
    assert.deepEqual(shown.map((m) => [m.level, m.message, m.items]), [['info', `HyperBox traces: ${o.reason}`, ['Recreate Container']]]);
    const rebuild = await waitFor(() => stub.executed.find((e) => e.id === 'hyperbox.rebuild'), 'the rebuild');
    assert.deepEqual(rebuild.args, [{ folder: '/work/app' }]);
    panels.dispose();
    assert.equal(f.notifications.has('hyperbox/traces/recreateOffer'), false, 'let go with the panels');
  });
});

// ---------------------------------------------------------------------------------------------

const figures = (memSome: number, memFull = 0) => ({
  cpu: { some: { avg10: 1, avg60: 1, avg300: 1, total: 1, delta: 1 } },
  memory: { some: { avg10: memSome, avg60: 0, avg300: 0, total: 1, delta: 1 }, full: { avg10: memFull, avg60: 0, avg300: 0, total: 1, delta: 1 } },
  missing: [],
});

function update(alert: PressureUpdate['alert'], memSome = 0): PressureUpdate {
  return { time: new Date().toISOString(), intervalMs: 1000, host: figures(1), containers: [{ containerId: 'c1', name: 'app-dev', ...figures(memSome), memoryUsage: { usage: 900, limit: 1000 } }], alert };
}

describe('pressure in the status bar', () => {
  beforeEach(() => stub.reset());

  it('shows the worst memory figure while calm; on an alert names the container and the action', () => {
    const calm = pressureStatusView(update(null, 3.25))!;
    assert.equal(calm.level, 'ok');
    assert.equal(calm.text, '$(pulse) 3.3%');
    assert.match(calm.tooltip, /app-dev: 3\.3%/);
    const warn = pressureStatusView(
      update({ level: 'warning', figure: 'memory some avg10', value: 23, threshold: 10, container: { containerId: 'c1', name: 'app-dev' }, action: 'raise-memory-limit', message: 'app-dev stalls on memory 23 % of the time' }),
    )!;
    assert.equal(warn.level, 'warning');
    assert.match(warn.text, /app-dev memory 23%/);
    assert.match(warn.tooltip, /raise its memory limit/);
    const err = pressureStatusView(
      update({ level: 'error', figure: 'memory full avg10', value: 8, threshold: 5, action: 'stop-idle-container', idle: { containerId: 'c2', name: 'old-dev' }, message: 'the host is short of memory' }),
    )!;
    assert.equal(err.level, 'error');
    assert.match(err.text, /host memory/);
    assert.match(err.tooltip, /stop the idle container old-dev/);
  });

  it('reads the thresholds from the settings, ignoring unusable values', () => {
    const config = (v: Record<string, unknown>) => ({ get: <T>(k: string) => v[k] as T });
    assert.deepEqual(pressureThresholds(config({ 'pressure.memoryWarning': 20, 'pressure.memoryError': 2 })), { memorySomeWarning: 20, memoryFullError: 2 });
    assert.deepEqual(pressureThresholds(config({ 'pressure.memoryWarning': 'lots', 'pressure.memoryError': 500 })), { memorySomeWarning: 10, memoryFullError: 5 });
  });

  it('subscribes once the thresholds are sent, turns the item to a warning, and the panel gets the history then each sample', async () => {
    const handlers = new Map<string, (p: unknown) => void>();
    const calls: string[] = [];
    const rendered = new EventEmitter<void>();
    const ctx = {
      extension: { extensionUri: Uri.file('/ext') },
      log: new StubLogChannel('HyperBox'),
      engineState: { kind: 'running' },
      enginePid: 42,
      onDidRender: rendered.event,
      liveSettingsReady: async () => void calls.push('settings-sent'),
      request: async (type: { method: string }, params: unknown) => {
        calls.push(`${type.method} ${JSON.stringify(params)}`);
        return type.method === 'hyperbox/pressure/subscribe' ? { subscription: 7 } : type.method === 'hyperbox/pressure/unsubscribe' ? { subscribers: 0 } : params;
      },
      onNotification: <P>(type: NotificationType<P>, handler: (p: P) => void) => {
        handlers.set(type.method, handler as (p: unknown) => void);
        return { dispose: () => handlers.delete(type.method) };
      },
    } as unknown as PressureCtx;
    const monitor = new PressureMonitor(ctx);
    await waitFor(() => calls.some((c) => c.startsWith('hyperbox/pressure/subscribe')), 'a subscription');
    // the thresholds reach the engine through Ctx (the context tests): the subscription waits for them
    assert.deepEqual(calls.slice(0, 2).map((c) => c.split(' ')[0]), ['settings-sent', 'hyperbox/pressure/subscribe']);
    handlers.get(PressureChanged.method)!(update(null, 1));
    const item = stub.statusBarItem('hyperbox.pressure');
    assert.ok(item.visible);
    assert.equal(item.command, 'hyperbox.showPressure');
    assert.equal(item.backgroundColor, undefined);
    handlers.get(PressureChanged.method)!(
      update({ level: 'warning', figure: 'memory some avg10', value: 30, threshold: 15, container: { containerId: 'c1', name: 'app-dev' }, action: 'raise-memory-limit', message: 'app-dev: memory some avg10 30 % ≥ 15 %' }, 30),
    );
    assert.match(item.text, /app-dev memory 30%/);
    assert.equal((item.backgroundColor as { id: string } | undefined)?.id, 'statusBarItem.warningBackground');
    monitor.show();
    const panel = stub.webviewPanels.at(-1)!;
    panel.receive({ type: 'ready' });
    const [first] = posted(panel, 'samples') as { samples: PressureUpdate[]; reset: boolean }[];
    assert.equal(first.reset, true);
    assert.equal(first.samples.length, 2, 'the history so far');
    handlers.get(PressureChanged.method)!(update(null, 2));
    const next = (posted(panel, 'samples') as { samples: PressureUpdate[]; reset: boolean }[]).at(-1)!;
    assert.equal(next.reset, false);
    assert.equal(next.samples.length, 1);
    monitor.dispose();
    await waitFor(() => calls.some((c) => c.startsWith('hyperbox/pressure/unsubscribe')), 'unsubscribed');
  });
});
