// What hot reload does for a folder: the dev command (customizations.hyperbox.devCommand, else the
// detected one), the strategy (reload.strategy, else the profile's), what needs an install or a
// rebuild, what a Python standby imports ahead — and whether it may run at all: it runs the dev
// command, so it needs trust; it never starts a second copy of an app that postAttachCommand
// starts or whose port is already served in the container.
import { hyperboxOf, type DevContainerConfig } from '../devcontainer/config';
import type { ContainerInspectInfo } from 'dockerode';
import type { Engine } from '../runtime/engine/docker';
import { profileFolder } from '../project/profile-folder';
import { execIn } from '../runtime/lifecycle/exec';
import { workloadFinding } from '../runtime/create/trust';
import type { TrustFinding } from '../../protocol';
import { withTimeout } from './supervisor';
import type { ReloadStrategyName } from './session';

export interface ReloadSettings {
  /** customizations.hyperbox.reload.enabled: hot reload starts with the container (the editor's engine). */
  enabled: boolean;
  devCommand: string | null;
  strategy: ReloadStrategyName | 'rebuild' | 'off' | null;
  ignore: string[];
}

export function reloadSettings(config: DevContainerConfig): ReloadSettings {
  const hb = hyperboxOf(config);
  const strategy = hb.reload?.strategy ?? null;
  return {
    enabled: hb.reload?.enabled === true && strategy !== 'off',
    devCommand: hb.devCommand?.trim() || null,
    strategy,
    ignore: hb.reload?.ignore ?? [],
  };
}

/**
 * What a Python standby imports before it waits, by framework: the framework, and for Flask what
 * `flask run` imports after (its CLI, Werkzeug's server, and importlib.metadata, which it uses
 * to look for plugin commands: a quarter of a second on a busy machine).
 */
export const PRELOAD = {
  flask: ['flask', 'flask.cli', 'werkzeug.serving', 'importlib.metadata'],
  fastapi: ['fastapi'],
};

export interface ReloadPlan {
  command: string;
  /** Where the command came from: the config or detection. */
  source: string;
  strategy: ReloadStrategyName;
  rebuildOn: string[];
  preload: string[];
  /** The app's ports as detected (a second copy is not started while one is served). */
  ports: number[];
  /** Where the app is expected to answer once reloaded: the detected ports, else the config's forwardPorts. */
  servePorts: number[];
}

/** The plan for a folder, from its config and detection; throws a message naming what to set. */
export async function planReload(folder: string, config: DevContainerConfig, env: NodeJS.ProcessEnv): Promise<ReloadPlan> {
  const settings = reloadSettings(config);
  const { profile, detection } = await profileFolder(folder, { env });
  const command = settings.devCommand ?? detection.devCommand;
  if (!command) {
    throw new Error(`No dev command for ${folder}: HyperBox found none to run. Set customizations.hyperbox.devCommand in devcontainer.json (e.g. "node server.js").`);
  }
  if (settings.strategy === 'rebuild' || settings.strategy === 'off') {
    throw new Error(`customizations.hyperbox.reload.strategy is "${settings.strategy}": hot reload does not run the app. Set it to "restart" or "framework-native" (or remove it) to use hb watch.`);
  }
  const watches = settings.devCommand ? /--watch|--reload|nodemon|vite|next dev|webpack serve|runserver|\bair\b|cargo[- ]watch/.test(command) : detection.devCommandWatches;
  const strategy: ReloadStrategyName = settings.strategy ?? (watches ? 'framework-native' : 'restart');
  const preload = detection.framework === 'flask' || /\bflask\b/.test(command) ? PRELOAD.flask : detection.framework === 'fastapi' ? PRELOAD.fastapi : [];
  return {
    command,
    source: settings.devCommand ? 'customizations.hyperbox.devCommand' : (detection.devCommandSource ?? 'detection'),
    strategy,
    rebuildOn: profile.reload.rebuildOn,
    preload,
    ports: detection.ports,
    servePorts: detection.ports.length ? detection.ports : forwardedPorts(config),
  };
}

/** forwardPorts of the config that name a port of the container itself (not `service:port`). */
function forwardedPorts(config: DevContainerConfig): number[] {
  return (config.forwardPorts ?? []).map((p) => (typeof p === 'number' ? p : typeof p === 'string' && /^\d+$/.test(p) ? Number(p) : NaN)).filter((p) => Number.isInteger(p) && p > 0 && p < 65536);
}

/**
 * Trust for hot reload: the dev command it runs in the container, and again after every change
 * (the container itself was judged by hb up's gate when it was made).
 */
export function reloadTrustFindings(command: string): TrustFinding[] {
  return [workloadFinding('hot reload: the dev command, started and restarted after every change,', command)];
}

/** Why the app must not be started a second time, or null. */
export async function alreadyRunning(engine: Engine, info: ContainerInspectInfo, config: DevContainerConfig, command: string, ports: number[]): Promise<string | null> {
  const postAttach = config.postAttachCommand;
  const text = typeof postAttach === 'string' ? postAttach : JSON.stringify(postAttach ?? '');
  if (postAttach !== undefined && text.includes(command)) {
    return `postAttachCommand already starts "${command}"; a second copy would fight it for its port. Remove it from postAttachCommand to let HyperBox supervise the app.`;
  }
  if (!ports.length) return null;
  const r = await withTimeout(execIn(engine, info.Id, { cmd: ['cat', '/proc/net/tcp', '/proc/net/tcp6'] }), 10_000, 'Reading the container\'s listening ports took too long').catch(() => null);
  if (!r) return null;
  const listening = new Set<number>();
  for (const line of r.stdout.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[3] === '0A') listening.add(parseInt(f[1].split(':')[1], 16));
  }
  const busy = ports.find((p) => listening.has(p));
  return busy ? `Port ${busy} is already served in the container (the app runs already?); HyperBox does not start a second copy. Stop it, then run hb watch again.` : null;
}
