// Side by side with the reference implementation (@devcontainers/cli) on the same engine: each
// adopts the other's container and neither re-runs the other's lifecycle commands.
import { strict as assert } from 'node:assert';
import { devUserImage } from './images';
import { containersOf, dockerExec, hb, hbUp, reference, removeEverythingUnder, TEST_ROOT, usedByReference, workspace } from './helpers';

const LOG = '/tmp/hooks.log';
const hooks = {
  onCreateCommand: `echo onCreate >> ${LOG}`,
  updateContentCommand: `echo updateContent >> ${LOG}`,
  postCreateCommand: `echo postCreate >> ${LOG}`,
  postStartCommand: `echo postStart >> ${LOG}`,
  postAttachCommand: `echo postAttach >> ${LOG}`,
};
const readLog = (id: string) => dockerExec(id, `cat ${LOG}`).trim().split('\n');

describe('engine: side by side with the reference CLI', () => {
  after(() => removeEverythingUnder(TEST_ROOT));

  it('adopts a container made by `devcontainer up` as it is: drift unknown, no command run twice', async () => {
    const folder = usedByReference(workspace('refmade', { image: devUserImage(), remoteUser: 'dev', ...hooks }));
    const made = reference(['up', '--workspace-folder', folder]);
    assert.equal(made.code, 0, made.stderr);
    const refResult = JSON.parse(made.stdout.trim().split('\n').pop()!);
    assert.equal(refResult.outcome, 'success');
    const { result } = await hbUp(folder);
    assert.equal(result.containerId, refResult.containerId);
    assert.equal(result.madeBy, 'other');
    assert.deepEqual(result.drift, { known: false, changed: [] });
    assert.equal(result.state, 'running');
    assert.equal(result.remoteUser, 'dev');
    assert.deepEqual(readLog(result.containerId!), ['onCreate', 'updateContent', 'postCreate', 'postStart', 'postAttach', 'postAttach']);
    const status = JSON.parse(hb(['status', folder, '--json']).stdout);
    assert.match(status.message, /drift unknown/);
    assert.equal((await containersOf(folder)).length, 1);
  });

  it('lets `devcontainer up` reuse a container HyperBox made, without re-running its commands', async () => {
    const folder = usedByReference(workspace('hbmade', { image: devUserImage(), remoteUser: 'dev', ...hooks }));
    const { result } = await hbUp(folder);
    const again = reference(['up', '--workspace-folder', folder]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout.trim().split('\n').pop()!).containerId, result.containerId);
    assert.deepEqual(readLog(result.containerId!), ['onCreate', 'updateContent', 'postCreate', 'postStart', 'postAttach', 'postAttach']);
    assert.equal((await containersOf(folder)).length, 1);
  });
});
