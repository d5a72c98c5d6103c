// "HyperBox: Generate Seccomp Profile" and the Seccomp panel, with the `vscode` API stubbed and the
// engine's seccomp requests answered by the engine's own operations where they need no Docker:
// generate (a real profile file from the recording, checked with libseccomp's resolver) and show.
// Record and validate, which run a container, are played by the test: record saves a recording
// as the engine does, validate reports a blocked call. The command must leave a real profile on
// disk, and the panel must show it grouped, with the blocked call and the process that made it;
// Cancel must stop the engine request; the code action must run the command.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { NotificationType, RequestType } from 'vscode-jsonrpc';
import { generateSeccomp, recordingsDir, showSeccomp } from '../../../src/engine/seccomp/ops';
import type { SeccompRecording } from '../../../src/engine/seccomp/types';
import { updateState } from '../../../src/engine/seccomp/view';
import { RequestCancelledError } from '../../../src/extension/engineClient';
import { SeccompPanels } from '../../../src/extension/panels/seccompPanel';
import { generateSeccompProfile } from '../../../src/extension/seccomp';
import { SeccompCodeActions } from '../../../src/extension/seccompActions';
import type { Project } from '../../../src/extension/projects';
import { Progress, type SeccompValidateResult } from '../../../src/protocol';
import { SECCOMP_VIEW_TYPE, validateSeccompMessage, type SeccompState } from '../../../src/protocol/webview';
import { Range, StubLogChannel, StubTextDocument, stub, Uri, workspace } from '../stubs/vscode';
import { waitFor } from './helpers';

const hasResolver = spawnSync('scmp_sys_resolver', ['read']).status === 0;

describe('HyperBox: Generate Seccomp Profile and the Seccomp panel', function () {
  let dir: string;
  let folder: string;
  let configFile: string;
  let env: NodeJS.ProcessEnv;

  before(function () {
    if (!hasResolver) this.skip(); // scmp_sys_resolver: Debian's seccomp package (scripts/debian-packages.txt)
  });
  beforeEach(() => {
    stub.reset();
    dir = mkdtempSync(path.join(tmpdir(), 'hb-seccomp-ext-'));
    folder = path.join(dir, 'app');
    mkdirSync(path.join(folder, '.devcontainer'), { recursive: true });
    configFile = path.join(folder, '.devcontainer', 'devcontainer.json');
    writeFileSync(configFile, '{\n  "image": "python:3",\n  "securityOpt": ["seccomp=unconfined"]\n}\n');
    env = { ...process.env, HB_CACHE_DIR: path.join(dir, 'cache'), HB_CONFIG_DIR: path.join(dir, 'config') };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const project = (): Project => ({ folder: { uri: Uri.file(folder), name: 'app', index: 0 }, configFiles: [configFile], choice: { kind: 'chosen', configFile }, discovering: false, container: {} }) as unknown as Project;

  /** The engine: generate and show are its real operations; record and validate are played. */
  function engine(opts: { hang?: boolean } = {}) {
    const listeners = new Map<string, (p: unknown) => void>();
    const calls: string[] = [];
    const ctx = {
      extension: { extensionUri: Uri.file('/ext') },
      log: new StubLogChannel('HyperBox'),
      engineState: { kind: 'running' },
      projects: { list: () => [project()], forUri: () => project() },
      onNotification: <P>(type: NotificationType<P>, handler: (p: P) => void) => {
        listeners.set(type.method, handler as (p: unknown) => void);
        return { dispose: () => listeners.delete(type.method) };
      },
      request: async <P, R>(type: RequestType<P, R, void>, params: P, options?: { token?: { isCancellationRequested: boolean; onCancellationRequested(f: () => void): void } }): Promise<R> => {
        const p = params as { folder: string; configFile?: string; progressToken?: string };
        calls.push(type.method);
        if (type.method === 'hyperbox/seccomp/record') {
          listeners.get(Progress.method)?.({ token: p.progressToken, message: 'Attaching strace to containerd' });
          if (opts.hang) {
            return new Promise<R>((_, reject) => options?.token?.onCancellationRequested(() => reject(new RequestCancelledError('hyperbox/seccomp/record'))));
          }
          const recording: SeccompRecording = {
            version: 1,
            time: '2026-12-04T10:00:00.000Z',
            command: ['python3', 'app.py'],
            image: 'python:3',
            durationMs: 20_000,
            exitCode: null,
            ended: 'stopped',
            syscalls: [
              { name: 'read', count: 40, firstExe: '/usr/bin/python3', failed: 0, errnos: [] },
              { name: 'recvfrom', count: 200, firstExe: '/usr/bin/python3', failed: 0, errnos: [] },
              { name: 'socket', count: 2, firstExe: '/usr/bin/python3', failed: 0, errnos: [], firstArgs: [2] },
              { name: 'capset', count: 1, firstExe: 'runc init', failed: 0, errnos: [] },
              { name: 'exit_group', count: 1, firstExe: '/usr/bin/python3', failed: 0, errnos: [] },
            ],
          };
          const rdir = recordingsDir(env, folder);
          mkdirSync(rdir, { recursive: true });
          writeFileSync(path.join(rdir, 'r1.json'), JSON.stringify(recording));
          return { file: path.join(rdir, 'r1.json'), workspaceFolder: folder, command: recording.command, durationMs: 20_000, exitCode: null, ended: 'stopped', syscalls: 5, calls: 244, recordings: 1, warnings: [] } as R;
        }
        if (type.method === 'hyperbox/seccomp/generate') return (await generateSeccomp({ folder: p.folder, configFile: p.configFile, env })) as R;
        if (type.method === 'hyperbox/seccomp/validate') {
          const file = path.join(folder, '.devcontainer', 'seccomp', 'default.json');
          const result: SeccompValidateResult = { file, command: ['python3', 'app.py'], exitCode: null, ended: 'stopped', durationMs: 20_000, denials: [{ name: 'clock_nanosleep', count: 3, processes: ['/usr/bin/python3'] }], failsWithoutProfile: null, ownProcessExit: null, ok: false, logTail: '' };
          await updateState(env, folder, { lastValidation: { ...result, time: '2026-12-04T10:01:00.000Z' } });
          return result as R;
        }
        if (type.method === 'hyperbox/seccomp/show') return (await showSeccomp({ folder: p.folder, configFile: p.configFile, env })) as R;
        throw new Error(`unexpected ${type.method}`);
      },
    };
    return { ctx, calls };
  }

  it('writes a real profile and the panel shows it grouped, with the blocked call and the process that made it', async () => {
    const { ctx, calls } = engine();
    const panels: SeccompPanels = new SeccompPanels(ctx as never, (p) => generateSeccompProfile(ctx as never, panels, p));
    const outcome = await generateSeccompProfile(ctx as never, panels, project());
    assert.ok(outcome);
    assert.deepEqual(calls.slice(0, 3), ['hyperbox/seccomp/record', 'hyperbox/seccomp/generate', 'hyperbox/seccomp/validate']);
    // the profile on disk is the engine's, minimal and with the socket family rule
    const file = path.join(folder, '.devcontainer', 'seccomp', 'default.json');
    const profile = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(profile.defaultAction, 'SCMP_ACT_ERRNO');
    // (and the base set, allowed without a recording)
    assert.deepEqual(profile.syscalls[0], { names: ['capset', 'exit_group', 'read', 'recvfrom', 'restart_syscall', 'rt_sigreturn', 'sched_yield'], action: 'SCMP_ACT_ALLOW' });
    // progress: the engine's step reached the notification, which could be cancelled
    assert.equal(stub.progress[0].options.cancellable, true);
    assert.ok(stub.progress[0].messages.includes('Attaching strace to containerd'), stub.progress[0].messages.join(' | '));
    // the user is told what was blocked and by whom
    const warning = stub.messages.find((m) => m.level === 'warning');
    assert.match(warning!.message, /8 syscalls allowed\); validation blocked clock_nanosleep \(by \/usr\/bin\/python3\)/);
    // the panel opened on the folder; once ready it shows the profile
    const [panel] = stub.webviewPanels;
    assert.equal(panel.viewType, SECCOMP_VIEW_TYPE);
    assert.match(panel.webview.html, /dist\/media\/seccomp\.js/);
    panel.receive({ type: 'ready' });
    const state = await waitFor(() => panel.posted.map((m) => (m as { params: SeccompState }).params).find((s) => s.view?.exists), 'the profile in the panel');
    const v = state.view!;
    assert.equal(v.file, file);
    assert.equal(v.allowed, 8);
    assert.deepEqual(
      v.groups.map((g) => [g.category, g.syscalls.map((s) => s.name)]),
      [['files', ['read']], ['processes', ['exit_group', 'sched_yield']], ['signals', ['restart_syscall', 'rt_sigreturn']], ['network', ['recvfrom', 'socket']], ['identity & security', ['capset']]],
    );
    const socket = v.groups.find((g) => g.category === 'network')!.syscalls[1];
    assert.deepEqual(socket, { name: 'socket', count: 2, firstExe: '/usr/bin/python3', rules: ['argument 0 = 2 (AF_INET)', 'argument 0 = 10 (AF_INET6)'] });
    assert.deepEqual(v.validation?.denials, [{ name: 'clock_nanosleep', count: 3, processes: ['/usr/bin/python3'] }]);
    assert.equal(v.configured, null, 'not applied yet');
    assert.deepEqual(v.lastGenerate, { time: v.lastGenerate!.time, added: [], removed: [], previous: null });
    // the panel's button runs the command again; anything else it sends is dropped
    assert.deepEqual(validateSeccompMessage({ type: 'generate' }), { type: 'generate', params: {} });
    assert.equal(validateSeccompMessage({ type: 'generate', params: { command: 'rm -rf /' } }), undefined);
    panel.receive({ type: 'generate' });
    await waitFor(() => calls.filter((c) => c === 'hyperbox/seccomp/record').length === 2, 'a second recording');
    panels.dispose();
  });

  it('Cancel stops the engine request and says nothing went wrong', async () => {
    const { ctx } = engine({ hang: true });
    const panels: SeccompPanels = new SeccompPanels(ctx as never, async () => undefined);
    const running = generateSeccompProfile(ctx as never, panels, project());
    await waitFor(() => stub.progress[0]?.messages.length, 'the progress notification');
    stub.progress[0].cancel();
    assert.equal(await running, undefined);
    assert.equal(stub.messages.filter((m) => m.level === 'error').length, 0);
    assert.ok(!existsSync(path.join(folder, '.devcontainer', 'seccomp', 'default.json')));
    panels.dispose();
  });

  it('in Restricted Mode runs nothing and says why', async () => {
    const { ctx, calls } = engine();
    workspace.isTrusted = false;
    try {
      const panels: SeccompPanels = new SeccompPanels(ctx as never, async () => undefined);
      assert.equal(await generateSeccompProfile(ctx as never, panels, project()), undefined);
      assert.deepEqual(calls, []);
      assert.match(stub.messages[0].message, /Trust the folder first/);
      panels.dispose();
    } finally {
      workspace.isTrusted = true;
    }
  });

  it('offers the command as a code action on seccomp=unconfined in devcontainer.json', () => {
    const text = readFileSync(configFile, 'utf8');
    const doc = new StubTextDocument(Uri.file(configFile), text);
    const at = text.indexOf('seccomp=unconfined');
    const line = text.slice(0, at).split('\n').length - 1;
    const col = at - text.lastIndexOf('\n', at) - 1;
    const actions = new SeccompCodeActions().provideCodeActions(doc as never, new Range(line, col, line, col) as never);
    assert.equal(actions.length, 1);
    assert.match(actions[0].title, /Replace seccomp=unconfined with a profile generated/);
    assert.deepEqual(actions[0].command?.arguments, [{ folder: undefined, configFile, offerApply: true }]);
    assert.deepEqual(new SeccompCodeActions().provideCodeActions(doc as never, new Range(0, 0, 0, 0) as never), [], 'nothing away from it');
  });
});
