// The Seccomp panel's webview: the folder's profile as the host sends it (SeccompStateMessage) —
// size against the engine's default and the recordings' floor, the allowed syscalls by category
// with counts, first process and argument rules, what the last generate changed, and the last
// validation with every blocked call and the processes that made it. Everything is set as text.
import type { SeccompView } from '../../src/protocol';
import { SeccompGenerateMessage, SeccompOpenFileMessage, SeccompStateMessage, WebviewReady, type SeccompState } from '../../src/protocol/webview';
import { h } from '../shared/dom';
import { vscode } from '../shared/vscodeApi';
import './style.css';

const app = document.getElementById('app')!;

function summary(v: SeccompView): HTMLElement {
  const parts: string[] = [`${v.allowed} syscalls allowed`];
  if (v.distinct !== null) parts.push(`the workload made ${v.distinct} distinct calls in ${v.recordings} recording${v.recordings === 1 ? '' : 's'}`);
  if (v.engineDefault) parts.push(`${v.engineDefault.engine}'s default allows ${v.engineDefault.allowed} on ${v.engineDefault.arch} (${Math.round(100 * (1 - v.allowed / v.engineDefault.allowed))} % fewer here)`);
  else parts.push("the engine's default was not measured yet (it is, while recording)");
  return h('p', { 'data-testid': 'summary' }, parts.join('; ') + '.');
}

function applied(v: SeccompView): HTMLElement {
  return h('p', { class: 'muted', 'data-testid': 'applied' }, v.configured ? `Applied: customizations.hyperbox.seccomp.profile is "${v.configured}".` : 'Not applied: devcontainer.json does not set customizations.hyperbox.seccomp.profile (hb seccomp apply, or the code action in devcontainer.json).');
}

function difference(v: SeccompView): HTMLElement | null {
  const g = v.lastGenerate;
  if (!g) return null;
  if (g.previous === null) return h('p', { class: 'muted', 'data-testid': 'difference' }, `Generated ${g.time}: the first profile in this file.`);
  const text = g.added.length || g.removed.length ? `added ${g.added.join(', ') || 'nothing'}; removed ${g.removed.join(', ') || 'nothing'}` : 'no change';
  return h('p', { class: 'muted', 'data-testid': 'difference' }, `Generated ${g.time}, against the previous profile (${g.previous} allowed): ${text}.`);
}

function validation(v: SeccompView): HTMLElement {
  const r = v.validation;
  if (!r) return h('section', { 'data-testid': 'validation' }, h('h2', {}, 'Validation'), h('p', { class: 'muted' }, 'Not validated yet: Generate runs the workload again under the profile.'));
  const ended = r.ended === 'stopped' ? 'stopped after its time' : `exited with ${r.exitCode}`;
  const head = r.ok ? h('p', { class: 'ok' }, `Passed ${r.time}: no call blocked; the workload ${ended}.`) : h('p', { class: 'bad' }, `Failed ${r.time}: ${r.denials.length} syscall${r.denials.length === 1 ? '' : 's'} blocked; the workload ${ended}${r.failsWithoutProfile ? ' (it fails without the profile too: not the profile\'s doing)' : ''}.`);
  const rows = r.denials.map((d) => h('tr', {}, h('td', {}, h('code', {}, d.name)), h('td', { class: 'num' }, `${d.count}×`), h('td', {}, d.processes.join(', '))));
  return h(
    'section',
    { 'data-testid': 'validation' },
    h('h2', {}, 'Validation'),
    head,
    h('p', { class: 'muted' }, `Command: ${r.command.join(' ')}`),
    rows.length ? h('table', { 'data-testid': 'denials' }, h('tr', {}, h('th', {}, 'Blocked'), h('th', {}, 'Calls'), h('th', {}, 'By')), ...rows) : null,
    r.logTail ? h('pre', {}, r.logTail) : null,
  );
}

function groups(v: SeccompView): HTMLElement {
  const sections = v.groups.map((g) =>
    h(
      'section',
      { 'data-category': g.category },
      h('h3', {}, `${g.category} (${g.syscalls.length})`),
      h(
        'table',
        {},
        h('tr', {}, h('th', {}, 'Syscall'), h('th', {}, 'Calls'), h('th', {}, 'First by'), h('th', {}, 'Only when')),
        ...g.syscalls.map((s) => h('tr', { 'data-syscall': s.name }, h('td', {}, h('code', {}, s.name)), h('td', { class: 'num' }, s.count === null ? '–' : String(s.count)), h('td', {}, s.firstExe ?? '–'), h('td', {}, s.rules.join('; or ') || 'any arguments'))),
      ),
    ),
  );
  const refused = v.refused.length ? h('p', { class: 'muted', 'data-testid': 'refused' }, `Refused on purpose: ${v.refused.map((r) => `${r.name} (${r.errno})`).join(', ')}.`) : null;
  return h('section', { 'data-testid': 'groups' }, h('h2', {}, 'Allowed syscalls'), ...sections, refused);
}

function render(s: SeccompState): void {
  vscode.setState({ folderUri: s.folderUri });
  const generate = h('button', { 'data-testid': 'generate' }, s.busy ? 'Generating…' : s.view?.exists ? 'Generate again' : 'Generate');
  generate.disabled = !!s.busy;
  generate.addEventListener('click', () => vscode.postMessage({ type: SeccompGenerateMessage.type, params: {} }));
  const open = h('button', { 'data-testid': 'open' }, 'Open Profile');
  open.addEventListener('click', () => vscode.postMessage({ type: SeccompOpenFileMessage.type, params: {} }));
  const v = s.view;
  const parts: (Node | null)[] = [
    h('header', {}, h('h1', {}, `Seccomp: ${s.folderName}`), v ? h('p', { class: 'muted', 'data-testid': 'file' }, v.file) : null),
    h('p', {}, generate, v?.exists ? open : null, s.busy ? h('span', { class: 'muted', 'data-testid': 'busy' }, s.busy) : null),
    s.notice ? h('p', { class: 'notice warning', 'data-testid': 'notice' }, s.notice) : null,
    v?.problem ? h('p', { class: 'notice warning bad', 'data-testid': 'problem' }, v.problem) : null,
    ...(v?.exists && !v.problem ? [summary(v), applied(v), difference(v), validation(v), groups(v)] : v ? [applied(v)] : []),
  ];
  app.replaceChildren(...parts.filter((x): x is Node => x !== null));
}

window.addEventListener('message', (e: MessageEvent) => {
  const m = e.data as { type?: string; params?: unknown };
  if (m?.type === SeccompStateMessage.type) render(m.params as SeccompState);
});
app.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
vscode.postMessage({ type: WebviewReady.type, params: {} });
