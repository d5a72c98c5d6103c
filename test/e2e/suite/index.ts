// The extension-host test suite's entry: VS Code loads this module (compiled to JS) as
// `extensionTestsPath` and calls run() inside the extension host, where the tests use the real
// `vscode` API. The same module serves code-server (runExtensionTests.ts) and
// @vscode/test-electron (runTestElectron.ts).
//
// Results go to the JSON file named by $HB_E2E_RESULTS (else results.json beside this file), which
// the launcher reads: under code-server nobody sees the extension host's exit code.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export interface TestResult {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs?: number;
  error?: string;
}

export interface SuiteResults {
  passed: number;
  failed: number;
  pending: number;
  tests: TestResult[];
  /** A failure outside any test (loading the files, a hook). */
  error?: string;
  vscodeVersion?: string;
  finishedAt: string;
}

function resultsFile(): string {
  return process.env.HB_E2E_RESULTS || path.join(__dirname, 'results.json');
}

function write(results: SuiteResults): void {
  const file = resultsFile();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // write then rename, so the launcher never reads half a file
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(results, null, 2));
  fs.renameSync(`${file}.tmp`, file);
}

export async function run(): Promise<void> {
  const tests: TestResult[] = [];
  let vscodeVersion: string | undefined;
  try {
    vscodeVersion = (require('vscode') as typeof import('vscode')).version;
  } catch {
    /* not in an extension host */
  }
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  for (const name of fs.readdirSync(__dirname).sort()) {
    if (name.endsWith('.test.js')) mocha.addFile(path.join(__dirname, name));
  }
  let failures = 0;
  try {
    failures = await new Promise<number>((resolve) => {
      const runner = mocha.run((n) => resolve(n));
      runner.on('pass', (t) => tests.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration }));
      runner.on('fail', (t, err: Error) =>
        tests.push({ title: t.fullTitle(), state: 'failed', durationMs: t.duration, error: err?.stack || String(err) }),
      );
      runner.on('pending', (t) => tests.push({ title: t.fullTitle(), state: 'pending' }));
    });
  } catch (e) {
    write({ passed: 0, failed: 1, pending: 0, tests, error: (e as Error)?.stack ?? String(e), vscodeVersion, finishedAt: new Date().toISOString() });
    throw e;
  }
  const count = (s: TestResult['state']) => tests.filter((t) => t.state === s).length;
  // a failing hook is a failure with no test of its own: count it
  const failed = Math.max(count('failed'), failures);
  write({ passed: count('passed'), failed, pending: count('pending'), tests, vscodeVersion, finishedAt: new Date().toISOString() });
  if (failed > 0) throw new Error(`${failed} extension-host test(s) failed`);
}
