// The `hb config` contract, on the built CLI (dist/cli.js) as a user runs it:
// --json prints one JSON object with configFile, config, devcontainerId and problems
// [{ severity, message, file, line, column }]; exit 0 without errors, 1 with errors or no config,
// 2 for bad usage; results on stdout, messages on stderr.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CLI, REPO, ensureBuilt } from '../helpers/build';
import { lines, makeFolder, removeAll } from '../helpers/folders';

const CONFIG = '.devcontainer/devcontainer.json';

function hb(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; script?: string } = {}) {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env };
  const r = spawnSync(process.execPath, [options.script ?? CLI, ...args], { cwd: options.cwd ?? REPO, env, encoding: 'utf8', timeout: 15000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertProblemShape(p: Record<string, unknown>): void {
  assert.ok(p.severity === 'error' || p.severity === 'warning', `severity ${p.severity}`);
  assert.equal(typeof p.message, 'string');
  assert.ok((p.message as string).length > 10);
  assert.equal(typeof p.file, 'string');
  assert.ok(path.isAbsolute(p.file as string), `absolute file: ${p.file}`);
  assert.ok(Number.isInteger(p.line) && (p.line as number) >= 1, `1-based line: ${p.line}`);
  assert.ok(Number.isInteger(p.column) && (p.column as number) >= 1, `1-based column: ${p.column}`);
}

describe('hb config (the built CLI)', function () {
  this.timeout(30000);
  before(() => ensureBuilt());
  after(removeAll);

  it('--json: one JSON object on stdout, problems with file, 1-based line and column; exit 0 with warnings only', () => {
    const folder = makeFolder({
      [CONFIG]: lines('{', '  // comment', '  "image": "node:20",', '  "forwardPort": [3000],', '  "containerEnv": { "WHO": "${localEnv:HB_WHO}" },', '}'),
    });
    const r = hb(['config', folder, '--json'], { env: { HB_WHO: 'me' } });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout); // the whole of stdout is one JSON value
    assert.equal(typeof out, 'object');
    assert.equal(out.configFile, path.join(folder, CONFIG));
    assert.deepEqual(out.config, { image: 'node:20', forwardPort: [3000], containerEnv: { WHO: 'me' } });
    assert.match(out.devcontainerId, /^[0-9a-v]{52}$/);
    assert.equal(out.problems.length, 1);
    out.problems.forEach(assertProblemShape);
    assert.deepEqual(
      [out.problems[0].severity, out.problems[0].file, out.problems[0].line, out.problems[0].column],
      ['warning', path.join(folder, CONFIG), 4, 3],
    );
    assert.match(out.problems[0].message, /Did you mean "forwardPorts"\?/);
  });

  it('--json with errors: exit 1, the result still printed', () => {
    const folder = makeFolder({ [CONFIG]: lines('{', '  "image": "node:20",', '  "privileged": "yes"', '}') });
    const r = hb(['config', folder, '--json']);
    assert.equal(r.status, 1);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(
      out.problems.map((p: Record<string, unknown>) => [p.severity, p.line, p.column, p.message]),
      [['error', 3, 17, '"privileged" must be true or false, not a string.']],
    );
    assert.deepEqual(out.config, { image: 'node:20', privileged: 'yes' });
  });

  it('--json with no config: exit 1, configFile null and a problem saying where it looked', () => {
    const folder = makeFolder({ 'README.md': 'x' });
    const r = hb(['config', folder, '--json']);
    assert.equal(r.status, 1);
    const out = JSON.parse(r.stdout);
    assert.equal(out.configFile, null);
    assert.equal(out.config, null);
    assert.equal(out.devcontainerId, null);
    assert.equal(out.problems.length, 1);
    assertProblemShape(out.problems[0]);
    assert.match(out.problems[0].message, /^No dev container config in /);
  });

  it('--json with a config that is not JSON: exit 1', () => {
    const folder = makeFolder({ [CONFIG]: 'image: node:20\n' });
    const r = hb(['config', folder, '--json']);
    assert.equal(r.status, 1);
    const out = JSON.parse(r.stdout);
    assert.deepEqual([out.problems[0].line, out.problems[0].column, out.config], [1, 1, null]);
  });

  it('reads the current folder by default and --config relative to the current folder', () => {
    const folder = makeFolder({ [CONFIG]: JSON.stringify({ image: 'a' }), 'alt/dev.json': JSON.stringify({ image: 'b' }) });
    let out = JSON.parse(hb(['config', '--json'], { cwd: folder }).stdout);
    assert.equal(out.config.image, 'a');
    out = JSON.parse(hb(['config', '--config', 'alt/dev.json', '--json'], { cwd: folder }).stdout);
    assert.equal(out.configFile, path.join(folder, 'alt/dev.json'));
    assert.equal(out.config.image, 'b');
  });

  it('human output: the config on stdout, problems as file:line:column on stderr, no colour codes when piped', () => {
    const folder = makeFolder({ [CONFIG]: lines('{', '  "image": "node:20",', '  "remoteUsr": "node"', '}') });
    const r = hb(['config'], { cwd: folder });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^Config\s+.*devcontainer\.json$/m);
    assert.match(r.stdout, /^devcontainerId\s+[0-9a-v]{52}$/m);
    assert.ok(r.stderr.includes('.devcontainer/devcontainer.json:3:3: warning: Unknown property "remoteUsr". Did you mean "remoteUser"?'), r.stderr);
    assert.match(r.stderr, /^0 errors, 1 warning$/m);
    assert.ok(!r.stdout.includes('\x1b[') && !r.stderr.includes('\x1b['));
  });

  describe('bad usage exits 2 with the usage on stderr and nothing on stdout', () => {
    for (const [what, args] of [
      ['an unknown option', ['config', '--bogus']],
      ['two folders', ['config', 'a', 'b']],
      ['--config without a value', ['config', '--config']],
      ['an unknown command', ['confg']],
    ] as const) {
      it(what, () => {
        const r = hb([...args]);
        assert.equal(r.status, 2, r.stderr);
        assert.equal(r.stdout, '');
        assert.match(r.stderr, /^hb/);
        if (args[0] === 'config') assert.match(r.stderr, /Usage: hb config \[folder\] \[--config FILE\] \[--json\]/);
      });
    }
  });

  it('--version and --help exit 0', () => {
    const version = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version;
    const v = hb(['--version']);
    assert.deepEqual([v.status, v.stdout.trim()], [0, version]);
    const h = hb(['config', '--help']);
    assert.equal(h.status, 0);
    assert.match(h.stdout, /Usage: hb config/);
  });

  it('the package bin (bin/hb.js) runs the same CLI', () => {
    const folder = makeFolder({ [CONFIG]: JSON.stringify({ image: 'node:20' }) });
    const r = hb(['config', folder, '--json'], { script: path.join(REPO, 'bin', 'hb.js') });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).config.image, 'node:20');
  });
});
