// The source has no import cycles (issue 12: runtime/ split "without cycles"). A cycle makes a
// module's exports undefined while the other half of the cycle loads, depending on which is
// required first — a bug that shows only in one entry point (the CLI, the engine, a test). Only
// imports that load code count: `import type` is erased at build time.
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

const SRC = path.resolve(__dirname, '..', '..', '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/**
 * The modules a file loads at run time: static imports and re-exports that are not type-only, and
 * require() of relative paths; with `types`, the type-only ones too.
 */
function loads(file: string, text: string, types = false): string[] {
  const specs: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(type\s+)?(?:[^;'"]*?\sfrom\s+)?'([^']+)'/gms)) if (types || !m[1]) specs.push(m[2]);
  for (const m of text.matchAll(/\brequire\('(\.[^']+)'\)/g)) specs.push(m[1]);
  return specs
    .filter((s) => s.startsWith('.'))
    .map((s) => path.resolve(path.dirname(file), s))
    .map((b) => [`${b}.ts`, path.join(b, 'index.ts')].find((c) => existsSync(c)))
    .filter((f): f is string => !!f);
}

/** Strongly connected components with more than one module (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.map((f) => path.relative(SRC, f)).sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('source structure', () => {
  it('has no import cycles between modules', () => {
    const graph = new Map(sources(SRC).map((f) => [f, loads(f, readFileSync(f, 'utf8'))]));
    assert.ok(graph.size > 100, `only ${graph.size} modules found under ${SRC}`);
    assert.deepEqual(cycles(graph), [], 'modules that import each other (directly or through others): break the cycle by moving what both need into a module of its own');
  });

  it('has no cycles of type imports either: what two modules both name lives in a third (the layers read one way)', () => {
    const graph = new Map(sources(SRC).map((f) => [f, loads(f, readFileSync(f, 'utf8'), true)]));
    assert.deepEqual(cycles(graph), [], 'modules that name each other\'s types: move the shared types into a module of their own');
  });

  it('the check sees a cycle when there is one', () => {
    const a = path.join(SRC, 'a.ts');
    const b = path.join(SRC, 'b.ts');
    assert.deepEqual(cycles(new Map([[a, [b]], [b, [a]]])), [['a.ts', 'b.ts']]);
    assert.deepEqual(loads(a, "import type { X } from './b';\nimport { y } from '../x';\n"), []);
    const live = path.join(SRC, 'engine', 'live', 'seccomp.ts');
    assert.deepEqual(loads(live, "import type { X } from './contribution';\n", true), [path.join(SRC, 'engine', 'live', 'contribution.ts')]);
  });
});
