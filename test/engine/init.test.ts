// `hb init` on a repository whose docker-compose.yml runs a database: the generated Compose-based
// config (the dev service in .devcontainer/docker-compose.yml, runServices with the database) is
// brought up by hb up for real, both services running and on one network, the dev service with the
// variables of .env.example. The images are local (busybox for the db; the generated
// mcr.microsoft.com image is swapped for it, since nothing can be pulled here) and the npm install
// hook for a harmless echo (busybox has no npm); everything else is hb init's text as written.
import { strict as assert } from 'node:assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { LABEL_COMPOSE_PROJECT, LABEL_COMPOSE_SERVICE, findComposeCli } from '../../src/engine/runtime/create/compose';
import { down } from '../../src/engine/runtime/ops';
import { busyboxImage, docker } from './images';
import { TEST_ROOT, dockerExec, hb, hbUp, inspect, waitFor } from './helpers';

describe('engine: hb init with a compose file of services, then hb up', () => {
  let folder: string;
  const cleanups: (() => unknown)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
  });

  before(async () => {
    await findComposeCli(process.env);
    folder = path.join(TEST_ROOT, `notes${process.pid}`);
    mkdirSync(path.join(folder, 'src'), { recursive: true });
    const files: Record<string, string> = {
      'package.json': JSON.stringify({ name: 'notes', private: true, scripts: { dev: 'node -r dotenv/config src/server.js' }, dependencies: { express: '^4.19.2', dotenv: '^16.4.5' } }, null, 2),
      'package-lock.json': JSON.stringify({ name: 'notes', lockfileVersion: 3, requires: true, packages: { '': { name: 'notes' } } }),
      'src/server.js': "require('express')().listen(process.env.PORT || 3000);\n",
      '.env.example': 'DATABASE_URL=http://db:8080/\nPORT=3000\n',
      'docker-compose.yml': [
        'services:',
        '  api:',
        '    build: .',
        '  db:',
        `    image: ${busyboxImage()}`,
        '    init: true',
        '    command: ["/bin/sh", "-c", "mkdir -p /www && echo hello-from-db > /www/index.html && exec httpd -f -p 8080 -h /www"]',
        '',
      ].join('\n'),
    };
    for (const [rel, text] of Object.entries(files)) writeFileSync(path.join(folder, rel), text);
  });

  it('hb init writes the Compose-based config and the dev service; hb up starts the dev service and the db', async () => {
    const dry = hb(['init', '--dry-run', folder]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^==> \.devcontainer\/devcontainer\.json <==\n/);
    assert.match(dry.stdout, /\n==> \.devcontainer\/docker-compose\.yml <==\n/);
    const init = hb(['init', folder]);
    assert.equal(init.code, 0, init.stderr);
    const configFile = path.join(folder, '.devcontainer', 'devcontainer.json');
    const serviceFile = path.join(folder, '.devcontainer', 'docker-compose.yml');
    assert.equal(`==> .devcontainer/devcontainer.json <==\n${readFileSync(configFile, 'utf8')}\n==> .devcontainer/docker-compose.yml <==\n${readFileSync(serviceFile, 'utf8')}`, dry.stdout, 'the dry run shows what is written');
    const config = readFileSync(configFile, 'utf8');
    assert.match(config, /"runServices": \[\s*"app",\s*"db"\s*\]/);
    // the two substitutions a machine without a registry needs (see the header)
    const service = readFileSync(serviceFile, 'utf8');
    assert.match(service, /image: "mcr\.microsoft\.com\/devcontainers\/javascript-node:22"/);
    writeFileSync(serviceFile, service.replace(/image: "[^"]+"/, `image: "${busyboxImage()}"`));
    writeFileSync(configFile, config.replace('"postCreateCommand": "npm ci"', '"postCreateCommand": "echo created > /tmp/created"'));

    const { result } = await hbUp(folder);
    const id = result.containerId!;
    cleanups.push(() => down({ folder, env: process.env, volumes: true, confirmVolumes: async () => true }));
    const info = await inspect(id);
    const project = info.Config.Labels[LABEL_COMPOSE_PROJECT];
    cleanups.push(() => {
      const ids = docker(['ps', '-aq', '--filter', `label=${LABEL_COMPOSE_PROJECT}=${project}`]).stdout.split('\n').filter(Boolean);
      if (ids.length) docker(['rm', '-f', ...ids], { allowFail: true });
      docker(['network', 'rm', `${project}_default`], { allowFail: true });
    });
    assert.equal(result.state, 'running');
    assert.equal(info.Config.Labels[LABEL_COMPOSE_SERVICE], 'app');
    assert.equal(result.workspaceFolder, `/workspaces/${path.basename(folder)}`);
    const running = docker(['ps', '--filter', `label=${LABEL_COMPOSE_PROJECT}=${project}`, '--format', `{{.Label "${LABEL_COMPOSE_SERVICE}"}}`]).stdout.split('\n').filter(Boolean).sort();
    assert.deepEqual(running, ['app', 'db'], 'the dev service and the database run; api (a build of the app) does not');
    // the repository is mounted where the config says, the sample env file is read, the hook ran
    assert.equal(dockerExec(id, `cat ${result.workspaceFolder}/src/server.js`), files('src/server.js'));
    assert.ok(info.Config.Env.includes('DATABASE_URL=http://db:8080/'), info.Config.Env.join(' '));
    assert.equal(dockerExec(id, 'cat /tmp/created').trim(), 'created');
    await waitFor(() => dockerExec(id, 'wget -qO- http://db:8080/ 2>/dev/null || true').includes('hello-from-db'), 15_000, 'the db service from the dev service');
  });

  function files(rel: string): string {
    return readFileSync(path.join(folder, rel), 'utf8');
  }
});
