// hb up on Docker Compose configs: a dev service built from a Dockerfile (offline, FROM the local
// busybox image) plus a second service started through runServices; the override (labels, env,
// keep-alive), reuse, stop/start of the project, drift on a compose file change, and down.
import { strict as assert } from 'node:assert';
import { appendFileSync } from 'node:fs';
import * as path from 'node:path';
import { findComposeCli, LABEL_COMPOSE_PROJECT, LABEL_COMPOSE_SERVICE } from '../../src/engine/runtime/compose';
import { LABEL_LOCAL_FOLDER } from '../../src/engine/runtime/labels';
import { down, status, stop } from '../../src/engine/runtime/ops';
import { busyboxImage, docker } from './images';
import { collector, dockerExec, hbUp, inspect, reference, usedByReference, waitFor, workspace } from './helpers';

function projectContainers(project: string): { id: string; service: string; state: string }[] {
  const out = docker(['ps', '-a', '--filter', `label=${LABEL_COMPOSE_PROJECT}=${project}`, '--format', `{{.ID}} {{.Label "${LABEL_COMPOSE_SERVICE}"}} {{.State}}`]).stdout;
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [id, service, state] = l.split(' ');
      return { id, service, state };
    });
}

describe('engine: up (Docker Compose configs)', () => {
  let folder: string;
  let project: string;
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  after(async () => {
    for (const c of cleanups) await Promise.resolve(c()).catch(() => undefined);
  });

  before(async () => {
    await findComposeCli(process.env); // the suite needs docker compose or docker-compose (scripts/docker.sh installs it)
    const base = busyboxImage();
    folder = workspace(
      `compose${process.pid}`,
      {
        dockerComposeFile: ['docker-compose.yml'],
        service: 'dev',
        runServices: ['web'],
        workspaceFolder: '/workspace',
        overrideCommand: true,
        containerEnv: { CE: 'from-config', PRICE: '$5' },
        postCreateCommand: 'echo created >> /tmp/hooks.txt',
        postStartCommand: 'echo started >> /tmp/hooks.txt',
      },
      {
        '.devcontainer/docker-compose.yml': [
          "version: '2.4'",
          'services:',
          '  dev:',
          '    build:',
          '      context: .',
          '    volumes:',
          '      - ..:/workspace',
          '    environment:',
          '      FROM_COMPOSE: "yes"',
          '  web:',
          `    image: ${base}`,
          '    init: true',
          '    command: ["/bin/sh", "-c", "mkdir -p /www && echo hello-from-web > /www/index.html && exec httpd -f -p 8080 -h /www"]',
          '',
        ].join('\n'),
        '.devcontainer/Dockerfile': `FROM ${base}\nRUN echo built > /built.txt\n`,
        'README.md': 'compose workspace',
      },
    );
    project = `${path.basename(folder)}_devcontainer`.toLowerCase().replace(/[^-_a-z0-9]/g, '');
    cleanups.push(() => down({ folder, env: process.env, volumes: true }));
    cleanups.push(() => docker(['rm', '-f', ...projectContainers(project).map((c) => c.id)], { allowFail: true }));
    cleanups.push(() => docker(['rmi', '-f', `${project}_dev`, `${project}-dev`], { allowFail: true }));
    cleanups.push(() => docker(['network', 'rm', `${project}_default`], { allowFail: true }));
  });

  it('brings the project up: the dev service with our override, the runServices, lifecycle commands in the dev container', async () => {
    const { result } = await hbUp(folder);
    assert.equal(result.state, 'running');
    assert.equal(result.created, true);
    assert.equal(result.workspaceFolder, '/workspace');
    const info = await inspect(result.containerId!);
    // the compose project named as the reference implementation names it
    assert.equal(info.Config.Labels[LABEL_COMPOSE_PROJECT], project);
    assert.equal(info.Config.Labels[LABEL_COMPOSE_SERVICE], 'dev');
    assert.equal(info.Config.Labels[LABEL_LOCAL_FOLDER], folder);
    assert.ok(info.Config.Env.includes('CE=from-config'));
    assert.ok(info.Config.Env.includes('PRICE=$5'), 'a "$" in containerEnv is not interpolated by compose');
    assert.ok(info.Config.Env.includes('FROM_COMPOSE=yes'));
    // built from the Dockerfile, the workspace mounted by the compose file, the keep-alive running
    assert.equal(dockerExec(result.containerId!, 'cat /built.txt').trim(), 'built');
    assert.equal(dockerExec(result.containerId!, 'cat /workspace/README.md'), 'compose workspace');
    assert.equal(dockerExec(result.containerId!, 'cat /tmp/hooks.txt'), 'created\nstarted\n');
    // the second service runs and answers on the project's network
    const services = projectContainers(project);
    assert.deepEqual(services.map((s) => `${s.service}:${s.state}`).sort(), ['dev:running', 'web:running']);
    await waitFor(() => dockerExec(result.containerId!, 'wget -qO- http://web:8080/ 2>/dev/null || true').includes('hello-from-web'), 10_000, 'the web service');
  });

  it('reuses the running container on the next up', async () => {
    const before = projectContainers(project).find((c) => c.service === 'dev')!;
    const { result } = await hbUp(folder);
    assert.equal(result.created, false);
    assert.equal(result.started, false);
    assert.ok(result.containerId!.startsWith(before.id));
    assert.equal(dockerExec(result.containerId!, 'cat /tmp/hooks.txt'), 'created\nstarted\n');
  });

  it('stop stops the whole project; up starts it again (postStartCommand runs again, postCreate does not)', async () => {
    const s = await stop({ folder, env: process.env, report: collector() });
    assert.equal(s.running, false);
    assert.deepEqual(projectContainers(project).map((c) => `${c.service}:${c.state}`).sort(), ['dev:exited', 'web:exited']);
    const { result } = await hbUp(folder);
    assert.equal(result.created, false);
    assert.equal(result.started, true);
    assert.deepEqual(projectContainers(project).map((c) => `${c.service}:${c.state}`).sort(), ['dev:running', 'web:running']);
    assert.equal(dockerExec(result.containerId!, 'cat /tmp/hooks.txt'), 'created\nstarted\nstarted\n');
  });

  it('says the container is stale when a compose file changes', async () => {
    appendFileSync(path.join(folder, '.devcontainer', 'docker-compose.yml'), '# changed\n');
    const s = await status({ folder, env: process.env });
    assert.equal(s.state, 'stale');
    assert.ok(s.drift.changed.includes('compose docker-compose.yml'), s.drift.changed.join(', '));
  });

  it('down removes every container of the project', async () => {
    const r = await down({ folder, env: process.env, report: collector() });
    assert.equal(r.removed, true);
    assert.deepEqual(projectContainers(project), []);
  });
});

describe('engine: Docker Compose side by side with the reference CLI', () => {
  let folder: string;
  after(async () => {
    await down({ folder, env: process.env }).catch(() => undefined);
  });

  it('adopts the compose container `devcontainer up` made, and the reference reuses ours, no command run twice', async () => {
    folder = usedByReference(
      workspace(
        `refcompose${process.pid}`,
        { dockerComposeFile: 'docker-compose.yml', service: 'dev', workspaceFolder: '/workspace', overrideCommand: true, postCreateCommand: 'echo created >> /tmp/hooks.txt' },
        { '.devcontainer/docker-compose.yml': `version: '2.4'\nservices:\n  dev:\n    image: ${busyboxImage()}\n    volumes:\n      - ..:/workspace\n` },
      ),
    );
    const ref = reference(['up', '--workspace-folder', folder]);
    assert.equal(ref.code, 0, ref.stderr + ref.stdout);
    const refId = JSON.parse(ref.stdout.trim().split('\n').pop()!).containerId as string;
    const adopted = await hbUp(folder);
    assert.equal(adopted.result.containerId, refId);
    assert.equal(adopted.result.created, false);
    assert.equal(dockerExec(refId, 'cat /tmp/hooks.txt'), 'created\n');

    await down({ folder, env: process.env });
    const ours = await hbUp(folder);
    assert.equal(ours.result.created, true);
    const again = reference(['up', '--workspace-folder', folder]);
    assert.equal(again.code, 0, again.stderr + again.stdout);
    assert.equal(JSON.parse(again.stdout.trim().split('\n').pop()!).containerId, ours.result.containerId);
    assert.equal(dockerExec(ours.result.containerId!, 'cat /tmp/hooks.txt'), 'created\n');
  });
});
