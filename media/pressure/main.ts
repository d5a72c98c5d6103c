// The Pressure panel's webview: for the host and each dev container, a chart per resource (CPU,
// memory, IO) of the "some" and "full" avg10 over the last five minutes, drawn with uPlot and
// updated on each sample (every second), the avg10/60/300 figures, and a container's memory use
// against its limit. Colours come from the editor's theme (read again when the theme changes).
// Container names are set as text only.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { PressureAlert, PressureUpdate } from '../../src/protocol';
import { PressureSamplesMessage, WebviewReady } from '../../src/protocol/webview';
import { memoryUse, pct, PressureHistory, RESOURCES, type Resource, type Target } from './history';
import { h } from '../shared/dom';
import { vscode } from '../shared/vscodeApi';
import './style.css';


const history = new PressureHistory();
const app = document.getElementById('app')!;


const TITLES: Record<Resource, string> = { cpu: 'CPU', memory: 'Memory', io: 'IO' };

function themeColour(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

/** One target's section: its charts (kept across samples; uPlot's setData redraws). */
interface View {
  section: HTMLElement;
  figures: HTMLElement;
  memory: HTMLElement;
  charts: Map<Resource, uPlot>;
}
const views = new Map<string, View>();
const notice = h('p', { class: 'notice', 'data-testid': 'notice', hidden: '' });
const alertLine = h('p', { class: 'alert', 'data-testid': 'alert', hidden: '' });
const targetsBox = h('div', { 'data-testid': 'targets' });
app.replaceChildren(h('header', {}, h('h1', {}, 'Pressure'), h('p', { class: 'muted' }, 'Share of time tasks stalled waiting for CPU, memory or IO (Linux PSI), avg10 over the last five minutes.')), notice, alertLine, targetsBox);

function chartOptions(width: number): uPlot.Options {
  const fg = themeColour('--vscode-foreground', '#888');
  const grid = themeColour('--vscode-panel-border', 'rgba(128,128,128,0.3)');
  const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  return {
    width,
    height: 120,
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max ?? 1)] } },
    axes: [axis, { ...axis, values: (_u, vals) => vals.map((v) => `${v} %`), size: 50 }],
    series: [
      {},
      { label: 'some', stroke: themeColour('--vscode-charts-yellow', '#cca700'), width: 1.5, value: (_u, v) => (v === null ? '–' : `${v.toFixed(2)} %`) },
      { label: 'full', stroke: themeColour('--vscode-charts-red', '#f14c4c'), width: 1.5, value: (_u, v) => (v === null ? '–' : `${v.toFixed(2)} %`) },
    ],
  };
}

function chartWidth(): number {
  return Math.max(240, Math.min(520, Math.floor((targetsBox.clientWidth || 900) / 3) - 16));
}

function data(t: Target, r: Resource): uPlot.AlignedData {
  return [t.times, t.some[r], t.full[r]] as unknown as uPlot.AlignedData;
}

function viewOf(t: Target): View {
  let v = views.get(t.key);
  if (v) return v;
  const figures = h('table', { class: 'figures' });
  const memory = h('p', { class: 'memory', 'data-testid': 'memory' });
  const chartsBox = h('div', { class: 'charts' });
  const section = h('section', { 'data-target': t.key, 'data-testid': 'target' }, h('h2', {}, t.label, t.folder ? h('span', { class: 'muted' }, ` ${t.folder}`) : null), memory, chartsBox, figures);
  v = { section, figures, memory, charts: new Map() };
  for (const r of RESOURCES) {
    const box = h('div', { class: 'chart', 'data-resource': r }, h('h3', {}, TITLES[r]));
    chartsBox.append(box);
    v.charts.set(r, new uPlot(chartOptions(chartWidth()), data(t, r), box));
  }
  views.set(t.key, v);
  return v;
}

function renderFigures(v: View, t: Target): void {
  const f = t.latest;
  const rows: HTMLElement[] = [h('tr', {}, h('th', {}, ''), ...['some avg10', 'avg60', 'avg300', 'full avg10', 'avg60', 'avg300'].map((x) => h('th', {}, x)))];
  for (const r of RESOURCES) {
    const p = f[r];
    rows.push(
      h(
        'tr',
        { 'data-resource': r },
        h('th', {}, TITLES[r]),
        ...[p?.some.avg10, p?.some.avg60, p?.some.avg300, p?.full?.avg10, p?.full?.avg60, p?.full?.avg300].map((n) => h('td', {}, pct(n))),
      ),
    );
  }
  v.figures.replaceChildren(...rows);
  const mem = memoryUse(f);
  const missing = f.missing.length ? `Not available: ${f.missing.join('; ')}` : '';
  v.memory.replaceChildren();
  if (mem) {
    const meter = h('meter', { min: '0', max: '1', low: '0.7', high: '0.9', optimum: '0', 'aria-label': 'Memory use against the limit' });
    meter.value = mem.share ?? 0;
    v.memory.append(h('span', {}, 'Memory: '), ...(mem.share !== null ? [meter, ' '] : []), h('span', {}, mem.text));
  }
  if (missing) v.memory.append(h('span', { class: 'muted' }, (mem ? ' · ' : '') + missing));
}

function render(alert: PressureAlert | null): void {
  const list = history.list();
  for (const [key, v] of views) {
    if (!history.targets.has(key)) {
      for (const c of v.charts.values()) c.destroy();
      v.section.remove();
      views.delete(key);
    }
  }
  for (const t of list) {
    const v = viewOf(t);
    for (const r of RESOURCES) v.charts.get(r)!.setData(data(t, r));
    renderFigures(v, t);
  }
  targetsBox.replaceChildren(...list.map((t) => views.get(t.key)!.section));
  alertLine.textContent = alert ? alert.message : '';
  alertLine.className = `alert ${alert?.level ?? ''}`;
  alertLine.hidden = !alert;
}

/** The theme changed (vscode sets body classes): redraw the charts in its colours. */
function rebuildCharts(): void {
  for (const v of views.values()) for (const c of v.charts.values()) c.destroy();
  views.clear();
  render(lastAlert);
}
let lastAlert: PressureAlert | null = null;
new MutationObserver(rebuildCharts).observe(document.body, { attributes: true, attributeFilter: ['class'] });
let resizeTimer: number | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => {
    for (const v of views.values()) for (const c of v.charts.values()) c.setSize({ width: chartWidth(), height: 120 });
  }, 100);
});

window.addEventListener('message', (event: MessageEvent) => {
  const m = event.data as { type?: unknown; params?: unknown };
  if (!m || m.type !== PressureSamplesMessage.type || typeof m.params !== 'object' || m.params === null) return;
  const p = m.params as { samples: PressureUpdate[]; reset: boolean; notice: string | null };
  if (p.reset) history.clear();
  for (const s of p.samples) history.add(s);
  notice.textContent = p.notice ?? '';
  notice.hidden = !p.notice;
  lastAlert = p.samples.length ? (p.samples[p.samples.length - 1].alert ?? null) : lastAlert;
  render(lastAlert);
});

vscode.postMessage({ type: WebviewReady.type, params: {} });
