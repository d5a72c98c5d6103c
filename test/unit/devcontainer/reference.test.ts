// Parity with the reference implementation (@devcontainers/cli): for every folder and config that
// scripts/record-reference.mjs ran the reference CLI on, HyperBox must resolve exactly the values
// the reference produced: ${devcontainerId}, the substituted containerEnv, the workspace folder in
// the container, the workspace mount and the rest of the substituted config.
// The recorded JSON carries the files themselves; this test writes them at the same fixed paths.
import * as assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { resolveConfig } from '../../../src/engine/devcontainer/resolve';

interface RecordedCase {
  name: string;
  description: string;
  folder: string;
  configFile: string | null;
  files: Record<string, string>;
  dirs: string[];
  reference: {
    configFile: string;
    localFolder: string;
    /** null for cases the reference only read (no container, so no ${devcontainerId}). */
    devcontainerId: string | null;
    containerEnv: Record<string, string> | null;
    workspaceFolder: string;
    workspaceMount: string | null;
    configuration: Record<string, unknown>;
  };
}

const recorded = JSON.parse(
  readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'reference', 'reference-values.json'), 'utf8'),
) as { reference: string; env: Record<string, string>; unset: string; cases: RecordedCase[] };

/**
 * Writes a file by renaming a complete temporary file over it, so that two test runs on the same
 * machine (the paths are fixed) never see each other's half-written files. Nothing is deleted for
 * the same reason; the files are a few hundred bytes under /tmp.
 */
function writeAtomically(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** read-configuration leaves ${devcontainerId} as written (it has no container yet); up substitutes it. */
function withId(value: unknown, id: string): unknown {
  if (typeof value === 'string') return value.split('${devcontainerId}').join(id);
  if (Array.isArray(value)) return value.map((v) => withId(v, id));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withId(v, id)]));
  return value;
}

/** Our config with our ${devcontainerId} written back as the variable. */
function withoutId(value: unknown, id: string): unknown {
  if (typeof value === 'string') return value.split(id).join('${devcontainerId}');
  if (Array.isArray(value)) return value.map((v) => withoutId(v, id));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutId(v, id)]));
  return value;
}

describe(`parity with ${recorded.reference} (recorded by scripts/record-reference.mjs)`, () => {
  before(() => {
    for (const c of recorded.cases) {
      for (const d of c.dirs) mkdirSync(d, { recursive: true });
      for (const [file, text] of Object.entries(c.files)) writeAtomically(file, text);
    }
  });

  const env = () => {
    const e: NodeJS.ProcessEnv = { ...recorded.env };
    delete e[recorded.unset];
    return e;
  };

  it('covers the cases the task names', () => {
    const names = recorded.cases.map((c) => c.name);
    for (const n of ['plain', 'git-subfolder', 'named', 'dotfile', 'custom-workspace', 'local-env', 'dockerfile']) assert.ok(names.includes(n), n);
  });

  for (const c of recorded.cases) {
    describe(`${c.name}: ${c.description}`, () => {
      let result: Awaited<ReturnType<typeof resolveConfig>>;
      before(async () => {
        result = await resolveConfig({ folder: c.folder, configFile: c.configFile ?? undefined, env: env() });
      });

      it('reads the same config file', () => {
        assert.equal(result.configFile, c.reference.configFile);
      });

      const id = c.reference.devcontainerId;
      if (id !== null) {
        it('computes the same ${devcontainerId}', () => {
          // from the same labels the reference put on its container
          assert.equal(result.workspaceFolder, c.reference.localFolder);
          assert.equal(result.configFile, c.reference.configFile);
          assert.equal(result.devcontainerId, id);
          assert.match(result.devcontainerId, /^[0-9a-v]{52}$/);
        });

        it('substitutes containerEnv to the values the reference put into the container', () => {
          assert.deepEqual(result.config?.containerEnv, c.reference.containerEnv);
        });
      }

      it('puts the workspace at the same place, with the same mount', () => {
        assert.equal(result.workspace?.containerWorkspaceFolder, c.reference.workspaceFolder);
        assert.equal(result.workspace?.workspaceMount, c.reference.workspaceMount);
      });

      it('substitutes the rest of the config as the reference does', () => {
        const expected = id === null ? c.reference.configuration : withId(c.reference.configuration, id);
        // Without a container the reference leaves ${devcontainerId} as written; so does the
        // comparison, by putting our id back where the reference has the variable.
        const ours = id === null ? withoutId(result.config, result.devcontainerId!) : result.config;
        assert.deepEqual(ours, expected);
      });

      it('finds no errors in it', () => {
        assert.deepEqual(
          result.problems.filter((p) => p.severity === 'error'),
          [],
        );
      });
    });
  }
});
