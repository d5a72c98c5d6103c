// Detection over every fixture workspace in test/fixtures/projects against the expected answers
// in expected.json, exactly: every fixture's language, framework and package manager, and every
// stated dev command, primary part, tool, port list and part count.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { DetectionResult } from '../../../src/protocol';
import { detectProject } from '../../../src/engine/project/detect';

const FIXTURES = path.resolve(__dirname, '..', '..', 'fixtures', 'projects');

interface Expected {
  language: string;
  framework: string | null;
  packageManager: string | null;
  devCommand?: string | null;
  primary?: string;
  tool?: string;
  ports?: number[];
  parts?: number;
}

describe('project detection: accuracy over the fixture workspaces', function () {
  this.timeout(60_000);
  const expected: Record<string, Expected> = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8'));
  const results = new Map<string, DetectionResult>();

  before(async () => {
    for (const name of Object.keys(expected)) results.set(name, await detectProject(path.join(FIXTURES, name)));
  });

  it('has an expected answer for every fixture, and at least 50 fixtures', () => {
    const dirs = readdirSync(FIXTURES, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    assert.deepEqual(dirs, Object.keys(expected).sort());
    assert.ok(dirs.length >= 50, `${dirs.length} fixtures`);
  });

  it('covers every language, framework and package manager of the issue', () => {
    const all = Object.values(expected);
    const has = (key: keyof Expected, values: (string | null)[]) => {
      const seen = new Set(all.map((e) => e[key]));
      const missing = values.filter((v) => !seen.has(v as never));
      assert.deepEqual(missing, [], `${key} without a fixture: ${missing.join(', ')}`);
    };
    has('language', ['javascript', 'typescript', 'python', 'go', 'rust', 'java', 'kotlin', 'ruby', 'php', 'csharp', 'c', 'cpp', 'other']);
    has('framework', [
      'express', 'fastify', 'koa', 'hono', 'nestjs', 'nextjs', 'nuxt', 'react-router', 'sveltekit', 'astro', 'react', 'vue', 'svelte', 'angular',
      'django', 'flask', 'fastapi', 'streamlit', 'textual', 'click', 'typer', 'gin', 'echo', 'fiber', 'chi', 'cobra', 'axum', 'actix-web', 'rocket',
      'spring-boot', 'quarkus', 'micronaut', 'rails', 'sinatra', 'laravel', 'symfony', 'aspnetcore', null,
    ]);
    has('packageManager', ['npm', 'pnpm', 'yarn', 'bun', 'pip', 'poetry', 'uv', 'pipenv', 'pdm', 'go', 'cargo', 'maven', 'gradle', 'bundler', 'composer', 'dotnet', 'cmake', 'make', null]);
  });

  it('gives exactly the expected answer for every fixture: language, framework, package manager, dev command, primary part, tool, ports, parts', () => {
    // exact, not a percentage: a threshold would let a dozen regressions through unnoticed
    const wrong: string[] = [];
    for (const [name, e] of Object.entries(expected)) {
      const r = results.get(name)!;
      for (const k of ['language', 'framework', 'packageManager'] as const) if (r[k] !== e[k]) wrong.push(`${name}: ${k} ${JSON.stringify(r[k])}, expected ${JSON.stringify(e[k])}`);
      if ('devCommand' in e && r.devCommand !== e.devCommand) wrong.push(`${name}: devCommand ${JSON.stringify(r.devCommand)}, expected ${JSON.stringify(e.devCommand)}`);
      if (e.primary !== undefined && r.primary !== e.primary) wrong.push(`${name}: primary ${r.primary}, expected ${e.primary}`);
      if (e.tool !== undefined && r.tool !== e.tool) wrong.push(`${name}: tool ${r.tool}, expected ${e.tool}`);
      if (e.ports !== undefined && JSON.stringify(r.ports) !== JSON.stringify(e.ports)) wrong.push(`${name}: ports ${JSON.stringify(r.ports)}, expected ${JSON.stringify(e.ports)}`);
      if (e.parts !== undefined && r.parts.length !== e.parts) wrong.push(`${name}: ${r.parts.length} parts, expected ${e.parts}`);
    }
    assert.deepEqual(wrong, []);
  });

  it('answers with the fields the issue lists, stable ids and display names apart', () => {
    for (const [name, r] of results) {
      for (const key of ['language', 'framework', 'packageManager', 'devCommand', 'confidence', 'evidence', 'parts'] as const) assert.ok(key in r, `${name}: ${key}`);
      assert.match(r.language, /^[a-z]+$/);
      if (r.framework) assert.match(r.framework, /^[a-z-]+$/);
      assert.ok(r.confidence >= 0 && r.confidence <= 1, `${name}: confidence ${r.confidence}`);
      if (r.language !== 'other') {
        assert.ok(r.evidence.length > 0, `${name}: evidence`);
        assert.ok(r.confidence > 0.2, `${name}: confidence ${r.confidence}`);
      }
      for (const e of r.evidence) assert.ok(typeof e.file === 'string' && !path.isAbsolute(e.file) && typeof e.reason === 'string', `${name}: ${JSON.stringify(e)}`);
      assert.equal(r.languageName.length > 0, true);
      assert.ok(r.label.startsWith(r.languageName));
      assert.ok(r.stats.filesOpened <= 200);
    }
  });
});
