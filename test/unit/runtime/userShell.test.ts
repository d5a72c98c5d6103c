// The user environment probe finds the user's login shell in /etc/passwd as printed from the
// container (by name or uid, the first line that matches), with no shell script of its own.
import { strict as assert } from 'node:assert';
import { shellOf } from '../../../src/engine/runtime/lifecycle/lifecycle';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/bash',
  'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
  'dev:x:1000:1000:Dev User,,,:/home/dev:/usr/bin/zsh',
  'alias:x:1000:1000::/home/alias:/bin/sh',
  'noshell:x:1001:1001::/home/noshell:',
  '',
].join('\n');

describe('runtime: the user environment probe\'s shell', () => {
  it('finds the shell by user name or uid, with or without a group, the first matching line winning', () => {
    assert.equal(shellOf(PASSWD, 'root'), '/bin/bash');
    assert.equal(shellOf(PASSWD, 'dev'), '/usr/bin/zsh');
    assert.equal(shellOf(PASSWD, 'dev:dev'), '/usr/bin/zsh');
    assert.equal(shellOf(PASSWD, '1000'), '/usr/bin/zsh');
    assert.equal(shellOf(PASSWD, '1000:1000'), '/usr/bin/zsh');
    assert.equal(shellOf(PASSWD, 'alias'), '/bin/sh');
    assert.equal(shellOf(PASSWD.replace(/\n/g, '\r\n'), 'root'), '/bin/bash');
  });

  it('finds none for an unknown user, an empty shell field, an empty user or a name that only looks like a uid field', () => {
    assert.equal(shellOf(PASSWD, 'nobody'), undefined);
    assert.equal(shellOf(PASSWD, '4242'), undefined);
    assert.equal(shellOf(PASSWD, 'noshell'), undefined);
    assert.equal(shellOf(PASSWD, ''), undefined);
    // "x" is every line's password field, not a user
    assert.equal(shellOf(PASSWD, 'x'), undefined);
  });
});
