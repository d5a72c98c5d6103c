// End-to-end UI tests: the packaged .vsix installed in code-server, a copy of the example fixture
// (a folder with a dev container config) opened in headless Chromium, driven like a person would.
// Screenshots and what the status bar showed go to .test-output/e2e/.
//
//   npx mocha --config test/e2e/.mocharc.json      (scripts/e2e.sh runs it)
import * as assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import {
  codeServerBin, copyFixture, extensionLogErrors, formatLogErrors, launchChromium, listExtensions, newProfile, outputDir, packageExtension, removeDir,
  keepLogs, startCodeServer, statusBarItems, waitForWorkbench, type Browser, type CodeServer,
} from './harness';

const EXTENSION_ID = 'hyperbox.hyperbox';
type Item = Awaited<ReturnType<typeof statusBarItems>>[number];
const isHyperBox = (i: Item) => /hyperbox/i.test(`${i.id} ${i.text} ${i.label}`);

/** One code-server + browser on a fresh copy of the fixture, with the .vsix installed. */
class Session {
  server?: CodeServer;
  browser?: Browser;
  workspace?: string;

  name = '';

  async open(name: string, vsix: string): Promise<Page> {
    this.name = name;
    const profile = await newProfile();
    this.workspace = await copyFixture();
    this.server = await startCodeServer({ folder: this.workspace, profile, vsix, logFile: path.join(outputDir, `${name}-code-server.log`) });
    const installed = await listExtensions(await codeServerBin(), profile);
    assert.ok(installed.some((e) => e.toLowerCase().startsWith(`${EXTENSION_ID}@`)), `installed extensions: ${installed.join(', ')}`);
    this.browser = await launchChromium();
    const page = this.browser.page;
    await page.goto(this.server.folderUrl(), { waitUntil: 'domcontentloaded' });
    await waitForWorkbench(page);
    return page;
  }

  async close(): Promise<void> {
    await this.browser?.close();
    await this.server?.stop();
    if (this.server) {
      const logs = path.join(outputDir, `${this.name}-logs`);
      await keepLogs(this.server.profile, logs);
      // reported, not asserted: the UI tests check what a person sees
      const errors = await extensionLogErrors(logs, EXTENSION_ID);
      if (errors.length) process.stdout.write(`      note: ${formatLogErrors(errors, logs)}`);
    }
    if (this.workspace) await removeDir(path.dirname(this.workspace));
    if (this.server) await removeDir(path.dirname(this.server.profile.userDataDir));
  }
}

/** Answers the Workspace Trust dialog a fresh folder shows. */
async function answerTrust(page: Page, trust: boolean, screenshot?: string): Promise<void> {
  const name = trust ? /Yes, I trust the authors/ : /No, I don.t trust the authors/;
  const button = page.getByRole('button', { name });
  await button.waitFor({ state: 'visible', timeout: 60_000 });
  if (screenshot) await page.screenshot({ path: path.join(outputDir, `${screenshot}.png`) });
  await button.click();
  await page.locator('.monaco-dialog-box').waitFor({ state: 'detached', timeout: 10_000 });
}

async function waitForItem(page: Page, match: (i: Item) => boolean, timeoutMs: number): Promise<Item | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const item = (await statusBarItems(page)).find(match);
    if (item || Date.now() > deadline) return item;
    await page.waitForTimeout(250);
  }
}

/** The HyperBox item once it no longer says it is starting (or as it is after 20 s). */
async function settled(page: Page): Promise<Item | undefined> {
  return (
    (await waitForItem(page, (i) => isHyperBox(i) && !/starting|loading/i.test(i.text), 20_000)) ??
    (await statusBarItems(page)).find(isHyperBox)
  );
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(outputDir, `${name}.png`) });
  await page.locator('.part.statusbar').screenshot({ path: path.join(outputDir, `${name}-statusbar.png`) });
}

describe('HyperBox in code-server (UI, Chromium)', function () {
  let vsix: string;
  const seen: Record<string, unknown> = {};

  before(async function () {
    this.timeout(600_000); // the first run may install code-server
    await codeServerBin();
    vsix = await packageExtension();
  });

  after(async () => {
    await writeFile(path.join(outputDir, 'ui-statusbar.json'), JSON.stringify(seen, null, 2));
  });

  describe('trusted folder', () => {
    const s = new Session();
    after(() => s.close());

    it('shows the HyperBox status bar item after "Yes, I trust the authors"', async () => {
      const page = await s.open('trusted', vsix);
      await answerTrust(page, true, 'trust-dialog');
      const first = await waitForItem(page, isHyperBox, 45_000);
      assert.ok(first, `no HyperBox status bar item; the status bar shows: ${JSON.stringify(await statusBarItems(page))}`);
      // let it settle (the engine starts behind it), then record what a person sees
      const item = await settled(page);
      await shoot(page, 'trusted');
      const items = await statusBarItems(page);
      seen.trusted = { first, hyperbox: item ?? null, items };
      process.stdout.write(`      trusted: HyperBox item "${first.text}" first, then ${item ? `"${item.text}" (${item.label})` : 'gone'}\n`);
      assert.ok(item, `the HyperBox status bar item went away; the status bar shows: ${JSON.stringify(items)}`);
      // its tooltip, for the record
      await page.locator(`[id="${item.id}"]`).hover().catch(() => undefined);
      await page.waitForTimeout(1500);
      await page.screenshot({ path: path.join(outputDir, 'trusted-tooltip.png') });
      await page.mouse.move(700, 300);
    });

    it('has no Restricted Mode indicator', async () => {
      const items = await statusBarItems(s.browser!.page);
      assert.equal(items.find((i) => /restricted mode/i.test(`${i.text} ${i.label}`)), undefined);
    });
  });

  describe('Restricted Mode', () => {
    const s = new Session();
    after(() => s.close());

    it('shows Restricted Mode after "No, I don\'t trust the authors", and records what HyperBox shows', async () => {
      const page = await s.open('restricted', vsix);
      await answerTrust(page, false);
      const restricted = await waitForItem(page, (i) => /restricted mode/i.test(`${i.text} ${i.label}`), 30_000);
      // the extension declares limited support for untrusted workspaces: give it time to show itself
      const item = (await waitForItem(page, isHyperBox, 15_000)) && (await settled(page));
      await shoot(page, 'restricted');
      const items = await statusBarItems(page);
      seen.restricted = { restrictedIndicator: restricted ?? null, hyperbox: item ?? null, items };
      process.stdout.write(`      Restricted Mode: HyperBox item ${item ? `"${item.text}" (${item.label})` : 'not shown'}\n`);
      assert.ok(restricted, `no Restricted Mode indicator; the status bar shows: ${JSON.stringify(items)}`);
      if (item) assert.doesNotMatch(`${item.text} ${item.label}`, /\brunning\b/i, 'nothing may run in Restricted Mode');
    });
  });
});
