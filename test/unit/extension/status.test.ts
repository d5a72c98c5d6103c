import { strict as assert } from 'node:assert';
import { Commands } from '../../../src/extension/contributions';
import { ERROR_BACKGROUND, WARNING_BACKGROUND, escapeMarkdown, statusView, type EngineView, type ProjectView } from '../../../src/extension/status';

const running: EngineView = { kind: 'running', version: '0.1.0', pid: 42 };
const project = (state: ProjectView['state'], folderName = 'app', configCount = 1): ProjectView => ({ folderName, configCount, state });
const checked = (errors: number, warnings: number) => project({ kind: 'checked', configLabel: '.devcontainer/devcontainer.json', errors, warnings });

describe('status bar text and colour', () => {
  const cases: [string, Parameters<typeof statusView>[0], string, string | undefined, string | undefined][] = [
    ['engine starting', { engine: { kind: 'starting', attempt: 0, maxRestarts: 5 }, projects: [], focus: -1 }, '$(sync~spin) HyperBox: starting engine', undefined, Commands.showLogs],
    ['engine restarting', { engine: { kind: 'starting', attempt: 2, maxRestarts: 5 }, projects: [checked(0, 0)], focus: 0 }, '$(sync~spin) HyperBox: restarting engine', WARNING_BACKGROUND, Commands.showLogs],
    ['engine failed', { engine: { kind: 'failed', message: 'gave up' }, projects: [checked(0, 0)], focus: 0 }, '$(error) HyperBox: engine failed', ERROR_BACKGROUND, Commands.restartEngine],
    ['engine stopped', { engine: { kind: 'stopped' }, projects: [], focus: -1 }, '$(debug-stop) HyperBox: engine stopped', undefined, Commands.restartEngine],
    ['no config', { engine: running, projects: [project({ kind: 'none' })], focus: 0 }, '$(circle-slash) HyperBox: no config', undefined, Commands.showLogs],
    ['no folder', { engine: running, projects: [], focus: -1 }, '$(circle-slash) HyperBox: no config', undefined, Commands.showLogs],
    ['checking', { engine: running, projects: [project({ kind: 'checking', configLabel: 'x' })], focus: 0 }, '$(sync~spin) HyperBox: checking config', undefined, Commands.openConfig],
    ['config OK', { engine: running, projects: [checked(0, 0)], focus: 0 }, '$(check) HyperBox: config OK', undefined, Commands.openConfig],
    ['1 error', { engine: running, projects: [checked(1, 3)], focus: 0 }, '$(error) HyperBox: 1 error', ERROR_BACKGROUND, Commands.openConfig],
    ['N errors', { engine: running, projects: [checked(3, 0)], focus: 0 }, '$(error) HyperBox: 3 errors', ERROR_BACKGROUND, Commands.openConfig],
    ['warnings only', { engine: running, projects: [checked(0, 2)], focus: 0 }, '$(warning) HyperBox: 2 warnings', WARNING_BACKGROUND, Commands.openConfig],
    ['several configs', { engine: running, projects: [project({ kind: 'ask', candidates: 3 }, 'app', 3)], focus: 0 }, '$(list-selection) HyperBox: select config', WARNING_BACKGROUND, Commands.selectConfig],
    ['not checked', { engine: running, projects: [project({ kind: 'unknown', message: 'timeout' })], focus: 0 }, '$(warning) HyperBox: not checked', WARNING_BACKGROUND, Commands.showLogs],
  ];
  for (const [name, input, text, background, command] of cases) {
    it(name, () => {
      const v = statusView(input);
      assert.equal(v.text, text);
      assert.equal(v.background, background);
      assert.equal(v.command, command);
      assert.ok(v.accessibilityLabel.length > 0);
    });
  }

  it('names the folder when several folders have configs, following the focused one', () => {
    const projects = [checked(2, 0), { ...checked(0, 0), folderName: 'web' }, project({ kind: 'none' }, 'docs')];
    assert.equal(statusView({ engine: running, projects, focus: 0 }).text, '$(error) HyperBox (app): 2 errors');
    assert.equal(statusView({ engine: running, projects, focus: 1 }).text, '$(check) HyperBox (web): config OK');
    // focus on a folder without a config: that folder is what the user looks at
    assert.equal(statusView({ engine: running, projects, focus: 2 }).text, '$(circle-slash) HyperBox: no config');
    // no focus: the first folder with a config
    assert.equal(statusView({ engine: running, projects, focus: -1 }).text, '$(error) HyperBox (app): 2 errors');
  });

  it('has a tooltip with the engine, every project and trusted command links', () => {
    const v = statusView({ engine: running, projects: [checked(1, 1), project({ kind: 'ask', candidates: 2 }, 'web', 2)], focus: 0 });
    assert.match(v.tooltip, /Engine 0\\\.1\\\.0 running \(pid 42\)/);
    assert.ok(v.tooltip.includes('**app**: \\.devcontainer/devcontainer\\.json: 1 error, 1 warning'), v.tooltip);
    assert.ok(!v.tooltip.includes('`'), 'no code spans: escapes do not work inside them');
    assert.match(v.tooltip, /\*\*web\*\*: 2 configs; select the one to use/);
    for (const [title, id] of [
      ['Show Logs', Commands.showLogs],
      ['Restart Engine', Commands.restartEngine],
      ['Open Config', Commands.openConfig],
      ['Select Config', Commands.selectConfig],
    ]) {
      assert.ok(v.tooltip.includes(`[${title}](command:${id})`), `${title} link missing:\n${v.tooltip}`);
      assert.ok(v.linkedCommands.includes(id as never), `${id} must be trusted`);
    }
  });

  it('offers no Open/Select Config links when there is nothing to open or select', () => {
    const v = statusView({ engine: running, projects: [project({ kind: 'none' })], focus: 0 });
    assert.deepEqual(v.linkedCommands, [Commands.showLogs, Commands.restartEngine]);
    assert.ok(!v.tooltip.includes('command:hyperbox.openConfig'));
  });

  it('says why the engine failed', () => {
    const v = statusView({ engine: { kind: 'failed', message: 'The engine /x/engine.js does not exist.' }, projects: [], focus: -1 });
    assert.match(v.tooltip, /Engine not running: The engine \/x\/engine\\\.js does not exist\\\./);
  });

  it('escapes names so they cannot inject links or markup', () => {
    const v = statusView({ engine: running, projects: [project({ kind: 'none' }, '[x](command:evil)')], focus: 0 });
    assert.ok(!v.tooltip.includes('[x](command:evil)'));
    assert.equal(escapeMarkdown('a*b_[c](d)'), 'a\\*b\\_\\[c\\]\\(d\\)');
  });

  describe('the dev container in the one item', () => {
    const stack = { label: 'TypeScript · NestJS · pnpm', summary: 'TypeScript · NestJS · pnpm (confidence 0.99)\nEvidence:\n  package.json: lists "@nestjs/core"' };
    const withContainer = (container: ProjectView['container'], warnings = 0): ProjectView => ({ ...checked(0, warnings), stack, container });
    const cases: [string, ProjectView['container'], string, string | undefined][] = [
      ['not known yet: the config state', { kind: 'unknown' }, '$(check) TypeScript · NestJS · pnpm: config OK', undefined],
      ['no container yet', { kind: 'missing' }, '$(circle-large-outline) TypeScript · NestJS · pnpm: no dev container', undefined],
      ['stopped', { kind: 'stopped', name: 'api' }, '$(primitive-square) TypeScript · NestJS · pnpm: dev container stopped', undefined],
      ['starting, with a spinner', { kind: 'starting', rebuild: false, step: 'Pulling' }, '$(sync~spin) TypeScript · NestJS · pnpm: starting dev container', undefined],
      ['running', { kind: 'running', name: 'api', image: 'node:20', ports: [] }, '$(vm-running) TypeScript · NestJS · pnpm: dev container running', undefined],
      ['stale', { kind: 'stale', running: false, changed: ['image'] }, '$(warning) TypeScript · NestJS · pnpm: dev container stale', WARNING_BACKGROUND],
      ['running but stale', { kind: 'stale', running: true, changed: ['image'] }, '$(warning) TypeScript · NestJS · pnpm: dev container running, stale', WARNING_BACKGROUND],
      ['error', { kind: 'error', message: 'Docker is not reachable' }, '$(error) TypeScript · NestJS · pnpm: dev container error', ERROR_BACKGROUND],
      ['rebuilding says so', { kind: 'starting', rebuild: true }, '$(sync~spin) TypeScript · NestJS · pnpm: rebuilding dev container', undefined],
      ['removing says so', { kind: 'stopping', removing: true }, '$(sync~spin) TypeScript · NestJS · pnpm: removing dev container', undefined],
    ];
    for (const [name, container, text, background] of cases) {
      it(name, () => {
        const v = statusView({ engine: running, projects: [withContainer(container)], focus: 0 });
        assert.equal(v.text, text);
        assert.equal(v.background, background);
        if (container?.kind !== 'unknown') {
          assert.equal(v.command, Commands.showActions, 'a click opens the actions');
          assert.ok(v.linkedCommands.includes(Commands.showActions));
        }
      });
    }

    it('puts the state, the evidence and the stack in the tooltip', () => {
      const v = statusView({ engine: running, projects: [withContainer({ kind: 'running', name: 'api', image: 'node:20', ports: [{ containerPort: 3000, hostPort: 3000, protocol: 'tcp', hostIp: '127.0.0.1' }] })], focus: 0 });
      const plain = v.tooltip.replace(/\\(.)/g, '$1');
      assert.match(plain, /Dev container api is running \(node:20\); ports 3000→3000\./);
      assert.match(plain, /package.json: lists "@nestjs\/core"/);
    });

    it('config errors sit beside the state of a container that exists, never in its place', () => {
      const v = statusView({ engine: running, projects: [{ ...checked(2, 0), stack, container: { kind: 'running', name: 'api', image: null, ports: [] } }], focus: 0 });
      assert.equal(v.text, '$(vm-running) TypeScript · NestJS · pnpm: dev container running · $(error) 2 config errors');
      assert.equal(v.background, WARNING_BACKGROUND);
      assert.equal(v.command, Commands.showActions);
      assert.ok(v.linkedCommands.includes(Commands.openConfig), 'the tooltip still leads to the config');
      // without a container, the errors are what there is to say: nothing can start
      const none = statusView({ engine: running, projects: [{ ...checked(2, 0), stack, container: { kind: 'missing' } }], focus: 0 });
      assert.equal(none.text, '$(error) TypeScript · NestJS · pnpm: 2 errors');
      assert.equal(none.command, Commands.openConfig);
    });

    it('in Restricted Mode says why nothing runs and offers to manage trust', () => {
      const v = statusView({ engine: running, projects: [withContainer({ kind: 'unknown' })], focus: 0, trusted: false });
      assert.equal(v.text, '$(shield) TypeScript · NestJS · pnpm: Restricted Mode');
      assert.equal(v.background, WARNING_BACKGROUND);
      assert.equal(v.command, 'workbench.trust.manage');
      assert.ok(v.linkedCommands.includes('workbench.trust.manage'));
      assert.match(v.tooltip, /builds and runs nothing/);
    });

    it('offers to add a config to a recognised folder without one', () => {
      const v = statusView({ engine: running, projects: [{ ...project({ kind: 'none' }), stack }], focus: 0 });
      assert.equal(v.text, '$(add) TypeScript · NestJS · pnpm: no config');
      assert.equal(v.command, Commands.addConfig);
    });
  });
});

