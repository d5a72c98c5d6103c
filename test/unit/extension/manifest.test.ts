// package.json's VS Code manifest against the typed registry in src/extension/contributions.ts:
// the manifest cannot drift from the code.
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Commands, ContextKeys, SETTINGS_SECTION, Settings } from '../../../src/extension/contributions';
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
    ]);
  });

  it('offers Start and Rebuild only in a trusted workspace; auto-start is on by default', () => {
    const when = (id: string) => (m.contributes.menus.commandPalette as { command: string; when: string }[]).find((e) => e.command === id)?.when ?? '';
    assert.match(when(Commands.start), /isWorkspaceTrusted/);
    assert.match(when(Commands.rebuild), /isWorkspaceTrusted/);
    assert.match(when(Commands.stop), /hyperbox\.canStop/);
    assert.equal(when(Commands.addConfig), '', 'Add Dev Container Configuration is in the palette in any folder');
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
        assert.ok(['isWorkspaceTrusted'].includes(key), `${entry.command}: unknown context key ${key}`);
      }
    }
  });

  it('contributes exactly the settings the code reads; the engine path is machine-scoped and restricted', () => {
    const props = m.contributes.configuration.properties as Record<string, { scope?: string; default?: unknown; enum?: string[] }>;
    assert.deepEqual(Object.keys(props).sort(), Object.values(Settings).map((s) => `${SETTINGS_SECTION}.${s}`).sort());
    const enginePath = `${SETTINGS_SECTION}.${Settings.enginePath}`;
    assert.equal(props[enginePath].scope, 'machine');
    assert.equal(m.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.ok(m.capabilities.untrustedWorkspaces.description.length > 20);
    assert.deepEqual(m.capabilities.untrustedWorkspaces.restrictedConfigurations, [enginePath]);
    assert.deepEqual(props[`${SETTINGS_SECTION}.${Settings.traceServer}`].enum, ['off', 'messages', 'verbose']);
  });

  it('validates devcontainer.json with the HyperBox schema, which exists', async () => {
    const [v] = m.contributes.jsonValidation as { fileMatch: string[]; url: string }[];
    assert.deepEqual(v.fileMatch, ['devcontainer.json', '.devcontainer.json']);
    const schema = JSON.parse(await fs.readFile(path.join(ROOT, v.url), 'utf8'));
    assert.ok(schema.properties.customizations);
  });
});
