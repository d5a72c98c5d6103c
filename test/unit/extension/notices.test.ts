// THIRD_PARTY_NOTICES.md: every npm package with code in a shipped bundle, with its license text.
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ROOT, ensureBuilt, removeTempDirs, tempDir } from './helpers';

interface NoticesModule {
  bundledPackages(metas: unknown, isShipped?: (o: string) => boolean): Map<string, { dir: string; bundles: Set<string> }>;
  packageDir(input: string): string | undefined;
  describePackages(packages: Map<string, unknown>, root?: string): Promise<{ name: string; version: string; license: string; texts: { file: string; text: string }[]; bundles: string[] }[]>;
  renderNotices(packages: unknown[]): string;
}
const load = (): Promise<NoticesModule> => import(path.join(ROOT, 'scripts', 'third-party-notices.mjs'));

describe('third-party notices', () => {
  after(() => removeTempDirs());

  it('finds the package of a bundled file, scoped and nested ones too', async () => {
    const { packageDir } = await load();
    assert.equal(packageDir('node_modules/jsonc-parser/lib/esm/main.js'), 'node_modules/jsonc-parser');
    assert.equal(packageDir('node_modules/@balena/dockerignore/ignore.js'), 'node_modules/@balena/dockerignore');
    assert.equal(packageDir('node_modules/a/node_modules/@s/b/x.js'), 'node_modules/a/node_modules/@s/b');
    assert.equal(packageDir('src/extension/main.ts'), undefined);
  });

  it('lists only packages with bytes in a shipped bundle, with every bundle they are in', async () => {
    const { bundledPackages } = await load();
    const metas = {
      extension: { outputs: { 'dist/extension.js': { inputs: { 'node_modules/a/x.js': { bytesInOutput: 10 }, 'node_modules/shaken/y.js': { bytesInOutput: 0 }, 'src/x.ts': { bytesInOutput: 5 } } } } },
      engine: {
        outputs: {
          'dist/engine.js': { inputs: { 'node_modules/a/z.js': { bytesInOutput: 3 }, 'node_modules/@s/b/i.js': { bytesInOutput: 3 } } },
          'dist/engine.js.map': { inputs: { 'node_modules/maponly/i.js': { bytesInOutput: 3 } } },
        },
      },
    };
    const found = bundledPackages(metas);
    assert.deepEqual([...found.keys()].sort(), ['node_modules/@s/b', 'node_modules/a']);
    assert.deepEqual([...found.get('node_modules/a')!.bundles].sort(), ['dist/engine.js', 'dist/extension.js']);
  });

  it('counts the webviews\' bundles (dist/media/*.js and .css) too, not their source maps', async () => {
    const { bundledPackages } = await load();
    const metas = {
      webviews: {
        outputs: {
          'dist/media/pressure.js': { inputs: { 'node_modules/chart/x.js': { bytesInOutput: 10 } } },
          'dist/media/pressure.css': { inputs: { 'node_modules/chart/x.css': { bytesInOutput: 4 }, 'node_modules/style-only/y.css': { bytesInOutput: 4 } } },
          'dist/media/pressure.js.map': { inputs: { 'node_modules/maponly/i.js': { bytesInOutput: 3 } } },
        },
      },
    };
    const found = bundledPackages(metas);
    assert.deepEqual([...found.keys()].sort(), ['node_modules/chart', 'node_modules/style-only']);
    assert.deepEqual([...found.get('node_modules/chart')!.bundles].sort(), ['dist/media/pressure.css', 'dist/media/pressure.js']);
  });

  it('carries each license text, and refuses a package with no license at all', async () => {
    const { bundledPackages, describePackages, renderNotices } = await load();
    const root = await tempDir('notices');
    const mk = async (dir: string, pkg: object, files: Record<string, string>) => {
      await fs.mkdir(path.join(root, dir), { recursive: true });
      await fs.writeFile(path.join(root, dir, 'package.json'), JSON.stringify(pkg));
      for (const [f, t] of Object.entries(files)) await fs.writeFile(path.join(root, dir, f), t);
    };
    await mk('node_modules/a', { name: 'a', version: '1.0.0', license: 'MIT' }, { LICENSE: 'MIT License\n```\nCopyright A' });
    await mk('node_modules/b', { name: 'b', version: '2.0.0', license: 'ISC' }, {});
    const meta = { x: { outputs: { 'dist/x.js': { inputs: { 'node_modules/a/i.js': { bytesInOutput: 1 }, 'node_modules/b/i.js': { bytesInOutput: 1 } } } } } };
    const described = await describePackages(bundledPackages(meta), root);
    const text = renderNotices(described);
    assert.match(text, /^## a 1\.0\.0\n\nLicense: MIT\. Bundled in: dist\/x\.js\.\n\nLICENSE:\n\n````text\nMIT License\n```\nCopyright A\n````$/m);
    assert.match(text, /## b 2\.0\.0\n\nLicense: ISC\. .*\n\nThe package ships no license file; its package\.json declares ISC\./);

    await mk('node_modules/c', { name: 'c', version: '3.0.0' }, {});
    const withC = { x: { outputs: { 'dist/x.js': { inputs: { 'node_modules/c/i.js': { bytesInOutput: 1 } } } } } };
    await assert.rejects(describePackages(bundledPackages(withC), root), /node_modules\/c: no "license" field and no license file/);
  });

  it('covers the real bundles: the protocol library and the JSON parser are listed with their MIT text', async () => {
    await ensureBuilt();
    const { bundledPackages, describePackages } = await load();
    const metas = JSON.parse(await fs.readFile(path.join(ROOT, 'dist', 'meta.json'), 'utf8'));
    const described = await describePackages(bundledPackages(metas));
    for (const name of ['vscode-jsonrpc', 'jsonc-parser']) {
      const p = described.find((d) => d.name === name);
      assert.ok(p, `${name} missing from the notices`);
      assert.equal(p.license, 'MIT');
      assert.ok(p.texts.some((t) => /Permission is hereby granted/.test(t.text)), `${name} license text missing`);
    }
    assert.ok(described.find((d) => d.name === 'vscode-jsonrpc')!.bundles.includes('dist/extension.js'));
  });
});
