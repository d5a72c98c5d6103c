// Every kind of bad input the issue lists gives one clear problem naming the file, the 1-based
// line and column, and the fix; none of them throws.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Problem, ResolvedConfig } from '../../../src/protocol';
import { firstInvalidUtf8, MAX_CONFIG_BYTES } from '../../../src/engine/devcontainer/parse';
import { resolveConfig } from '../../../src/engine/devcontainer/resolve';
import { CLI, ensureBuilt } from '../helpers/build';
import { lines, makeFolder, removeAll } from '../helpers/folders';

const CONFIG = '.devcontainer/devcontainer.json';

async function resolveFolder(files: Record<string, string>, env: NodeJS.ProcessEnv = {}): Promise<{ folder: string; file: string; result: ResolvedConfig }> {
  const folder = makeFolder(files);
  const result = await resolveConfig({ folder, env });
  return { folder, file: path.join(folder, CONFIG), result };
}

/** The one problem with `code`, failing with the whole list when there is not exactly one. */
function only(result: ResolvedConfig, code: string): Problem {
  const found = result.problems.filter((p) => p.code === code);
  assert.equal(found.length, 1, `one "${code}" problem expected in ${JSON.stringify(result.problems, null, 2)}`);
  return found[0];
}

/** Applies a problem's machine fix to the text (the range from line/column to endLine/endColumn). */
function applyFix(text: string, p: Problem): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const from = starts[p.line - 1] + p.column - 1;
  const to = starts[p.endLine! - 1] + p.endColumn! - 1;
  return text.slice(0, from) + p.fix!.replacement + text.slice(to);
}

describe('devcontainer.json: bad input', () => {
  after(removeAll);

  describe('not JSON', () => {
    it('YAML instead of JSON: one error at 1:1 that says how to write it as JSON', async () => {
      const { file, result } = await resolveFolder({ [CONFIG]: lines('image: node:20', 'forwardPorts:', '  - 3000') });
      assert.equal(result.problems.length, 1, JSON.stringify(result.problems));
      const p = only(result, 'not-json');
      assert.deepEqual([p.severity, p.file, p.line, p.column], ['error', file, 1, 1]);
      assert.match(p.message, /^Not JSON: the file starts with "image"/);
      assert.match(p.message, /YAML/);
      assert.match(p.message, /\{ "image": "node:20", "forwardPorts": \[3000\] \}/);
      assert.equal(result.config, null);
      assert.equal(result.devcontainerId, null);
    });

    it('a missing comma: the error is where the next property starts', async () => {
      const { file, result } = await resolveFolder({ [CONFIG]: lines('{', '  "image": "node:20"', '  "forwardPorts": [3000]', '}') });
      const p = only(result, 'syntax');
      assert.deepEqual([p.severity, p.file, p.line, p.column], ['error', file, 3, 3]);
      assert.match(p.message, /comma expected.*Separate entries with a comma/);
    });

    it('an unclosed array and object: errors at the end of the file saying what to close', async () => {
      const { result } = await resolveFolder({ [CONFIG]: lines('{', '  "image": "node:20",', '  "forwardPorts": [3000') });
      const syntax = result.problems.filter((p) => p.code === 'syntax');
      assert.deepEqual(
        syntax.map((p) => [p.line, p.column, p.message]),
        [
          [4, 1, 'Syntax error: close bracket expected. Close the array with "]".'],
          [4, 1, 'Syntax error: close brace expected. Close the object with "}".'],
        ],
      );
    });

    it('a value that is not an object', async () => {
      const { file, result } = await resolveFolder({ [CONFIG]: lines('', '  ["node:20"]') });
      const p = only(result, 'not-object');
      assert.deepEqual([p.file, p.line, p.column], [file, 2, 3]);
      assert.match(p.message, /must be a JSON object \(\{ \.\.\. \}\), not an array/);
    });

    it('an empty file', async () => {
      const { result } = await resolveFolder({ [CONFIG]: '  \n' });
      const p = only(result, 'empty');
      assert.deepEqual([p.line, p.column], [1, 1]);
      assert.match(p.message, /empty.*\{ "image": "\.\.\." \}/);
    });

    it('binary data: refused, with the offset of the first NUL byte', async () => {
      const { file, result } = await resolveFolder({ [CONFIG]: '{ "image": "x" }\0\0garbage' });
      const p = only(result, 'binary');
      assert.deepEqual([p.severity, p.file, p.line, p.column], ['error', file, 1, 1]);
      assert.match(p.message, /binary data \(a NUL byte at offset 16\).*UTF-8 JSON text/);
    });

    it('not UTF-8 (a Latin-1 byte): refused, at the line and column of the first invalid byte, not read with replacement characters', async () => {
      const folder = makeFolder({});
      mkdirSync(path.join(folder, '.devcontainer'));
      const file = path.join(folder, CONFIG);
      // line 3, after "  \"name\": \"Caf" (and a valid "é" earlier on the line): the Latin-1 é (0xE9)
      writeFileSync(file, Buffer.concat([Buffer.from('{\n  "image": "x",\n  "name": "é Caf', 'utf8'), Buffer.from([0xe9]), Buffer.from('"\n}\n')]));
      const result = await resolveConfig({ folder, env: {} });
      const p = only(result, 'encoding');
      assert.deepEqual([p.severity, p.file, p.line, p.column], ['error', file, 3, 17]);
      assert.match(p.message, /is not valid UTF-8: the byte 0xe9 at line 3, column 17 \(offset 35\).*Save the file as UTF-8/);
      assert.equal(result.config, null);
    });

    it('UTF-8 checks: overlong forms, surrogates, truncated sequences and values past U+10FFFF are invalid; real text is not', () => {
      assert.equal(firstInvalidUtf8(Buffer.from('plain ascii, é, 中文, 😀', 'utf8')), -1);
      assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0xc0, 0xaf])), 1); // overlong "/"
      assert.equal(firstInvalidUtf8(Buffer.from([0xe0, 0x80, 0xaf])), 0); // overlong 3-byte
      assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0xed, 0xa0, 0x80])), 2); // a UTF-16 surrogate
      assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0xe2, 0x82])), 1); // cut short at the end
      assert.equal(firstInvalidUtf8(Buffer.from([0xf4, 0x90, 0x80, 0x80])), 0); // past U+10FFFF
      assert.equal(firstInvalidUtf8(Buffer.from([0x80])), 0); // a lone continuation byte
    });

    it('comments and trailing commas are fine, and positions after them stay right (CRLF too)', async () => {
      const text = [
        '// the dev container',
        '{',
        '  /* base image */ "image": "node:20", // pinned',
        '  "forwardPorts": [3000, 9229,],',
        '  "containerEnv": { "A": "1", },',
        '  "remoteUsr": "node",',
        '}',
        '',
      ].join('\r\n');
      const { file, result } = await resolveFolder({ [CONFIG]: text });
      const p = only(result, 'unknown-property');
      assert.deepEqual([p.file, p.line, p.column], [file, 6, 3]);
      assert.equal(result.problems.length, 1);
      assert.deepEqual(result.config, { image: 'node:20', forwardPorts: [3000, 9229], containerEnv: { A: '1' }, remoteUsr: 'node' });
    });
  });

  describe('unknown and misspelled properties', () => {
    const text = lines('{', '  "image": "node:20",', '  "forwardPort": [3000],', '  "remoteUsr": "node",', '  "fooBar": true', '}');

    it('forwardPort → forwardPorts and remoteUsr → remoteUser: warnings at the key with a one-click fix', async () => {
      const { file, result } = await resolveFolder({ [CONFIG]: text });
      const unknown = result.problems.filter((p) => p.code === 'unknown-property');
      assert.deepEqual(
        unknown.map((p) => [p.severity, p.file, p.line, p.column, p.endLine, p.endColumn, p.fix?.replacement]),
        [
          ['warning', file, 3, 3, 3, 16, '"forwardPorts"'],
          ['warning', file, 4, 3, 4, 14, '"remoteUser"'],
          ['warning', file, 5, 3, 5, 11, undefined],
        ],
      );
      assert.equal(unknown[0].message, 'Unknown property "forwardPort". Did you mean "forwardPorts"? As written, it is ignored.');
      assert.equal(unknown[1].message, 'Unknown property "remoteUsr". Did you mean "remoteUser"? As written, it is ignored.');
      assert.match(unknown[2].message, /Unknown property "fooBar"; the Dev Container spec does not define it.*"customizations"/);
      assert.ok(!result.problems.some((p) => p.severity === 'error'), 'unknown properties are warnings, not errors');
    });

    it('applying the fixes gives a config with the intended properties', async () => {
      const { result } = await resolveFolder({ [CONFIG]: text });
      const fixes = result.problems.filter((p) => p.fix).reverse();
      let fixed = text;
      for (const p of fixes) fixed = applyFix(fixed, p);
      const again = await resolveFolder({ [CONFIG]: fixed });
      assert.deepEqual(
        again.result.problems.map((p) => p.message),
        [result.problems.find((p) => p.message.includes('fooBar'))!.message],
      );
      assert.deepEqual(again.result.config, { image: 'node:20', forwardPorts: [3000], remoteUser: 'node', fooBar: true });
    });

    it('misspelled keys inside objects too (build.dockerFile → build.dockerfile)', async () => {
      const { file, result } = await resolveFolder({
        [CONFIG]: lines('{', '  "build": { "dockerFile": "Dockerfile" }', '}'),
        '.devcontainer/Dockerfile': 'FROM scratch\n',
      });
      const p = only(result, 'unknown-property');
      assert.deepEqual([p.file, p.line, p.column, p.fix?.replacement], [file, 2, 14, '"dockerfile"']);
      assert.match(p.message, /Unknown property "dockerFile" in "build"\. Did you mean "dockerfile"\?/);
    });
  });

  describe('wrong types', () => {
    it('an error at each value, saying what is expected', async () => {
      const { file, result } = await resolveFolder({
        [CONFIG]: lines(
          '{',
          '  "image": "node:20",',
          '  "privileged": "yes",',
          '  "forwardPorts": "3000",',
          '  "containerEnv": { "PORT": 3000 },',
          '  "shutdownAction": "stopContainers"',
          '}',
        ),
      });
      const errors = result.problems.filter((p) => p.severity === 'error');
      assert.deepEqual(
        errors.map((p) => [p.file, p.line, p.column, p.message]),
        [
          [file, 3, 17, '"privileged" must be true or false, not a string.'],
          [file, 4, 19, '"forwardPorts" must be an array, not a string.'],
          [file, 5, 29, '"containerEnv.PORT" must be a string, not a number.'],
          [file, 6, 21, '"shutdownAction" is "stopContainers", which is not allowed. Did you mean "stopContainer"? Allowed: "none", "stopContainer", "stopCompose".'],
        ],
      );
      assert.equal(errors[3].fix?.replacement, '"stopContainer"');
    });

    it('a port out of range and a lifecycle command of the wrong shape', async () => {
      const { result } = await resolveFolder({
        [CONFIG]: lines('{', '  "image": "node:20",', '  "forwardPorts": [70000],', '  "postCreateCommand": 42', '}'),
      });
      assert.deepEqual(
        result.problems.map((p) => [p.line, p.column, p.code]),
        [
          [3, 20, 'range'],
          [4, 24, 'type'],
        ],
      );
      assert.match(result.problems[0].message, /"forwardPorts\[0\]" is 70000; it must be at most 65535/);
      assert.match(result.problems[1].message, /a command string, an array of arguments, or an object of named commands/);
    });

    it('the required choice: no image, no build.dockerfile, no dockerComposeFile', async () => {
      const { file, result } = await resolveFolder({ [CONFIG]: lines('{', '  "name": "nothing to run"', '}') });
      const p = only(result, 'no-source');
      assert.deepEqual([p.severity, p.file, p.line, p.column], ['error', file, 1, 1]);
      assert.match(p.message, /Add one of "image".*"build": \{ "dockerfile": \.\.\. \}.*"dockerComposeFile"/);
    });
  });

  describe('${localEnv:X} with X unset and no default', () => {
    it('warns at the string and substitutes an empty string, as the spec says', async () => {
      const { file, result } = await resolveFolder({
        [CONFIG]: lines('{', '  "image": "node:20",', '  "containerEnv": { "TOKEN": "${localEnv:HB_TEST_UNSET_VAR}" }', '}'),
      });
      const p = only(result, 'unset-variable');
      assert.deepEqual([p.severity, p.file, p.line, p.column], ['warning', file, 3, 30]);
      assert.equal(
        p.message,
        'The local environment variable HB_TEST_UNSET_VAR is not set, so "${localEnv:HB_TEST_UNSET_VAR}" becomes an empty string. Set HB_TEST_UNSET_VAR before starting, or give a default: ${localEnv:HB_TEST_UNSET_VAR:default}.',
      );
      assert.deepEqual(result.config?.containerEnv, { TOKEN: '' });
    });
  });

  describe('a Dockerfile that does not exist', () => {
    it('an error at the path, naming where it looked; gone once the file exists', async () => {
      const folder = makeFolder({ [CONFIG]: lines('{', '  "build": { "dockerfile": "Dockerfile.dev", "context": ".." }', '}') });
      const file = path.join(folder, CONFIG);
      let result = await resolveConfig({ folder, env: {} });
      const p = only(result, 'missing-file');
      assert.deepEqual([p.severity, p.file, p.line, p.column], ['error', file, 2, 28]);
      assert.equal(
        p.message,
        `Dockerfile "Dockerfile.dev" does not exist (looked at ${path.join(folder, '.devcontainer', 'Dockerfile.dev')}; the path is relative to the folder of devcontainer.json). Fix the path or create the Dockerfile.`,
      );
      writeFileSync(path.join(folder, '.devcontainer', 'Dockerfile.dev'), 'FROM scratch\n');
      result = await resolveConfig({ folder, env: {} });
      assert.deepEqual(result.problems, []);
      assert.equal(result.kind, 'dockerfile');
      assert.deepEqual(result.paths, { dockerfile: path.join(folder, '.devcontainer', 'Dockerfile.dev'), context: folder });
    });

    it('a build context that does not exist', async () => {
      const { folder, file, result } = await resolveFolder({
        [CONFIG]: lines('{', '  "build": { "dockerfile": "Dockerfile", "context": "../app" }', '}'),
        '.devcontainer/Dockerfile': 'FROM scratch\n',
      });
      const p = only(result, 'missing-file');
      assert.deepEqual([p.file, p.line, p.column], [file, 2, 53]);
      assert.match(p.message, new RegExp(`Build context "../app" does not exist \\(looked at ${path.join(folder, 'app')};`));
    });
  });

  describe('no config in the folder', () => {
    it('one error naming the folder, every location looked at, and how to create one', async () => {
      const { folder, result } = await resolveFolder({ 'README.md': '# no dev container here\n', '.devcontainer/notes.txt': 'x' });
      assert.equal(result.configFile, null);
      assert.equal(result.config, null);
      const p = only(result, 'no-config');
      assert.deepEqual([p.severity, p.file, p.line, p.column], ['error', folder, 1, 1]);
      for (const loc of ['.devcontainer/devcontainer.json', '.devcontainer.json', '.devcontainer/*/devcontainer.json']) {
        assert.ok(p.message.includes(path.join(folder, loc)), `${loc} in ${p.message}`);
      }
      assert.match(p.message, /Create \.devcontainer\/devcontainer\.json \(at least \{ "image": "<image>" \}\), or name an existing config file \(hb config --config FILE\)\./);
    });

    it('a folder that does not exist', async () => {
      const folder = path.join(makeFolder(), 'missing');
      const result = await resolveConfig({ folder, env: {} });
      const p = only(result, 'not-found');
      assert.deepEqual([p.file, p.line, p.column], [folder, 1, 1]);
      assert.match(p.message, /does not exist\. Check the path/);
    });

    it('--config naming a file that does not exist', async () => {
      const folder = makeFolder();
      const configFile = path.join(folder, 'nope.json');
      const result = await resolveConfig({ folder, configFile, env: {} });
      const p = only(result, 'not-found');
      assert.deepEqual([p.file, p.line, p.column], [configFile, 1, 1]);
      assert.match(p.message, /nope\.json does not exist\. Check the path, or create the file\./);
    });
  });

  describe('an unreadable folder or config', function () {
    // The tests run as root, and chmod does not stop root. So, as root, the real CLI runs as
    // the unprivileged uid 65534 (setpriv, from util-linux), which the kernel does refuse: the
    // EACCES comes from the file system, not from a stub. Not root: chmod alone does it.
    this.timeout(20000);
    const asRoot = process.getuid?.() === 0;
    before(function () {
      if (asRoot) assert.equal(spawnSync('setpriv', ['--version']).status, 0, 'setpriv (util-linux) is needed to test permissions as root');
      ensureBuilt();
    });

    function hbConfigJson(folder: string): { status: number | null; json: ResolvedConfig; stderr: string } {
      const cmd = asRoot ? 'setpriv' : process.execPath;
      const args = [...(asRoot ? ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath] : []), CLI, 'config', folder, '--json'];
      const r = spawnSync(cmd, args, { cwd: '/', encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
      return { status: r.status, json: JSON.parse(r.stdout), stderr: r.stderr };
    }

    /** A folder any user can reach (mkdtemp makes 0700 folders). */
    function reachable(files: Record<string, string>): string {
      const root = makeFolder(files);
      chmodSync(root, 0o755);
      return root;
    }

    it('a folder the user cannot list: exit 1, "permission denied" and the fix', () => {
      const folder = reachable({ [CONFIG]: '{ "image": "node:20" }' });
      chmodSync(path.join(folder, '.devcontainer'), 0o755);
      chmodSync(folder, asRoot ? 0o700 : 0o000);
      try {
        const { status, json } = hbConfigJson(folder);
        assert.equal(status, 1);
        assert.equal(json.configFile, null);
        assert.equal(json.problems.length, 1);
        const p = json.problems[0];
        assert.deepEqual([p.severity, p.file, p.line, p.column], ['error', folder, 1, 1]);
        assert.equal(p.message, `Cannot read folder ${folder}: permission denied. Give your user read access (e.g. chmod u+r) or run from an account that has it.`);
      } finally {
        chmodSync(folder, 0o755);
      }
    });

    it('a config file the user cannot read', () => {
      const folder = reachable({ [CONFIG]: '{ "image": "node:20" }' });
      chmodSync(path.join(folder, '.devcontainer'), 0o755);
      const file = path.join(folder, CONFIG);
      chmodSync(file, asRoot ? 0o600 : 0o000);
      const { status, json } = hbConfigJson(folder);
      assert.equal(status, 1);
      assert.equal(json.configFile, file);
      const p = json.problems[0];
      assert.deepEqual([p.severity, p.file, p.line, p.column, p.code], ['error', file, 1, 1, 'permission']);
      assert.match(p.message, /^Cannot read .*devcontainer\.json: permission denied\. Give your user read access/);
    });
  });

  describe('a 50 MB devcontainer.json', () => {
    it('is refused quickly by its size, with the file, the size and what to do', async () => {
      const folder = makeFolder({ [CONFIG]: '{ "image": "node:20", "padding": "' });
      const file = path.join(folder, CONFIG);
      truncateSync(file, 50 * 1024 * 1024); // sparse: no 50 MB written
      assert.equal(statSync(file).size, 50 * 1024 * 1024);
      const t0 = Date.now();
      const result = await resolveConfig({ folder, env: {} });
      assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
      const p = only(result, 'too-large');
      assert.deepEqual([p.severity, p.file, p.line, p.column], ['error', file, 1, 1]);
      assert.match(p.message, /is 50\.0 MB; HyperBox reads dev container configs of at most 2\.0 MB and did not parse it\./);
      assert.match(p.message, /check that this is the right file/);
      assert.equal(result.config, null);
    });

    it('the same for 50 MB of unsaved editor text', async () => {
      const folder = makeFolder();
      const configFile = path.join(folder, CONFIG);
      const text = '{ "image": "node:20", "padding": "' + 'x'.repeat(50 * 1024 * 1024) + '" }';
      const t0 = Date.now();
      const result = await resolveConfig({ folder, configFile, text, env: {} });
      assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
      const p = only(result, 'too-large');
      assert.deepEqual([p.file, p.line, p.column], [configFile, 1, 1]);
    });

    it('just under the limit is still read', async () => {
      const pad = MAX_CONFIG_BYTES - 100;
      const { result } = await resolveFolder({ [CONFIG]: `{ "image": "node:20", "name": "${'n'.repeat(pad)}" }` });
      assert.deepEqual(result.problems, []);
    });
  });

  describe('a config that is a directory', () => {
    it('found where a config belongs: an error naming it and what to do', async () => {
      const { file, result } = await resolveFolder({ [`${CONFIG}/`]: '' });
      assert.equal(result.configFile, file);
      const p = only(result, 'is-directory');
      assert.deepEqual([p.severity, p.file, p.line, p.column], ['error', file, 1, 1]);
      assert.match(p.message, /is a directory, not a file\. A dev container config must be a JSON file; move its contents or point --config at the devcontainer\.json inside it\./);
    });

    it('named with --config', async () => {
      const folder = makeFolder({ '.devcontainer/': '' });
      const configFile = path.join(folder, '.devcontainer');
      const result = await resolveConfig({ folder, configFile, env: {} });
      assert.equal(only(result, 'is-directory').file, configFile);
    });

    it('a FIFO is refused without blocking on it', async function () {
      const folder = makeFolder({ '.devcontainer/': '' });
      const fifo = path.join(folder, CONFIG);
      assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo failed');
      const result = await resolveConfig({ folder, env: {} });
      const p = only(result, 'not-file');
      assert.match(p.message, /is not a regular file \(a device, socket or pipe\)\. Point at a devcontainer\.json file instead\./);
    });
  });

  it('an ordinary folder with a helper file beside the config is not confused for one', async () => {
    const folder = makeFolder({ [CONFIG]: '{ "image": "node:20" }', '.devcontainer/devcontainer.json.bak': 'not json' });
    mkdirSync(path.join(folder, '.devcontainer', 'scripts'));
    const result = await resolveConfig({ folder, env: {} });
    assert.deepEqual(result.problems, []);
    assert.deepEqual(result.otherConfigFiles, []);
  });
});
