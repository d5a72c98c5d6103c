// What the status bar says for each state of the engine and the projects. Pure: statusBar.ts
// renders the result with vscode objects; tests read it directly.
import { Commands, type CommandId } from './contributions';

export type EngineView =
  | { kind: 'stopped' }
  /** `attempt` 0 is the first start; n > 0 is the n-th automatic restart after a crash. */
  | { kind: 'starting'; attempt: number; maxRestarts: number }
  | { kind: 'running'; version: string; pid: number }
  | { kind: 'failed'; message: string };

export type ProjectState =
  | { kind: 'none' }
  | { kind: 'ask'; candidates: number }
  | { kind: 'checking'; configLabel: string }
  | { kind: 'checked'; configLabel: string; errors: number; warnings: number; firstProblem?: string }
  /** The engine could not answer for this project (timeout, engine gone). */
  | { kind: 'unknown'; configLabel?: string; message: string };

export interface ProjectView {
  folderName: string;
  /** How many configs the folder has (for the "Select Config" link). */
  configCount: number;
  state: ProjectState;
}

export interface StatusInput {
  engine: EngineView;
  projects: readonly ProjectView[];
  /** Index of the project of the active editor, or -1. */
  focus: number;
}

export const ERROR_BACKGROUND = 'statusBarItem.errorBackground';
export const WARNING_BACKGROUND = 'statusBarItem.warningBackground';
export type StatusBackground = typeof ERROR_BACKGROUND | typeof WARNING_BACKGROUND;

export interface StatusView {
  text: string;
  /** Markdown with theme icons and command links. */
  tooltip: string;
  background?: StatusBackground;
  /** What a click runs. */
  command?: CommandId;
  accessibilityLabel: string;
  /** Commands the tooltip links to; the Markdown must trust exactly these. */
  linkedCommands: CommandId[];
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Escapes text for Markdown so names and messages show as written. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~$]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

/** The project the status bar is about: the focused one, else the first with a config. */
export function focusedProject(input: StatusInput): ProjectView | undefined {
  if (input.focus >= 0 && input.focus < input.projects.length) return input.projects[input.focus];
  return input.projects.find((p) => p.state.kind !== 'none') ?? input.projects[0];
}

function describeProject(p: ProjectView): string {
  const s = p.state;
  switch (s.kind) {
    case 'none':
      return 'no dev container config';
    case 'ask':
      return `${s.candidates} configs; select the one to use`;
    case 'checking':
      return `${escapeMarkdown(s.configLabel)}: checking…`;
    case 'checked': {
      const counts = [s.errors ? plural(s.errors, 'error') : '', s.warnings ? plural(s.warnings, 'warning') : ''].filter(Boolean).join(', ');
      return `${escapeMarkdown(s.configLabel)}: ${counts || 'OK'}`;
    }
    case 'unknown':
      return `${s.configLabel ? `${escapeMarkdown(s.configLabel)}: ` : ''}not checked (${escapeMarkdown(s.message)})`;
  }
}

function describeEngine(e: EngineView): string {
  switch (e.kind) {
    case 'stopped':
      return 'Engine stopped.';
    case 'starting':
      return e.attempt === 0 ? 'Engine starting…' : `Engine crashed; restarting (attempt ${e.attempt} of ${e.maxRestarts})…`;
    case 'running':
      return `Engine ${escapeMarkdown(e.version)} running (pid ${e.pid}).`;
    case 'failed':
      return `Engine not running: ${escapeMarkdown(e.message)}`;
  }
}

export function statusView(input: StatusInput): StatusView {
  const { engine } = input;
  const project = focusedProject(input);
  const withConfig = input.projects.filter((p) => p.state.kind !== 'none');
  const name = project && withConfig.length > 1 ? ` (${project.folderName})` : '';

  let text: string;
  let background: StatusBackground | undefined;
  let command: CommandId | undefined;
  let label: string;

  if (engine.kind === 'failed') {
    text = '$(error) HyperBox: engine failed';
    background = ERROR_BACKGROUND;
    command = Commands.restartEngine;
    label = 'HyperBox engine failed; click to restart it';
  } else if (engine.kind === 'starting') {
    text = engine.attempt === 0 ? '$(sync~spin) HyperBox: starting engine' : '$(sync~spin) HyperBox: restarting engine';
    background = engine.attempt === 0 ? undefined : WARNING_BACKGROUND;
    command = Commands.showLogs;
    label = engine.attempt === 0 ? 'HyperBox engine starting' : 'HyperBox engine restarting after a crash';
  } else if (engine.kind === 'stopped') {
    text = '$(debug-stop) HyperBox: engine stopped';
    command = Commands.restartEngine;
    label = 'HyperBox engine stopped; click to start it';
  } else if (!project || project.state.kind === 'none') {
    text = '$(circle-slash) HyperBox: no config';
    command = Commands.showLogs;
    label = 'HyperBox: no dev container config in this workspace';
  } else {
    const s = project.state;
    switch (s.kind) {
      case 'ask':
        text = `$(list-selection) HyperBox${name}: select config`;
        background = WARNING_BACKGROUND;
        command = Commands.selectConfig;
        label = `HyperBox${name}: ${s.candidates} dev container configs; click to select one`;
        break;
      case 'checking':
        text = `$(sync~spin) HyperBox${name}: checking config`;
        command = Commands.openConfig;
        label = `HyperBox${name}: checking the dev container config`;
        break;
      case 'unknown':
        text = `$(warning) HyperBox${name}: not checked`;
        background = WARNING_BACKGROUND;
        command = Commands.showLogs;
        label = `HyperBox${name}: the config could not be checked`;
        break;
      case 'checked':
        command = Commands.openConfig;
        if (s.errors > 0) {
          text = `$(error) HyperBox${name}: ${plural(s.errors, 'error')}`;
          background = ERROR_BACKGROUND;
          label = `HyperBox${name}: ${plural(s.errors, 'error')} in the dev container config`;
        } else if (s.warnings > 0) {
          text = `$(warning) HyperBox${name}: ${plural(s.warnings, 'warning')}`;
          background = WARNING_BACKGROUND;
          label = `HyperBox${name}: ${plural(s.warnings, 'warning')} in the dev container config`;
        } else {
          text = `$(check) HyperBox${name}: config OK`;
          label = `HyperBox${name}: dev container config OK`;
        }
        break;
    }
  }

  // Tooltip: the engine, each project, then command links.
  const lines: string[] = ['**HyperBox**', '', describeEngine(engine)];
  if (input.projects.length > 0) {
    lines.push('');
    for (const p of input.projects) lines.push(`- $(folder) **${escapeMarkdown(p.folderName)}**: ${describeProject(p)}`);
  } else {
    lines.push('', 'No folder is open.');
  }
  if (project?.state.kind === 'checked' && project.state.firstProblem) {
    lines.push('', `First problem: ${escapeMarkdown(project.state.firstProblem)}`);
  }
  const links: [string, CommandId][] = [
    ['Show Logs', Commands.showLogs],
    ['Restart Engine', Commands.restartEngine],
  ];
  if (withConfig.some((p) => p.state.kind !== 'ask')) links.push(['Open Config', Commands.openConfig]);
  if (input.projects.some((p) => p.configCount > 1)) links.push(['Select Config', Commands.selectConfig]);
  lines.push('', links.map(([title, id]) => `[${title}](command:${id})`).join(' · '));

  return { text: text!, tooltip: lines.join('\n'), background, command, accessibilityLabel: label!, linkedCommands: links.map(([, id]) => id) };
}
