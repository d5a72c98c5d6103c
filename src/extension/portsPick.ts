// "HyperBox: Open Ports": the items of the quick pick of a container's ports, what can be done
// with each, and the check of what the user types in "Forward a Port...". Pure: no run-time
// import of `vscode`; ports.ts shows these with the vscode API.
import type { PortForward } from '../protocol';
import { portAddress, portLabel, portReachable, portStateText, portStoppable } from './treeModel';

export type PortAction = 'open' | 'copy' | 'stop';

export interface PortPickItem {
  label: string;
  description?: string;
  detail?: string;
  /** The port, or undefined for the "Forward a Port..." entry. */
  port?: PortForward;
}

export const FORWARD_ITEM_LABEL = '$(add) Forward a Port…';

/** The quick pick's entries: each port (label, address, who forwards it), then "Forward a Port...". */
export function portPickItems(ports: readonly PortForward[], canForward: boolean): PortPickItem[] {
  const items: PortPickItem[] = ports.map((port) => ({
    label: `${portReachable(port) ? '$(plug)' : port.state === 'not-forwarded' ? '$(debug-disconnect)' : '$(warning)'} ${escapeIcons(portLabel(port))}`,
    description: `${portAddress(port)} → ${port.service ? `${port.service}:` : ''}${port.containerPort}`,
    detail: portStateText(port),
    port,
  }));
  if (canForward) items.push({ label: FORWARD_ITEM_LABEL, detail: 'Forward one more port of the running container to 127.0.0.1 of this machine' });
  return items;
}

/** What can be done with a port now, in the order offered. */
export function portActions(port: PortForward): PortAction[] {
  const out: PortAction[] = [];
  if (portReachable(port)) out.push('open', 'copy');
  if (portStoppable(port)) out.push('stop');
  return out;
}

export const PORT_ACTION_LABELS: Record<PortAction, string> = {
  open: '$(globe) Open in Browser',
  copy: '$(copy) Copy Address',
  stop: '$(debug-disconnect) Stop Forwarding',
};

/**
 * Checks what was typed in "Forward a Port...": a port from 1 to 65535, or `service:port` for a
 * Compose config (what the engine accepts). Returns the message to show, or undefined when it is
 * fine.
 */
export function validatePortInput(text: string, opts: { compose: boolean; ports: readonly PortForward[] }): string | undefined {
  const t = text.trim();
  if (!t) return 'Type the port the server listens on in the container, e.g. 3000.';
  const m = /^(?:([A-Za-z0-9][A-Za-z0-9_.-]*):)?(\d+)$/.exec(t);
  if (!m) {
    return opts.compose
      ? `"${t}" is not a port: type a number from 1 to 65535, or service:port for another service of the Compose project (e.g. db:5432).`
      : `"${t}" is not a port: type a number from 1 to 65535, e.g. 3000.`;
  }
  if (m[1] && !opts.compose) return `"${t}" names a service, which only a Docker Compose config has: type the port alone, e.g. ${m[2]}.`;
  const port = Number(m[2]);
  if (m[2].length > 5 || port < 1 || port > 65535) return `${m[2]} is out of range: a port is a number from 1 to 65535.`;
  const already = opts.ports.find((p) => p.containerPort === port && (p.service ?? '') === (m[1] ?? '') && portReachable(p));
  if (already) return `Port ${m[1] ? `${m[1]}:` : ''}${port} is already reachable at ${portAddress(already)} (${portStateText(already)}).`;
  return undefined;
}

/** The value RuntimePortsAdd takes for valid input: a number, or `service:port` as a string. */
export function parsePortInput(text: string): number | string {
  const t = text.trim();
  return /^\d+$/.test(t) ? Number(t) : t;
}

function escapeIcons(text: string): string {
  return text.replace(/\$\(/g, '\\$(');
}
