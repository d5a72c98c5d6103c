// Root hooks of the engine suite: a Docker engine must answer (the suite fails, never skips,
// without one), the CLI bundle is built, the base images exist; at the end everything the tests
// made under TEST_ROOT is removed (containers, volumes, built images, files).
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { connectEngine } from '../../src/engine/runtime/engine/docker';
import { busyboxImage, devUserImage } from './images';
import { REPO, TEST_ROOT, removeEverythingUnder } from './helpers';

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(180_000);
    try {
      const engine = await connectEngine(process.env);
      const info = await engine.info();
      process.stderr.write(`engine tests against ${info.name} ${info.version} (API ${info.apiVersion}) at ${engine.endpoint.host}\n`);
    } catch (e) {
      throw new Error(`The engine tests need a Docker engine and none answers: ${(e as Error).message}\nStart one with "bash scripts/docker.sh" (root, Debian), then run again.`);
    }
    // the CLI and engine bundles the process tests run
    const build = spawnSync(process.execPath, [path.join(REPO, 'esbuild.mjs')], { cwd: REPO, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`node esbuild.mjs failed:\n${build.stdout}${build.stderr}`);
    busyboxImage();
    devUserImage();
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(120_000);
    await removeEverythingUnder(TEST_ROOT);
    if (!process.env.HB_TEST_KEEP) rmSync(TEST_ROOT, { recursive: true, force: true });
  },
};
