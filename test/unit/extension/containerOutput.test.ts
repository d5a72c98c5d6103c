// "Show Container Output" with the `vscode` API stubbed: one view per folder, reused when shown
// again, named so it cannot be taken for HyperBox's own log, following the container while it runs
// (only the new output is appended) and resting once it stopped.
import { strict as assert } from 'node:assert';
import type { RequestType } from 'vscode-jsonrpc';
import { ContainerOutput, containerOutputName } from '../../../src/extension/containerOutput';
import type { Ctx } from '../../../src/extension/context';
import type { Project } from '../../../src/extension/projects';
import { RuntimeContainerLogs } from '../../../src/protocol';
import { StubLogChannel, Uri, stub } from '../stubs/vscode';
import { waitFor } from './helpers';

describe('Show Container Output (vscode stubbed)', () => {
  beforeEach(() => stub.reset());

  it('is one reused view per folder that follows the running container and rests once it stopped', async function () {
    this.timeout(15_000);
    let logs = 'container started\n';
    let reads = 0;
    const project = {
      folder: { uri: Uri.file('/w/app'), name: 'app', index: 0 },
      choice: { kind: 'chosen', configFile: '/w/app/.devcontainer/devcontainer.json' },
      container: { summary: { running: true } },
    } as unknown as Project;
    const ctx = {
      log: new StubLogChannel('HyperBox'),
      request: async <P, R>(type: RequestType<P, R, void>) => {
        assert.equal(type.method, RuntimeContainerLogs.method);
        reads++;
        return { text: logs, truncated: false } as R;
      },
    } as unknown as Ctx;
    const output = new ContainerOutput(ctx);
    await output.show(project);
    const views = stub.outputChannels.filter((c) => c.name === containerOutputName('app'));
    assert.equal(views.length, 1);
    assert.equal(containerOutputName('app'), 'Dev Container Output: app');
    assert.notEqual(containerOutputName('app'), 'HyperBox', 'not the name of HyperBox\'s own log');
    const view = views[0];
    assert.equal(view.content(), 'container started\n');

    // it follows: new output is appended, nothing twice
    logs += 'postStartCommand: hello\n';
    await waitFor(() => view.content() === 'container started\npostStartCommand: hello\n', 'the new output', 8000, () => view.content());
    assert.equal(output.channels().get('/w/app')?.following, true);

    // shown again: the same view, no new one
    await output.show(project);
    assert.equal(stub.outputChannels.filter((c) => c.name === containerOutputName('app')).length, 1);
    assert.ok(view.shown >= 2);

    // stopped: one last read, then it rests
    (project.container.summary as { running: boolean }).running = false;
    logs += 'bye\n';
    await waitFor(() => view.content().endsWith('bye\n'), 'the last output', 8000);
    const n = reads;
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(reads, n, 'no reading while the container is stopped');
    assert.equal(output.channels().get('/w/app')?.following, false);
    output.dispose();
    assert.equal(view.disposed, true);
  });
});
