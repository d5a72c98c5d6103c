import * as assert from 'node:assert/strict';
import {
  dockerfileImages,
  featureLanguage,
  gemfileGems,
  imageLanguage,
  makefileTargets,
  parseGoMod,
  parseGoWork,
  parseJsonLoose,
  parseRequirements,
  parseTomlLoose,
  procfileEntries,
  pythonImports,
  requirementExtras,
  requirementName,
  setupPyRequires,
  tomlString,
  tomlStrings,
} from '../../../src/engine/project/manifests';

describe('project detection: manifest readers', () => {
  it('reads TOML tables, dotted keys, multi-line arrays and inline tables', () => {
    const doc = parseTomlLoose(
      [
        '# comment',
        '[project]',
        'name = "demo"  # trailing',
        'dependencies = [',
        '  "fastapi>=0.110",  # web',
        "  'uvicorn[standard]',",
        ']',
        '',
        '[tool.poetry.dependencies]',
        'python = "^3.12"',
        'Django = { version = "^5.0", extras = ["argon2"] }',
        '',
        '[dependencies.axum]',
        'version = "0.7"',
        '',
        '[[bin]]',
        'name = "cli"',
        'tokio.workspace = true',
        'description = """multi',
        'line = not a key"""',
      ].join('\n'),
    );
    assert.equal(tomlString(doc.tables.get('project')!.get('name')), 'demo');
    assert.deepEqual(tomlStrings(doc.tables.get('project')!.get('dependencies')), ['fastapi>=0.110', 'uvicorn[standard]']);
    assert.deepEqual([...doc.tables.get('tool.poetry.dependencies')!.keys()], ['python', 'Django']);
    assert.ok(doc.tables.has('dependencies.axum'));
    assert.equal(doc.tables.get('bin.tokio')?.get('workspace'), 'true');
    assert.ok(!doc.tables.get('bin')!.has('line'), 'a key inside a multi-line string is not a key');
  });

  it('survives truncated and broken TOML', () => {
    const doc = parseTomlLoose('[project]\nname = "x"\ndependencies = [\n  "django",\n  "cel');
    assert.equal(tomlString(doc.tables.get('project')!.get('name')), 'x');
    assert.ok(tomlStrings(doc.tables.get('project')!.get('dependencies')).includes('django'));
    assert.doesNotThrow(() => parseTomlLoose('[[[\n= = =\n"unterminated'));
  });

  it('reads JSON with comments and keeps what parses of a truncated file', () => {
    assert.deepEqual(parseJsonLoose('{ // c\n "a": 1, }'), { a: 1 });
    const partial = parseJsonLoose('{"name":"x","dependencies":{"express":"^4"},"devDependencies":{"nod');
    assert.equal((partial!.dependencies as Record<string, string>).express, '^4');
    assert.equal(parseJsonLoose('[1,2]'), null);
  });

  it('normalises requirement names and extras', () => {
    assert.equal(requirementName('Django>=4.2,<5'), 'django');
    assert.equal(requirementName('  Flask_SQLAlchemy==3.1'), 'flask-sqlalchemy');
    assert.equal(requirementName('uvicorn[standard] ; python_version > "3.8"'), 'uvicorn');
    assert.deepEqual(requirementExtras('fastapi[standard, all]>=0.1'), ['standard', 'all']);
    const req = parseRequirements('# c\n-r base.txt\n--index-url https://x\n-e .\nrequests==2.0 # pinned\ngit+https://x/y.git#egg=mylib\n');
    assert.deepEqual(req.includes, ['base.txt']);
    assert.deepEqual(req.specs, ['requests==2.0', 'mylib']);
  });

  it('reads setup.py requirements as text and Python imports', () => {
    assert.deepEqual(setupPyRequires("setup(name='x', install_requires=['click>=8', \"tabulate\"])"), ['click>=8', 'tabulate']);
    assert.deepEqual([...pythonImports('import os\nfrom fastapi import FastAPI\n  import streamlit as st\n')].sort(), ['fastapi', 'os', 'streamlit']);
  });

  it('reads go.mod direct requirements, skipping indirect ones', () => {
    const mod = parseGoMod('module github.com/a/b\n\ngo 1.22.1\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.10.0\n\tgithub.com/x/y v1.0.0 // indirect\n)\nrequire github.com/spf13/cobra v1.8.0\n');
    assert.equal(mod.module, 'github.com/a/b');
    assert.equal(mod.go, '1.22.1');
    assert.deepEqual(mod.requires, ['github.com/gin-gonic/gin', 'github.com/spf13/cobra']);
    assert.deepEqual(parseGoWork('go 1.22\n\nuse (\n\t./api\n\t./tools // x\n)\n'), ['api', 'tools']);
  });

  it('reads Gemfiles, Makefile targets and Procfiles', () => {
    assert.deepEqual([...gemfileGems("source 'x'\ngem \"rails\", \"~> 7\"\n  gem 'puma'\n# gem 'no'\n")], ['rails', 'puma']);
    const targets = makefileTargets('CC := gcc\n.PHONY: run\nrun: build\n\tgo run ./cmd/x\nbuild:\n\tgo build\n%.o: %.c\n\tcc\nup: ; docker compose up\n');
    assert.equal(targets.get('run'), 'go run ./cmd/x\n');
    assert.equal(targets.get('up'), 'docker compose up\n');
    assert.ok(!targets.has('CC'));
    assert.ok(![...targets.keys()].some((t) => t.includes('%')));
    assert.deepEqual([...procfileEntries('web: bundle exec puma\n# worker: no\nworker: sidekiq\n')], [
      ['web', 'bundle exec puma'],
      ['worker', 'sidekiq'],
    ]);
  });

  it('names the language of container images, Dockerfiles and Features', () => {
    assert.equal(imageLanguage('mcr.microsoft.com/devcontainers/python:3.12'), 'python');
    assert.equal(imageLanguage('mcr.microsoft.com/devcontainers/typescript-node:1-22-bookworm'), 'typescript');
    assert.equal(imageLanguage('mcr.microsoft.com/dotnet/sdk:8.0'), 'csharp');
    assert.equal(imageLanguage('golang:1.22-alpine'), 'go');
    assert.equal(imageLanguage('eclipse-temurin:21-jdk'), 'java');
    assert.equal(imageLanguage('ubuntu:24.04'), null);
    assert.deepEqual(dockerfileImages('FROM node:20 AS build\nRUN x\nFROM --platform=linux/amd64 build\nFROM nginx:alpine\n'), ['node:20', 'nginx:alpine']);
    assert.equal(featureLanguage('ghcr.io/devcontainers/features/python:1'), 'python');
    assert.equal(featureLanguage('ghcr.io/devcontainers/features/docker-in-docker:2'), null);
  });
});
