import { strict as assert } from 'node:assert';
import type { Problem } from '../../../src/protocol';
import { countProblems, problemRange, problemsByFile, toDiagnosticData } from '../../../src/extension/problems';

const p = (over: Partial<Problem>): Problem => ({ severity: 'error', message: 'm', file: '/w/.devcontainer.json', line: 1, column: 1, ...over });

describe('problem positions', () => {
  it('turns 1-based line/column into a 0-based range', () => {
    assert.deepEqual(problemRange({ line: 6, column: 17, endLine: 6, endColumn: 19 }), { startLine: 5, startCharacter: 16, endLine: 5, endCharacter: 18 });
    assert.deepEqual(problemRange({ line: 1, column: 1, endLine: 3, endColumn: 2 }), { startLine: 0, startCharacter: 0, endLine: 2, endCharacter: 1 });
  });

  it('makes an empty range at the start when the end is missing or before the start', () => {
    assert.deepEqual(problemRange({ line: 4, column: 3 }), { startLine: 3, startCharacter: 2, endLine: 3, endCharacter: 2 });
    assert.deepEqual(problemRange({ line: 4, column: 3, endLine: 2, endColumn: 1 }), { startLine: 3, startCharacter: 2, endLine: 3, endCharacter: 2 });
  });

  it('never produces negative positions from bad input', () => {
    assert.deepEqual(problemRange({ line: 0, column: -4 }), { startLine: 0, startCharacter: 0, endLine: 0, endCharacter: 0 });
    assert.deepEqual(problemRange({ line: Number.NaN, column: 2 }), { startLine: 0, startCharacter: 1, endLine: 0, endCharacter: 1 });
  });

  it('keeps severity, message and code', () => {
    const d = toDiagnosticData(p({ severity: 'warning', message: 'Unknown property', code: 'unknown-property' }));
    assert.deepEqual([d.severity, d.message, d.code], ['warning', 'Unknown property', 'unknown-property']);
    assert.equal(toDiagnosticData(p({})).severity, 'error');
  });

  it('groups by file, leaves out problems about the folder, and lists the config even without problems', () => {
    const byFile = problemsByFile({
      workspaceFolder: '/w',
      configFile: '/w/.devcontainer.json',
      problems: [p({ file: '/w', code: 'no-config' }), p({ file: '/w/.devcontainer.json', line: 2 }), p({ file: '/w/compose.yml', line: 3 })],
    });
    assert.deepEqual([...byFile.keys()].sort(), ['/w/.devcontainer.json', '/w/compose.yml']);
    assert.equal(byFile.get('/w/.devcontainer.json')![0].range.startLine, 1);
    const clean = problemsByFile({ workspaceFolder: '/w', configFile: '/w/.devcontainer.json', problems: [] });
    assert.deepEqual([...clean.entries()], [['/w/.devcontainer.json', []]]);
  });

  it('counts errors and warnings', () => {
    assert.deepEqual(countProblems([p({}), p({ severity: 'warning' }), p({})]), { errors: 2, warnings: 1 });
  });
});
