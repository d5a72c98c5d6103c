// The pure rules behind the one state model: which timeline wins when answers and notifications
// cross, what a stopped container's ports are, live output in the running rows, the container
// output view's appends, which problems the editor's own JSON checker already shows, and the
// view's config problems beside a container.
import { strict as assert } from 'node:assert';
import { outputLines } from '../../../src/extension/containers';
import { outputDelta } from '../../../src/extension/containerOutput';
import { newerTimeline } from '../../../src/extension/details';
import { truthfulPorts, withLiveOutput } from '../../../src/extension/model';
import { reportedByEditor } from '../../../src/extension/problems';
import { buildTree } from '../../../src/extension/treeModel';
import type { PortForward, UpTimeline } from '../../../src/protocol';

const timeline = (startedAt: string, outcome: UpTimeline['outcome'], totalMs: number): UpTimeline => ({
  folder: '/w/app',
  configFile: '/w/app/.devcontainer/devcontainer.json',
  containerId: 'c1',
  startedAt,
  totalMs,
  outcome,
  client: 'editor',
  entries: [
    { step: 'create', kind: 'engine', startMs: 0, ms: 50, status: 'ok' },
    { step: 'postCreateCommand', kind: 'lifecycle', startMs: 60, ms: 0, status: outcome === 'running' ? 'running' : 'ok' },
  ],
});

describe('the state model (pure)', () => {
  it('never replaces a timeline with an older up or an earlier moment of the same up', () => {
    const t1 = '2026-12-04T10:00:00.000Z';
    const t2 = '2026-12-04T10:05:00.000Z';
    assert.ok(newerTimeline(undefined, timeline(t1, 'running', 10)));
    assert.ok(newerTimeline(null, timeline(t1, 'running', 10)));
    assert.ok(newerTimeline(timeline(t1, 'running', 10), timeline(t1, 'running', 20)), 'later in the same up');
    assert.ok(newerTimeline(timeline(t1, 'running', 900), timeline(t1, 'ok', 800)), 'the end of the up wins over any running moment');
    assert.ok(!newerTimeline(timeline(t1, 'ok', 800), timeline(t1, 'running', 900)), '"running" never comes back after the end (the bug: "up running…" until Refresh)');
    assert.ok(!newerTimeline(timeline(t1, 'running', 20), timeline(t1, 'running', 10)));
    assert.ok(newerTimeline(timeline(t1, 'ok', 800), timeline(t2, 'running', 1)), 'a new up');
    assert.ok(!newerTimeline(timeline(t2, 'running', 1), timeline(t1, 'ok', 800)), 'an older up');
  });

  it('says nobody forwards the ports of a container that does not run', () => {
    const ports: PortForward[] = [
      { containerPort: 3000, hostPort: 3000, source: 'forwardPorts', state: 'forwarded', by: { pid: 9, what: 'HyperBox engine' }, via: 'bridge' },
      { containerPort: 8080, hostPort: 8080, source: 'appPort', state: 'published' },
      { containerPort: 5432, hostPort: 5432, source: 'forwardPorts', state: 'conflict', message: 'taken by postgres (pid 4)' },
    ];
    assert.deepEqual(truthfulPorts(ports, true), ports);
    const stopped = truthfulPorts(ports, false);
    assert.deepEqual(
      stopped.map((p) => [p.containerPort, p.state, p.by, p.message]),
      [
        [3000, 'not-forwarded', undefined, 'the container is not running'],
        [8080, 'not-forwarded', undefined, 'the container is not running'],
        [5432, 'conflict', undefined, 'taken by postgres (pid 4)'],
      ],
    );
  });

  it('shows what a running step printed so far, and leaves finished ups alone', () => {
    const running = timeline('2026-12-04T10:00:00.000Z', 'running', 100);
    const live = new Map([['postCreateCommand', 'npm install\nadded 120 packages\n']]);
    const t = withLiveOutput(running, live)!;
    assert.equal(t.entries[1].output, 'npm install\nadded 120 packages\n');
    assert.equal(t.entries[0].output, undefined, 'a step that ended keeps what the engine recorded');
    const ok = timeline('2026-12-04T10:00:00.000Z', 'ok', 100);
    assert.equal(withLiveOutput(ok, live), ok);
  });

  it('writes live output to the log one line per line, named by its source', () => {
    assert.deepEqual(outputLines('postCreateCommand', 'one\r\ntwo\n\nthree\n'), ['[postCreateCommand] one', '[postCreateCommand] two', '[postCreateCommand] ', '[postCreateCommand] three']);
    assert.deepEqual(outputLines('build', '\n'), []);
  });

  it('appends only what is new to the container output view, and starts over when the tails no longer meet', () => {
    assert.deepEqual(outputDelta('', 'a\n'), { append: 'a\n' });
    assert.deepEqual(outputDelta('a\n', 'a\nb\n'), { append: 'b\n' });
    assert.deepEqual(outputDelta('a\nb\n', 'a\nb\n'), { append: '' });
    // older output fell out of the 1 MiB tail: the overlap is found
    assert.deepEqual(outputDelta('x\ny\nz\n', 'y\nz\nw\n'), { append: 'w\n' });
    assert.deepEqual(outputDelta('old\n', 'brand new\n'), { replace: 'brand new\n' });
  });

  it('leaves syntax errors and customizations.hyperbox schema errors to the editor\'s JSON checker, and keeps the rest', () => {
    const text = '{\n  "image": "node:20",\n  "customizations": { "hyperbox": { "runtime": 3 } },\n  "forwardPorts": "x"\n}\n';
    assert.equal(reportedByEditor({ code: 'syntax', line: 2, column: 3 }, text), true);
    assert.equal(reportedByEditor({ code: 'type', line: 3, column: 47 }, text), true, 'customizations.hyperbox.runtime: our schema, in the JSON checker');
    assert.equal(reportedByEditor({ code: 'type', line: 4, column: 19 }, text), false, 'forwardPorts: only HyperBox checks it');
    assert.equal(reportedByEditor({ code: 'image', line: 2, column: 12 }, text), false, 'not a schema problem');
  });

  it('puts a config error beside the container in the view, keeping its nodes', () => {
    const roots = buildTree({
      engineRunning: true,
      installedExtensions: new Set(),
      projects: [
        {
          folder: '/w/app',
          folderName: 'app',
          configLabel: '.devcontainer/devcontainer.json',
          state: { kind: 'checked', configLabel: '.devcontainer/devcontainer.json', errors: 1, warnings: 0, firstProblem: '.devcontainer/devcontainer.json:3:5 "imagee" is not a property' },
          container: { kind: 'running', name: 'app-dev', image: 'node:20', ports: [] },
          summary: {
            folder: '/w/app',
            configFile: null,
            containerId: 'c1',
            name: 'app-dev',
            state: 'running',
            running: true,
            image: 'node:20',
            workspaceFolder: '/workspaces/app',
            remoteUser: 'node',
            ports: [],
            mounts: [],
            drift: { known: true, changed: [] },
            madeBy: 'hyperbox',
          },
          ports: [],
          timeline: null,
          hooks: [],
          extensions: [],
          actions: ['stop', 'openTerminal'],
        },
      ],
    });
    assert.equal(roots[0].description, 'running · 1 config error');
    assert.deepEqual(
      roots[0].children!.map((c) => c.kind),
      ['config', 'container', 'ports', 'mounts', 'lifecycle', 'reload'],
    );
    assert.match(roots[0].children![0].tooltip!, /keeps running as it was made/);
  });
});
