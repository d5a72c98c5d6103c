// Container contributions: the one way a capability changes what a new dev container is created
// with (environment, mounts, labels, security options, capabilities, OCI runtime, devices). `up`
// applies them to the create request of an image/Dockerfile container and to the Compose dev
// service's request alike (both go through the host-setup step in runtime/up.ts; compose.ts turns
// the finished request into its override file), so the two kinds of container cannot differ.
// They are applied before anything judges or sends the request, so the trust gate sees them.
// A capability adds itself to CONTRIBUTORS (below); see README "Layout".
import type { ContainerCreateOptions } from 'dockerode';
import { RuntimeError } from '../runtime/errors';
import type { ApiMount } from '../runtime/create/mounts';
import type { Reporter } from '../runtime/report';
import { seccompContributor } from './seccomp';
import { tracesContributor } from './traces';
import type { ContainerContribution, ContainerContributor, ContributionContext, DeviceMapping } from './contribution';

export type { ContainerContribution, ContainerContributor, ContributionContext, DeviceMapping } from './contribution';

/** Every capability that contributes to new containers, in the order they are applied. */
export const CONTRIBUTORS: readonly ContainerContributor[] = [seccompContributor, tracesContributor];

/** Security options of which a container has one: a contributed one replaces the one already there. */
const SINGLE_OPTIONS = ['seccomp', 'apparmor'];

const optionKind = (o: string) => /^([a-z-]+)[=:]/.exec(o)?.[1] ?? o;
const shorten = (s: string, n = 60) => (s.length > n ? `${s.slice(0, n)}…` : s);

type Body = Pick<ContainerCreateOptions, 'Env' | 'Labels'> & { HostConfig?: Record<string, unknown> | object };

/**
 * Applies one contribution to a create request (changed in place). `from` names the capability in
 * the messages. Returns the options it replaced.
 */
export function applyContribution(body: Body, c: ContainerContribution, from: string, report?: Reporter): { replaced: string[] } {
  const host = (body.HostConfig ??= {}) as Record<string, unknown>;
  const replaced: string[] = [];
  if (c.env) {
    const list = (body.Env ??= []);
    for (const [k, v] of Object.entries(c.env)) {
      const i = list.findIndex((e) => e === k || e.startsWith(`${k}=`));
      if (i >= 0) list.splice(i, 1);
      list.push(`${k}=${v}`);
    }
  }
  if (c.envDefaults) {
    const list = (body.Env ??= []);
    for (const [k, v] of Object.entries(c.envDefaults)) if (!list.some((e) => e === k || e.startsWith(`${k}=`))) list.push(`${k}=${v}`);
  }
  if (c.labels) body.Labels = { ...(body.Labels ?? {}), ...c.labels };
  if (c.mounts?.length) {
    const mounts = ((host.Mounts as ApiMount[] | undefined) ??= []);
    for (const m of c.mounts) {
      if (mounts.some((x) => x.Target === m.Target)) {
        throw new RuntimeError('config', `${from} mounts ${m.Source ?? m.Type} at ${m.Target}, but the config already mounts something there. Move one of the two mounts.`);
      }
      mounts.push(m);
    }
  }
  if (c.securityOpt?.length) {
    let opts = [...((host.SecurityOpt as string[] | undefined) ?? [])];
    for (const o of c.securityOpt) {
      const kind = optionKind(o);
      if (SINGLE_OPTIONS.includes(kind)) {
        const old = opts.filter((x) => optionKind(x) === kind && x !== o);
        if (old.length) {
          replaced.push(...old);
          opts = opts.filter((x) => !old.includes(x));
          report?.info(`${from} replaces the ${kind} option already asked for (runArgs or securityOpt: ${old.map((x) => `"${shorten(x)}"`).join(', ')}).`);
        }
      }
      if (!opts.includes(o)) opts.push(o);
    }
    host.SecurityOpt = opts;
  }
  if (c.capAdd?.length) host.CapAdd = [...new Set([...((host.CapAdd as string[] | undefined) ?? []), ...c.capAdd])];
  if (c.runtime) {
    const chosen = host.Runtime;
    if (typeof chosen === 'string' && chosen && chosen !== c.runtime) {
      throw new RuntimeError('config', `${from} needs the OCI runtime "${c.runtime}", but "${chosen}" was chosen for this container. Choose "${c.runtime}" (hb up --runtime, runArgs --runtime or customizations.hyperbox.runtime), or turn ${from} off.`);
    }
    host.Runtime = c.runtime;
  }
  if (c.devices?.length) host.Devices = [...((host.Devices as DeviceMapping[] | undefined) ?? []), ...c.devices];
  return { replaced };
}

/**
 * Asks every contributor and applies what it adds to the create request, in order. Used for image,
 * Dockerfile and Compose containers alike (runtime/up.ts, host setup).
 */
export async function applyContributions(body: Body, ctx: ContributionContext, contributors: readonly ContainerContributor[] = CONTRIBUTORS): Promise<string[]> {
  const applied: string[] = [];
  for (const c of contributors) {
    const contribution = await c.contribute(ctx);
    if (!contribution) continue;
    applyContribution(body, contribution, c.name, ctx.report);
    applied.push(c.name);
  }
  return applied;
}
