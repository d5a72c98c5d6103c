// What the built `hb` loads to do its work: every module loaded is read, compiled and set up on
// every run, before and while it talks to the engine (issue 12: hb up of a running container in
// about the time of a bare Node start and one exec). A socket engine needs neither TLS nor zlib,
// and a command that only needs the protocol's constants does not need the JSON-RPC connection.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import * as path from 'node:path';
import { CLI, REPO, ensureBuilt } from '../helpers/build';
import { makeFolder, removeAll } from '../helpers/folders';

describe('hb startup: what a command loads', function () {
  this.timeout(30000);
  before(() => ensureBuilt());
  after(removeAll);

  it('hb status talks to a socket engine without loading https, tls, zlib or node:crypto', async () => {
    const folder = makeFolder({ '.devcontainer/devcontainer.json': '{ "image": "busybox" }' });
    const scratch = makeFolder();
    const sock = path.join(scratch, 'engine.sock');
    const loaded = path.join(scratch, 'modules.json');
    const preload = path.join(scratch, 'modules.cjs');
    writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(loaded)}, JSON.stringify(process.moduleLoadList)));\n`);
    const asked: string[] = [];
    const server = createServer((req, res) => {
      asked.push(`${req.method} ${req.url?.split('?')[0]}`);
      res.setHeader('Server', 'Docker/99.0.0 (linux)');
      res.setHeader('Api-Version', '1.99');
      res.setHeader('Content-Type', 'application/json');
      res.end(req.url?.startsWith('/containers/json') ? '[]' : 'OK');
    });
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      const env = { PATH: process.env.PATH, HOME: scratch, DOCKER_HOST: `unix://${sock}`, HB_CACHE_DIR: path.join(scratch, 'cache'), HB_CONFIG_DIR: path.join(scratch, 'config') };
      const status = async (extra: NodeJS.ProcessEnv = {}) => {
        const child = spawn(process.execPath, ['-r', preload, CLI, 'status', folder, '--json'], { cwd: REPO, env: { ...env, ...extra } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (b: Buffer) => (stdout += b));
        child.stderr.on('data', (b: Buffer) => (stderr += b));
        const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
        return { code, stdout, stderr };
      };
      // DEBUG still turns on docker-modem's log (its debug package is set up only then)
      const logged = await status({ DEBUG: 'modem' });
      assert.equal(logged.code, 0, logged.stderr);
      assert.match(logged.stderr, /modem Sending: \{/);
      const { code, stdout, stderr } = await status();
      assert.equal(code, 0, stderr);
      assert.doesNotMatch(stderr, /modem/);
      assert.equal(JSON.parse(stdout).containerId, null);
      assert.ok(asked.includes('GET /containers/json'), `the engine was asked: ${asked.join(', ')}`);
      const modules = (JSON.parse(readFileSync(loaded, 'utf8')) as string[]).filter((m) => m.startsWith('NativeModule '));
      for (const m of ['https', 'tls', 'zlib', 'crypto']) assert.ok(!modules.includes(`NativeModule ${m}`), `hb status loaded node:${m}`);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('hb up and hb status bundle the protocol without the JSON-RPC connection (net streams, 120 KB)', () => {
    const outputs = JSON.parse(readFileSync(path.join(REPO, 'dist', 'meta.json'), 'utf8')).engine.outputs as Record<string, { inputs: Record<string, unknown> }>;
    for (const bundle of ['dist/cli-up.js', 'dist/cli-status.js']) {
      const inputs = Object.keys(outputs[bundle].inputs);
      assert.ok(inputs.some((i) => i.endsWith(path.join('src', 'protocol', 'runtime.ts'))), `${bundle} has the protocol`);
      const connection = inputs.filter((i) => /vscode-jsonrpc[\\/]lib[\\/](node[\\/]|common[\\/]connection)/.test(i));
      assert.deepEqual(connection, [], `${bundle} bundles the JSON-RPC connection`);
    }
  });
});
