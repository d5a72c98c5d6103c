// `hb init` / ProjectInit: a commented devcontainer.json per detected stack that our own
// validation accepts without a single problem, and never an overwritten config.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { parse as parseJsonc } from 'jsonc-parser';
import { resolveConfig } from '../../../src/engine/devcontainer/resolve';
import { initProject, pickTag } from '../../../src/engine/project/init';
import { runCli } from '../../../src/engine/cli/run';

const FIXTURES = path.resolve(__dirname, '..', '..', 'fixtures', 'projects');
const HAS_CONFIG = (dir: string) => fs.existsSync(path.join(dir, '.devcontainer')) || fs.existsSync(path.join(dir, '.devcontainer.json'));

async function cli(args: string[], cwd = process.cwd()) {
  let out = '';
  let err = '';
  const code = await runCli(args, { cwd, env: { ...process.env, NO_COLOR: '1' }, out: (t) => (out += t), err: (t) => (err += t), isTTY: false });
  return { code, out, err };
}

describe('project detection: hb init', function () {
  this.timeout(60_000);
  let base: string;
  before(() => {
    base = fs.mkdtempSync(path.join(tmpdir(), 'hb-init-'));
  });
  after(() => fs.rmSync(base, { recursive: true, force: true }));
  let copies = 0;
  const copy = (name: string) => {
    const dst = path.join(base, `${copies++}`, name);
    fs.cpSync(path.join(FIXTURES, name), dst, { recursive: true });
    return dst;
  };

  it('writes a config for every fixture that validates with zero problems', async () => {
    const names = fs.readdirSync(FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    let written = 0;
    for (const name of names) {
      const dir = copy(name);
      if (HAS_CONFIG(dir)) fs.rmSync(path.join(dir, '.devcontainer'), { recursive: true, force: true });
      const r = await initProject(dir);
      assert.equal(r.written, true, `${name}: ${r.message}`);
      assert.deepEqual(r.problems, [], `${name}: our own validation of the text`);
      const resolved = await resolveConfig({ folder: dir, env: {} });
      assert.deepEqual(
        resolved.problems.map((p) => `${p.severity}: ${p.message}`),
        [],
        `${name}: problems in the written config\n${r.text}`,
      );
      const cfg = resolved.config!;
      // a repository with a compose file of services gets a Compose-based config: the image is in the dev service's file
      const image = cfg.dockerComposeFile ? /image: "([^"]+)"/.exec(r.files[1].text)?.[1] : cfg.image;
      assert.match(String(image), /^mcr\.microsoft\.com\/devcontainers\/[a-z-]+:[\w.-]+$/, name);
      const hb = (cfg.customizations as Record<string, Record<string, unknown>>).hyperbox;
      assert.equal(hb.profile, 'auto');
      // hot reload's settings when there is a dev command (reload stays off until enabled)
      assert.deepEqual(Object.keys(hb), r.detection.devCommand ? ['profile', 'devCommand', 'reload'] : ['profile'], name);
      if (r.detection.devCommand) {
        assert.equal(hb.devCommand, r.detection.devCommand, name);
        assert.equal((hb.reload as Record<string, unknown>).enabled, undefined, name);
        assert.match(String((hb.reload as Record<string, unknown>).strategy), /^(restart|framework-native)$/, name);
      }
      if (r.detection.devCommand) assert.ok(r.text.includes(`The app starts in development with ${JSON.stringify(r.detection.devCommand)}`), `${name}: dev command named`);
      for (const port of r.detection.ports) {
        assert.ok((cfg.forwardPorts as number[]).includes(port), `${name}: port ${port}`);
        assert.ok((cfg.portsAttributes as Record<string, { label: string }>)[String(port)].label.length > 0);
      }
      assert.ok(r.text.startsWith('// Dev container for'), `${name}: commented`);
      written++;
    }
    assert.ok(written >= 50);
  });

  it('chooses the image, install command, ports and features from the stack', async () => {
    const read = async (name: string) => {
      const dir = copy(`${name}`);
      fs.rmSync(path.join(dir, '.devcontainer'), { recursive: true, force: true });
      const r = await initProject(dir, { write: false });
      const cfg = parseJsonc(r.text) as Record<string, unknown>;
      // Compose-based: the image is the dev service's
      const svc = r.files[1] ? (loadYaml(r.files[1].text) as { services: Record<string, { image: string }> }).services[cfg.service as string] : undefined;
      return svc ? { ...cfg, image: svc.image } : cfg;
    };
    const next = await read('nextjs-app-pnpm');
    assert.equal(next.image, 'mcr.microsoft.com/devcontainers/typescript-node:22');
    assert.equal(next.postCreateCommand, 'npm install -g pnpm && pnpm install');
    assert.deepEqual(next.forwardPorts, [3000]);
    assert.deepEqual(next.portsAttributes, { '3000': { label: 'Next.js app', onAutoForward: 'notify' } });

    const django = await read('django-poetry');
    assert.equal(django.image, 'mcr.microsoft.com/devcontainers/python:3.11', 'from .python-version');
    assert.equal(django.postCreateCommand, 'pipx install poetry && poetry install');

    const full = await read('fullstack-fastapi-react');
    assert.deepEqual(full.runServices, ['app', 'db'], 'its docker-compose.yml runs postgres');
    assert.equal(full.image, 'mcr.microsoft.com/devcontainers/python:3.12');
    assert.deepEqual(Object.keys(full.features as object), ['ghcr.io/devcontainers/features/node:1']);
    assert.deepEqual(full.postCreateCommand, { backend: 'cd backend && pipx install uv && uv sync', frontend: 'cd frontend && npm ci' });
    assert.deepEqual(full.forwardPorts, [8000, 5173]);

    const laravel = await read('laravel');
    assert.ok((laravel.features as Record<string, unknown>)['ghcr.io/devcontainers/features/node:1'], 'Node for the Vite assets');

    const micronaut = await read('micronaut-gradle');
    assert.equal(micronaut.image, 'mcr.microsoft.com/devcontainers/java:17');
    assert.equal(micronaut.postCreateCommand, './gradlew --no-daemon --quiet dependencies');
  });

  it('a repository with a compose file of services: a Compose-based config, the dev service in its own file, .env.example named', async () => {
    const dir = copy('express-postgres-compose');
    const preview = await initProject(dir, { write: false });
    const devFile = path.join(fs.realpathSync(dir), '.devcontainer', 'docker-compose.yml');
    assert.deepEqual(preview.files.map((f) => [f.file, f.language]), [[preview.file, 'jsonc'], [devFile, 'yaml']], 'every file that will be written is previewed');
    const cfg = parseJsonc(preview.text) as Record<string, unknown>;
    assert.deepEqual(cfg.dockerComposeFile, ['../docker-compose.yml', 'docker-compose.yml']);
    assert.equal(cfg.service, 'app');
    assert.deepEqual(cfg.runServices, ['app', 'db'], 'db runs an image; api builds the app for production and is left out');
    assert.equal(cfg.image, undefined);
    assert.match(preview.text, /Not started: api \(built from the repository/);
    const svc = loadYaml(preview.files[1].text) as { services: Record<string, Record<string, unknown>> };
    assert.deepEqual(Object.keys(svc.services), ['app']);
    assert.equal(svc.services.app.image, 'mcr.microsoft.com/devcontainers/javascript-node:22');
    assert.deepEqual(svc.services.app.volumes, [`.:${cfg.workspaceFolder}:cached`]);
    assert.equal(svc.services.app.env_file, '.env.example', 'no .env: the sample is read where it is');
    assert.match(preview.files[1].text, /# The app reads a \.env file, which this checkout does not have/);
    assert.match(preview.files[1].text, /# Note: docker-compose\.yml reads \.env, which does not exist/);
    assert.doesNotMatch(preview.files.map((f) => f.text).join('\n'), /postgres:\/\/notes|POSTGRES_PASSWORD/, 'no value copied');
    assert.match(preview.message, /^Would write \.devcontainer\/devcontainer\.json and \.devcontainer\/docker-compose\.yml in /);

    // the resolved config (Compose merged by our own reader) passes our validation
    assert.equal((await initProject(dir, { texts: { [devFile]: 'services: [app' } })).written, false, 'a broken edited YAML file stops the write');
    assert.ok(!fs.existsSync(path.join(dir, '.devcontainer')), 'nothing half-written');
    const edited = preview.files[1].text.replace('    depends_on:', '    environment:\n      MINE: "1"\n    depends_on:');
    const r = await initProject(dir, { texts: { [devFile]: edited } });
    assert.equal(r.written, true, r.message);
    assert.equal(fs.readFileSync(devFile, 'utf8'), edited, 'the edited YAML is what gets written');
    assert.equal(fs.readFileSync(r.file, 'utf8'), preview.text);
    const resolved = await resolveConfig({ folder: dir, env: {} });
    assert.deepEqual(resolved.problems.filter((p) => p.severity === 'error'), []);

    // with a .env the sample is not named; a compose file without image services keeps the image-based config
    const withEnv = copy('express-postgres-compose');
    fs.writeFileSync(path.join(withEnv, '.env'), 'PORT=3000\n');
    const r2 = await initProject(withEnv, { write: false });
    assert.doesNotMatch(r2.files[1].text, /env_file|\.env\.example|Note:/);
    const onlyBuild = copy('express-postgres-compose');
    fs.writeFileSync(path.join(onlyBuild, 'docker-compose.yml'), 'services:\n  api:\n    build: .\n');
    const r3 = await initProject(onlyBuild, { write: false });
    assert.equal(r3.files.length, 1);
    const cfg3 = parseJsonc(r3.text) as Record<string, unknown>;
    assert.deepEqual(cfg3.runArgs, ['--env-file', '.env.example'], 'dotenv in package.json, no .env: the sample through --env-file');
    assert.match(r3.text, /\/\/ The app reads a \.env file, which this checkout does not have/);
    // the user's own .devcontainer/docker-compose.yml is never replaced
    const own = copy('express-postgres-compose');
    fs.mkdirSync(path.join(own, '.devcontainer'));
    fs.writeFileSync(path.join(own, '.devcontainer', 'docker-compose.yml'), 'services: {}\n');
    const r4 = await initProject(own);
    assert.equal(r4.written, true, r4.message);
    assert.equal(path.basename(r4.files[1].file), 'docker-compose.devcontainer.yml');
    assert.equal(fs.readFileSync(path.join(own, '.devcontainer', 'docker-compose.yml'), 'utf8'), 'services: {}\n');
  });

  it('hb init --dry-run prints every file it would write', async () => {
    const dir = copy('express-postgres-compose');
    const { code, out } = await cli(['init', '--dry-run', dir]);
    assert.equal(code, 0);
    const preview = await initProject(dir, { write: false });
    assert.equal(out, `==> .devcontainer/devcontainer.json <==\n${preview.files[0].text}\n==> .devcontainer/docker-compose.yml <==\n${preview.files[1].text}`);
    assert.ok(!fs.existsSync(path.join(dir, '.devcontainer')));
    const w = await cli(['init', dir]);
    assert.equal(w.code, 0, w.err);
    assert.match(w.out, /^Wrote \/.*\/\.devcontainer\/devcontainer\.json and \/.*\/\.devcontainer\/docker-compose\.yml for JavaScript · Express · npm, with the services of docker-compose\.yml\.$/m);
    for (const f of preview.files) assert.equal(fs.readFileSync(f.file.replace(fs.realpathSync(dir), dir), 'utf8'), f.text);
  });

  it('never overwrites an existing config, and says so', async () => {
    const dir = copy('fullstack-fastapi-react');
    const file = path.join(dir, '.devcontainer', 'devcontainer.json');
    const before = fs.readFileSync(file, 'utf8');
    const r = await initProject(dir);
    assert.equal(r.written, false);
    assert.equal(r.existing, file);
    assert.match(r.message, /already exists; hb init never overwrites/);
    assert.equal(fs.readFileSync(file, 'utf8'), before);

    const dot = copy('go-gin');
    fs.writeFileSync(path.join(dot, '.devcontainer.json'), '{ "image": "golang:1.22" }\n');
    const r2 = await initProject(dot);
    assert.equal(r2.written, false);
    assert.equal(r2.existing, path.join(fs.realpathSync(dot), '.devcontainer.json'));
    assert.ok(!fs.existsSync(path.join(dot, '.devcontainer', 'devcontainer.json')));

    const twice = copy('rust-axum');
    assert.equal((await initProject(twice)).written, true);
    const text = fs.readFileSync(path.join(twice, '.devcontainer', 'devcontainer.json'), 'utf8');
    assert.equal((await initProject(twice)).written, false);
    assert.equal(fs.readFileSync(path.join(twice, '.devcontainer', 'devcontainer.json'), 'utf8'), text);
  });

  it('writes the preview as the user edited it (an editor\'s "Add Dev Container Configuration"), but not one with errors', async () => {
    const dir = copy('rust-axum');
    const preview = await initProject(dir, { write: false });
    assert.match(preview.text, /Extensions for this stack: HyperBox lists them in its view and offers to install them in this editor window/);
    assert.doesNotMatch(preview.text, /installed in the container/, 'HyperBox installs nothing in the container');
    const broken = preview.text.replace('"image":', '"image": 5, "imagez":');
    const refused = await initProject(dir, { text: broken });
    assert.equal(refused.written, false);
    assert.match(refused.message, /^The edited config has \d+ error\(s\), so it was not written: line \d+: .*Fix it in the preview and add it again\.$/);
    assert.ok(!fs.existsSync(path.join(dir, '.devcontainer', 'devcontainer.json')));
    const edited = preview.text.replace('{\n', '{\n  // mine\n  "remoteEnv": { "RUST_LOG": "debug" },\n');
    const r = await initProject(dir, { text: edited });
    assert.equal(r.written, true, r.message);
    assert.equal(fs.readFileSync(path.join(dir, '.devcontainer', 'devcontainer.json'), 'utf8'), edited);
  });

  it('hb init: exit 0 when written, 1 when a config exists, 2 for --force', async () => {
    const dir = copy('sinatra');
    const first = await cli(['init', dir]);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /^Wrote .*devcontainer\.json for Ruby · Sinatra · Bundler/);
    const again = await cli(['init', dir]);
    assert.equal(again.code, 1);
    assert.match(again.err, /already exists; hb init never overwrites a dev container config\. Edit it .*or move it away/);
    const force = await cli(['init', dir, '--force']);
    assert.equal(force.code, 2);
    assert.match(force.err, /there is no --force: hb init never overwrites/);
    const json = await cli(['init', copy('go-echo-cmd'), '--json']);
    assert.equal(json.code, 0);
    const r = JSON.parse(json.out);
    assert.equal(r.written, true);
    assert.equal(r.detection.framework, 'echo');
    const dry = await cli(['init', copy('node-koa-yarn'), '--dry-run']);
    assert.equal(dry.code, 0);
    assert.match(dry.out, /^\/\/ Dev container for node-koa-yarn/);
  });

  it('picks supported image tags for the versions projects ask for', () => {
    assert.equal(pickTag('python', '>=3.10'), '3.12');
    assert.equal(pickTag('python', '3.11'), '3.11');
    assert.equal(pickTag('python', '3.9'), '3.10');
    assert.equal(pickTag('python', '>=3.13'), '3.13');
    assert.equal(pickTag('javascript', '18'), '20');
    assert.equal(pickTag('typescript', '20'), '20');
    assert.equal(pickTag('java', '17'), '17');
    assert.equal(pickTag('java', '8'), '11');
    assert.equal(pickTag('csharp', '9.0'), '9.0');
    assert.equal(pickTag('go', '1.22'), '1');
    assert.equal(pickTag('ruby', null), '3.3');
  });
});

describe('project detection: hb detect and hb profile', function () {
  this.timeout(30_000);
  it('hb detect --json prints one object with the issue\'s fields', async () => {
    const r = await cli(['detect', path.join(FIXTURES, 'turborepo-pnpm'), '--json']);
    assert.equal(r.code, 0, r.err);
    const d = JSON.parse(r.out);
    for (const k of ['language', 'framework', 'packageManager', 'devCommand', 'confidence', 'evidence', 'parts', 'primary', 'primaryReason', 'label', 'summary', 'stats']) assert.ok(k in d, k);
    assert.equal(d.label, 'TypeScript · NestJS · pnpm');
    assert.ok(d.parts.every((p: { path: string; language: string }) => p.path && p.language));
  });

  it('hb detect prints the stack, evidence and parts for people', async () => {
    const r = await cli(['detect', path.join(FIXTURES, 'npm-workspaces-client-server')]);
    assert.equal(r.code, 0);
    assert.match(r.out, /^JavaScript · Express · npm {2}confidence/);
    assert.match(r.out, /Evidence\n/);
    assert.match(r.out, /Parts \(npm\/yarn workspaces\)\n/);
    assert.match(r.out, /\* server +JavaScript · Express · npm/);
    assert.match(r.err, /detected in [\d.]+ ms/);
  });

  it('hb detect: exit 1 with the reason for a missing folder, 2 for bad usage', async () => {
    const missing = await cli(['detect', '/nonexistent/hb-folder']);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /The folder \/nonexistent\/hb-folder does not exist/);
    const json = await cli(['detect', '/nonexistent/hb-folder', '--json']);
    assert.equal(JSON.parse(json.out).error.code, 'not-found');
    assert.equal((await cli(['detect', 'a', 'b'])).code, 2);
    assert.equal((await cli(['detect', '--frobnicate'])).code, 2);
  });

  it('hb profile evaluates the memory rule and the inotify condition', async () => {
    const r = await cli(['profile', path.join(FIXTURES, 'react-vite-npm'), '--memory', '2g', '--no-inotify', '--json']);
    assert.equal(r.code, 0, r.err);
    const p = JSON.parse(r.out);
    const heap = p.entries.find((e: { name?: string }) => e.name === 'NODE_OPTIONS');
    assert.equal(heap.value, '--max-old-space-size=1536');
    assert.equal(p.entries.find((e: { name?: string }) => e.name === 'CHOKIDAR_USEPOLLING').status, 'apply');
    const human = await cli(['profile', path.join(FIXTURES, 'react-vite-npm')]);
    assert.match(human.out, /Applied automatically\n/);
    assert.match(human.out, /Suggested \(applied when you accept\)\n/);
    assert.match(human.out, /<75% of the memory limit in MiB>/);
    assert.equal((await cli(['profile', '.', '--memory', 'lots'])).code, 2);
    assert.equal((await cli(['profile', '.', '--inotify', '--no-inotify'])).code, 2);
  });
});
