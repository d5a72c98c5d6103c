// End-to-end UI tests: the packaged .vsix installed in code-server, a copy of the example fixture
// (a folder with a dev container config) opened in headless Chromium, driven like a person would.
// Screenshots and what the status bar showed go to .test-output/e2e/.
//
//   npx mocha --config test/e2e/.mocharc.json      (scripts/e2e.sh runs it)
import * as assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { busyboxImage, docker } from '../engine/images';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import {
  codeServerBin, copyFixture, extensionLogErrors, formatLogErrors, launchChromium, listExtensions, newProfile, outputDir, packageExtension, removeDir,
  keepLogs, runFromPalette, startCodeServer, statusBarItems, waitForWorkbench, type Browser, type CodeServer,
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

  async open(name: string, vsix: string, prepare?: (workspace: string) => Promise<void>): Promise<Page> {
    this.name = name;
    const profile = await newProfile();
    this.workspace = await copyFixture();
    await prepare?.(this.workspace);
    this.server = await startCodeServer({ folder: this.workspace, profile, vsix, logFile: path.join(outputDir, `${name}-code-server.log`) });
    const installed = await listExtensions(await codeServerBin(), profile);
    assert.ok(installed.some((e) => e.toLowerCase().startsWith(`${EXTENSION_ID}@`)), `installed extensions: ${installed.join(', ')}`);
    this.browser = await launchChromium();
    const page = this.browser.page;
    await page.goto(this.server.folderUrl(), { waitUntil: 'domcontentloaded' });
    await waitForWorkbench(page);
    return page;
  }

  /** The folder's dev containers (by the label the engine sets), whatever their state. */
  containers(): string[] {
    if (!this.workspace) return [];
    return docker(['ps', '-aq', '--filter', `label=devcontainer.local_folder=${this.workspace}`]).stdout.split('\n').filter(Boolean);
  }

  async close(): Promise<void> {
    await this.browser?.close();
    await this.server?.stop();
    const ids = this.containers();
    if (ids.length) docker(['rm', '-f', ...ids], { allowFail: true });
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

/**
 * Points the copied example at a small image built here without a registry (busybox), so the
 * container really starts on a machine that cannot pull the example's Node image.
 */
async function useLocalImage(workspace: string): Promise<void> {
  const config = {
    name: 'HyperBox example (local image)',
    image: busyboxImage(),
    postCreateCommand: 'echo ready',
  };
  await writeFile(path.join(workspace, '.devcontainer', 'devcontainer.json'), `${JSON.stringify(config, null, 2)}\n`);
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
      const page = await s.open('trusted', vsix, useLocalImage);
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

    it('auto-start first lists what the config runs in a modal (nothing starts before); "Trust and Start" starts it and the status bar shows running', async () => {
      const page = s.browser!.page;
      // the config's postCreateCommand is a finding not accepted yet: the modal lists it instead of starting
      const accept = page.getByRole('button', { name: 'Trust and Start' });
      await accept.waitFor({ state: 'visible', timeout: 90_000 });
      const dialog = page.locator('.monaco-dialog-box');
      assert.match(await dialog.innerText(), /postCreateCommand from devcontainer\.json runs in the container: echo ready/);
      await shoot(page, 'trust-findings-modal');
      assert.equal(s.containers().length, 0, 'a container was made before the answer');
      await accept.click();
      await dialog.waitFor({ state: 'detached', timeout: 10_000 });
      const running = await waitForItem(page, (i) => isHyperBox(i) && /\brunning\b/.test(i.text), 90_000);
      await shoot(page, 'trusted-running');
      assert.ok(running, `the status bar never said running; it shows: ${JSON.stringify((await statusBarItems(page)).filter(isHyperBox))}`);
      seen.running = running;
      assert.equal(s.containers().length, 1, 'one container for the folder');
    });

    it('opens a terminal in the container (HyperBox: Open Terminal in Dev Container) and runs a command there', async () => {
      const page = s.browser!.page;
      await runFromPalette(page, 'HyperBox: Open Terminal in Dev Container');
      await page.locator('.terminal-wrapper').first().waitFor({ state: 'visible', timeout: 20_000 });
      await page.waitForTimeout(2500); // the shell's prompt
      await page.keyboard.type('echo "$(id -un):$(pwd):$((6*7))" > /tmp/hb-e2e-terminal');
      await page.keyboard.press('Enter');
      const [id] = s.containers();
      let written = '';
      for (let i = 0; i < 40 && !written; i++) {
        await page.waitForTimeout(250);
        written = docker(['exec', id, 'cat', '/tmp/hb-e2e-terminal'], { allowFail: true }).stdout.trim();
      }
      await shoot(page, 'terminal');
      seen.terminal = written;
      assert.match(written, /^root:\/workspaces\/example:42$/, 'the command ran in the container, as the remote user, in the workspace folder');
    });

    it('HyperBox: Get Started opens the walkthrough with all three steps ticked off (config found, container running, terminal open)', async () => {
      const page = s.browser!.page;
      await runFromPalette(page, 'HyperBox: Get Started');
      // each step is a button whose aria-checked says whether VS Code counts it done
      const steps = page.locator('button.getting-started-step');
      await steps.first().waitFor({ state: 'visible', timeout: 20_000 });
      let done: Record<string, string | null> = {};
      for (let i = 0; i < 20; i++) {
        done = Object.fromEntries(
          await steps.evaluateAll((els) => els.map((e) => [String(e.getAttribute('data-step-id')).split('#').pop(), e.getAttribute('aria-checked')])),
        );
        if (done.config === 'true' && done.start === 'true' && done.terminal === 'true') break;
        await page.waitForTimeout(250);
      }
      await shoot(page, 'walkthrough');
      seen.walkthrough = done;
      assert.deepEqual(done, { config: 'true', start: 'true', terminal: 'true' }, 'the walkthrough follows the project: its config, the running container and the open terminal');
    });

    it('the HyperBox view in the activity bar shows the project running, its container and its lifecycle command\'s result', async () => {
      const page = s.browser!.page;
      // the view container's icon in the activity bar, by its title
      await page.locator('.activitybar .action-item a[aria-label^="HyperBox"]').first().click();
      const rows = page.locator('.pane-body .monaco-list-row');
      const project = rows.filter({ hasText: 'example' }).first();
      await project.waitFor({ state: 'visible', timeout: 20_000 });
      // expand the Lifecycle Commands node to see postCreateCommand's result
      const lifecycle = rows.filter({ hasText: 'Lifecycle Commands' }).first();
      await lifecycle.waitFor({ state: 'visible', timeout: 10_000 });
      await lifecycle.click();
      const hook = rows.filter({ hasText: 'postCreateCommand' }).first();
      await hook.waitFor({ state: 'visible', timeout: 10_000 });
      await page.waitForTimeout(500);
      // a row's text is its label then its description, with no space between them
      const texts = (await rows.allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
      await page.screenshot({ path: path.join(outputDir, 'view.png') });
      seen.view = texts;
      assert.ok(texts.some((t) => /^example\s*running$/.test(t)), `the view shows: ${texts.join(' | ')}`);
      // ok from the up that made the container (skipped by a later up: it runs once per container)
      assert.ok(texts.some((t) => /^postCreateCommand\s*(ok|skipped)\b/.test(t)), `the view shows: ${texts.join(' | ')}`);
      assert.ok(texts.some((t) => /^Ports/.test(t)) && texts.some((t) => /^Mounts/.test(t)), `the view shows: ${texts.join(' | ')}`);
    });

    it('opens the Dev Container panel and sees the startup timeline of the up that made the container', async () => {
      const page = s.browser!.page;
      await runFromPalette(page, 'HyperBox: Show Dev Container Panel');
      // the webview's content sits two iframes deep (the webview host, then its active frame)
      const panel = page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
      const timeline = panel.locator('[data-testid="timeline"]');
      await timeline.waitFor({ state: 'visible', timeout: 20_000 });
      await page.waitForTimeout(500);
      await shoot(page, 'panel-timeline');
      const outcome = await timeline.getAttribute('data-outcome');
      const steps = await panel.locator('[data-testid="timeline"] [data-step]').evaluateAll((els) =>
        els.map((e) => `${e.getAttribute('data-step')}:${e.getAttribute('data-status')}`),
      );
      seen.timeline = { outcome, steps };
      assert.equal(outcome, 'ok', `the timeline's outcome; steps: ${steps.join(' ')}`);
      // the waterfall of the up: the container was made and started, and its postCreateCommand ran
      for (const step of ['create', 'start', 'postCreateCommand']) {
        assert.ok(steps.includes(`${step}:ok`), `no "${step}" step that went well in the timeline: ${steps.join(' ')}`);
      }
      // the lifecycle command opens to its output ("echo ready")
      await panel.locator('[data-step="postCreateCommand"] summary').first().click();
      const output = await panel.locator('[data-step="postCreateCommand"] [data-testid="output"]').first().textContent({ timeout: 5_000 });
      assert.match(output ?? '', /ready/, 'the postCreateCommand output in the timeline');
      await shoot(page, 'panel-timeline-output');
    });

    it('shows a script-injection attempt in span attributes as text in the Traces panel', async () => {
      const page = s.browser!.page;
      await runFromPalette(page, 'HyperBox: Show Traces');
      const panel = page.frameLocator('iframe.webview:visible').frameLocator('iframe#active-frame');
      const receiver = panel.locator('[data-testid="receiver"]');
      await receiver.waitFor({ state: 'visible', timeout: 20_000 });
      if ((await receiver.getAttribute('data-state')) === 'off') await panel.locator('[data-testid="start-receiver"]').click();
      await panel.locator('[data-testid="receiver"][data-port]').waitFor({ timeout: 20_000 });
      const port = Number(await receiver.getAttribute('data-port'));
      const evil = '<img src=x onerror="document.title=\'pwned\'">';
      const closing = '</script><script>document.title=\'pwned\'</script>';
      const traceId = '5c'.repeat(16);
      const now = BigInt(Date.now()) * 1_000_000n;
      const body = {
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: `e2e-${evil}` } }] },
            scopeSpans: [
              {
                spans: [
                  {
                    traceId,
                    spanId: '1'.repeat(16),
                    name: `GET ${closing}`,
                    kind: 2,
                    startTimeUnixNano: String(now),
                    endTimeUnixNano: String(now + 5_000_000n),
                    attributes: [
                      { key: 'http.route', value: { stringValue: evil } },
                      { key: 'note', value: { stringValue: closing } },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      };
      const res = await fetch(`http://127.0.0.1:${port}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(res.status, 200, `the receiver answered ${res.status}: ${await res.text()}`);
      const row = panel.locator(`[data-trace="${traceId}"]`);
      await row.waitFor({ state: 'visible', timeout: 15_000 });
      await row.click();
      const details = panel.locator('[data-testid="span-details"]');
      await details.locator('table.attributes').first().waitFor({ timeout: 10_000 });
      await shoot(page, 'traces-injection');
      const text = (await details.textContent()) ?? '';
      seen.tracesInjection = text;
      assert.ok(text.includes(evil), `the attribute is shown as its text: ${text}`);
      assert.ok(text.includes(closing), `the closing script tag is shown as text: ${text}`);
      assert.ok((await row.textContent())?.includes(closing), 'the span name is shown as text in the list');
      assert.equal(await panel.locator('img').count(), 0, 'no element was made from an attribute');
      const scripts = await panel.locator('script').evaluateAll((els) => els.map((e) => e.textContent ?? ''));
      assert.ok(!scripts.some((t) => t.includes('pwned')), 'no script element was made from an attribute');
      assert.notEqual(await page.title(), 'pwned');
      // and nothing ran in the panel's frame either
      const frameTitle = await panel.locator('html').evaluate(() => document.title);
      assert.notEqual(frameTitle, 'pwned');
    });

    it('Stop from the status bar\'s quick pick: the status bar shows stopped', async () => {
      const page = s.browser!.page;
      const item = (await statusBarItems(page)).find(isHyperBox)!;
      await page.locator(`[id="${item.id}"]`).click();
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await page.waitForTimeout(300);
      await shoot(page, 'actions-quick-pick');
      const labels = await page.locator('.quick-input-widget .monaco-list-row').allTextContents();
      seen.actions = labels;
      assert.ok(labels.some((l) => /Stop/.test(l)), `the quick pick offers: ${labels.join(' | ')}`);
      assert.ok(!labels.some((l) => /^\W*Start\b/.test(l)), `Start is offered for a running container: ${labels.join(' | ')}`);
      await input.fill('Stop');
      await page.keyboard.press('Enter');
      const stopped = await waitForItem(page, (i) => isHyperBox(i) && /\bstopped\b/.test(i.text), 30_000);
      await shoot(page, 'trusted-stopped');
      assert.ok(stopped, `the status bar never said stopped; it shows: ${JSON.stringify((await statusBarItems(page)).filter(isHyperBox))}`);
      seen.stopped = stopped;
      const state = docker(['inspect', '--format', '{{.State.Running}}', ...s.containers()]).stdout.trim();
      assert.equal(state, 'false');
    });
  });

  describe('Restricted Mode', () => {
    const s = new Session();
    after(() => s.close());

    it('shows Restricted Mode after "No, I don\'t trust the authors", and records what HyperBox shows', async () => {
      const page = await s.open('restricted', vsix, useLocalImage);
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

    it('starts nothing, and the HyperBox item says Restricted Mode', async () => {
      const page = s.browser!.page;
      const item = await waitForItem(page, (i) => isHyperBox(i) && /Restricted Mode/.test(i.text), 20_000);
      assert.ok(item, `the HyperBox item does not say Restricted Mode: ${JSON.stringify((await statusBarItems(page)).filter(isHyperBox))}`);
      await page.waitForTimeout(3000);
      assert.deepEqual(s.containers(), [], 'a container was made in Restricted Mode');
    });
  });
});
