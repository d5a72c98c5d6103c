// The one mapping from engine errors to JSON-RPC errors: what the editor receives decides what it
// shows (a trust prompt with the findings, "folder cannot be read"), so the code and data must
// survive for every kind of error, from every service.
import * as assert from 'node:assert/strict';
import { ResponseError } from 'vscode-jsonrpc';
import { PROJECT_ERROR, RUNTIME_ERROR } from '../../../src/protocol';
import { mapErrors, toResponseError } from '../../../src/engine/rpc/errors';
import { RuntimeError } from '../../../src/engine/runtime/errors';
import { DetectError } from '../../../src/engine/project/walk';

describe('engine errors on the wire', () => {
  it('a runtime error keeps its code and its trust findings', () => {
    const findings = [{ key: 'mount:/etc', text: 'it mounts /etc' }];
    const e = toResponseError(new RuntimeError('trust-required', 'not trusted', undefined, { findings, newFindings: ['mount:/etc'] })) as ResponseError<unknown>;
    assert.ok(e instanceof ResponseError);
    assert.equal(e.code, RUNTIME_ERROR);
    assert.equal(e.message, 'not trusted');
    assert.deepEqual(e.data, { code: 'trust-required', findings, newFindings: ['mount:/etc'] });
  });

  it('a folder that cannot be read says which folder and why', async () => {
    await assert.rejects(mapErrors(Promise.reject(new DetectError('cannot read /x', '/x', 'permission'))), (e: ResponseError<unknown>) => {
      assert.equal(e.code, PROJECT_ERROR);
      assert.deepEqual(e.data, { code: 'permission', folder: '/x' });
      return true;
    });
  });

  it('anything else goes out as it was thrown', async () => {
    const bug = new TypeError('x is undefined');
    assert.equal(toResponseError(bug), bug);
    assert.equal(await mapErrors(Promise.resolve(42)), 42);
  });
});
