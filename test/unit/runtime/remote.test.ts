// A remote engine: which engines count as on this machine, what of the workspace is copied in
// (.gitignore rules), which bind mounts are left out, and the ssh host-key check.
import { strict as assert } from 'node:assert';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isLocalEngine, parseDockerHost } from '../../../src/engine/runtime/engine/endpoint';
import { installedPodmanRuntimes } from '../../../src/engine/runtime/engine/podman';
import { authFailedMessage, checkHostKey, hostFieldMatches, hostKeyMessage, knownHostName, unreachableMessage } from '../../../src/engine/runtime/engine/sshHost';
import { isIgnored, listWorkspace, parseGitignore, planRemoteWorkspace } from '../../../src/engine/runtime/create/workspaceCopy';
import type { Engine } from '../../../src/engine/runtime/engine/docker';

describe('runtime: remote engines', () => {
  describe('local or remote', () => {
    const local = (host: string, env: NodeJS.ProcessEnv = {}) => isLocalEngine(parseDockerHost(host, 'DOCKER_HOST'), env);
    it('a unix socket and tcp to a loopback address are this machine; ssh and other hosts are not', () => {
      assert.equal(local('unix:///var/run/docker.sock'), true);
      assert.equal(local('tcp://127.0.0.1:2375'), true);
      assert.equal(local('tcp://localhost:2375'), true);
      assert.equal(local('tcp://[::1]:2375'), true);
      assert.equal(local('tcp://10.0.0.5:2376'), false);
      assert.equal(local('ssh://me@build-box'), false);
      // ssh to this very machine still counts as remote: ssh is how one reaches another machine
      assert.equal(local('ssh://root@127.0.0.1:2222'), false);
    });
    it('HB_ENGINE_REMOTE overrides the address', () => {
      assert.equal(local('tcp://127.0.0.1:2375', { HB_ENGINE_REMOTE: '1' }), false);
      assert.equal(local('ssh://me@nfs-box', { HB_ENGINE_REMOTE: '0' }), true);
    });
  });

  describe('.gitignore rules for the workspace copy', () => {
    const ignored = (text: string, rel: string, isDir = false) => isIgnored([{ base: '', rules: parseGitignore(text) }], rel, isDir);
    it('matches names at any depth, anchored paths, folders only, globs and exceptions', () => {
      assert.equal(ignored('node_modules/', 'node_modules', true), true);
      assert.equal(ignored('node_modules/', 'packages/a/node_modules', true), true);
      assert.equal(ignored('node_modules/', 'node_modules', false), false, 'a file named like a folder rule stays');
      assert.equal(ignored('*.log', 'logs/debug.log'), true);
      assert.equal(ignored('/build', 'build', true), true);
      assert.equal(ignored('/build', 'src/build', true), false, 'a leading slash anchors at the .gitignore');
      assert.equal(ignored('docs/*.md', 'docs/a.md'), true);
      assert.equal(ignored('docs/*.md', 'docs/sub/a.md'), false);
      assert.equal(ignored('**/cache/**', 'a/b/cache/x/y'), true);
      assert.equal(ignored('*.env\n!example.env', 'example.env'), false);
      assert.equal(ignored('*.env\n!example.env', 'prod.env'), true);
      assert.equal(ignored('# a comment\n\n\\#hash', '#hash'), true);
      assert.equal(ignored('file[0-9].txt', 'file7.txt'), true);
      assert.equal(ignored('file?.txt', 'file10.txt'), false);
    });
    it('applies a nested .gitignore to its own folder only', () => {
      const stack = [
        { base: '', rules: parseGitignore('*.log') },
        { base: 'pkg', rules: parseGitignore('*.tmp\n!keep.log') },
      ];
      assert.equal(isIgnored(stack, 'pkg/x.tmp', false), true);
      assert.equal(isIgnored(stack, 'other/x.tmp', false), false);
      assert.equal(isIgnored(stack, 'pkg/keep.log', false), false, 'the deeper file has the last word');
      assert.equal(isIgnored(stack, 'pkg/other.log', false), true);
    });
    it('lists what is copied: not .git, not what .gitignore files exclude; counts files and bytes', async () => {
      const root = mkdtempSync(path.join(os.tmpdir(), 'hb-copy-'));
      try {
        const put = (rel: string, text: string) => {
          mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
          writeFileSync(path.join(root, rel), text);
        };
        put('.gitignore', 'node_modules/\n*.log\n');
        put('src/a.ts', 'abc');
        put('src/sub/.gitignore', 'gen/\n');
        put('src/sub/gen/out.js', 'x');
        put('src/sub/b.ts', 'de');
        put('node_modules/x/index.js', 'x');
        put('debug.log', 'x');
        put('.git/HEAD', 'ref');
        const list = await listWorkspace(root);
        assert.deepEqual([...list.keep].sort(), ['.gitignore', 'src', 'src/a.ts', 'src/sub', 'src/sub/.gitignore', 'src/sub/b.ts']);
        assert.equal(list.files, 4);
        assert.equal(list.bytes, 'node_modules/\n*.log\n'.length + 3 + 'gen/\n'.length + 2);
        assert.deepEqual(list.skipped.sort(), ['.git/', 'debug.log', 'node_modules/', 'src/sub/gen/']);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  });

  describe('bind mounts with a remote engine', () => {
    it('takes the workspace mount out to copy it, drops other host folders with a warning, keeps volumes and the engine socket', () => {
      const warnings: string[] = [];
      const hostConfig = {
        Mounts: [
          { Type: 'bind' as const, Source: '/home/me/project', Target: '/workspaces/project' },
          { Type: 'bind' as const, Source: '/home/me/.aws', Target: '/root/.aws' },
          { Type: 'bind' as const, Source: '/var/run/docker.sock', Target: '/var/run/docker.sock' },
          { Type: 'volume' as const, Source: 'cache', Target: '/cache' },
        ],
        Binds: ['/etc/hosts:/host-hosts:ro', 'named:/data'],
      };
      const plan = planRemoteWorkspace(hostConfig, '/workspaces/project', 'at ssh://me@box (from DOCKER_HOST)', { warn: (m) => warnings.push(m) });
      assert.deepEqual(plan, { source: '/home/me/project', target: '/workspaces/project' });
      assert.deepEqual(
        hostConfig.Mounts.map((m) => m.Target),
        ['/var/run/docker.sock', '/cache'],
      );
      assert.deepEqual(hostConfig.Binds, ['named:/data']);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /ssh:\/\/me@box .* left out of the container: \/home\/me\/\.aws -> \/root\/\.aws, \/etc\/hosts -> \/host-hosts/);
    });
    it('copies nothing when the workspace mount is a volume', () => {
      const hostConfig = { Mounts: [{ Type: 'volume' as const, Source: 'src', Target: '/workspaces/project' }] };
      assert.equal(planRemoteWorkspace(hostConfig, '/workspaces/project', 'x', { warn: () => assert.fail('no warning') }), undefined);
    });
  });

  describe('ssh host keys', () => {
    const key = (type: string) => {
      const t = Buffer.from(type);
      const len = Buffer.alloc(4);
      len.writeUInt32BE(t.length);
      return Buffer.concat([len, t, randomBytes(32)]);
    };
    const mine = key('ssh-ed25519');
    const other = key('ssh-ed25519');
    it('names hosts as known_hosts does', () => {
      assert.equal(knownHostName('box', 22), 'box');
      assert.equal(knownHostName('127.0.0.1', 2222), '[127.0.0.1]:2222');
    });
    it('finds the key on a plain, a hashed, a wildcard line; sees a changed and a revoked key; and an unknown host', () => {
      const b64 = mine.toString('base64');
      assert.equal(checkHostKey([`box,other ssh-ed25519 ${b64}`], 'box', 22, mine), 'known');
      assert.equal(checkHostKey([`[box]:2222 ssh-ed25519 ${b64}`], 'box', 22, mine), 'unknown', 'another port is another host');
      assert.equal(checkHostKey([`[box]:2222 ssh-ed25519 ${b64}`], 'box', 2222, mine), 'known');
      const salt = randomBytes(20);
      const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[box]:2222').digest('base64')}`;
      assert.equal(checkHostKey([`${hashed} ssh-ed25519 ${b64}`], 'box', 2222, mine), 'known');
      assert.equal(checkHostKey([`*.example.com ssh-ed25519 ${b64}`], 'build.example.com', 22, mine), 'known');
      assert.equal(hostFieldMatches('*.example.com,!bad.example.com', 'bad.example.com'), false);
      assert.equal(checkHostKey([`box ssh-ed25519 ${other.toString('base64')}`], 'box', 22, mine), 'changed');
      assert.equal(checkHostKey([`box ssh-rsa ${other.toString('base64')}`], 'box', 22, mine), 'unknown', 'a key of another type is no conflict');
      assert.equal(checkHostKey([`@revoked box ssh-ed25519 ${b64}`, `box ssh-ed25519 ${b64}`], 'box', 22, mine), 'revoked');
      assert.equal(checkHostKey(['# nothing here', ''], 'box', 22, mine), 'unknown');
    });
    it('says what went wrong and what to do', () => {
      const t = { host: 'box', port: 2222, username: 'me', address: 'ssh://me@box:2222', source: 'DOCKER_HOST' };
      assert.match(hostKeyMessage(t, 'unknown', 'SHA256:abc', ['~/.ssh/known_hosts']), /\[box\]:2222 is not in ~\/\.ssh\/known_hosts.*SHA256:abc.*ssh -p 2222 me@box/);
      assert.match(hostKeyMessage(t, 'changed', 'SHA256:abc', []), /CHANGED.*ssh-keygen -R '\[box\]:2222'/);
      assert.match(authFailedMessage(t, ['the ssh agent at /tmp/a.sock']), /refused to log in me: none of the keys offered was accepted \(the ssh agent at \/tmp\/a\.sock\).*authorized_keys/);
      assert.match(unreachableMessage(t, 'ENOTFOUND', ''), /the host name box cannot be resolved/);
    });
  });

  it("keeps only the Podman runtimes installed on this machine (Podman lists every runtime it knows of)", () => {
    const list = {
      defaultRuntime: 'crun',
      runtimes: [
        { name: 'crun', path: '/usr/bin/crun', kind: 'crun' as const, description: '', isDefault: true },
        { name: 'kata', path: '/usr/bin/kata-runtime', kind: 'kata' as const, description: '', isDefault: false },
        { name: 'runc', path: '/usr/bin/runc', kind: 'runc' as const, description: '', isDefault: false },
      ],
    };
    const engine = (host: string) => ({ endpoint: parseDockerHost(host, 'DOCKER_HOST') }) as unknown as Engine;
    const exists = (p: string) => p !== '/usr/bin/kata-runtime';
    assert.deepEqual(
      installedPodmanRuntimes(list, engine('unix:///run/podman/podman.sock'), {}, exists).runtimes.map((r) => r.name),
      ['crun', 'runc'],
    );
    assert.equal(installedPodmanRuntimes(list, engine('ssh://me@box'), {}, exists).runtimes.length, 3, 'another machine: its list as it is');
  });
});
