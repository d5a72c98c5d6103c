// Finding a folder's dev container and describing it: shared by up, status, stop, down, exec, logs.
import type { DevContainerConfig, ValidConfig } from '../devcontainer/config';
import * as path from 'node:path';
import type { ContainerInfo, ContainerInspectInfo } from 'dockerode';
import type { ContainerSummary, MountSummary, PortMapping, ResolvedConfig } from '../../protocol';
import { resolveConfig } from '../devcontainer/resolve';
import type { Engine, EngineInfo } from './engine/docker';
import { RuntimeError } from './errors';
import { diffInputs, parseInputsLabel, type Inputs } from './build/inputs';
import { LABEL_CONFIG_FILE, LABEL_INPUTS, LABEL_LOCAL_FOLDER, LABEL_METADATA } from './create/labels';
import { configEntry, mergeMetadata, parseMetadataLabel, type MergedConfig } from './build/metadata';
import { seccompInUse } from '../live/seccomp';

/** Reads and validates the config; a config with errors is a RuntimeError listing them. */
export async function loadConfig(folder: string, configFile: string | undefined, env: NodeJS.ProcessEnv): Promise<ValidConfig> {
  const resolved = await resolveConfig({ folder, configFile, env });
  const errors = resolved.problems.filter((p) => p.severity === 'error');
  if (!resolved.config || errors.length) {
    const where = resolved.configFile ?? resolved.workspaceFolder;
    const list = errors.length ? errors : resolved.problems;
    throw new RuntimeError(
      'config',
      `${where} cannot be used: ` +
        (list.length === 1
          ? list[0].message
          : `${list.length} errors:\n${list.map((p) => `  ${path.relative(process.cwd(), p.file) || p.file}:${p.line}:${p.column}: ${p.message}`).join('\n')}`) +
        (resolved.config ? '\nFix them (hb config lists every problem), then run again.' : ''),
    );
  }
  return resolved as ValidConfig;
}

export function idFilters(folder: string, configFile: string): string {
  return JSON.stringify({ label: [`${LABEL_LOCAL_FOLDER}=${folder}`, `${LABEL_CONFIG_FILE}=${configFile}`] });
}

/**
 * The folder's dev container, found by the labels the reference implementation sets, so one
 * made by the Dev Containers extension or CLI is found too. With several, the running (then the
 * newest) one wins.
 */
export async function findContainer(engine: Engine, folder: string, configFile: string): Promise<ContainerInfo | undefined> {
  const list = await engine.docker.listContainers({ all: true, filters: idFilters(folder, configFile) });
  if (!list.length) return undefined;
  list.sort((a, b) => Number(b.State === 'running') - Number(a.State === 'running') || b.Created - a.Created);
  return list[0];
}

/** The merged config of an existing container: its metadata label (without the config entry it was made with), then the current config. */
export function mergedForContainer(labels: Record<string, string> | undefined, config: DevContainerConfig): MergedConfig {
  const entries = parseMetadataLabel(labels?.[LABEL_METADATA]);
  const imageEntries = entries.slice(0, -1);
  return mergeMetadata([...imageEntries, configEntry(config)], [...imageEntries.map((e) => (typeof e.id === 'string' ? `Feature "${e.id}"` : 'image metadata')), 'devcontainer.json']);
}

export function remoteUserOf(merged: MergedConfig, containerUser: string | undefined): string {
  return merged.remoteUser || merged.containerUser || containerUser || 'root';
}

export function portsOf(info: ContainerInspectInfo): PortMapping[] {
  const out: PortMapping[] = [];
  for (const [key, bindings] of Object.entries(info.NetworkSettings?.Ports ?? {})) {
    const [port, protocol] = key.split('/');
    for (const b of bindings ?? []) out.push({ containerPort: +port, protocol: protocol ?? 'tcp', hostIp: b.HostIp, hostPort: +b.HostPort });
  }
  return out;
}

export function driftOf(labels: Record<string, string> | undefined, inputs: Inputs | undefined): ContainerSummary['drift'] {
  const old = parseInputsLabel(labels?.[LABEL_INPUTS]);
  if (!old) return { known: false, changed: [] };
  if (!inputs) return { known: true, changed: [] };
  return { known: true, changed: diffInputs(old, inputs) };
}

export function summarize(
  resolved: ResolvedConfig,
  info: ContainerInspectInfo | undefined,
  opts: { merged?: MergedConfig; inputs?: Inputs; engine?: EngineInfo; host?: string } = {},
): ContainerSummary {
  const base: ContainerSummary = {
    folder: resolved.workspaceFolder,
    configFile: resolved.configFile,
    containerId: null,
    name: null,
    state: 'missing',
    running: false,
    image: null,
    workspaceFolder: resolved.workspace?.containerWorkspaceFolder ?? null,
    remoteUser: null,
    ports: [],
    drift: { known: true, changed: [] },
    madeBy: null,
    engine: opts.engine ? { name: opts.engine.name, version: opts.engine.version, host: opts.host ?? '' } : undefined,
    shutdownAction: shutdownActionOf(opts.merged?.shutdownAction ?? resolved.config?.shutdownAction, resolved.kind),
  };
  if (!info) {
    base.message = 'No dev container yet: hb up creates it.';
    return base;
  }
  const labels = info.Config.Labels ?? {};
  const merged = opts.merged ?? mergedForContainer(labels, resolved.config ?? {});
  const drift = driftOf(labels, opts.inputs);
  const running = info.State.Running;
  let state: ContainerSummary['state'] = running ? 'running' : 'stopped';
  let message: string | undefined;
  if (info.State.Status === 'dead' || info.State.Status === 'removing') {
    state = 'error';
    message = `The container is ${info.State.Status}${info.State.Error ? `: ${info.State.Error}` : ''}. Remove it with hb down, then hb up.`;
  } else if (drift.changed.length) {
    state = 'stale';
    message = `The container is out of date: ${drift.changed.join(', ')} changed since it was made. Run hb rebuild to recreate it.`;
  } else if (!drift.known) {
    message = 'Made without HyperBox: drift unknown (hb rebuild recreates it with HyperBox).';
  }
  return {
    ...base,
    containerId: info.Id,
    name: info.Name.replace(/^\//, ''),
    state,
    running,
    image: info.Config.Image,
    remoteUser: remoteUserOf(merged, info.Config.User),
    ports: portsOf(info),
    drift,
    madeBy: labels[LABEL_INPUTS] ? 'hyperbox' : 'other',
    message,
    runtime: info.HostConfig?.Runtime || undefined,
    seccomp: seccompInUse(info.HostConfig?.SecurityOpt, labels),
    shutdownAction: shutdownActionOf(merged.shutdownAction, resolved.kind),
    mounts: mountsOf(info),
  };
}

/** The container's mounts as the Docker engine reports them (a volume by its name, a bind by its host path). */
export function mountsOf(info: ContainerInspectInfo): MountSummary[] {
  return (info.Mounts ?? []).map((m) => ({
    type: m.Type,
    source: (m.Type === 'volume' ? m.Name : m.Source) || null,
    target: m.Destination,
    readOnly: m.RW === false,
  }));
}

/** The shutdownAction the editor applies: the config's, else the spec's default for its kind. */
export function shutdownActionOf(value: unknown, kind: ResolvedConfig['kind']): NonNullable<ContainerSummary['shutdownAction']> {
  if (value === 'none' || value === 'stopContainer' || value === 'stopCompose') return value;
  return kind === 'compose' ? 'stopCompose' : 'stopContainer';
}
