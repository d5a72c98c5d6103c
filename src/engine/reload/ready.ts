// When a restarted app serves again: its port answers a TCP connect from this machine (the
// container's bridge address), tried every few milliseconds. This makes a reload's latency the
// user's one (save to serving, not save to process started) and tells the supervisor when the
// next standby may start without competing with the app's own start. Where the address cannot be
// reached (an engine on another machine, an app listening on the container's localhost only) the
// first probe that runs out says so, and the session stops probing.
import type { ContainerInspectInfo } from 'dockerode';
import * as net from 'node:net';

/** How often a port is tried while the app starts. */
export const PROBE_EVERY_MS = 3;

/** The container's address on its first network, as this machine reaches it. */
export function containerAddress(info: ContainerInspectInfo): string | undefined {
  const nets = Object.values(info.NetworkSettings?.Networks ?? {});
  return nets.map((n) => n.IPAddress).find((a) => !!a) || info.NetworkSettings?.IPAddress || undefined;
}

function connects(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(t);
      s.destroy();
      resolve(ok);
    };
    const t = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * Resolves with the port that answered, or null when none did within `limitMs` or `signal`
 * aborted (the app ended). Ports are tried in turn, each try a connect.
 */
export async function waitServing(host: string, ports: number[], limitMs: number, signal?: AbortSignal): Promise<number | null> {
  const end = Date.now() + limitMs;
  while (Date.now() < end && !signal?.aborted) {
    for (const port of ports) {
      if (await connects(host, port, Math.max(1, Math.min(200, end - Date.now())))) return port;
    }
    await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
  }
  return null;
}
