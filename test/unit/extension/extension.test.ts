// The extension as a user meets it, with the `vscode` API stubbed and the real bundled engine:
// activation on a folder, problems in the Problems panel at the right place, the status bar,
// typing and saving, several configs, several folders, and the commands.
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { activate, deactivate } from '../../../src/extension/main';
import { Commands, ContextKeys, StateKeys } from '../../../src/extension/contributions';
import { DiagnosticSeverity, ThemeColor, MarkdownString, Uri, stub, workspace } from '../stubs/vscode';
import { ROOT, copyFixture, ensureBuilt, removeTempDirs, sleep, tempDir, waitFor } from './helpers';

type Context = ReturnType<typeof stub.extensionContext>;

const BROKEN_FIXED = `{
  // fixed as the user types
  "name": "broken",
  "image": "debian:12",
  "forwardPorts": [3000]
}
`;

/** A config without problems: "config OK" until the engine says there is no container yet. */
const CONFIG_OK = /^\$\((check|circle-large-outline)\) HyperBox: (config OK|no dev container)$/;

describe('extension (vscode stubbed, real engine)', function () {
  this.timeout(20_000);
  const contexts: Context[] = [];
  const savedEnv = process.env.HYPERBOX_ENGINE_PATH;

  before(async () => {
    delete process.env.HYPERBOX_ENGINE_PATH;
    await ensureBuilt();
  });
  after(async () => {
    if (savedEnv !== undefined) process.env.HYPERBOX_ENGINE_PATH = savedEnv;
    await removeTempDirs();
  });
  beforeEach(() => {
    stub.reset();
    // these tests are about configs and the engine; containers have their own tests
    stub.setConfig('hyperbox.autoStart', { globalValue: false }, false);
  });
  afterEach(async () => {
    await shutdown();
    stub.reset();
  });

  async function shutdown(): Promise<void> {
    await deactivate();
    for (const c of contexts.splice(0)) for (const d of c.subscriptions.splice(0)) d.dispose();
  }

  function start(folders: string[], workspaceState?: Context['workspaceState']): Context {
    stub.setFolders(folders);
    const context = stub.extensionContext(ROOT);
    if (workspaceState) context.workspaceState = workspaceState;
    contexts.push(context);
    activate(context as never);
    return context;
  }

  const status = () => stub.statusBarItem();
  const statusIs = (text: string | RegExp) =>
    waitFor(() => (typeof text === 'string' ? status().text === text : text.test(status().text)), `status "${text}"`, 8000, () => `status is "${status().text}"\n${stub.log().text()}`);
  const run = (id: string) => stub.commands.get(id)!();
  const configOf = (folder: string) => path.join(folder, '.devcontainer', 'devcontainer.json');
  /** The text a diagnostic's range covers: what the editor underlines. */
  async function underlined(file: string, range: { start: { line: number; character: number }; end: { line: number; character: number } }): Promise<string> {
    const lines = (await fs.readFile(file, 'utf8')).split('\n');
    assert.equal(range.start.line, range.end.line);
    return lines[range.start.line].slice(range.start.character, range.end.character);
  }

  it('shows a broken config\'s problems in the Problems panel at the right line and column, with their severity', async () => {
    const folder = await copyFixture('broken');
    start([folder]);
    const file = configOf(folder);
    const diagnostics = await waitFor(() => (stub.diagnostics(file).length === 3 ? stub.diagnostics(file) : undefined), 'three diagnostics', 8000, () => stub.log().text());
    assert.deepEqual(
      diagnostics.map((d) => [d.severity, d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character, d.code, d.source]),
      [
        [DiagnosticSeverity.Warning, 4, 2, 4, 15, 'unknown-property', 'HyperBox'],
        [DiagnosticSeverity.Error, 5, 16, 5, 18, 'type', 'HyperBox'],
        [DiagnosticSeverity.Error, 6, 20, 6, 34, 'enum', 'HyperBox'],
      ],
    );
    assert.deepEqual(await Promise.all(diagnostics.map((d) => underlined(file, d.range))), ['"forwardPort"', '42', '"stopContainr"']);
    assert.match(diagnostics[0].message, /Did you mean "forwardPorts"\?/);
    assert.match(diagnostics[2].message, /Did you mean "stopContainer"\?/);

    await statusIs('$(error) HyperBox: 2 errors');
    const item = status();
    assert.ok(item.visible);
    assert.ok(item.backgroundColor instanceof ThemeColor);
    assert.equal(item.backgroundColor.id, 'statusBarItem.errorBackground');
    assert.equal(item.command, Commands.openConfig);
    assert.ok(item.tooltip instanceof MarkdownString);
    assert.ok(item.tooltip.value.includes('**broken**: \\.devcontainer/devcontainer\\.json: 2 errors, 1 warning'), item.tooltip.value);
    assert.match(item.tooltip.value, /\[Show Logs\]\(command:hyperbox\.showLogs\)/);
    assert.deepEqual(item.tooltip.isTrusted, { enabledCommands: [Commands.showLogs, Commands.restartEngine, Commands.openConfig] });
    assert.equal(stub.contextKeys.get(ContextKeys.engineRunning), true);
    assert.equal(stub.contextKeys.get(ContextKeys.hasConfig), true);
    assert.equal(stub.contextKeys.get(ContextKeys.hasSeveralConfigs), false);

    // the status went through "starting" first, and the log tells the story
    assert.equal(item.history[0], '$(sync~spin) HyperBox: starting engine');
    const log = stub.log();
    assert.equal(log.name, 'HyperBox');
    assert.ok(log.lines.some((l) => l.level === 'info' && /^HyperBox 0\.0\.0-test activated in \d+\.\d ms\.$/.test(l.message)), log.text());
    assert.ok(log.lines.some((l) => l.level === 'info' && /^Engine \S+ ready in \d+ ms: pid \d+, .*capabilities: .*config/.test(l.message)), log.text());
  });

  it('registers exactly the commands package.json contributes', async () => {
    const folder = await copyFixture('ok');
    start([folder]);
    const manifest = JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8'));
    const contributed = (manifest.contributes.commands as { command: string }[]).map((c) => c.command).sort();
    assert.deepEqual([...stub.commands.keys()].sort(), contributed);
  });

  it('re-validates as the user types (debounced, with the unsaved text), on save, and on close without saving', async () => {
    const folder = await copyFixture('broken');
    start([folder]);
    const file = configOf(folder);
    await statusIs('$(error) HyperBox: 2 errors');
    const doc = await stub.openDocument(file);
    const unsavedChecks = () => stub.log().lines.filter((l) => /^Checked .* \(unsaved text\)/.test(l.message)).length;

    // typing: five quick keystrokes make one check, of the last text
    const before = unsavedChecks();
    for (let i = 1; i <= 5; i++) {
      stub.edit(doc, BROKEN_FIXED.replace('"name": "broken"', `"name": "broken${i}"`));
      await sleep(10);
    }
    await statusIs(CONFIG_OK);
    assert.deepEqual(stub.diagnostics(file), []);
    await sleep(400);
    assert.equal(unsavedChecks() - before, 1, 'one check for a burst of typing');
    assert.equal(status().backgroundColor, undefined);
    // the file on disk was not touched
    assert.match(await fs.readFile(file, 'utf8'), /"forwardPort"/);

    // a new mistake, somewhere else
    stub.edit(doc, BROKEN_FIXED.replace('"image": "debian:12"', '"image": 12'));
    const d = await waitFor(() => (stub.diagnostics(file).length === 1 ? stub.diagnostics(file)[0] : undefined), 'the new problem');
    assert.deepEqual([d.severity, d.range.start.line, d.range.start.character], [DiagnosticSeverity.Error, 3, 11]);
    await statusIs('$(error) HyperBox: 1 error');

    // save: checked from disk at once
    stub.edit(doc, BROKEN_FIXED);
    await stub.save(doc);
    await waitFor(() => stub.log().lines.some((l) => l.message.startsWith(`Checked ${file}: 0 errors`)), 'a check from disk');
    await statusIs(CONFIG_OK);

    // break it again without saving, then close: what counts is the file on disk (fixed)
    stub.edit(doc, '{ "image": 12 }');
    await statusIs('$(error) HyperBox: 1 error');
    stub.close(doc);
    await statusIs(CONFIG_OK);
    assert.deepEqual(stub.diagnostics(file), []);
  });

  it('asks which config to use when a folder has several, and remembers the choice', async () => {
    const folder = await copyFixture('several');
    const context = start([folder]);
    await statusIs('$(list-selection) HyperBox: select config');
    assert.equal(status().backgroundColor?.id, 'statusBarItem.warningBackground');
    assert.equal(status().command, Commands.selectConfig);
    assert.equal(stub.contextKeys.get(ContextKeys.hasSeveralConfigs), true);

    const node = path.join(folder, '.devcontainer', 'node', 'devcontainer.json');
    stub.pick = (items) => (items as { label: string }[]).find((i) => i.label === '.devcontainer/node/devcontainer.json');
    await run(Commands.selectConfig);
    assert.deepEqual(
      (stub.quickPicks[0].items as { label: string }[]).map((i) => i.label),
      ['.devcontainer/node/devcontainer.json', '.devcontainer/python/devcontainer.json'],
    );
    await statusIs(/^\$\((warning|circle-large-outline)\) JavaScript: (1 warning|no dev container)$/);
    const [warning] = stub.diagnostics(node);
    assert.deepEqual([warning.severity, warning.range.start.line, warning.range.start.character], [DiagnosticSeverity.Warning, 0, 38]);
    assert.match(warning.message, /"remoteUsr". Did you mean "remoteUser"\?/);
    assert.deepEqual(context.workspaceState.get(StateKeys.selectedConfigs), { [Uri.file(folder).toString()]: '.devcontainer/node/devcontainer.json' });

    // a new window on the same workspace: no question, the same config
    const state = context.workspaceState;
    await shutdown();
    stub.reset();
    stub.setConfig('hyperbox.autoStart', { globalValue: false }, false);
    start([folder], state);
    await statusIs(/^\$\((warning|circle-large-outline)\) JavaScript: (1 warning|no dev container)$/);
    assert.equal(stub.quickPicks.length, 0);
    assert.equal(stub.diagnostics(node).length, 1);
  });

  it('treats each folder of a multi-root workspace as its own project, and follows the active editor', async () => {
    const broken = await copyFixture('broken');
    const ok = await copyFixture('ok');
    const none = await copyFixture('none');
    start([broken, ok, none]);
    await statusIs('$(error) HyperBox (broken): 2 errors');
    const tooltip = () => (status().tooltip as MarkdownString).value;
    await waitFor(() => tooltip().includes('**ok**: \\.devcontainer\\.json: OK'), 'ok to be checked', 8000, tooltip);
    assert.ok(tooltip().includes('**broken**: \\.devcontainer/devcontainer\\.json: 2 errors, 1 warning'), tooltip());
    assert.ok(tooltip().includes('**none**: no dev container config'), tooltip());
    assert.equal(stub.diagnostics(configOf(broken)).length, 3);
    assert.deepEqual(stub.diagnostics(path.join(ok, '.devcontainer.json')), []);

    await stub.openDocument(path.join(ok, '.devcontainer.json'));
    await statusIs(/^\$\((check|circle-large-outline)\) HyperBox \(ok\): (config OK|no dev container)$/);
    await stub.openDocument(configOf(broken));
    await statusIs('$(error) HyperBox (broken): 2 errors');
    await stub.openDocument(path.join(none, 'README.md'));
    await statusIs('$(circle-slash) HyperBox: no config');

    // a folder removed from the workspace takes its problems with it
    stub.changeFolders([ok, none]);
    await waitFor(() => stub.diagnostics(configOf(broken)).length === 0, 'the removed folder\'s diagnostics to go');
  });

  it('says when there is no config, and what to do', async () => {
    const none = await copyFixture('none');
    start([none]);
    await statusIs('$(circle-slash) HyperBox: no config');
    assert.equal(stub.contextKeys.get(ContextKeys.hasConfig), false);
    await run(Commands.openConfig);
    const message = stub.messages.at(-1)!;
    assert.equal(message.level, 'info');
    assert.match(message.message, /no dev container config in none\. Add one at \.devcontainer\/devcontainer\.json, \.devcontainer\.json or \.devcontainer\/<name>\/devcontainer\.json/);
  });

  it('notices a config created and deleted outside the editor', async () => {
    const none = await copyFixture('none');
    start([none]);
    await statusIs('$(circle-slash) HyperBox: no config');
    const file = path.join(none, '.devcontainer.json');
    await fs.writeFile(file, '{ "image": "debian:12", "remoteUser": 1 }\n');
    stub.watchers[0].create.fire(Uri.file(file));
    await statusIs('$(error) HyperBox: 1 error');
    assert.equal(stub.diagnostics(file).length, 1);
    await fs.rm(file);
    stub.watchers[0].delete.fire(Uri.file(file));
    await statusIs('$(circle-slash) HyperBox: no config');
    assert.deepEqual(stub.diagnostics(file), []);
  });

  it('opens the config and the resolved config (read-only) on command', async () => {
    const ok = await copyFixture('ok');
    start([ok]);
    await statusIs(CONFIG_OK);
    await run(Commands.openConfig);
    assert.equal(stub.shownDocuments.at(-1)!.uri.fsPath, path.join(ok, '.devcontainer.json'));

    await run(Commands.showResolvedConfig);
    const shown = stub.shownDocuments.at(-1)!;
    assert.equal(shown.uri.scheme, 'hyperbox-resolved');
    assert.match(shown.uri.path, /^\/ok\/\.devcontainer\.resolved\.json$/);
    const resolved = JSON.parse(shown.text);
    assert.equal(resolved.configFile, path.join(ok, '.devcontainer.json'));
    assert.deepEqual(resolved.config, { name: 'ok', image: 'debian:12', forwardPorts: [3000] });
    assert.match(resolved.devcontainerId, /^[0-9a-z]{52}$/);
    assert.deepEqual(resolved.problems, []);
  });

  it('shows the logs on command', async () => {
    start([await copyFixture('ok')]);
    await run(Commands.showLogs);
    assert.equal(stub.log().shown, 1);
  });

  it('names the project by its stack, with the evidence, and adds a config for it (preview, write, open; never overwrite)', async () => {
    const folder = path.join(await tempDir('stack'), 'api');
    await fs.mkdir(folder);
    await fs.writeFile(
      path.join(folder, 'package.json'),
      JSON.stringify({ name: 'api', scripts: { 'start:dev': 'nest start --watch' }, dependencies: { '@nestjs/core': '^10.0.0' }, devDependencies: { typescript: '^5.0.0' } }),
    );
    await fs.writeFile(path.join(folder, 'pnpm-lock.yaml'), "lockfileVersion: '9.0'\n");
    await fs.writeFile(path.join(folder, 'tsconfig.json'), '{}\n');
    start([folder]);
    await statusIs('$(add) TypeScript · NestJS · pnpm: no config');
    assert.equal(status().command, Commands.addConfig);
    // the tooltip as the user reads it (Markdown escapes removed)
    const tooltip = (status().tooltip as MarkdownString).value.replace(/\\(.)/g, '$1');
    assert.match(tooltip, /package\.json: lists "@nestjs/, tooltip);
    assert.match(tooltip, /pnpm-lock\.yaml: pnpm lockfile/, tooltip);
    assert.ok(tooltip.includes('[Add Dev Container Configuration](command:hyperbox.addConfig)'), tooltip);

    // Preview first: an untitled document with the config, nothing written yet; the user edits it,
    // then adds it: what is written is the preview as edited. Nothing starts: HyperBox asks.
    const asked: string[][] = [];
    stub.respond = (message, items) => {
      asked.push(items);
      if (items.includes('Preview and Edit')) return 'Preview and Edit';
      if (items.includes('Add Configuration')) {
        const doc = workspace.textDocuments.find((d) => d.uri.scheme === 'untitled')!;
        doc.setText(doc.getText().replace(/\{/, '{\n  // edited in the preview\n  "remoteEnv": { "EDITED": "yes" },'));
        return 'Add Configuration';
      }
      return undefined; // "Start Dev Container": not now
    };
    const file = path.join(folder, '.devcontainer', 'devcontainer.json');
    stub.setConfig('hyperbox.autoStart', { globalValue: true }, true);
    await run(Commands.addConfig);
    assert.deepEqual(asked, [['Add Configuration', 'Preview and Edit'], ['Add Configuration'], ['Start Dev Container']], stub.messages.map((m) => m.message).join('\n'));
    assert.match(stub.messages[0].message, /add \.devcontainer\/devcontainer\.json to api for TypeScript · NestJS · pnpm\?/);
    assert.match(stub.messages.at(-1)!.message, /^HyperBox: added \.devcontainer\/devcontainer\.json\. Start the dev container of api now\?/);
    const [preview, opened] = stub.shownDocuments;
    assert.equal(preview.uri.scheme, 'untitled');
    assert.match(preview.text, /"name"/);
    assert.equal(opened.uri.fsPath, file, 'the new file is opened');
    assert.deepEqual(stub.closedDocuments, [preview.uri.toString()], 'the preview closes once written, leaving no unsaved copy behind');
    const written = await fs.readFile(file, 'utf8');
    assert.match(written, /\/\/ edited in the preview\n {2}"remoteEnv": \{ "EDITED": "yes" \},/, 'what the user edited in the preview is what was written');
    assert.equal(written, workspace.textDocuments.find((d) => d.uri.scheme === 'untitled')!.getText());
    await statusIs(/^\$\((check|circle-large-outline|sync~spin)\) TypeScript · NestJS · pnpm: (config OK|no dev container|checking config)$/);
    // hyperbox.autoStart is on, yet the new config's container was not started: the user was asked
    await new Promise((r) => setTimeout(r, 300));
    assert.doesNotMatch(status().text, /starting|running/);

    // a second time: never overwrites, offers to open the existing one
    stub.messages.length = 0;
    stub.shownDocuments.length = 0;
    stub.respond = (_m, items) => (items.includes('Open It') ? 'Open It' : undefined);
    await fs.writeFile(file, '{ "image": "mine" }\n');
    await run(Commands.addConfig);
    assert.equal(stub.messages.length, 1);
    assert.match(stub.messages[0].message, /^HyperBox: api already has a dev container config \(.*devcontainer\.json\); HyperBox never overwrites one\.$/);
    assert.equal(await fs.readFile(file, 'utf8'), '{ "image": "mine" }\n');
    assert.equal(stub.shownDocuments[0].uri.fsPath, file);
  });

  it('offers the actions that make sense now; in Restricted Mode only trust, and the status bar says why', async () => {
    const folder = await copyFixture('ok');
    start([folder]);
    // the real engine asks the real Docker engine: no container for this folder yet
    await statusIs('$(circle-large-outline) HyperBox: no dev container');
    assert.equal(status().command, Commands.showActions);
    await waitFor(() => stub.contextKeys.get(ContextKeys.canStart) === true, 'hyperbox.canStart');
    assert.equal(stub.contextKeys.get(ContextKeys.canStop), false);
    assert.equal(stub.contextKeys.get(ContextKeys.hasContainer), false);
    await run(Commands.showActions);
    const labels = () => (stub.quickPicks.at(-1)!.items as { label: string }[]).map((i) => i.label);
    assert.deepEqual(labels(), ['$(play) Start', '$(graph) Show Dev Container Panel', '$(go-to-file) Open Config', '$(output) Show HyperBox Log']);
    // Stop when nothing runs: says so instead of failing
    await run(Commands.stop);
    assert.match(stub.messages.at(-1)!.message, /is not running, so there is nothing to stop/);
    await run(Commands.showContainerLogs);
    assert.match(stub.messages.at(-1)!.message, /^HyperBox: ok has no dev container yet, so it has no output\. Start it first\.$/);
    await run(Commands.openTerminal);
    assert.match(stub.messages.at(-1)!.message, /is not running, so there is nothing to open a terminal in\. Run "HyperBox: Start Dev Container" first\./);
    await shutdown();

    stub.reset();
    workspace.isTrusted = false;
    start([folder]);
    await statusIs('$(shield) HyperBox: Restricted Mode');
    assert.equal(status().command, 'workbench.trust.manage');
    assert.equal(status().backgroundColor?.id, 'statusBarItem.warningBackground');
    await run(Commands.showActions);
    assert.deepEqual(labels(), ['$(shield) Manage Workspace Trust', '$(graph) Show Dev Container Panel', '$(go-to-file) Open Config', '$(output) Show HyperBox Log']);
    assert.ok(!stub.log().text().includes('runtime/status'), 'Docker is not even asked in Restricted Mode');
  });
});

