// hb up on Docker Compose configs: a dev service built from a Dockerfile (offline, FROM the local
// busybox image) plus a second service started through runServices; the override (labels, env,
// keep-alive), reuse, stop/start of the project, drift on a compose file change, and down.
import { strict as assert } from 'node:assert';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import * as path from 'node:path';
import { findComposeCli, LABEL_COMPOSE_PROJECT, LABEL_COMPOSE_SERVICE } from '../../src/engine/runtime/create/compose';
import { LABEL_LOCAL_FOLDER } from '../../src/engine/runtime/create/labels';
import { down, status, stop } from '../../src/engine/runtime/ops';
import { CONTAINER_SSH_AUTH_SOCK } from '../../src/engine/runtime/create/userFiles';
import { busyboxImage, docker } from './images';
import { collector, dockerExec, envWithDockerWithoutBuildx, hbUp, inspect, reference, usedByReference, waitFor, workspace } from './helpers';

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
  const cleanups: (() => unknown)[] = [];
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
    cleanups.push(() => down({ folder, env: process.env, volumes: true, confirmVolumes: async () => true }));
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

describe('engine: Docker Compose building a Dockerfile that needs BuildKit', () => {
  it('Compose v1 builds the service through a docker CLI that can build with BuildKit, named in the log', async function () {
    const cli = await findComposeCli(process.env);
    if (cli.v2) this.skip(); // the Compose v2 plugin builds by itself: this is about Compose v1 (Debian's docker-compose)
    const base = busyboxImage();
    const folder = workspace(`compose-buildkit${process.pid}`, { dockerComposeFile: ['docker-compose.yml'], service: 'dev', workspaceFolder: '/workspace', overrideCommand: true }, {
      '.devcontainer/docker-compose.yml': "version: '2.4'\nservices:\n  dev:\n    build:\n      context: .\n",
      '.devcontainer/Dockerfile': `FROM ${base}\nRUN --mount=type=cache,target=/x echo cached > /x/c && cp /x/c /built.txt\n`,
    });
    const project = `${path.basename(folder)}_devcontainer`.toLowerCase().replace(/[^-_a-z0-9]/g, '');
    // a fresh machine: Docker's CLI 28.2 first on PATH cannot build with BuildKit; Debian's can
    const { env, first } = envWithDockerWithoutBuildx();
    try {
      const { result, log } = await hbUp(folder, { env });
      assert.equal(result.state, 'running');
      assert.match(log.text, /The Dockerfile of service dev needs BuildKit: RUN --mount/);
      assert.match(log.text, /Building with the docker CLI \/usr\/bin\/docker 20\.\d+\.\d+ \(BuildKit built in\), since /);
      assert.ok(log.text.includes(`since ${first} 28.`), log.text);
      assert.equal(dockerExec(result.containerId!, 'cat /built.txt').trim(), 'cached');
    } finally {
      await down({ folder, env, volumes: true }).catch(() => undefined);
      docker(['rmi', '-f', `${project}_dev`, `${project}-dev`], { allowFail: true });
      docker(['network', 'rm', `${project}_default`], { allowFail: true });
    }
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

describe('engine: Docker Compose with Features, the language profile and host setup', () => {
  let folder: string;
  let server: Server | undefined;
  let featuresTag: string | undefined;
  after(async () => {
    if (folder) await down({ folder, env: process.env, volumes: true, confirmVolumes: async () => true }).catch(() => undefined);
    server?.close();
    // the Features image first: it stands on the one compose built
    if (featuresTag) docker(['rmi', '-f', featuresTag], { allowFail: true });
    if (folder) {
      const project = `${path.basename(folder)}_devcontainer`.toLowerCase().replace(/[^-_a-z0-9]/g, '');
      docker(['rmi', '-f', `${project}_dev`, `${project}-dev`], { allowFail: true });
    }
  });

  it('installs the Features in an image derived from the service\'s and applies what they contribute; the profile, SSH agent and .gitconfig reach the service container', async () => {
    const base = busyboxImage();
    const hello = {
      id: 'hello',
      version: '1.0.0',
      options: { greeting: { type: 'string', default: 'hello' } },
      containerEnv: { HELLO_HOME: '/opt/hello' },
      capAdd: ['SYS_PTRACE'],
      entrypoint: '/usr/local/bin/hello-entry.sh',
      postCreateCommand: 'echo feature-hello >> /tmp/hooks.txt',
    };
    const install = [
      '#!/bin/sh',
      'set -e',
      'echo "$GREETING" > /etc/hello.txt',
      'mkdir -p /usr/local/bin',
      "printf '#!/bin/sh\\ntouch /tmp/entry-ran\\n' > /usr/local/bin/hello-entry.sh",
      'chmod +x /usr/local/bin/hello-entry.sh',
      '',
    ].join('\n');
    folder = workspace(
      `composefeat${process.pid}`,
      {
        dockerComposeFile: 'docker-compose.yml',
        service: 'dev',
        workspaceFolder: '/workspace',
        features: { './hello': { greeting: 'hi from compose' } },
        postCreateCommand: 'echo config >> /tmp/hooks.txt',
      },
      {
        // overrideCommand is false for Compose by default: the service's own command keeps it running
        '.devcontainer/docker-compose.yml': [
          "version: '2.4'",
          'services:',
          '  dev:',
          '    build:',
          '      context: .',
          '    volumes:',
          '      - ..:/workspace',
          '    command: ["/bin/sh", "-c", "echo service-command-ran > /tmp/cmd.txt; trap \'exit 0\' TERM; while sleep 1; do :; done"]',
          '',
        ].join('\n'),
        '.devcontainer/Dockerfile': `FROM ${base}\nRUN echo built > /built.txt\n`,
        '.devcontainer/hello/devcontainer-feature.json': JSON.stringify(hello),
        '.devcontainer/hello/install.sh': install,
        'package.json': JSON.stringify({ name: 'p', version: '1.0.0' }),
      },
    );
    const home = path.join(path.dirname(folder), `home-compose-${process.pid}`);
    mkdirSync(home, { recursive: true });
    const gitconfig = '[user]\n\tname = Compose User\n';
    writeFileSync(path.join(home, '.gitconfig'), gitconfig);
    const sock = path.join(path.dirname(folder), `agent-compose-${process.pid}.sock`);
    server = createServer(() => undefined);
    await new Promise<void>((resolve) => server!.listen(sock, resolve));

    const { result, log } = await hbUp(folder, { env: { ...process.env, HOME: home, SSH_AUTH_SOCK: sock } });
    assert.equal(result.state, 'running');
    const id = result.containerId!;
    const info = await inspect(id);
    // the service runs the derived image: built from its Dockerfile, then the Feature installed with its option
    assert.match(info.Config.Image, /^hb-features-/);
    featuresTag = info.Config.Image;
    assert.match(log.text, /Installing Features \.\/hello/);
    assert.equal(dockerExec(id, 'cat /built.txt').trim(), 'built');
    assert.equal(dockerExec(id, 'cat /etc/hello.txt').trim(), 'hi from compose');
    // what the Feature contributes: env, capAdd, its entrypoint before the service's command, its postCreateCommand first
    assert.ok(info.Config.Env.includes('HELLO_HOME=/opt/hello'));
    assert.ok(info.HostConfig.CapAdd?.includes('SYS_PTRACE'));
    assert.equal(dockerExec(id, 'test -f /tmp/entry-ran && cat /tmp/cmd.txt').trim(), 'service-command-ran');
    assert.equal(dockerExec(id, 'cat /tmp/hooks.txt'), 'feature-hello\nconfig\n');
    // the language profile: the shared npm cache volume under its own name, and its variable
    assert.ok(result.profile?.entries.some((e) => e.id === 'npm-volume'), JSON.stringify(result.profile));
    assert.ok(info.Mounts.some((m) => m.Type === 'volume' && m.Name === 'hyperbox-cache-npm' && m.Destination === '/var/cache/hyperbox/npm'));
    assert.ok(info.Config.Env.includes('npm_config_cache=/var/cache/hyperbox/npm'));
    // host setup: the SSH agent socket and the user's git config
    assert.ok(info.Config.Env.includes(`SSH_AUTH_SOCK=${CONTAINER_SSH_AUTH_SOCK}`));
    assert.ok(info.Mounts.some((m) => m.Type === 'bind' && m.Source === sock && m.Destination === CONTAINER_SSH_AUTH_SOCK));
    assert.equal(dockerExec(id, 'cat /root/.gitconfig'), gitconfig);

    // the next up reuses the container, and a new project reuses the Features image
    const again = await hbUp(folder, { env: { ...process.env, HOME: home, SSH_AUTH_SOCK: sock } });
    assert.equal(again.result.containerId, id);
    await down({ folder, env: process.env });
    const fresh = await hbUp(folder, { env: { ...process.env, HOME: home, SSH_AUTH_SOCK: sock } });
    assert.match(fresh.log.text, /already installed in image hb-features-/);
    assert.equal(dockerExec(fresh.result.containerId!, 'cat /etc/hello.txt').trim(), 'hi from compose');
  });
});
