// The Traces panel's webview: filters, per-service figures, the live list of traces and one
// trace's waterfall with the chosen span's details. Span names and attributes come from programs
// in containers: every piece of data is set as text (textContent / text nodes), never as HTML.
// Long lists render only the rows in view (layout.ts's visibleRange).
import type { ServiceSummary, TraceDetail, TraceQuery, TraceSpan, TraceSummary } from '../../src/protocol';
import {
  TraceDetailMessage,
  TraceOpenMessage,
  TraceSourceMessage,
  TracesQueryMessage,
  TracesStartMessage,
  TracesStateMessage,
  WebviewReady,
  type TracesState,
  type TracesWebviewState,
} from '../../src/protocol/webview';
import { attributeText, formatDuration, layoutSpans, sourceOf, visibleRange, type SpanRow } from './layout';
import { h, type Child } from '../shared/dom';
import { vscode } from '../shared/vscodeApi';
import './style.css';

const saved = (vscode.getState() ?? {}) as Partial<TracesWebviewState>;
let query: TraceQuery = saved.query && typeof saved.query === 'object' ? saved.query : {};
let state: TracesState | undefined;
let traceId: string | null = typeof saved.traceId === 'string' ? saved.traceId : null;
let detail: TraceDetail | null = null;
let spanRows: SpanRow[] = [];
let selectedSpan: string | null = null;

const ROW = 24;


function save(): void {
  const s: TracesWebviewState = { query, traceId };
  vscode.setState(s);
}

// ---------------------------------------------------------------------------------------------
// The page's fixed parts: built once, filled on each message

const app = document.getElementById('app')!;
const status = h('p', { class: 'muted', 'data-testid': 'receiver' });
const noticeText = h('span', {});
const startButton = h('button', { 'data-testid': 'start-receiver', hidden: '' }, 'Start receiving traces');
startButton.addEventListener('click', () => vscode.postMessage({ type: TracesStartMessage.type, params: {} }));
const notice = h('p', { class: 'notice warning', 'data-testid': 'notice', hidden: '' }, noticeText, ' ', startButton);

function input(name: string, label: string, type = 'text', value = ''): HTMLInputElement {
  const el = h('input', { type, name, 'aria-label': label, placeholder: label, 'data-testid': `filter-${name}` });
  el.value = value;
  return el;
}
const serviceSelect = h('select', { 'aria-label': 'Service', 'data-testid': 'filter-service' });
const operation = input('operation', 'Operation contains', 'text', query.operation ?? '');
const attrKey = input('attrKey', 'Attribute', 'text', query.attribute?.key ?? '');
const attrValue = input('attrValue', 'equals', 'text', query.attribute?.value ?? '');
const minMs = input('min', 'Min ms', 'number', query.minDurationMs === undefined ? '' : String(query.minDurationMs));
const maxMs = input('max', 'Max ms', 'number', query.maxDurationMs === undefined ? '' : String(query.maxDurationMs));
const filters = h('form', { class: 'filters', 'data-testid': 'filters' }, serviceSelect, operation, attrKey, attrValue, minMs, maxMs);

const servicesTable = h('table', { class: 'services', 'data-testid': 'services' });
const listCount = h('span', { class: 'muted' });
const listBody = h('div', { class: 'rows' });
const list = h('div', { class: 'scroller list', 'data-testid': 'trace-list', role: 'list' }, listBody);
const traceTitle = h('h2', {}, 'Trace');
const waterBody = h('div', { class: 'rows' });
const waterfall = h('div', { class: 'scroller waterfall', 'data-testid': 'waterfall', role: 'list' }, waterBody);
const spanDetails = h('section', { class: 'span-details', 'data-testid': 'span-details', 'aria-label': 'Span' });
const traceSection = h('section', { class: 'trace', 'data-testid': 'trace', hidden: '' }, traceTitle, waterfall, spanDetails);

app.replaceChildren(
  h('header', {}, h('h1', {}, 'Traces'), status),
  notice,
  filters,
  h('section', { 'aria-label': 'Services' }, h('h2', {}, 'Services'), servicesTable),
  h('section', { 'aria-label': 'Traces' }, h('h2', {}, 'Recent traces ', listCount), h('div', { class: 'list-head' }, ...['Service', 'Operation', 'Start', 'Duration', 'Spans', 'Errors'].map((t) => h('span', {}, t))), list),
  traceSection,
);

// ---------------------------------------------------------------------------------------------
// Filters

let queryTimer: number | undefined;
function readQuery(): TraceQuery {
  const q: TraceQuery = {};
  if (serviceSelect.value) q.service = serviceSelect.value;
  if (operation.value.trim()) q.operation = operation.value.trim();
  if (attrKey.value.trim()) q.attribute = attrValue.value ? { key: attrKey.value.trim(), value: attrValue.value } : { key: attrKey.value.trim() };
  const min = Number(minMs.value);
  const max = Number(maxMs.value);
  if (minMs.value !== '' && Number.isFinite(min) && min >= 0) q.minDurationMs = min;
  if (maxMs.value !== '' && Number.isFinite(max) && max >= 0) q.maxDurationMs = max;
  return q;
}
function queryChanged(): void {
  clearTimeout(queryTimer);
  queryTimer = window.setTimeout(() => {
    query = readQuery();
    save();
    vscode.postMessage({ type: TracesQueryMessage.type, params: query });
  }, 200);
}
filters.addEventListener('input', queryChanged);
filters.addEventListener('change', queryChanged);
filters.addEventListener('submit', (e) => e.preventDefault());

// ---------------------------------------------------------------------------------------------
// Rendering

function renderStatus(s: TracesState): void {
  const r = s.receiver;
  status.setAttribute('data-state', r.state);
  if (r.port) status.setAttribute('data-port', String(r.port));
  status.textContent =
    r.state === 'off'
      ? 'Receiver off'
      : `${r.state === 'listening' ? 'Receiving' : 'Forwarding to the receiver'} on ${r.host ?? '127.0.0.1'}:${r.port ?? '?'} · ${r.storedSpans} span${r.storedSpans === 1 ? "" : "s"} stored${r.evictedTraces ? ` · ${r.evictedTraces} older traces evicted` : ''}`;
  noticeText.textContent = s.notice ?? '';
  notice.hidden = !s.notice;
  startButton.hidden = r.state !== 'off' || /not running/.test(s.notice ?? '');
}

function renderServices(services: ServiceSummary[]): void {
  const current = query.service ?? '';
  const names = [...new Set([...services.map((s) => s.service), ...(current ? [current] : [])])].sort();
  serviceSelect.replaceChildren(h('option', { value: '' }, 'All services'), ...names.map((n) => h('option', { value: n }, n)));
  serviceSelect.value = current;
  servicesTable.replaceChildren(
    h('tr', {}, ...['Service', 'Spans/s', 'Traces', 'Spans', 'Errors', 'p50', 'p95', 'Max'].map((t) => h('th', {}, t))),
    ...services.map((s) =>
      h(
        'tr',
        { 'data-service': s.service },
        h('td', {}, s.service),
        h('td', {}, s.ratePerSecond.toFixed(1)),
        h('td', {}, String(s.traceCount)),
        h('td', {}, String(s.spanCount)),
        h('td', { class: s.errorCount ? 'error' : undefined }, String(s.errorCount)),
        h('td', {}, formatDuration(s.p50Ms)),
        h('td', {}, formatDuration(s.p95Ms)),
        h('td', {}, formatDuration(s.maxMs)),
      ),
    ),
  );
}

const time = (ms: number) => new Date(ms).toLocaleTimeString(undefined, { hour12: false }) + `.${String(Math.floor(ms % 1000)).padStart(3, '0')}`;

function traceRow(t: TraceSummary, i: number): HTMLElement {
  const row = h(
    'div',
    { class: `row trace-row${t.traceId === traceId ? ' selected' : ''}${t.errorCount ? ' has-error' : ''}`, role: 'listitem', tabindex: '0', 'data-trace': t.traceId },
    h('span', {}, t.service),
    h('span', { class: 'op' }, t.rootName + (t.rootMissing ? ' (root not received)' : '')),
    h('span', {}, time(t.startMs)),
    h('span', {}, formatDuration(t.durationMs)),
    h('span', {}, String(t.spanCount)),
    h('span', { class: t.errorCount ? 'error' : undefined }, String(t.errorCount)),
  );
  row.style.top = `${i * ROW}px`;
  const open = () => openTrace(t.traceId);
  row.addEventListener('click', open);
  row.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') open();
  });
  return row;
}

/** Renders the rows of a virtual list that are in view. */
function renderWindow<T>(scroller: HTMLElement, body: HTMLElement, items: T[], row: (item: T, i: number) => HTMLElement): void {
  body.style.height = `${items.length * ROW}px`;
  const { start, end } = visibleRange(scroller.scrollTop, scroller.clientHeight || 400, ROW, items.length);
  const rows: HTMLElement[] = [];
  for (let i = start; i < end; i++) rows.push(row(items[i], i));
  body.replaceChildren(...rows);
}

function renderList(): void {
  const traces = state?.traces ?? [];
  listCount.textContent = `(${traces.length})`;
  renderWindow(list, listBody, traces, traceRow);
}
list.addEventListener('scroll', () => requestAnimationFrame(renderList));

function openTrace(id: string): void {
  traceId = id;
  selectedSpan = null;
  save();
  vscode.postMessage({ type: TraceOpenMessage.type, params: { traceId: id } });
  renderList();
}

function spanRow(r: SpanRow, i: number): HTMLElement {
  const s = r.span;
  const bar = h('span', { class: `bar${r.error ? ' error' : ''}` });
  bar.style.left = `${r.left}%`;
  bar.style.width = `${r.width}%`;
  const name = h('span', { class: 'name' }, h('span', { class: 'svc' }, s.service), ' ', s.name);
  name.style.paddingLeft = `${Math.min(r.depth, 40) * 12}px`;
  const row = h(
    'div',
    { class: `row span-row${s.spanId === selectedSpan ? ' selected' : ''}`, role: 'listitem', tabindex: '0', 'data-span': s.spanId },
    name,
    h('span', { class: 'track' }, bar),
    h('span', { class: 'dur' }, formatDuration(s.durationMs)),
  );
  row.style.top = `${i * ROW}px`;
  const pick = () => {
    selectedSpan = s.spanId;
    renderWaterfall();
    renderSpan(s);
  };
  row.addEventListener('click', pick);
  row.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') pick();
  });
  return row;
}

function renderWaterfall(): void {
  renderWindow(waterfall, waterBody, spanRows, spanRow);
}
waterfall.addEventListener('scroll', () => requestAnimationFrame(renderWaterfall));

function attributeTable(title: string, attrs: Record<string, unknown>): HTMLElement | null {
  const keys = Object.keys(attrs);
  if (keys.length === 0) return null;
  return h(
    'div',
    {},
    h('h3', {}, title),
    h('table', { class: 'attributes' }, ...keys.sort().map((k) => h('tr', {}, h('th', {}, k), h('td', {}, attributeText(attrs[k] as never))))),
  );
}

function renderSpan(s: TraceSpan): void {
  const src = sourceOf(s);
  let open: HTMLElement | null = null;
  if (src) {
    const b = h('button', { 'data-testid': 'open-source' }, `Open ${src.filepath}${src.lineno ? `:${src.lineno}` : ''}`);
    b.addEventListener('click', () => vscode.postMessage({ type: TraceSourceMessage.type, params: src }));
    open = b;
  }
  const parts: Child[] = [
    h('h3', {}, s.name),
    h(
      'dl',
      {},
      h('dt', {}, 'Service'),
      h('dd', {}, s.service),
      h('dt', {}, 'Kind'),
      h('dd', {}, s.kind),
      h('dt', {}, 'Status'),
      h('dd', { class: s.status.code === 'error' ? 'error' : undefined }, s.status.code + (s.status.message ? `: ${s.status.message}` : '')),
      h('dt', {}, 'Duration'),
      h('dd', {}, formatDuration(s.durationMs)),
      h('dt', {}, 'Span'),
      h('dd', {}, s.spanId + (s.parentSpanId ? ` (parent ${s.parentSpanId})` : '')),
    ),
    open,
    attributeTable('Attributes', s.attributes),
    ...s.events.map((e) => attributeTable(`Event: ${e.name} at +${formatDuration(e.timeMs - s.startMs)}`, e.attributes) ?? h('h3', {}, `Event: ${e.name} at +${formatDuration(e.timeMs - s.startMs)}`)),
    ...s.links.map((l) => attributeTable(`Link: trace ${l.traceId} span ${l.spanId}`, l.attributes) ?? h('h3', {}, `Link: trace ${l.traceId} span ${l.spanId}`)),
    attributeTable('Resource', s.resource),
  ];
  spanDetails.replaceChildren(...parts.filter((p): p is Node | string => p !== null && p !== undefined && p !== false));
}

function renderTrace(): void {
  traceSection.hidden = traceId === null;
  if (traceId === null) return;
  if (!detail) {
    traceTitle.textContent = 'Trace no longer stored';
    spanRows = [];
    renderWaterfall();
    spanDetails.replaceChildren();
    return;
  }
  const layout = layoutSpans(detail);
  spanRows = layout.rows;
  const sum = detail.summary;
  traceTitle.textContent = `${sum.service}: ${sum.rootName} · ${formatDuration(sum.durationMs)} · ${sum.spanCount} spans${sum.errorCount ? ` · ${sum.errorCount} errors` : ''}`;
  waterfall.scrollTop = 0;
  renderWaterfall();
  const chosen = spanRows.find((r) => r.span.spanId === selectedSpan)?.span ?? spanRows[0]?.span;
  if (chosen) {
    selectedSpan = chosen.spanId;
    renderSpan(chosen);
  } else spanDetails.replaceChildren();
}

window.addEventListener('message', (event: MessageEvent) => {
  const m = event.data as { type?: unknown; params?: unknown };
  if (!m || typeof m.type !== 'string' || typeof m.params !== 'object' || m.params === null) return;
  if (m.type === TracesStateMessage.type) {
    state = m.params as TracesState;
    renderStatus(state);
    renderServices(state.services);
    renderList();
  } else if (m.type === TraceDetailMessage.type) {
    const p = m.params as { traceId: string; detail: TraceDetail | null };
    if (p.traceId !== traceId) return;
    detail = p.detail;
    renderTrace();
  }
});

window.addEventListener('resize', () => {
  renderList();
  renderWaterfall();
});

vscode.postMessage({ type: WebviewReady.type, params: {} });
if (traceId) openTrace(traceId);
