// Runs the extension-host suite (test/e2e/suite) in a real VS Code without downloading one:
// code-server serves VS Code on 127.0.0.1, headless Chromium opens the workbench with a `payload`
// that names this repo as the extension under development and the compiled suite as its tests,
// and the suite writes its results to a file this launcher reads.
//
//   npx tsx test/e2e/runExtensionTests.ts      (scripts/e2e.sh runs it)
//
// Prints the tests and "N passed, N failed"; exits 1 when a test failed or no results came.
// Environment: HB_E2E_TIMEOUT (seconds to wait for results, default 180), HB_CODE_SERVER.
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { docker } from '../engine/images';
import {
  buildExtension, buildHostSuite, copyFixture, offlineExample, extensionLogErrors, formatLogErrors, keepLogs, launchChromium, outputDir, printHostResults, removeDir, repoRoot,
  startCodeServer, type Browser, type CodeServer, type HostResults,
} from './harness';

async function main(): Promise<number> {
  const started = Date.now();
  await mkdir(outputDir, { recursive: true });
  await buildExtension();
  const testsIndex = await buildHostSuite();
  const workspace = await copyFixture();
  // the example's dev container really starts (trusted window, hyperbox.autoStart), offline too
  await offlineExample(workspace);
  const resultsFile = path.join(outputDir, 'host-results.json');
  await rm(resultsFile, { force: true });
  const consoleLog = createWriteStream(path.join(outputDir, 'host-console.log'));
  const timeoutMs = Number(process.env.HB_E2E_TIMEOUT ?? 180) * 1000;

  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await startCodeServer({
      folder: workspace,
      env: { HB_E2E_RESULTS: resultsFile },
      args: ['--disable-workspace-trust'],
      logFile: path.join(outputDir, 'host-code-server.log'),
    });
    process.stderr.write(`e2e: code-server is serving ${server.url} (log: ${server.logFile})\n`);
    browser = await launchChromium();
    // The extension host's console (mocha's spec output among it) is forwarded to the page.
    browser.page.on('console', (m) => consoleLog.write(`[${m.type()}] ${m.text()}\n`));
    browser.page.on('pageerror', (e) => consoleLog.write(`[pageerror] ${e.stack ?? e.message}\n`));
    const url = server.folderUrl(workspace, [
      ['extensionDevelopmentPath', server.remoteUri(repoRoot)],
      ['extensionTestsPath', server.remoteUri(testsIndex)],
      ['skipWelcome', 'true'],
    ]);
    await browser.page.goto(url, { waitUntil: 'domcontentloaded' });

    const deadline = Date.now() + timeoutMs;
    while (!existsSync(resultsFile)) {
      if (Date.now() > deadline) {
        await browser.page.screenshot({ path: path.join(outputDir, 'host-timeout.png') }).catch(() => undefined);
        throw new Error(
          `no results from the extension host within ${timeoutMs / 1000} s; see ${path.join(outputDir, 'host-console.log')}, ` +
            `${server.logFile} and host-timeout.png`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const results = JSON.parse(await readFile(resultsFile, 'utf8')) as HostResults;
    printHostResults(results, 'extension host tests (code-server + Chromium)');
    process.stderr.write(`e2e: extension host tests took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    return results.failed === 0 && !results.error && results.passed > 0 ? 0 : 1;
  } finally {
    await browser?.close();
    await server?.stop();
    consoleLog.end();
    const ids = docker(['ps', '-aq', '--filter', `label=devcontainer.local_folder=${workspace}`], { allowFail: true }).stdout.split('\n').filter(Boolean);
    if (ids.length) docker(['rm', '-f', '-v', ...ids], { allowFail: true });
    await removeDir(path.dirname(workspace));
    if (server) {
      const logs = path.join(outputDir, 'host-logs');
      await keepLogs(server.profile, logs);
      const errors = await extensionLogErrors(logs, 'hyperbox.hyperbox');
      if (errors.length) process.stderr.write(`e2e: note: ${formatLogErrors(errors, logs)}`);
      await removeDir(path.dirname(server.profile.userDataDir));
    }
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`e2e: ${(e as Error)?.stack ?? String(e)}\n`);
    process.stdout.write('0 passed, 1 failed\n');
    process.exit(1);
  },
);
