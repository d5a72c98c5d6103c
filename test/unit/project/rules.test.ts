// The detection rules on in-memory snapshots: no disk, no walker.
import * as assert from 'node:assert/strict';
import { detectFromSnapshot } from '../../../src/engine/project/rules';
import { snapshotFromFiles } from '../../../src/engine/project/snapshot';

const json = (o: unknown) => JSON.stringify(o, null, 2);
const detect = (files: Record<string, string | null>) => detectFromSnapshot(snapshotFromFiles(files));

describe('project detection: rules', () => {
  describe('package managers', () => {
    it('lockfiles outrank the README', () => {
      const r = detect({
        'package.json': json({ dependencies: { express: '^4' }, scripts: { dev: 'node --watch index.js' } }),
        'pnpm-lock.yaml': null,
        'index.js': '',
        'README.md': 'Run `npm install` then `npm run dev`.',
      });
      assert.equal(r.packageManager, 'pnpm');
      assert.equal(r.devCommand, 'pnpm dev');
      assert.ok(r.evidence.some((e) => e.file === 'pnpm-lock.yaml'));
    });

    it('the packageManager field outranks lockfiles and the README', () => {
      const r = detect({
        'package.json': json({ packageManager: 'yarn@4.1.0', dependencies: { react: '18' }, devDependencies: { vite: '5' }, scripts: { dev: 'vite' } }),
        'package-lock.json': null,
        'README.md': 'pnpm install',
      });
      assert.equal(r.packageManager, 'yarn');
      assert.ok(r.evidence.some((e) => e.reason.includes('"packageManager": "yarn@4.1.0"')));
    });

    it('uses the README only when nothing stronger says, and npm when nothing does', () => {
      const withReadme = detect({ 'package.json': json({ dependencies: { koa: '2' } }), 'README.md': '```\nbun install\nbun run dev\n```' });
      assert.equal(withReadme.packageManager, 'bun');
      const bare = detect({ 'package.json': json({ dependencies: { koa: '2' } }) });
      assert.equal(bare.packageManager, 'npm');
      assert.ok(bare.confidence < withReadme.confidence + 0.2);
    });

    it('prefers uv/poetry/pdm/pipenv lockfiles over requirements files and README hints', () => {
      const uv = detect({ 'pyproject.toml': '[project]\nname="x"\ndependencies=["flask"]\n', 'uv.lock': null, 'requirements.txt': 'flask\n', 'README.md': 'pip install -r requirements.txt' });
      assert.equal(uv.packageManager, 'uv');
      const poetry = detect({ 'pyproject.toml': '[tool.poetry]\nname="x"\n[tool.poetry.dependencies]\npython="^3.12"\nfastapi="*"\n' });
      assert.equal(poetry.packageManager, 'poetry');
      assert.equal(poetry.framework, 'fastapi');
      const readme = detect({ 'pyproject.toml': '[project]\nname="x"\ndependencies=["typer"]\n', 'README.md': 'Install with `uv sync`.' });
      assert.equal(readme.packageManager, 'uv');
    });
  });

  describe('dev commands', () => {
    it("takes the project's own scripts before the framework's default", () => {
      const r = detect({ 'package.json': json({ dependencies: { next: '14', react: '18' }, scripts: { dev: 'next dev -p 4100' } }), 'package-lock.json': null });
      assert.equal(r.devCommand, 'npm run dev');
      assert.equal(r.devCommandSource, 'package.json scripts.dev');
      assert.deepEqual(r.ports, [4100]);
      assert.equal(r.devCommandWatches, true);
      const noScript = detect({ 'package.json': json({ dependencies: { next: '14', react: '18' } }), 'pnpm-lock.yaml': null });
      assert.equal(noScript.devCommand, 'pnpm exec next dev');
      assert.equal(noScript.devCommandSource, 'Next.js default');
    });

    it('uses bin/dev, Procfile.dev and Makefile targets, skipping targets that run containers', () => {
      const binDev = detect({ Gemfile: 'gem "rails"', 'bin/dev': '#!/bin/sh\nforeman start -f Procfile.dev', 'bin/rails': '', 'Procfile.dev': 'web: bin/rails s\ncss: x' });
      assert.equal(binDev.devCommand, 'bin/dev');
      const make = detect({
        'go.mod': 'module x\n\ngo 1.22\n\nrequire github.com/go-chi/chi/v5 v5.0.0\n',
        'main.go': '',
        Makefile: 'up:\n\tdocker compose up\nserve:\n\tgo run . --port 9000\n',
      });
      assert.equal(make.devCommand, 'make serve');
      assert.deepEqual(make.ports, [9000]);
      const dockerOnly = detect({ 'go.mod': 'module x\n', 'main.go': '', Makefile: 'run:\n\tdocker run --rm x\n' });
      assert.equal(dockerOnly.devCommand, 'go run .');
    });

    it('runs manage.py before a production Procfile, and the Procfile before the framework default', () => {
      const django = detect({ 'manage.py': '', 'requirements.txt': 'Django\ngunicorn\n', Procfile: 'web: gunicorn site.wsgi' });
      assert.equal(django.devCommand, 'python manage.py runserver');
      assert.equal(django.devCommandWatches, true);
      const flask = detect({ 'requirements.txt': 'flask\ngunicorn\n', 'app.py': 'from flask import Flask\n', Procfile: 'web: gunicorn app:app' });
      assert.equal(flask.devCommand, 'gunicorn app:app');
      assert.equal(flask.devCommandWatches, false);
    });

    it('finds the FastAPI app object and module path', () => {
      const r = detect({
        'requirements.txt': 'fastapi\nuvicorn\n',
        'src/svc/__init__.py': '',
        'src/svc/main.py': 'from fastapi import FastAPI\napi: FastAPI = FastAPI()\n',
      });
      assert.equal(r.framework, 'fastapi');
      assert.equal(r.devCommand, 'uvicorn svc.main:api --reload --app-dir src');
    });
  });

  describe('frameworks and languages', () => {
    it('tells a meta-framework from the UI library it wraps, and keeps the bundler separate', () => {
      const kit = detect({ 'package.json': json({ devDependencies: { '@sveltejs/kit': '2', svelte: '4', vite: '5' }, scripts: { dev: 'vite dev' } }) });
      assert.equal(kit.framework, 'sveltekit');
      assert.equal(kit.tool, 'vite');
      const spa = detect({ 'package.json': json({ dependencies: { vue: '3' }, devDependencies: { vite: '5' }, scripts: { dev: 'vite' } }), 'src/main.js': '' });
      assert.equal(spa.framework, 'vue');
      assert.equal(spa.tool, 'vite');
      assert.equal(spa.toolName, 'Vite');
      assert.equal(spa.frameworkName, 'Vue');
    });

    it('uses the dev script to choose between a server and a UI library in one package', () => {
      const server = detect({ 'package.json': json({ dependencies: { express: '4', react: '18' }, scripts: { dev: 'nodemon server.js' } }) });
      assert.equal(server.framework, 'express');
      const ui = detect({ 'package.json': json({ dependencies: { express: '4', react: '18' }, devDependencies: { vite: '5' }, scripts: { dev: 'vite' } }) });
      assert.equal(ui.framework, 'react');
    });

    it('says TypeScript only with real evidence', () => {
      const ts = detect({ 'package.json': json({ dependencies: { hono: '4' } }), 'tsconfig.json': '{}', 'src/index.ts': '' });
      assert.equal(ts.language, 'typescript');
      const js = detect({ 'package.json': json({ dependencies: { express: '4' }, devDependencies: { typescript: '5' } }), 'a.js': '', 'b.js': '', 'c.js': '', 'd.js': '' });
      assert.equal(js.language, 'javascript');
    });

    it('does not let a tooling-only package.json hide the real language', () => {
      const r = detect({
        'package.json': json({ devDependencies: { prettier: '3', husky: '9', 'lint-staged': '15' } }),
        'package-lock.json': null,
        'go.mod': 'module x\n\ngo 1.22\n\nrequire github.com/labstack/echo/v4 v4.12.0\n',
        'main.go': '',
      });
      assert.equal(r.language, 'go');
      assert.equal(r.framework, 'echo');
    });

    it('reads Kotlin from the Kotlin plugin, not from the Kotlin DSL file name', () => {
      const java = detect({ 'build.gradle.kts': 'plugins { application }\n', 'src/main/java/App.java': '' });
      assert.equal(java.language, 'java');
      const kotlin = detect({ 'build.gradle.kts': 'plugins { kotlin("jvm") version "2.0.0"\n id("io.quarkus") }\n' });
      assert.equal(kotlin.language, 'kotlin');
      assert.equal(kotlin.framework, 'quarkus');
    });

    it('ignores Gradle plugins applied with `apply false` in a root build', () => {
      const r = detect({
        'settings.gradle': "include 'app', 'lib'\n",
        'build.gradle': "plugins { id 'org.springframework.boot' version '3.3.0' apply false }\n",
        'app/build.gradle': "plugins { id 'org.springframework.boot' }\n",
        'lib/build.gradle': "plugins { id 'java-library' }\n",
      });
      assert.equal(r.primary, 'app');
      assert.equal(r.framework, 'spring-boot');
      assert.equal(r.monorepo?.kind, 'Gradle multi-project');
    });

    it('chooses between Maven and Gradle when a project has both', () => {
      const both = { 'pom.xml': '<project><parent><artifactId>spring-boot-starter-parent</artifactId></parent></project>', 'build.gradle': "plugins { id 'org.springframework.boot' }", mvnw: '', gradlew: '' };
      assert.equal(detect(both).packageManager, 'maven');
      assert.equal(detect({ ...both, 'README.md': 'Run `./gradlew bootRun`.' }).packageManager, 'gradle');
      assert.equal(detect({ ...both, 'README.md': 'Run `./mvnw spring-boot:run` or ./gradlew bootRun' }).devCommand, './mvnw spring-boot:run');
    });

    it("does not let the app's own Dockerfile name the language alone", () => {
      assert.equal(detect({ Dockerfile: 'FROM node:20\nCOPY run.sh /\n', 'run.sh': '' }).language, 'other');
      assert.equal(detect({ Dockerfile: 'FROM python:3.12\n', 'requirements.txt': 'flask\n' }).language, 'python');
    });

    it('a workspace-only package.json does not outrank a real project beside it', () => {
      const r = detect({
        'package.json': json({ private: true, workspaces: ['web'] }),
        'pyproject.toml': '[project]\nname = "svc"\ndependencies = ["fastapi", "uvicorn"]\n',
        'main.py': 'from fastapi import FastAPI\napp = FastAPI()\n',
        'web/package.json': json({ dependencies: { react: '18' }, devDependencies: { vite: '5' }, scripts: { dev: 'vite' } }),
      });
      assert.equal(r.language, 'python');
      assert.equal(r.framework, 'fastapi');
      assert.equal(r.primary, '.');
    });

    it("counts the dev container's image as evidence", () => {
      const r = detect({ '.devcontainer/devcontainer.json': '{ "image": "mcr.microsoft.com/devcontainers/python:3.12" }', 'notes.txt': '' });
      assert.equal(r.language, 'python');
      assert.ok(r.evidence.some((e) => e.file === '.devcontainer/devcontainer.json' && e.reason.includes('python')));
      const dockerfile = detect({
        '.devcontainer/devcontainer.json': '{ "build": { "dockerfile": "../Dockerfile.dev" } }',
        'Dockerfile.dev': 'FROM rust:1.79\n',
      });
      assert.equal(dockerfile.language, 'rust');
    });

    it('answers "other" with a reason when nothing is recognisable', () => {
      const r = detect({ 'README.md': '# hi', 'notes/todo.txt': '' });
      assert.equal(r.language, 'other');
      assert.equal(r.framework, null);
      assert.equal(r.confidence, 0);
      assert.equal(r.primary, null);
      assert.match(r.primaryReason, /no project manifest/);
    });

    it('recognises ecosystems outside the list as "other" so their sub-folders do not win', () => {
      const r = detect({ 'pubspec.yaml': 'name: app\n', 'lib/main.dart': '', 'android/build.gradle': "plugins { id 'com.android.application' }\n" });
      assert.equal(r.language, 'other');
      assert.equal(r.primary, '.');
    });
  });

  describe('monorepos', () => {
    it('reports each part and chooses a primary with a reason', () => {
      const r = detect({
        'package.json': json({ private: true, workspaces: ['apps/*', 'packages/*'], scripts: { dev: 'turbo run dev' }, devDependencies: { turbo: '2' } }),
        'package-lock.json': null,
        'turbo.json': '{}',
        'apps/web/package.json': json({ name: 'web', dependencies: { next: '14', react: '18' }, scripts: { dev: 'next dev' } }),
        'apps/api/package.json': json({ name: 'api', dependencies: { fastify: '4' }, scripts: { dev: 'tsx watch src/main.ts' } }),
        'apps/api/src/main.ts': '',
        'packages/ui/package.json': json({ name: '@x/ui', peerDependencies: { react: '18' }, main: 'index.js' }),
      });
      assert.equal(r.monorepo?.kind, 'npm/yarn workspaces with Turborepo');
      assert.deepEqual(r.parts.map((p) => p.path).sort(), ['apps/api', 'apps/web', 'packages/ui']);
      assert.equal(r.parts.find((p) => p.path === 'packages/ui')!.role, 'library');
      assert.ok(['apps/api', 'apps/web'].includes(r.primary!));
      assert.match(r.primaryReason, /is the primary part: .*Other parts: /);
      assert.equal(r.devCommand, 'npm run dev', "the root's own dev script runs the workspace");
      assert.equal(r.packageManager, 'npm');
      for (const p of r.parts) {
        assert.equal(typeof p.label, 'string');
        assert.ok(Array.isArray(p.evidence));
      }
    });

    it('prefers the part that matches the dev container, and runs its command from its folder', () => {
      const r = detect({
        '.devcontainer/devcontainer.json': '{ "image": "mcr.microsoft.com/devcontainers/go:1" }',
        'api/go.mod': 'module api\n\ngo 1.22\n\nrequire github.com/gin-gonic/gin v1.10.0\n',
        'api/main.go': '',
        'web/package.json': json({ dependencies: { next: '14' }, scripts: { dev: 'next dev' } }),
      });
      assert.equal(r.primary, 'api');
      assert.equal(r.language, 'go');
      assert.match(r.primaryReason, /matches the dev container/);
      assert.equal(r.devCommand, 'cd api && go run .');
      assert.equal(r.parts.find((p) => p.path === 'api')!.devCommand, 'go run .');
    });

    it('keeps the folder itself as primary when it is a project with sub-projects', () => {
      const r = detect({
        'manage.py': '',
        'requirements.txt': 'Django\n',
        'frontend/package.json': json({ dependencies: { react: '18' }, devDependencies: { vite: '5' }, scripts: { dev: 'vite' } }),
      });
      assert.equal(r.primary, '.');
      assert.equal(r.framework, 'django');
      assert.deepEqual(r.parts.map((p) => p.path), ['.', 'frontend']);
    });

    it('leaves examples, docs and tests out of the parts', () => {
      const r = detect({
        'package.json': json({ name: 'lib', main: 'index.js' }),
        'index.js': '',
        'examples/next-app/package.json': json({ dependencies: { next: '14' } }),
        'docs/package.json': json({ dependencies: { astro: '4' } }),
      });
      assert.deepEqual(r.parts, []);
      assert.equal(r.framework, null);
    });
  });

  describe('hostile contents', () => {
    it('gives an answer and a clear note for manifests that are binary or unreadable', () => {
      const snap = snapshotFromFiles({ 'requirements.txt': 'flask\n', 'app.py': 'from flask import Flask\n' });
      snap.dirs.get('')!.files.push('package.json', 'go.mod');
      snap.contents.set('package.json', { ok: false, reason: 'binary', message: 'package.json contains binary data (a NUL byte at offset 3), not text; it was ignored.' });
      snap.contents.set('go.mod', { ok: false, reason: 'unreadable', message: 'Could not read go.mod: permission denied.' });
      const r = detectFromSnapshot(snap);
      assert.equal(r.language, 'python');
      assert.equal(r.framework, 'flask');
      assert.ok(r.notes.some((n) => n.includes('package.json') && n.includes('binary')));
      assert.ok(r.notes.some((n) => n.includes('go.mod') && n.includes('permission denied')));
    });

    it('does not take a binary file with a manifest name for that manifest', () => {
      const snap = snapshotFromFiles({});
      snap.dirs.get('')!.files.push('Cargo.toml');
      snap.contents.set('Cargo.toml', { ok: false, reason: 'binary', message: 'Cargo.toml contains binary data (a NUL byte at offset 0), not text; it was ignored.' });
      const r = detectFromSnapshot(snap);
      assert.equal(r.language, 'other');
      assert.ok(r.notes.some((n) => n.includes('Cargo.toml')));
    });
  });
});
