// Quick fixes for the engine's did-you-mean problems: a misspelled property or value in
// devcontainer.json gets a preferred "Rename to ..." / "Change to ..." code action whose edit, once
// applied, makes the problem go away. The problems come from the engine's own resolver, the
// diagnostics and code actions from the extension's code with `vscode` stubbed.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { resolveConfig } from '../../../src/engine/devcontainer/resolve';
import { ConfigQuickFixes } from '../../../src/extension/codeActions';
import { ConfigDiagnostics, DIAGNOSTIC_SOURCE } from '../../../src/extension/diagnostics';
import { toDiagnosticData } from '../../../src/extension/problems';
import { allFixes, quickFixesFor, stillApplies } from '../../../src/extension/quickFixes';
import type { Problem } from '../../../src/protocol';
import { lines, makeFolder, removeAll } from '../helpers/folders';
import { CodeActionKind, Range, StubTextDocument, Uri, WorkspaceEdit, stub, type Diagnostic } from '../stubs/vscode';

const CONFIG = '.devcontainer/devcontainer.json';

/** Applies a WorkspaceEdit's replacements to a text, last first so earlier positions hold. */
function apply(text: string, edit: WorkspaceEdit): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const offset = (line: number, character: number) => starts[line] + character;
  const sorted = [...edit.replacements].sort((a, b) => offset(b.range.start.line, b.range.start.character) - offset(a.range.start.line, a.range.start.character));
  for (const r of sorted) text = text.slice(0, offset(r.range.start.line, r.range.start.character)) + r.newText + text.slice(offset(r.range.end.line, r.range.end.character));
  return text;
}

/** The code actions the editor would get for every diagnostic of the document (the light bulb over the whole file). */
function codeActions(doc: StubTextDocument, diagnostics: readonly Diagnostic[], provider: ConfigQuickFixes, only?: CodeActionKind) {
  const whole = new Range(0, 0, doc.getText().split('\n').length, 0);
  return provider.provideCodeActions(doc as never, whole as never, { diagnostics: diagnostics as never, only: only as never, triggerKind: 1 }) as unknown as {
    title: string;
    isPreferred?: boolean;
    edit?: WorkspaceEdit;
    diagnostics?: Diagnostic[];
    kind?: CodeActionKind;
  }[];
}

describe('quick fixes for did-you-mean problems in devcontainer.json', () => {
  let diagnostics: ConfigDiagnostics;
  beforeEach(() => {
    stub.reset();
    diagnostics = new ConfigDiagnostics();
  });
  afterEach(() => {
    diagnostics.dispose();
    stub.reset();
    removeAll();
  });

  /** Resolves the folder with the engine, shows its problems, opens the config as a document. */
  async function check(text: string) {
    const folder = makeFolder({ [CONFIG]: text, 'Dockerfile': 'FROM scratch\n' });
    const file = path.join(folder, CONFIG);
    const result = await resolveConfig({ folder, env: {} });
    diagnostics.show(file, result);
    const doc = new StubTextDocument(Uri.file(file), readFileSync(file, 'utf8'));
    return { folder, file, doc, result, shown: stub.diagnostics(file) };
  }

  it('renames a misspelled property, as a preferred quick fix bound to its diagnostic; the problem is gone after the edit', async () => {
    const { folder, doc, shown } = await check(lines('{', '  "image": "busybox",', '  "forwardPort": [3000]', '}'));
    const provider = new ConfigQuickFixes(diagnostics);
    const actions = codeActions(doc, shown, provider);
    assert.equal(actions.length, 1, JSON.stringify(actions.map((a) => a.title)));
    const [fix] = actions;
    assert.equal(fix.title, 'Rename to "forwardPorts"');
    assert.equal(fix.kind?.value, CodeActionKind.QuickFix.value);
    assert.equal(fix.isPreferred, true);
    assert.deepEqual(fix.diagnostics?.map((d) => d.message), [shown.find((d) => d.message.includes('forwardPort'))!.message]);
    const fixed = apply(doc.getText(), fix.edit!);
    assert.equal(fixed, lines('{', '  "image": "busybox",', '  "forwardPorts": [3000]', '}'));
    // what the user sees next: the engine finds nothing wrong with the edited file
    const again = await resolveConfig({ folder, env: {}, text: fixed });
    assert.deepEqual(again.problems.filter((p) => p.code === 'unknown-property'), []);
    assert.deepEqual((again.config as { forwardPorts?: number[] }).forwardPorts, [3000]);
  });

  it('changes a misspelled value to the allowed one it resembles', async () => {
    const { doc, shown } = await check(lines('{', '  "image": "busybox",', '  "shutdownAction": "stopContainr"', '}'));
    const actions = codeActions(doc, shown, new ConfigQuickFixes(diagnostics));
    assert.deepEqual(actions.map((a) => a.title), ['Change to "stopContainer"']);
    assert.match(apply(doc.getText(), actions[0].edit!), /"shutdownAction": "stopContainer"/);
  });

  it('offers one fix per problem and "apply all" when a file has several', async () => {
    const { folder, doc, shown } = await check(lines('{', '  "image": "busybox",', '  "forwardPort": [3000],', '  "remoteUsr": "dev"', '}'));
    const actions = codeActions(doc, shown, new ConfigQuickFixes(diagnostics));
    assert.deepEqual(actions.map((a) => a.title), ['Rename to "forwardPorts"', 'Rename to "remoteUser"', 'Apply all 2 HyperBox fixes in this file']);
    const all = actions[2];
    assert.ok(!all.isPreferred, 'applying several edits at once is never the automatic choice');
    const fixed = apply(doc.getText(), all.edit!);
    const again = await resolveConfig({ folder, env: {}, text: fixed });
    assert.deepEqual(again.problems, []);
  });

  it('offers nothing for diagnostics without a fix, of another source, or when only other kinds are asked for', async () => {
    const { doc, shown } = await check(lines('{', '  "image": "busybox",', '  "forwardPort": [3000],', '  "init": "yes"', '}'));
    const provider = new ConfigQuickFixes(diagnostics);
    const initProblem = shown.filter((d) => d.message.includes('"init"'));
    assert.equal(initProblem.length, 1, shown.map((d) => d.message).join('\n'));
    assert.deepEqual(codeActions(doc, initProblem, provider), [], 'a type error has no machine fix');
    const foreign = shown.map((d) => Object.assign(Object.create(Object.getPrototypeOf(d)), d, { source: 'json' }));
    assert.deepEqual(codeActions(doc, foreign, provider), [], "another extension's diagnostics are not ours to fix");
    assert.deepEqual(codeActions(doc, shown, provider, new CodeActionKind('refactor')), []);
    assert.equal(codeActions(doc, shown, provider, CodeActionKind.QuickFix).length, 1);
  });

  it('does not offer a fix once the text under it changed (typed since the check)', async () => {
    const { doc, shown } = await check(lines('{', '  "image": "busybox",', '  "forwardPort": [3000]', '}'));
    const provider = new ConfigQuickFixes(diagnostics);
    // the user already typed the "s": the old diagnostic lingers until the next check
    doc.setText(lines('{', '  "image": "busybox",', '  "forwardPortz": [3000]', '}'));
    assert.deepEqual(codeActions(doc, shown, provider), []);
    doc.setText(lines('{', '  "image": "busybox",', '  "forwardPorts: [3000]', '}'));
    assert.deepEqual(codeActions(doc, shown, provider), []);
  });

  it('forgets the fixes of a config when its problems are cleared', async () => {
    const { file, doc, shown } = await check(lines('{', '  "image": "busybox",', '  "forwardPort": [3000]', '}'));
    diagnostics.clear(file);
    assert.deepEqual(codeActions(doc, shown, new ConfigQuickFixes(diagnostics)), []);
  });
});

describe('quick fix choices (pure)', () => {
  const problem = (over: Partial<Problem>): Problem => ({ severity: 'warning', message: 'm', file: '/w/c.json', line: 2, column: 3, endLine: 2, endColumn: 16, ...over });
  const known = [
    toDiagnosticData(problem({ message: 'Unknown property "forwardPort"', fix: { title: 'Rename to "forwardPorts"', replacement: '"forwardPorts"' } })),
    toDiagnosticData(problem({ message: 'Unknown property "remoteUsr"', line: 3, endLine: 3, endColumn: 14, fix: { title: 'Rename to "remoteUser"', replacement: '"remoteUser"' } })),
  ];
  const text = (r: { startLine: number }) => (r.startLine === 1 ? '"forwardPort"' : '"remoteUsr"');

  it('matches a shown diagnostic to its problem by range and message', () => {
    const shown = [{ range: known[1].range, message: known[1].message, source: DIAGNOSTIC_SOURCE }];
    assert.deepEqual(quickFixesFor(known, shown, text, DIAGNOSTIC_SOURCE), [
      { title: 'Rename to "remoteUser"', range: known[1].range, replacement: '"remoteUser"', diagnostic: 0, isPreferred: true },
    ]);
    // same message elsewhere: not the same problem
    assert.deepEqual(quickFixesFor(known, [{ ...shown[0], range: known[0].range }], text, DIAGNOSTIC_SOURCE), []);
  });

  it('applies only to a JSON string that is not already the replacement', () => {
    assert.ok(stillApplies('"forwardPort"', '"forwardPorts"'));
    assert.ok(!stillApplies('"forwardPorts"', '"forwardPorts"'));
    assert.ok(!stillApplies('forwardPort', '"forwardPorts"'));
    assert.ok(!stillApplies('"', '"forwardPorts"'));
  });

  it('fixes all only with two or more that apply, leaving out overlaps', () => {
    assert.equal(allFixes(known, text).length, 2);
    assert.deepEqual(allFixes(known.slice(0, 1), text), []);
    const overlapping = [known[0], { ...known[0], message: 'other' }];
    assert.deepEqual(allFixes(overlapping, text), []);
  });
});
