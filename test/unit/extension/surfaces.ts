// What each surface of the extension says about a project, read the way a user reads it: the
// status bar item, the HyperBox view's project node, the Dev Container panel's last state (the
// real panel, after its webview said ready) and the walkthrough's steps (completed as VS Code
// completes them: a step's onContext key is true, or its onCommand command ran). Shared by the
// "surfaces agree" suite and bench/surfaces.ts. Needs the stubbed `vscode` (test/unit/stubs).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { HyperBoxApi } from '../../../src/extension/main';
import type { TreeNode } from '../../../src/extension/treeModel';
import type { DevContainerState } from '../../../src/protocol/webview';
import { stub, type StubWebviewPanel } from '../stubs/vscode';
import { ROOT } from './helpers';

export interface Surfaces {
  status: string;
  /** The project node's description ("running", "stopped · 1 config error"...), or undefined when the view shows none. */
  view: string | undefined;
  /** The project node's children by kind (config, container, ports, mounts, lifecycle...). */
  viewKinds: string[];
  /** The ports node's description. */
  viewPorts: string | undefined;
  /** The Lifecycle Commands node's description. */
  viewLifecycle: string | undefined;
  panel: DevContainerState | undefined;
  /** Walkthrough step id → completed. */
  walkthrough: Record<string, boolean>;
}

interface Step {
  id: string;
  completionEvents: string[];
}

const steps: Step[] = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).contributes.walkthroughs[0].steps;

/** Steps completed so far: VS Code keeps a step done once an event completed it. */
const done = new Set<string>();

/** A new window (profile): no step done yet. */
export function resetWalkthrough(): void {
  done.clear();
}

/** The walkthrough as VS Code would show it now. */
export function walkthrough(): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const s of steps) {
    out[s.id] = done.has(s.id) || s.completionEvents.some((e) => {
      const [kind, what] = [e.slice(0, e.indexOf(':')), e.slice(e.indexOf(':') + 1)];
      if (kind === 'onContext') return stub.contextKeys.get(what) === true;
      if (kind === 'onCommand') return stub.executed.some((x) => x.id === what);
      return false;
    });
    if (out[s.id]) done.add(s.id);
  }
  return out;
}

/** The panel's last state message. */
export function panelState(panel: StubWebviewPanel | undefined): DevContainerState | undefined {
  const states = (panel?.posted ?? []).filter((m) => (m as { type: string }).type === 'state');
  return (states.at(-1) as { params: DevContainerState } | undefined)?.params;
}

export function readSurfaces(api: HyperBoxApi, panel: StubWebviewPanel | undefined): Surfaces {
  const project = api.containersTree()[0] as TreeNode | undefined;
  const child = (kind: string) => project?.children?.find((c) => c.kind === kind);
  return {
    status: stub.statusBarItem().text,
    view: project?.description,
    viewKinds: (project?.children ?? []).map((c) => c.kind),
    viewPorts: child('ports')?.description,
    viewLifecycle: child('lifecycle')?.description,
    panel: panelState(panel),
    walkthrough: walkthrough(),
  };
}

/** One line per surface, for failure messages. */
export function describeSurfaces(s: Surfaces): string {
  return [
    `status bar: ${s.status}`,
    `view: ${s.view} [${s.viewKinds.join(', ')}] ports: ${s.viewPorts ?? '-'} lifecycle: ${s.viewLifecycle ?? '-'}`,
    `panel: ${s.panel ? `${s.panel.stateKind} "${s.panel.stateWord}" ports ${JSON.stringify(s.panel.ports.map((p) => `${p.hostPort}:${p.state}`))} timeline ${s.panel.timeline?.outcome ?? 'none'}` : 'no state'}`,
    `walkthrough: ${JSON.stringify(s.walkthrough)}`,
  ].join('\n');
}
