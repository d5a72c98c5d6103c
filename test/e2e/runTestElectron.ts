// Runs the same extension-host suite (test/e2e/suite) under @vscode/test-electron, for machines
// that can download VS Code (or have one: HB_VSCODE_PATH). On this project's offline machines use
// runExtensionTests.ts (code-server) instead; scripts/e2e.sh does.
//
//   npx tsx test/e2e/runTestElectron.ts
//
// Environment: HB_VSCODE_VERSION (default 1.100.3, the oldest VS Code package.json allows and the
// one code-server 4.100.3 carries), HB_VSCODE_PATH (a VS Code executable to use instead of a
// download). On Linux without a display, run it under `xvfb-run -a`.
// Prints the tests and "N passed, N failed"; exits 1 when a test failed or VS Code could not run.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import {
  buildExtension, buildHostSuite, copyFixture, outputDir, printHostResults, removeDir, repoRoot, type HostResults,
} from './harness';

async function main(): Promise<number> {
  await mkdir(outputDir, { recursive: true });
  await buildExtension();
  const extensionTestsPath = await buildHostSuite();
  const workspace = await copyFixture();
  const resultsFile = path.join(outputDir, 'electron-results.json');
  await rm(resultsFile, { force: true });
  let exitCode: number | undefined;
  let launchError: unknown;
  try {
    exitCode = await runTests({
      ...(process.env.HB_VSCODE_PATH
        ? { vscodeExecutablePath: process.env.HB_VSCODE_PATH }
        : { version: process.env.HB_VSCODE_VERSION ?? '1.100.3' }),
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath,
      extensionTestsEnv: { HB_E2E_RESULTS: resultsFile },
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
    });
  } catch (e) {
    launchError = e; // a failing suite makes VS Code exit non-zero: the results file tells which
  } finally {
    await removeDir(path.dirname(workspace));
  }
  if (!existsSync(resultsFile)) {
    process.stderr.write(`e2e: VS Code produced no test results (${launchError ? String(launchError) : `exit ${exitCode}`})\n`);
    process.stdout.write('0 passed, 1 failed\n');
    return 1;
  }
  const results = JSON.parse(await readFile(resultsFile, 'utf8')) as HostResults;
  printHostResults(results, 'extension host tests (@vscode/test-electron)');
  return results.failed === 0 && !results.error && results.passed > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`e2e: ${(e as Error)?.stack ?? String(e)}\n`);
    process.stdout.write('0 passed, 1 failed\n');
    process.exit(1);
  },
);
