// package.json's VS Code manifest against the typed registry in src/extension/contributions.ts:
// the manifest cannot drift from the code.
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Commands, ContextKeys, SETTINGS_SECTION, Settings, Views } from '../../../src/extension/contributions';
import { DEV_CONTAINER_VIEW_TYPE, PRESSURE_VIEW_TYPE, SECCOMP_VIEW_TYPE, TRACES_VIEW_TYPE } from '../../../src/protocol/webview';
import { ROOT } from './helpers';

describe('extension manifest (package.json)', () => {
  let m: Record<string, any>;
  before(async () => {
    m = JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8'));
  });

  it('points at the bundle, runs in the workspace, needs VS Code 1.100 with matching types', () => {
    assert.equal(m.main, './dist/extension.js');
    assert.deepEqual(m.extensionKind, ['workspace']);
    assert.equal(m.engines.vscode, '^1.100.0');
    assert.equal(m.devDependencies['@types/vscode'], '1.100.0');
  });

  it('activates on every config location, and in any folder for "Add Dev Container Configuration"', () => {
    assert.deepEqual(m.activationEvents, [
      'workspaceContains:.devcontainer/devcontainer.json',
      'workspaceContains:.devcontainer.json',
      'workspaceContains:.devcontainer/*/devcontainer.json',
      `onCommand:${Commands.addConfig}`,
      // the Dev Container panel comes back after a window reload (its serializer)
      `onWebviewPanel:${DEV_CONTAINER_VIEW_TYPE}`,
      // so do the Traces, Pressure and Seccomp panels
      `onWebviewPanel:${TRACES_VIEW_TYPE}`,
      `onWebviewPanel:${PRESSURE_VIEW_TYPE}`,
      `onWebviewPanel:${SECCOMP_VIEW_TYPE}`,
    ]);
  });

  it('offers Start and Rebuild only in a trusted workspace; auto-start is on by default', () => {
    const when = (id: string) => (m.contributes.menus.commandPalette as { command: string; when: string }[]).find((e) => e.command === id)?.when ?? '';
    assert.match(when(Commands.start), /isWorkspaceTrusted/);
    assert.match(when(Commands.rebuild), /isWorkspaceTrusted/);
    assert.match(when(Commands.stop), /hyperbox\.canStop/);
    // in the palette in any folder; hidden only when the running engine's handshake lacks init
    assert.equal(when(Commands.addConfig), `!${ContextKeys.engineRunning} || ${ContextKeys.canAddConfig}`, 'Add Dev Container Configuration is in the palette in any folder');
    assert.equal(m.contributes.configuration.properties[`${SETTINGS_SECTION}.${Settings.autoStart}`].default, true);
    assert.match(m.capabilities.untrustedWorkspaces.description, /starts no container/);
  });

  it('contributes exactly the commands the code declares, as "HyperBox: ..." in the palette', () => {
    const commands = m.contributes.commands as { command: string; title: string; category: string }[];
    assert.deepEqual(commands.map((c) => c.command).sort(), Object.values(Commands).sort());
    for (const c of commands) {
      assert.equal(c.category, 'HyperBox', c.command);
      assert.ok(c.title.length > 0 && !c.title.startsWith('HyperBox'), `${c.command}: the category already says HyperBox`);
    }
  });

  it('uses only declared context keys in when clauses, and names only declared commands', () => {
    const declared = new Set<string>(Object.values(ContextKeys));
    for (const entry of m.contributes.menus.commandPalette as { command: string; when: string }[]) {
      assert.ok((Object.values(Commands) as string[]).includes(entry.command), entry.command);
      for (const key of entry.when.match(/hyperbox\.[A-Za-z.]+/g) ?? []) assert.ok(declared.has(key), `${entry.command}: unknown context key ${key}`);
      for (const key of entry.when.split(/\s*(?:&&|\|\||!)\s*/).filter((k) => k && !k.startsWith('hyperbox.'))) {
        // `false`: only in the HyperBox view's menus, never in the palette
        assert.ok(['isWorkspaceTrusted', 'false'].includes(key), `${entry.command}: unknown context key ${key}`);
      }
    }
  });

  it('has a HyperBox view in the activity bar whose menus name declared commands on the kinds of node the tree makes', async () => {
    const [container] = m.contributes.viewsContainers.activitybar as { id: string; title: string; icon: string }[];
    assert.deepEqual({ id: container.id, title: container.title }, { id: Views.container, title: 'HyperBox' });
    const svg = await fs.readFile(path.join(ROOT, container.icon), 'utf8');
    assert.match(svg, /^<svg [^>]*viewBox="0 0 24 24"/);
    assert.deepEqual((m.contributes.views[Views.container] as { id: string }[]).map((v) => v.id), [Views.containers]);
    const commands = new Set<string>(Object.values(Commands));
    const declared = new Set<string>(Object.values(ContextKeys));
    const kinds = ['project', 'port', 'ports', 'extension', '(lifecycle|hook)'];
    for (const entry of [...m.contributes.menus['view/item/context'], ...m.contributes.menus['view/title']] as { command: string; when: string }[]) {
      assert.ok(commands.has(entry.command), entry.command);
      assert.match(entry.when, new RegExp(`^view == ${Views.containers.replace('.', '\\.')} && `), entry.command);
      for (const key of entry.when.match(/hyperbox\.[A-Za-z]+\b(?!\.)/g) ?? []) if (key !== Views.containers) assert.ok(declared.has(key), `${entry.command}: unknown context key ${key}`);
      const item = /viewItem =~ \/\^(\([a-z|]+\)|[a-z]+)/.exec(entry.when);
      if (item) assert.ok(kinds.includes(item[1]), `${entry.command}: no node is a "${item[1]}"`);
    }
    const onProject = (m.contributes.menus['view/item/context'] as { command: string; when: string }[]).filter((e) => e.when.includes('/^project')).map((e) => e.command);
    for (const id of [Commands.start, Commands.stop, Commands.rebuild, Commands.openTerminal, Commands.showContainerLogs, Commands.openConfig]) assert.ok(onProject.includes(id), `${id} on a project node`);
    const welcome = m.contributes.viewsWelcome as { view: string; contents: string; when: string }[];
    assert.ok(welcome.some((w) => w.view === Views.containers && w.contents.includes(`command:${Commands.addConfig}`) && /!hyperbox\.hasConfig/.test(w.when)));
    assert.ok(welcome.some((w) => w.view === Views.containers && w.contents.includes(`command:${Commands.restartEngine}`) && w.when === ContextKeys.engineStopped));
  });

  it('contributes exactly the settings the code reads; the engine path and the runtime are machine-scoped and restricted', () => {
    const props = m.contributes.configuration.properties as Record<string, { scope?: string; default?: unknown; enum?: string[] }>;
    assert.deepEqual(Object.keys(props).sort(), Object.values(Settings).map((s) => `${SETTINGS_SECTION}.${s}`).sort());
    const enginePath = `${SETTINGS_SECTION}.${Settings.enginePath}`;
    assert.equal(props[enginePath].scope, 'machine');
    assert.equal(m.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.ok(m.capabilities.untrustedWorkspaces.description.length > 20);
    const runtime = `${SETTINGS_SECTION}.${Settings.runtime}`;
    assert.equal(props[runtime].scope, 'machine', 'the runtime names a program the engine runs');
    assert.deepEqual(m.capabilities.untrustedWorkspaces.restrictedConfigurations, [enginePath, runtime]);
    assert.doesNotMatch(m.description, /hot reload|pressure|traces/, 'the description promises only what exists');
    assert.deepEqual(props[`${SETTINGS_SECTION}.${Settings.traceServer}`].enum, ['off', 'messages', 'verbose']);
  });

  it('validates devcontainer.json with the HyperBox schema, which exists', async () => {
    const [v] = m.contributes.jsonValidation as { fileMatch: string[]; url: string }[];
    assert.deepEqual(v.fileMatch, ['devcontainer.json', '.devcontainer.json']);
    const schema = JSON.parse(await fs.readFile(path.join(ROOT, v.url), 'utf8'));
    assert.ok(schema.properties.customizations);
  });
  it('offers Retry only while Docker is unreachable, and Reopen in Container only with the Dev Containers extension, a config and trust', () => {
    const when = (id: string) => (m.contributes.menus.commandPalette as { command: string; when: string }[]).find((e) => e.command === id)?.when ?? '';
    assert.equal(when(Commands.retryDocker), ContextKeys.dockerUnreachable);
    assert.deepEqual(when(Commands.reopenInContainer).split(' && ').sort(), [ContextKeys.devContainersAvailable, ContextKeys.hasConfig, 'isWorkspaceTrusted'].sort());
  });

  it('has a Get Started walkthrough whose buttons and completion events name declared commands and keys, with media files that ship', async () => {
    const [walkthrough] = m.contributes.walkthroughs as {
      id: string;
      title: string;
      steps: { id: string; title: string; description: string; media: { markdown?: string }; completionEvents: string[] }[];
    }[];
    assert.equal(walkthrough.title, 'Get Started with HyperBox');
    assert.deepEqual(walkthrough.steps.map((s) => s.title).slice(0, 3), ['Add or open a dev container configuration', 'Start the container', 'Open a terminal in it']);
    const commands = new Set<string>(Object.values(Commands));
    const keys = new Set<string>(Object.values(ContextKeys));
    const ignore = (await fs.readFile(path.join(ROOT, '.vscodeignore'), 'utf8')).split(/\r?\n/);
    // media/ ships, except the webviews' sources (their bundles are in dist/media)
    assert.ok(ignore.includes('!media/**/!(*.ts|*.css)'), '.vscodeignore lets media/ into the .vsix');
    for (const step of walkthrough.steps) {
      const buttons = [...step.description.matchAll(/\]\(command:([^)]+)\)/g)].map((b) => b[1]);
      assert.ok(buttons.length > 0, `${step.id}: a step has a button`);
      for (const id of buttons) assert.ok(commands.has(id), `${step.id}: the button runs an undeclared command ${id}`);
      assert.ok(step.completionEvents.length > 0, `${step.id}: no completion event`);
      for (const event of step.completionEvents) {
        const [kind, name] = event.split(/:(.*)/s);
        if (kind === 'onCommand') assert.ok(commands.has(name), `${step.id}: ${event} names an undeclared command`);
        else if (kind === 'onContext') assert.ok(keys.has(name), `${step.id}: ${event} names an undeclared context key`);
        else assert.fail(`${step.id}: unexpected completion event ${event}`);
      }
      // the buttons' commands complete the step
      for (const id of buttons) assert.ok(step.completionEvents.includes(`onCommand:${id}`), `${step.id}: running ${id} does not complete it`);
      const media = step.media.markdown!;
      assert.match(media, /^media\/walkthrough\/[a-z-]+\.md$/, step.id);
      const text = await fs.readFile(path.join(ROOT, media), 'utf8');
      assert.match(text, /^# /, `${media} starts with a heading`);
    }
  });
});
