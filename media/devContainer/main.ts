// The Dev Container panel's webview: the container summary, the last up's startup timeline as a
// waterfall (live while an up runs), the detected stack with its evidence, and the resolved
// config. Plain DOM code; every piece of data is set as text (textContent), never as HTML.
// Talks to the host only through the typed messages of src/protocol/webview.ts.
import type { PortForward, TimelineEntry, UpTimeline } from '../../src/protocol';
import {
  DevContainerActionMessage,
  DevContainerStateMessage,
  WebviewReady,
  type DevContainerAction,
  type DevContainerState,
  type DevContainerWebviewState,
} from '../../src/protocol/webview';
import { layoutWaterfall } from './waterfall';
import { h, type Child } from '../shared/dom';
import { vscode } from '../shared/vscodeApi';
import './style.css';

const saved = (vscode.getState() ?? {}) as Partial<DevContainerWebviewState>;
const expanded = new Set<string>(Array.isArray(saved.expanded) ? saved.expanded.filter((e) => typeof e === 'string') : []);
let state: DevContainerState | undefined;

// ---------------------------------------------------------------------------------------------
// DOM helpers: children are nodes or text; attributes are set one by one


function section(testid: string, title: string, ...children: Child[]): HTMLElement {
  return h('section', { 'data-testid': testid, 'aria-label': title }, h('h2', {}, title), ...children);
}

function save(): void {
  const s: DevContainerWebviewState = { folderUri: state?.folderUri ?? saved.folderUri ?? '', expanded: [...expanded] };
  vscode.setState(s);
}

function post(action: DevContainerAction): void {
  vscode.postMessage({ type: DevContainerActionMessage.type, params: { action } });
}

// ---------------------------------------------------------------------------------------------
// Sections

const ACTION_LABELS: Record<DevContainerAction, string> = {
  start: 'Start',
  stop: 'Stop',
  rebuild: 'Rebuild',
  openTerminal: 'Open Terminal',
  showContainerLogs: 'Container Output',
  openConfig: 'Open Config',
  refresh: 'Refresh',
};

function header(s: DevContainerState): HTMLElement {
  const buttons = h('div', { class: 'actions', role: 'toolbar', 'aria-label': 'Dev container actions' });
  // the first action that builds nothing away is the primary one; Rebuild removes the container, so it never is
  const primary = s.actions.find((a) => a === 'start' || a === 'openTerminal');
  for (const a of s.actions) {
    const b = h('button', { type: 'button', 'data-action': a, class: a === primary ? 'primary' : 'secondary', title: a === 'rebuild' ? 'Removes the container and makes it again from the current config' : undefined }, ACTION_LABELS[a]);
    b.addEventListener('click', () => post(a));
    buttons.append(b);
  }
  return h(
    'header',
    {},
    h('h1', {}, s.folderName, ' ', h('span', { class: `badge state-${s.stateKind}`, 'data-testid': 'state' }, s.stateWord)),
    h('p', { class: 'subtitle' }, s.busy ?? s.containerText),
    buttons,
  );
}

function summary(s: DevContainerState): HTMLElement {
  const c = s.container;
  const dl = h('dl', { class: 'facts' });
  const fact = (label: string, value: string | null | undefined, testid?: string) => {
    if (!value) return;
    dl.append(h('dt', {}, label), h('dd', testid ? { 'data-testid': testid } : {}, value));
  };
  fact('State', s.stateWord, 'summary-state');
  fact('Name', c?.name);
  fact('Container', c?.containerId ? c.containerId.slice(0, 12) : null, 'summary-id');
  fact('Image', c?.image, 'summary-image');
  fact('Runtime', c?.runtime);
  fact('Workspace', c?.workspaceFolder);
  fact('Remote user', c?.remoteUser);
  fact('Config', s.configFile);
  if (c?.drift.changed.length) fact('Changed since made', c.drift.changed.join(', '));
  if (c?.message && s.stateKind !== 'error') fact('Note', c.message);
  return section('summary', 'Container', dl, c ? portsView(s.ports) : null);
}

/** Who forwards a port, or why nothing does (the words of the HyperBox view). */
function portState(p: PortForward): string {
  switch (p.state) {
    case 'published':
      return 'published by Docker';
    case 'forwarded':
      return p.by ? `forwarded by ${p.by.what}` : 'forwarded';
    case 'not-forwarded':
      return `not forwarded${p.message ? `: ${p.message}` : ''}`;
    case 'conflict':
      return `host port taken${p.message ? `: ${p.message}` : ''}`;
    case 'error':
      return `error${p.message ? `: ${p.message}` : ''}`;
  }
}

function portsView(ports: PortForward[]): HTMLElement {
  if (!ports.length) return h('p', { class: 'muted', 'data-testid': 'summary-ports' }, 'Ports: none');
  return h(
    'div',
    {},
    h('h3', {}, 'Ports'),
    h(
      'ul',
      { class: 'ports', 'data-testid': 'summary-ports' },
      ...ports.map((p) =>
        h('li', { 'data-state': p.state }, `${p.label ?? `Port ${p.service ? `${p.service}:` : ''}${p.containerPort}`}: 127.0.0.1:${p.hostPort} → ${p.containerPort} `, h('span', { class: 'muted' }, portState(p))),
      ),
    ),
  );
}

function entryDetails(e: TimelineEntry): HTMLElement {
  const box = h('div', { class: 'entry-details' });
  if (e.detail) box.append(h('pre', { class: 'command', 'data-testid': 'command' }, e.detail));
  if (e.exitCode !== undefined) box.append(h('p', { class: 'exit', 'data-testid': 'exit-code' }, `Exit code ${e.exitCode}`));
  if (e.output) box.append(h('pre', { class: 'output', 'data-testid': 'output' }, e.output));
  else if (e.kind !== 'engine' && e.status !== 'skipped') box.append(h('p', { class: 'muted' }, 'No output.'));
  return box;
}

function timelineView(t: UpTimeline | null): HTMLElement {
  if (!t) {
    return section('timeline-section', 'Startup timeline', h('p', { class: 'muted', 'data-testid': 'timeline-empty' }, 'No up has run for this folder yet. Start the dev container (or run hb up) to see where the time goes.'));
  }
  const w = layoutWaterfall(t);
  const started = new Date(t.startedAt);
  const head = h(
    'p',
    { class: 'timeline-head' },
    h('span', { class: `outcome outcome-${t.outcome}`, 'data-testid': 'timeline-outcome' }, t.outcome === 'ok' ? 'Up' : t.outcome === 'running' ? 'Running' : t.outcome === 'failed' ? 'Failed' : 'Cancelled'),
    ` in ${w.total}, ${isNaN(started.getTime()) ? '' : `started ${started.toLocaleString()}, `}by ${t.client === 'editor' ? 'the editor' : t.client}`,
  );
  const box = h('div', { class: 'waterfall', 'data-testid': 'timeline', 'data-outcome': t.outcome, role: 'list' });
  const axis = h('div', { class: 'axis', 'aria-hidden': 'true' }, h('span', { class: 'label-col' }), h('span', { class: 'track' }));
  const track = axis.lastChild as HTMLElement;
  for (const tick of w.ticks) {
    const mark = h('span', { class: 'tick' }, tick.label);
    mark.style.left = `${tick.left}%`;
    track.append(mark);
  }
  box.append(axis);
  for (const row of w.rows) {
    const e = t.entries[row.index];
    const bar = h('span', { class: `bar kind-${row.kind} status-${row.status}` });
    bar.style.left = `${row.left}%`;
    bar.style.width = `${row.width}%`;
    const line = h(
      'span',
      { class: 'row-line' },
      h('span', { class: 'label-col' }, h('span', { class: `dot status-${row.status}`, 'aria-hidden': 'true' }), h('span', { class: 'step-name', title: row.step }, row.step)),
      h('span', { class: 'track', title: `${row.step}: ${row.status}, ${row.duration} at ${row.at}` }, bar),
      h('span', { class: 'duration', 'data-testid': 'duration' }, row.duration),
    );
    const attrs = {
      class: `row status-${row.status}${row.highlight ? ' highlight' : ''}`,
      role: 'listitem',
      'data-step': row.step,
      'data-status': row.status,
      'data-kind': row.kind,
      'data-index': String(row.index),
      'aria-label': `${row.step}, ${row.status}, ${row.duration}`,
    };
    if (row.expandable) {
      const details = h('details', attrs, h('summary', {}, line), entryDetails(e));
      if (expanded.has(row.key) || (row.highlight && !expanded.size)) details.open = true;
      details.addEventListener('toggle', () => {
        if (details.open) expanded.add(row.key);
        else expanded.delete(row.key);
        save();
      });
      box.append(details);
    } else {
      box.append(h('div', attrs, line));
    }
  }
  const legend = h(
    'p',
    { class: 'legend', 'aria-hidden': 'true' },
    h('span', { class: 'swatch kind-engine' }),
    ' HyperBox and the engine  ',
    h('span', { class: 'swatch kind-build' }),
    ' image pull / build  ',
    h('span', { class: 'swatch kind-lifecycle' }),
    ' lifecycle command',
  );
  return section('timeline-section', 'Startup timeline', head, t.error ? h('pre', { class: 'error', 'data-testid': 'timeline-error' }, t.error) : null, box, legend);
}

function detectionView(s: DevContainerState): HTMLElement {
  const d = s.detection;
  if (!d) return section('detection', 'Detected stack', h('p', { class: 'muted' }, 'Nothing recognised (or not known yet).'));
  const dl = h('dl', { class: 'facts' });
  const fact = (label: string, value: string | null) => value && dl.append(h('dt', {}, label), h('dd', {}, value));
  fact('Stack', d.label);
  fact('Language', d.languageName);
  fact('Framework', d.frameworkName);
  fact('Package manager', d.packageManagerName);
  fact('Dev command', d.devCommand);
  fact('Ports', d.ports.length ? d.ports.join(', ') : null);
  const evidence = h('ul', { class: 'evidence', 'data-testid': 'evidence' });
  for (const e of d.evidence) evidence.append(h('li', {}, h('code', {}, e.file), ' — ', e.reason));
  const parts = d.parts.length ? h('ul', { class: 'parts' }, ...d.parts.map((p) => h('li', {}, h('code', {}, p.path), ` ${p.label} (${p.role})`))) : null;
  return section(
    'detection',
    'Detected stack',
    dl,
    h('h3', {}, 'Evidence'),
    d.evidence.length ? evidence : h('p', { class: 'muted' }, 'No evidence recorded.'),
    parts && h('h3', {}, 'Parts'),
    parts,
    ...d.notes.map((n) => h('p', { class: 'muted' }, n)),
  );
}

function reloadView(s: DevContainerState): HTMLElement | null {
  const r = s.reload;
  if (!r) return null;
  const list = h('ol', { class: 'reloads', 'data-testid': 'reloads' });
  for (const e of r.recent) {
    list.append(
      h(
        'li',
        { class: e.error ? 'reload failed' : 'reload' },
        h('span', { class: 'reload-time' }, new Date(e.at).toLocaleTimeString()),
        ' ',
        h('code', {}, e.files),
        ` — ${e.action} in ${e.ms} ms`,
        e.phases ? h('span', { class: 'muted' }, ` (${e.phases})`) : null,
        e.error ? h('pre', { class: 'error' }, e.error) : null,
      ),
    );
  }
  return section(
    'reload',
    'Hot reload',
    h('p', { 'data-testid': 'reload-summary' }, r.summary),
    r.message ? h('p', { class: 'muted' }, r.message) : null,
    r.recent.length ? list : h('p', { class: 'muted' }, 'No reload yet: save a file of the project.'),
  );
}

function configView(s: DevContainerState): HTMLElement {
  const r = s.resolved;
  if (!r) return section('config', 'Resolved config', h('p', { class: 'muted' }, s.configFile ? 'Not checked yet.' : 'This folder has no dev container config.'));
  const problems = r.problems.length
    ? h('ul', { class: 'problems' }, ...r.problems.map((p) => h('li', { class: `problem ${p.severity}` }, `${p.severity}: ${p.message} (line ${p.line})`)))
    : h('p', { class: 'muted' }, 'No problems.');
  return section(
    'config',
    'Resolved config',
    h('p', {}, `Kind: ${r.kind ?? 'unknown'}`, r.devcontainerId ? ` · devcontainerId ${r.devcontainerId}` : ''),
    problems,
    h('pre', { class: 'json', 'data-testid': 'resolved-json' }, r.config ? JSON.stringify(r.config, null, 2) : '(not readable)'),
  );
}

// ---------------------------------------------------------------------------------------------

const app = document.getElementById('app')!;

function render(): void {
  if (!state) return;
  const s = state;
  const parts: Node[] = [header(s)];
  if (s.notice) parts.push(h('p', { class: 'notice', role: 'status' }, s.notice));
  parts.push(summary(s), timelineView(s.timeline));
  const reload = reloadView(s);
  if (reload) parts.push(reload);
  parts.push(detectionView(s), configView(s));
  app.replaceChildren(...parts);
}

window.addEventListener('message', (event: MessageEvent) => {
  const m = event.data as { type?: unknown; params?: unknown };
  if (!m || typeof m.type !== 'string' || typeof m.params !== 'object' || m.params === null) return;
  if (m.type === DevContainerStateMessage.type) {
    state = m.params as DevContainerState;
    save();
    render();
  }
});

app.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
vscode.postMessage({ type: WebviewReady.type, params: {} });
