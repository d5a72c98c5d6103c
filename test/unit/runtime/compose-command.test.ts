// Compose's string form of a command or entrypoint, split as compose splits it, so Feature
// entrypoints can run before the service's own command.
import { strict as assert } from 'node:assert';
import { splitCommand } from '../../../src/engine/runtime/create/compose';

describe('runtime: compose command strings', () => {
  it('splits as a shell would, without expanding', () => {
    assert.deepEqual(splitCommand('node server.js --port 3000'), ['node', 'server.js', '--port', '3000']);
    assert.deepEqual(splitCommand(`sh -c "echo \\"hi\\" \\$HOME" 'a b' c\\ d ""`), ['sh', '-c', 'echo "hi" $HOME', 'a b', 'c d', '']);
  });
});
