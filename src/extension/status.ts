// What the status bar says for each state of the engine and the projects. Pure: statusBar.ts
// renders the result with vscode objects; tests read it directly.
import { describeContainer, type ContainerView } from './containerState';
import { BuiltinCommands, Commands, type CommandId } from './contributions';
import { describeEntry, describeReload, reloadStatusText, type ReloadState } from './reloadState';

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
  /** The detected stack (ProjectDetect), when something was recognised. */
  stack?: { label: string; summary: string };
  /** The dev container's state; absent or `unknown` until the engine has answered. */
  container?: ContainerView;
  /** Hot reload, once the engine reported on it. */
  reload?: ReloadState;
}

export interface StatusInput {
  engine: EngineView;
  projects: readonly ProjectView[];
  /** Index of the project of the active editor, or -1. */
  focus: number;
  /** Workspace Trust; false in Restricted Mode, where nothing runs. Default true. */
  trusted?: boolean;
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
  command?: CommandId | typeof BuiltinCommands.manageTrust;
  accessibilityLabel: string;
  /** Commands the tooltip links to; the Markdown must trust exactly these. */
  linkedCommands: (CommandId | typeof BuiltinCommands.manageTrust)[];
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

/** The status bar's words for the dev container (never just "running": that reads as the app). */
const CONTAINER_TEXT: Record<Exclude<ContainerView['kind'], 'unknown'> | 'staleRunning' | 'rebuilding' | 'removing', [string, string, StatusBackground | undefined]> = {
  missing: ['$(circle-large-outline)', 'no dev container', undefined],
  stopped: ['$(primitive-square)', 'dev container stopped', undefined],
  starting: ['$(sync~spin)', 'starting dev container', undefined],
  rebuilding: ['$(sync~spin)', 'rebuilding dev container', undefined],
  stopping: ['$(sync~spin)', 'stopping dev container', undefined],
  removing: ['$(sync~spin)', 'removing dev container', undefined],
  running: ['$(vm-running)', 'dev container running', undefined],
  stale: ['$(warning)', 'dev container stale', WARNING_BACKGROUND],
  staleRunning: ['$(warning)', 'dev container running, stale', WARNING_BACKGROUND],
  error: ['$(error)', 'dev container error', ERROR_BACKGROUND],
  noDocker: ['$(debug-disconnect)', 'Docker not running', WARNING_BACKGROUND],
};

/** The key of CONTAINER_TEXT for a container view. */
export function containerTextKey(c: Exclude<ContainerView, { kind: 'unknown' }>): keyof typeof CONTAINER_TEXT {
  if (c.kind === 'stale' && c.running) return 'staleRunning';
  if (c.kind === 'starting' && c.rebuild) return 'rebuilding';
  if (c.kind === 'stopping' && c.removing) return 'removing';
  return c.kind;
}

/** The words the status bar uses for a container state (the view and the panel say the same). */
export function containerWords(c: ContainerView): string {
  return c.kind === 'unknown' ? 'checking' : CONTAINER_TEXT[containerTextKey(c)][1];
}

/**
 * What the tooltip adds when no Docker engine answers: the engine's message already says how to
 * start it, so only what clicking does.
 */
export const START_DOCKER_HINT = 'Click the item (or Retry below) once Docker runs; HyperBox also notices by itself when Docker is back.';

/** Keeps `$(name)` in a label from being read as an icon. */
function escapeIcons(text: string): string {
  return text.replace(/\$\(/g, '\\$(');
}

export function statusView(input: StatusInput): StatusView {
  const { engine } = input;
  const project = focusedProject(input);
  const withConfig = input.projects.filter((p) => p.state.kind !== 'none');
  const name = project && withConfig.length > 1 ? ` (${project.folderName})` : '';
  // The detected stack names the project when it is known ("TypeScript · NestJS · pnpm").
  const title = `${project?.stack ? escapeIcons(project.stack.label) : 'HyperBox'}${name}`;
  const trusted = input.trusted !== false;

  let text: string;
  let background: StatusBackground | undefined;
  let command: StatusView['command'];
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
    if (project?.stack) {
      text = `$(add) ${title}: no config`;
      command = Commands.addConfig;
      label = `${project.stack.label}: no dev container config; click to add one`;
    } else {
      text = '$(circle-slash) HyperBox: no config';
      command = Commands.showLogs;
      label = 'HyperBox: no dev container config in this workspace';
    }
  } else if (project.state.kind === 'checked' && project.state.errors === 0 && !trusted) {
    text = `$(shield) ${title}: Restricted Mode`;
    background = WARNING_BACKGROUND;
    command = BuiltinCommands.manageTrust;
    label = `${title}: Restricted Mode, nothing runs until you trust this folder; click to manage Workspace Trust`;
  } else if (project.state.kind === 'checked' && project.container && project.container.kind !== 'unknown' && (project.state.errors === 0 || project.container.kind !== 'missing')) {
    // the container's state; problems of the config (an unsaved typo) sit beside it, never in its place
    const c = project.container;
    command = c.kind === 'noDocker' ? Commands.retryDocker : Commands.showActions;
    const [icon, word, bg] = CONTAINER_TEXT[containerTextKey(c)];
    const errors = project.state.errors;
    const reload = reloadStatusText(project.reload);
    text = `${icon} ${title}: ${word}${errors > 0 ? ` · $(error) ${plural(errors, 'config error')}` : ''}${reload ? ` · ${reload}` : ''}`;
    background = bg ?? (errors > 0 ? WARNING_BACKGROUND : undefined);
    label =
      c.kind === 'noDocker'
        ? `${title}: Docker is not running; start it, then click to retry`
        : `${title}: ${word}${errors > 0 ? `, ${plural(errors, 'error')} in the config` : ''}; click for actions`;
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
        text = `$(sync~spin) ${title}: checking config`;
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
          text = `$(error) ${title}: ${plural(s.errors, 'error')}`;
          background = ERROR_BACKGROUND;
          label = `HyperBox${name}: ${plural(s.errors, 'error')} in the dev container config`;
        } else if (s.warnings > 0) {
          text = `$(warning) ${title}: ${plural(s.warnings, 'warning')}`;
          background = WARNING_BACKGROUND;
          label = `HyperBox${name}: ${plural(s.warnings, 'warning')} in the dev container config`;
        } else {
          text = `$(check) ${title}: config OK`;
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
  if (project && project.state.kind !== 'none' && !trusted) {
    lines.push('', '$(shield) Restricted Mode: HyperBox builds and runs nothing (no image build, no lifecycle command, no container) until you trust this folder.');
  } else if (project?.container && project.container.kind !== 'unknown') {
    lines.push('', escapeMarkdown(describeContainer(project.container)));
    if (project.container.kind === 'noDocker') lines.push('', `$(debug-disconnect) ${escapeMarkdown(START_DOCKER_HINT)}`);
  }
  if (project?.reload && project.state.kind !== 'none') {
    const r = project.reload;
    lines.push('', `$(zap) Hot reload: ${escapeMarkdown(describeReload(r))}${r.last && (r.state === 'running' || r.state === 'crashed') ? `; last ${escapeMarkdown(describeEntry(r.last))}` : ''}`);
    if (r.message && r.state !== 'running') lines.push('', escapeMarkdown(r.message));
  }
  if (project?.stack) {
    lines.push('', ...project.stack.summary.split(/\r?\n/).filter((l) => l.trim()).map((l) => `${escapeMarkdown(l.trim())}  `));
  }
  const links: [string, StatusView['linkedCommands'][number]][] = [
    ['Show Logs', Commands.showLogs],
    ['Restart Engine', Commands.restartEngine],
  ];
  if (withConfig.some((p) => p.state.kind !== 'ask')) links.push(['Open Config', Commands.openConfig]);
  if (input.projects.some((p) => p.configCount > 1)) links.push(['Select Config', Commands.selectConfig]);
  if (project && project.state.kind === 'none' && project.stack) links.push(['Add Dev Container Configuration', Commands.addConfig]);
  if (project && project.state.kind === 'checked' && project.state.errors === 0 && trusted) links.push(['Toggle Hot Reload', Commands.toggleReload]);
  if (project && project.state.kind !== 'none' && !trusted) links.push(['Manage Workspace Trust', BuiltinCommands.manageTrust]);
  else if (command === Commands.showActions) links.push(['Actions', Commands.showActions]);
  else if (command === Commands.retryDocker) links.push(['Retry', Commands.retryDocker]);
  lines.push('', links.map(([title, id]) => `[${title}](command:${id})`).join(' · '));

  return { text: text!, tooltip: lines.join('\n'), background, command, accessibilityLabel: label!, linkedCommands: links.map(([, id]) => id) };
}
