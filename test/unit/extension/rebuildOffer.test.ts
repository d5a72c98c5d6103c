// "The dev container is out of date": after a save of a file the container was made from, the
// engine is asked for the state, and a stale container gets one notification per drift with
// "Rebuild" (which rebuilds that folder's container) and "Not Now".
import { strict as assert } from 'node:assert';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ContainerSummary, ResolvedConfig } from '../../../src/protocol';
import type { Project } from '../../../src/extension/projects';
import { RebuildOnSave } from '../../../src/extension/rebuildOffer';
import { RebuildOffers, describeDrift, savedFileMatters, type SaveScope } from '../../../src/extension/staleOffer';
import { StubTextDocument, Uri, stub, window, workspace } from '../stubs/vscode';
import { waitFor } from './helpers';

// the saves write to disk: a throw-away folder, made when the tests that save run
const FOLDER = path.join(tmpdir(), `hb-rebuild-offer-${process.pid}`);
const CONFIG = `${FOLDER}/.devcontainer/devcontainer.json`;

function summary(state: ContainerSummary['state'], changed: string[] = []): ContainerSummary {
  return {
    folder: FOLDER,
    configFile: CONFIG,
    containerId: 'c1',
    name: 'app-dev',
    state,
    running: true,
    image: 'hb-test:1',
    workspaceFolder: '/workspaces/app',
    remoteUser: 'dev',
    ports: [],
    drift: { known: true, changed },
    madeBy: 'hyperbox',
  };
}

describe('which saved files can make a container stale', () => {
  const dockerfileBuild: SaveScope = {
    configFile: CONFIG,
    kind: 'dockerfile',
    paths: { dockerfile: `${FOLDER}/docker/app.Dockerfile`, context: `${FOLDER}/docker` },
    workspaceFolder: FOLDER,
  };

  it('the config, its folder (Dockerfile, local Features), the Dockerfile it names and its build context', () => {
    assert.ok(savedFileMatters(CONFIG, dockerfileBuild));
    assert.ok(savedFileMatters(`${FOLDER}/.devcontainer/Dockerfile`, dockerfileBuild));
    assert.ok(savedFileMatters(`${FOLDER}/.devcontainer/my-feature/install.sh`, dockerfileBuild));
    assert.ok(savedFileMatters(`${FOLDER}/docker/app.Dockerfile`, dockerfileBuild));
    assert.ok(savedFileMatters(`${FOLDER}/docker/requirements.txt`, dockerfileBuild), 'COPY lines may take in any file of the context');
    assert.ok(!savedFileMatters(`${FOLDER}/src/index.ts`, dockerfileBuild));
    assert.ok(!savedFileMatters(`${FOLDER}/docs/.devcontainer/notes.md`, dockerfileBuild));
  });

  it('compose files, and the top of the workspace (the language profile reads it); not the rest of the workspace', () => {
    const compose: SaveScope = { configFile: CONFIG, kind: 'compose', paths: { composeFiles: [`${FOLDER}/deploy/compose.yml`] }, workspaceFolder: FOLDER };
    assert.ok(savedFileMatters(`${FOLDER}/deploy/compose.yml`, compose));
    assert.ok(!savedFileMatters(`${FOLDER}/deploy/compose.override.yml.bak`, compose));
    const image: SaveScope = { configFile: CONFIG, kind: 'image', paths: {}, workspaceFolder: FOLDER };
    assert.ok(savedFileMatters(`${FOLDER}/package.json`, image), 'a new package manager changes the profile');
    assert.ok(!savedFileMatters(`${FOLDER}/src/package.json`, image));
  });

  it('a .devcontainer.json at the root does not make every file of the folder matter', () => {
    const root: SaveScope = { configFile: `${FOLDER}/.devcontainer.json`, kind: 'image', paths: {}, workspaceFolder: FOLDER };
    assert.ok(savedFileMatters(`${FOLDER}/.devcontainer.json`, root));
    assert.ok(!savedFileMatters(`${FOLDER}/src/index.ts`, root));
    assert.ok(!savedFileMatters(CONFIG, { configFile: null, kind: null, paths: {}, workspaceFolder: FOLDER }));
  });
});

describe('when to offer a rebuild', () => {
  it('offers once per drift, naming what changed', () => {
    const offers = new RebuildOffers();
    assert.equal(offers.decide(FOLDER, 'app', summary('running')), undefined);
    const first = offers.decide(FOLDER, 'app', summary('stale', ['devcontainer.json containerEnv']));
    assert.equal(first?.message, 'The dev container of app is out of date: devcontainer.json containerEnv changed since it was made. Rebuild it to apply the changes.');
    assert.equal(offers.decide(FOLDER, 'app', summary('stale', ['devcontainer.json containerEnv'])), undefined, 'the same drift is not offered again');
    const more = offers.decide(FOLDER, 'app', summary('stale', ['Dockerfile Dockerfile', 'devcontainer.json containerEnv']));
    assert.match(more!.message, /Dockerfile Dockerfile, devcontainer\.json containerEnv changed/);
    assert.equal(offers.decide(FOLDER, 'app', summary('stale', ['devcontainer.json containerEnv', 'Dockerfile Dockerfile'])), undefined, 'order does not make it new');
  });

  it('offers the same drift again once the container was up to date in between, or rebuilt', () => {
    const offers = new RebuildOffers();
    const stale = summary('stale', ['devcontainer.json mounts']);
    assert.ok(offers.decide(FOLDER, 'app', stale));
    assert.equal(offers.decide(FOLDER, 'app', summary('error')), undefined);
    assert.equal(offers.decide(FOLDER, 'app', stale), undefined, 'an error in between says nothing about the drift');
    assert.equal(offers.decide(FOLDER, 'app', summary('running')), undefined);
    assert.ok(offers.decide(FOLDER, 'app', stale), 'up to date in between: the same change made again is news');
    offers.forget(FOLDER);
    assert.ok(offers.decide(FOLDER, 'app', stale));
    assert.ok(offers.decide('/work/other', 'other', stale), 'each folder on its own');
  });

  it('names a few changes, then how many more', () => {
    assert.equal(describeDrift(summary('stale', ['a', 'b', 'c', 'd', 'e'])), 'a, b, c and 2 more changed since it was made.');
    assert.equal(describeDrift({ drift: { known: true, changed: [] }, message: 'The container is out of date.' }), 'The container is out of date.');
  });
});

describe('the rebuild offer after a save (vscode stubbed)', () => {
  let p: Project;
  let refreshes = 0;
  let ups: { project: Project; rebuild: boolean }[] = [];
  let next: ContainerSummary;
  let offer: RebuildOnSave | undefined;

  function project(kind: ResolvedConfig['kind'] = 'dockerfile'): Project {
    return {
      folder: { uri: Uri.file(FOLDER), name: 'app', index: 0 },
      configFiles: [CONFIG],
      choice: { kind: 'chosen', configFile: CONFIG, reason: 'only' } as never,
      result: { problems: [], kind, paths: kind === 'dockerfile' ? { dockerfile: `${FOLDER}/.devcontainer/Dockerfile`, context: `${FOLDER}/.devcontainer` } : {} } as unknown as ResolvedConfig,
      discovering: false,
      container: { summary: summary('running') },
    };
  }

  function make(): RebuildOnSave {
    offer = new RebuildOnSave({
      projects: { forUri: (uri) => (uri.fsPath.startsWith(`${FOLDER}/`) ? p : undefined) },
      containers: {
        refresh: async (proj) => {
          refreshes++;
          proj.container.summary = next;
        },
        up: async (proj, rebuild) => {
          ups.push({ project: proj, rebuild: !!rebuild });
          return undefined;
        },
      },
      log: window.createOutputChannel('HyperBox', { log: true }) as never,
      delayMs: 5,
    });
    return offer;
  }

  const save = (file: string) => stub.save(new StubTextDocument(Uri.file(file), '{}\n'));
  const offers = () => stub.messages.filter((m) => m.message.includes('out of date'));

  beforeEach(() => {
    stub.reset();
    p = project();
    refreshes = 0;
    ups = [];
    next = summary('running');
  });
  afterEach(() => {
    offer?.dispose();
    offer = undefined;
    stub.reset();
  });

  before(() => {
    mkdirSync(path.join(FOLDER, '.devcontainer'), { recursive: true });
    mkdirSync(path.join(FOLDER, 'src'), { recursive: true });
  });
  after(() => rmSync(FOLDER, { recursive: true, force: true }));

  it('asks the engine after a save of the Dockerfile and offers Rebuild; Rebuild rebuilds that folder', async () => {
    make();
    next = summary('stale', ['Dockerfile Dockerfile']);
    stub.respond = () => 'Rebuild';
    await save(`${FOLDER}/.devcontainer/Dockerfile`);
    await waitFor(() => ups.length === 1, 'a rebuild');
    assert.equal(refreshes, 1);
    assert.deepEqual(offers().map((m) => [m.level, m.items]), [['info', ['Rebuild', 'Not Now']]]);
    assert.match(offers()[0].message, /The dev container of app is out of date: Dockerfile Dockerfile changed/);
    assert.equal(ups[0].project, p);
    assert.equal(ups[0].rebuild, true);
  });

  it('"Not Now" rebuilds nothing, and the same drift is not offered at the next save', async () => {
    make();
    next = summary('stale', ['devcontainer.json containerEnv']);
    stub.respond = () => 'Not Now';
    await save(CONFIG);
    await waitFor(() => offers().length === 1, 'an offer');
    await save(CONFIG);
    await waitFor(() => refreshes === 2, 'a second status');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(offers().length, 1);
    assert.equal(ups.length, 0);
    // a new change is news
    next = summary('stale', ['devcontainer.json containerEnv', 'devcontainer.json mounts']);
    await save(CONFIG);
    await waitFor(() => offers().length === 2, 'a second offer');
  });

  it('says nothing when the save did not make the container stale, and asks nothing for files that cannot', async () => {
    make();
    await save(CONFIG);
    await waitFor(() => refreshes === 1, 'a status');
    await save(`${FOLDER}/src/index.ts`);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(refreshes, 1, 'src/index.ts is neither in the build context nor at the top of the folder');
    assert.deepEqual(offers(), []);
  });

  it('asks nothing without a container, while one is being made, or in Restricted Mode', async () => {
    make();
    next = summary('stale', ['Dockerfile Dockerfile']);
    p.container = { summary: { ...summary('missing'), containerId: null } };
    await save(CONFIG);
    p.container = { summary: summary('running'), busy: { kind: 'starting', rebuild: false } };
    await save(CONFIG);
    p.container = { summary: summary('running') };
    workspace.isTrusted = false;
    await save(CONFIG);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(refreshes, 0);
    assert.deepEqual(offers(), []);
  });

  it('asks once for several saves in a row (Save All)', async () => {
    make();
    next = summary('stale', ['Dockerfile Dockerfile', 'devcontainer.json image']);
    await Promise.all([save(CONFIG), save(`${FOLDER}/.devcontainer/Dockerfile`)]);
    await waitFor(() => offers().length === 1, 'an offer');
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(refreshes, 1);
  });
});
