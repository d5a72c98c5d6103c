// Hot reload in the editor: the engine's ReloadChanged events folded into one state per project
// (reloadState.ts), and what the status bar, the HyperBox view and the Dev Container panel say of
// it — the same words and figures everywhere, the recent reloads listed with what failed.
import { strict as assert } from 'node:assert';
import type { ReloadEvent } from '../../../src/protocol';
import { Commands } from '../../../src/extension/contributions';
import { panelReload } from '../../../src/extension/panels/devContainerPanel';
import { RECENT, applyReloadEvent, describeReload, wantsSaves, type ReloadState } from '../../../src/extension/reloadState';
import { statusView, type ProjectView } from '../../../src/extension/status';
import { reloadNode } from '../../../src/extension/treeModel';

const base = { folder: '/w/app', configFile: '/w/app/.devcontainer/devcontainer.json' };
const fold = (events: Omit<ReloadEvent, 'folder' | 'configFile'>[]): ReloadState | undefined =>
  events.reduce<ReloadState | undefined>((s, e, i) => applyReloadEvent(s, { ...base, ...e }, 1_000 + i), undefined);
const reloaded = (ms: number, files = ['server.js'], extra: Partial<ReloadEvent> = {}): Omit<ReloadEvent, 'folder' | 'configFile'> => ({ kind: 'reloaded', action: 'restarted', files, count: files.length, ms, p50: 80, p95: 120, ...extra });

const running = { kind: 'running', version: '1', pid: 1 } as const;
const project = (reload?: ReloadState): ProjectView => ({
  folderName: 'app',
  configCount: 1,
  state: { kind: 'checked', configLabel: '.devcontainer/devcontainer.json', errors: 0, warnings: 0 },
  container: { kind: 'running', name: 'app-dev', image: 'node', ports: [] },
  ...(reload ? { reload } : {}),
});

describe('hot reload in the editor', () => {
  it('the status bar shows the last reload latency beside the container, and p50/p95 in its tooltip', () => {
    const s = fold([{ kind: 'started', message: 'node server.js (restart)' }, reloaded(84)]);
    const v = statusView({ engine: running, projects: [project(s)], focus: 0 });
    assert.match(v.text, /dev container running · \$\(zap\) 84 ms$/);
    assert.match(v.tooltip, /Hot reload: on · last 84 ms · p50 80 \/ p95 120 ms; last restarted in 84 ms \\\(server\\\.js\\\)/);
    assert.ok(v.linkedCommands.includes(Commands.toggleReload));
    assert.match(v.tooltip, /\[Toggle Hot Reload\]\(command:hyperbox\.toggleReload\)/);
  });

  it('without hot reload the status bar says nothing of it, and still offers the toggle', () => {
    const v = statusView({ engine: running, projects: [project()], focus: 0 });
    assert.doesNotMatch(v.text, /zap/);
    assert.doesNotMatch(v.tooltip, /Hot reload:/);
    assert.ok(v.linkedCommands.includes(Commands.toggleReload));
  });

  it('a crash after a reload: the status bar warns, the reload that caused it carries the app output, the next reload clears it', () => {
    let s = fold([{ kind: 'started' }, reloaded(90), { kind: 'crashed', exitCode: 1, output: 'Error: broken on purpose' }]);
    assert.equal(s!.state, 'crashed');
    assert.match(statusView({ engine: running, projects: [project(s)], focus: 0 }).text, /\$\(zap\) \$\(warning\) app crashed/);
    assert.match(s!.recent[0].error!, /exited with code 1[\s\S]*broken on purpose/);
    assert.equal(wantsSaves(s), true, 'saves still go to the engine: the next one starts the app again');
    s = applyReloadEvent(s, { ...base, ...reloaded(70) });
    assert.equal(s.state, 'running');
    assert.equal(s.recent[0].error, undefined);
  });

  it('the container stopping keeps saves flowing (they are queued); turned off, saves are no longer sent', () => {
    const suspended = fold([{ kind: 'started' }, { kind: 'suspended', message: 'queued' }]);
    assert.equal(describeReload(suspended!), 'waiting for the container (changes queued)');
    assert.equal(wantsSaves(suspended), true);
    const off = applyReloadEvent(suspended, { ...base, kind: 'off' });
    assert.equal(wantsSaves(off), false);
    assert.equal(describeReload(off), 'off');
    assert.equal(wantsSaves(undefined), false);
  });

  it('keeps the last RECENT reloads, newest first', () => {
    const s = fold([{ kind: 'started' }, ...Array.from({ length: RECENT + 5 }, (_, i) => reloaded(i + 1))]);
    assert.equal(s!.recent.length, RECENT);
    assert.equal(s!.recent[0].ms, RECENT + 5);
    assert.equal(s!.last!.ms, RECENT + 5);
  });

  it('the view and the panel list the same reloads with the same words as the status bar', () => {
    const s = fold([
      { kind: 'started' },
      reloaded(84, ['server.js'], { phases: { wait: 2, restart: 30, serve: 40 } }),
      reloaded(2300, ['a.js', 'b.js'], { action: 'synced', count: 5002, message: 'Copying 5002 changed file(s) into the container took longer than 30 s' }),
    ])!;
    const node = reloadNode({ folder: '/w/app', reload: s });
    const panel = panelReload(s);
    assert.equal(node.description, describeReload(s));
    assert.equal(panel.summary, describeReload(s));
    assert.equal(node.command?.command, Commands.toggleReload);
    assert.deepEqual(
      node.children!.map((c) => [c.label, c.description]),
      [
        ['a.js, b.js +5000', 'synced in 2.3 s · failed'],
        ['server.js', 'restarted in 84 ms'],
      ],
    );
    assert.match(node.children![0].tooltip!, /took longer than 30 s/);
    assert.match(node.children![1].tooltip!, /Where the time went: wait 2 ms, restart 30 ms, serve 40 ms/);
    assert.deepEqual(
      panel.recent.map((r) => [r.files, r.action, r.ms, r.phases, r.error !== null]),
      [
        ['a.js, b.js and 5000 more', 'synced', 2300, null, true],
        ['server.js', 'restarted', 84, 'wait 2 ms, restart 30 ms, serve 40 ms', false],
      ],
    );
  });

  it('the view offers hot reload when the engine has not reported on it: off, click to turn on', () => {
    const node = reloadNode({ folder: '/w/app' });
    assert.equal(node.description, 'off');
    assert.match(node.tooltip!, /Click to turn it on/);
    assert.deepEqual(node.children, []);
  });
});
