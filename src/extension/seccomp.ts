// "HyperBox: Generate Seccomp Profile": records the dev container's workload (the dev command) for
// a while, writes the minimal profile and runs the workload again under it, in one cancellable
// progress notification fed by the engine's progress; then shows the Seccomp panel. From the code
// action in devcontainer.json it then offers to apply the profile (after the user confirms).
import * as vscode from 'vscode';
import { Progress, SeccompApply, SeccompGenerate, SeccompRecord, SeccompValidate, type SeccompGenerateResult, type SeccompValidateResult } from '../protocol';
import type { Ctx } from './context';
import { RequestCancelledError } from './engineClient';
import type { Project } from './projects';
import type { SeccompPanels } from './panels/seccompPanel';

/** How long the workload runs while recording, and again while validating (a dev server does not end by itself). */
export const RECORD_SECONDS = 20;
/** Recording and validation start a container and trace it: allow them time beyond the workload's. */
const TIMEOUT_MS = 10 * 60 * 1000;

export type SeccompCommandCtx = Pick<Ctx, 'request' | 'onNotification' | 'log' | 'engineState'>;

export interface GenerateOutcome {
  generated: SeccompGenerateResult;
  validated: SeccompValidateResult;
}

let seq = 0;

/**
 * Record, generate, validate for one project. Undefined when it did not run (no trust, no engine,
 * cancelled, failed: each said to the user).
 */
export async function generateSeccompProfile(ctx: SeccompCommandCtx, panels: SeccompPanels, project: Project, opts: { offerApply?: boolean } = {}): Promise<GenerateOutcome | undefined> {
  const name = project.folder.name;
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showInformationMessage(`HyperBox: generating a seccomp profile runs ${name}'s dev command in a container. Trust the folder first (Restricted Mode runs nothing).`);
    return undefined;
  }
  if (ctx.engineState.kind !== 'running') {
    void vscode.window.showInformationMessage('HyperBox: the engine is not running. Run "HyperBox: Restart Engine" to start it.');
    return undefined;
  }
  if (project.choice.kind !== 'chosen') {
    void vscode.window.showInformationMessage(`HyperBox: ${name} has no dev container config chosen.`);
    return undefined;
  }
  const target = { folder: project.folder.uri.fsPath, configFile: project.choice.configFile };
  const progressToken = `seccomp-${++seq}`;
  const panel = () => panels.of(target.folder);
  try {
    const outcome = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `HyperBox: Generating a seccomp profile for ${name}`, cancellable: true },
      async (progress, token) => {
        const say = (message: string) => {
          progress.report({ message });
          panel()?.setBusy(message);
        };
        const listening = ctx.onNotification(Progress, (p) => p.token === progressToken && say(p.message));
        try {
          say(`recording the dev command for ${RECORD_SECONDS} s`);
          const recorded = await ctx.request(SeccompRecord, { ...target, progressToken, trusted: true, durationS: RECORD_SECONDS }, { token, timeoutMs: TIMEOUT_MS });
          for (const w of recorded.warnings) ctx.log.warn(`${name}: seccomp: ${w}`);
          say('writing the profile');
          const generated = await ctx.request(SeccompGenerate, target, { token });
          say(`running the workload under the profile for ${RECORD_SECONDS} s`);
          const validated = await ctx.request(SeccompValidate, { ...target, progressToken, trusted: true, durationS: RECORD_SECONDS }, { token, timeoutMs: TIMEOUT_MS });
          return { generated, validated };
        } finally {
          listening.dispose();
        }
      },
    );
    panel()?.setBusy(null);
    const { generated, validated } = outcome;
    const verdict = validated.ok
      ? 'the workload ran under it with no call blocked'
      : validated.denials.length
        ? `validation blocked ${validated.denials.map((d) => `${d.name} (by ${d.processes.join(', ')})`).join(', ')}`
        : validated.ownProcessExit !== null
          ? `the dev container's own process exited under it (exit ${validated.ownProcessExit}): a container made with it would not stay up`
          : `the workload failed under it (exit ${validated.exitCode})${validated.failsWithoutProfile ? ', and also without it: it fails on its own' : ''}`;
    ctx.log.info(`${name}: seccomp profile ${generated.file}: ${generated.allowed.length} syscalls allowed; ${verdict}.`);
    const shown = panels.show(project);
    void shown.refresh();
    const message = `HyperBox: wrote ${vscode.workspace.asRelativePath(generated.file)} (${generated.allowed.length} syscalls allowed); ${verdict}.`;
    if (opts.offerApply && validated.ok) {
      const apply = 'Apply to devcontainer.json';
      const picked = await vscode.window.showInformationMessage(message, { modal: true, detail: 'Sets customizations.hyperbox.seccomp.profile; the next rebuild makes the container with it, replacing any seccomp= option.' }, apply);
      if (picked === apply) {
        const applied = await ctx.request(SeccompApply, { ...target, profile: generated.file });
        void vscode.window.showInformationMessage(`HyperBox: customizations.hyperbox.seccomp.profile is "${applied.profile}". Rebuild the dev container to run under it.`);
        void shown.refresh();
      }
    } else if (validated.ok) void vscode.window.showInformationMessage(message);
    else void vscode.window.showWarningMessage(message);
    return outcome;
  } catch (e) {
    panel()?.setBusy(null);
    if (e instanceof RequestCancelledError) {
      ctx.log.info(`${name}: generating the seccomp profile was cancelled.`);
      return undefined;
    }
    const message = `HyperBox could not generate a seccomp profile for ${name}: ${(e as Error).message}`;
    ctx.log.error(message);
    void vscode.window.showErrorMessage(message);
    return undefined;
  }
}
