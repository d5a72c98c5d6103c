// The commands on a dev container's ports: "HyperBox: Open Ports" (a quick pick of the ports, then
// Open in Browser / Copy Address / Stop Forwarding, or Forward a Port...), and the same actions on
// the HyperBox view's port nodes. Forwarding itself is the engine's (RuntimePortsAdd/Remove).
import * as vscode from 'vscode';
import { RuntimePortsAdd, RuntimePortsRemove, type PortForward } from '../protocol';
import type { Ctx } from './context';
import { Commands } from './contributions';
import type { ProjectDetails } from './details';
import type { Project } from './projects';
import { PORT_ACTION_LABELS, parsePortInput, portActions, portPickItems, validatePortInput, type PortAction } from './portsPick';
import { folderOfArg, portAddress, portLabel, portsOf, portUrl } from './treeModel';

type Register = (id: string, run: (...args: unknown[]) => unknown) => void;

export function registerPortCommands(ctx: Ctx, details: ProjectDetails, register: Register): void {
  register(Commands.openPorts, (arg) => openPorts(ctx, details, arg));
  register(Commands.forwardPort, (arg) => forwardPort(ctx, details, arg));
  register(Commands.openPortInBrowser, (arg) => withPort(ctx, details, arg, 'open'));
  register(Commands.copyPortAddress, (arg) => withPort(ctx, details, arg, 'copy'));
  register(Commands.stopForwardingPort, (arg) => withPort(ctx, details, arg, 'stop'));
}

function running(p: Project): boolean {
  const s = p.container.summary;
  return !!s?.running && !p.container.busy;
}

/** The project a port command is about: the node's, else the focused running one, else one the user picks. */
async function runningProject(ctx: Ctx, arg: unknown): Promise<Project | undefined> {
  const folder = folderOfArg(arg);
  const all = ctx.projects.list();
  if (folder) {
    const p = all.find((x) => x.folder.uri.fsPath === folder) ?? ctx.projects.forUri(vscode.Uri.file(folder));
    if (!p) throw new Error(`HyperBox: ${folder} is not a folder of this workspace, so it has no dev container here.`);
    if (!running(p)) {
      void vscode.window.showInformationMessage(`HyperBox: the dev container of ${p.folder.name} is not running, so it has no ports to reach. Start it first.`);
      return undefined;
    }
    return p;
  }
  const candidates = all.filter(running);
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(
      ctx.engineState.kind === 'running'
        ? 'HyperBox: no dev container is running, so there are no ports to reach. Start one with "HyperBox: Start Dev Container".'
        : 'HyperBox: the engine is not running. Run "HyperBox: Restart Engine" to start it.',
    );
    return undefined;
  }
  const focused = ctx.focusedProject();
  if (focused && candidates.includes(focused)) return focused;
  if (candidates.length === 1) return candidates[0];
  const picked = await vscode.window.showQuickPick(
    candidates.map((p) => ({ label: p.folder.name, description: p.folder.uri.fsPath, project: p })),
    { placeHolder: 'The ports of which dev container?' },
  );
  return picked?.project;
}

function portsNow(details: ProjectDetails, p: Project): PortForward[] {
  return portsOf({ ports: details.ports(p), summary: p.container.summary });
}

async function openPorts(ctx: Ctx, details: ProjectDetails, arg: unknown): Promise<void> {
  const project = await runningProject(ctx, arg);
  if (!project) return;
  const ports = details.ports(project) ?? (await details.refreshPorts(project)) ?? portsNow(details, project);
  const picked = await vscode.window.showQuickPick(portPickItems(ports, true), {
    placeHolder: ports.length ? `Ports of ${project.folder.name}: pick one` : `${project.folder.name} has no forwarded ports yet`,
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (!picked) return;
  if (!picked.port) {
    await forwardPort(ctx, details, { folder: project.folder.uri.fsPath });
    return;
  }
  const actions = portActions(picked.port);
  if (actions.length === 0) {
    void vscode.window.showWarningMessage(`HyperBox: ${portLabel(picked.port)} cannot be reached now: ${picked.detail}.`);
    return;
  }
  const action = await vscode.window.showQuickPick(
    actions.map((a) => ({ label: PORT_ACTION_LABELS[a], action: a })),
    { placeHolder: `${portLabel(picked.port)} (${portAddress(picked.port)})` },
  );
  if (action) await runPortAction(ctx, details, project, picked.port, action.action);
}

async function withPort(ctx: Ctx, details: ProjectDetails, arg: unknown, action: PortAction): Promise<void> {
  const port = (arg as { port?: PortForward } | undefined)?.port;
  if (!port) {
    // from the palette, or a keybinding: choose the port first
    await openPorts(ctx, details, arg);
    return;
  }
  const folder = folderOfArg(arg);
  const project = ctx.projects.list().find((p) => p.folder.uri.fsPath === folder);
  if (!project) throw new Error(`HyperBox: ${folder ?? 'that folder'} is not a folder of this workspace; refresh the HyperBox view.`);
  await runPortAction(ctx, details, project, port, action);
}

async function runPortAction(ctx: Ctx, details: ProjectDetails, project: Project, port: PortForward, action: PortAction): Promise<void> {
  switch (action) {
    case 'open': {
      const ok = await vscode.env.openExternal(vscode.Uri.parse(portUrl(port)));
      if (!ok) void vscode.window.showWarningMessage(`HyperBox: the browser did not open ${portUrl(port)}; copy the address and open it yourself.`);
      return;
    }
    case 'copy':
      await vscode.env.clipboard.writeText(portAddress(port));
      vscode.window.setStatusBarMessage(`$(copy) HyperBox: copied ${portAddress(port)}`, 3000);
      return;
    case 'stop': {
      if (project.choice.kind !== 'chosen') return;
      const spec = port.service ? `${port.service}:${port.containerPort}` : port.containerPort;
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `HyperBox: stopping the forward of ${portLabel(port)}` }, async () => {
        try {
          await ctx.request(RuntimePortsRemove, { folder: project.folder.uri.fsPath, configFile: (project.choice as { configFile: string }).configFile, port: spec });
        } catch (e) {
          throw new Error(`HyperBox could not stop forwarding ${portLabel(port)} (${portAddress(port)}): ${(e as Error).message}`);
        }
      });
      ctx.log.info(`${project.folder.name}: stopped forwarding ${portAddress(port)} → ${spec}.`);
      await details.refreshPorts(project);
      return;
    }
  }
}

async function forwardPort(ctx: Ctx, details: ProjectDetails, arg: unknown): Promise<void> {
  const project = await runningProject(ctx, arg);
  if (!project || project.choice.kind !== 'chosen') return;
  const compose = project.result?.kind === 'compose';
  const ports = portsNow(details, project);
  const text = await vscode.window.showInputBox({
    title: `Forward a port of ${project.folder.name}`,
    prompt: compose
      ? 'The port the server listens on in the container (or service:port for another Compose service); it is forwarded to 127.0.0.1 of this machine.'
      : 'The port the server listens on in the container; it is forwarded to 127.0.0.1 of this machine.',
    placeHolder: compose ? 'e.g. 3000 or db:5432' : 'e.g. 3000',
    validateInput: (value) => validatePortInput(value, { compose, ports }),
  });
  if (text === undefined) return;
  const invalid = validatePortInput(text, { compose, ports });
  if (invalid) throw new Error(`HyperBox: ${invalid}`);
  const port = parsePortInput(text);
  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `HyperBox: forwarding port ${port}` }, async () => {
    try {
      return await ctx.request(RuntimePortsAdd, { folder: project.folder.uri.fsPath, configFile: (project.choice as { configFile: string }).configFile, port });
    } catch (e) {
      throw new Error(`HyperBox could not forward port ${port} of ${project.folder.name}: ${(e as Error).message}`);
    }
  });
  await details.refreshPorts(project);
  const spec = typeof port === 'number' ? { port } : { service: port.split(':')[0], port: Number(port.split(':')[1]) };
  const added = result.ports.find((p) => p.containerPort === spec.port && (p.service ?? '') === (spec.service ?? ''));
  if (!added) return;
  ctx.log.info(`${project.folder.name}: forwarding ${portAddress(added)} → ${port}.`);
  const open = 'Open in Browser';
  const answer = await vscode.window.showInformationMessage(`HyperBox: port ${port} of ${project.folder.name} is at ${portAddress(added)}.`, open);
  if (answer === open) await runPortAction(ctx, details, project, added, 'open');
}
