// The up's lifecycle steps: which commands are due in the container it has (planHooks), and
// running them (Hooks): all in one exec when they can be, with the user's environment and the
// .gitconfig copy riding along, else one exec per command; the records that say they ran.
import type { Engine } from '../engine/docker';
import { throwIfCancelled } from '../errors';
import { batchable, CREATE_HOOKS, hookEnv, parseEnvList, probeUserEnv, readMarkers, runBatch, runHook, type ContainerContext } from '../lifecycle/lifecycle';
import { LIFECYCLE_HOOKS, type LifecycleHook, type MergedConfig } from '../build/metadata';
import { copyGitConfig, reportGitConfig } from '../create/userFiles';
import type { Reporter } from '../report';
import { readState, writeState, type ContainerState } from './state';
import { commandText } from './timeline';
import { endedBy, type Timer, type UpContainer, type UpRun } from './context';

/** A lifecycle command due now, with the marker it leaves (postAttachCommand leaves none). */
interface Due {
  hook: LifecycleHook;
  marker?: string;
}

/** The lifecycle commands of this up: those to run before it returns, and those after its waitFor. */
export interface HookPlan {
  state: ContainerState;
  now: Due[];
  later: Due[];
}

/** The user's login environment: from our record of the container, else probed (and recorded). */
async function userEnv(
  engine: Engine,
  containerId: string,
  user: string,
  merged: MergedConfig,
  state: ContainerState,
  report: Reporter,
  timer: Timer,
  signal?: AbortSignal,
): Promise<Record<string, string>> {
  if (state.env && state.env.user === user && state.env.probe === merged.userEnvProbe) return state.env.values;
  const values = await timer.time('userEnvProbe', () => probeUserEnv(engine, containerId, user, merged.userEnvProbe, report, signal));
  state.env = { user, probe: merged.userEnvProbe, values };
  return values;
}

/**
 * Which lifecycle commands are due. A container made now has run none, and one started now has
 * not run postStartCommand for this start. Otherwise our own records say, or else the markers in
 * the container (the reference implementation writes and reads the same ones). The timeline
 * shows the commands that do not run now, and why.
 */
export async function planHooks(run: UpRun, c: UpContainer, remoteUser: string): Promise<HookPlan> {
  const { engine, timer, opts } = run;
  const { info, merged, created, started } = c;
  const state: ContainerState = created ? { created: info.Created } : await readState(opts.env, info.Id, info.Created);
  const has = (h: LifecycleHook) => merged.hooks[h].length > 0;
  const createStatus = created ? 'pending' : state.createDone ? 'done' : 'unknown';
  const startStatus = started ? 'pending' : state.startDone === info.State.StartedAt ? 'done' : 'unknown';
  let marked = new Set<LifecycleHook>();
  if ((createStatus === 'unknown' && CREATE_HOOKS.some(has)) || (startStatus === 'unknown' && has('postStartCommand'))) {
    const probed = await userEnv(engine, info.Id, remoteUser, merged, state, opts.report, timer, opts.signal);
    marked = await timer.time('markers', () => readMarkers(engine, info.Id, remoteUser, probed, info.Created, info.State.StartedAt));
  }
  const forced = new Set(opts.runHooks ?? []);
  const due: Due[] = [];
  for (const h of CREATE_HOOKS) {
    if (forced.has(h) || createStatus === 'pending' || (createStatus === 'unknown' && !marked.has(h))) due.push({ hook: h, marker: info.Created });
  }
  if (forced.has('postStartCommand') || startStatus === 'pending' || (startStatus === 'unknown' && !marked.has('postStartCommand'))) due.push({ hook: 'postStartCommand', marker: info.State.StartedAt });
  due.push({ hook: 'postAttachCommand' });
  const toRun = due.filter((d) => has(d.hook));
  timer.timeline.containerId = info.Id;
  for (const h of LIFECYCLE_HOOKS) {
    if (!has(h) || toRun.some((d) => d.hook === h)) continue;
    timer.timeline.skip(h, `${commandText(merged.hooks[h])}\n${h === 'postStartCommand' ? 'Already ran for this start of the container.' : 'Already ran for this container (run once; hb rebuild runs it again).'}`);
  }
  // with waitFor (the editor), the up returns once the waitFor command is done; the rest follow
  const waitIndex = LIFECYCLE_HOOKS.indexOf(merged.waitFor);
  const now = opts.waitFor ? toRun.filter((d) => LIFECYCLE_HOOKS.indexOf(d.hook) <= waitIndex) : toRun;
  const later = opts.waitFor ? toRun.filter((d) => LIFECYCLE_HOOKS.indexOf(d.hook) > waitIndex) : [];
  return { state, now, later };
}

/** Runs the planned lifecycle commands in the container, and records that they ran. */
export class Hooks {
  private readonly before: string;
  private readonly workdir: string;
  private readonly containerEnv: Record<string, string>;

  constructor(
    private readonly run: UpRun,
    private readonly c: UpContainer,
    private readonly plan: HookPlan,
    private readonly remoteUser: string,
    /** The host's git config for a container made now: written by the first exec that runs. */
    private gitConfig?: { file: string; text: string },
  ) {
    this.before = JSON.stringify(plan.state);
    this.workdir = run.resolved.workspace?.containerWorkspaceFolder ?? '/';
    this.containerEnv = parseEnvList(c.info.Config.Env);
  }

  /** The commands to run before the up returns; the .gitconfig copy by an exec of its own when no batch carries it. */
  async runNow(): Promise<void> {
    const { now } = this.plan;
    const { merged, info } = this.c;
    if (this.gitConfig && !(now.length && now.every((d) => batchable(merged.hooks[d.hook])))) {
      this.gitConfig = undefined;
      await this.run.timer.time('gitconfig', () => copyGitConfig(this.run.engine, info.Id, this.remoteUser, this.run.opts.env, this.run.opts.report));
    }
    await this.runDue(now);
  }

  /** The commands after waitFor (run by the rest of the up, here or in the background hb up). */
  runLater(): Promise<void> {
    return this.runDue(this.plan.later);
  }

  /** Records that the container's commands ran (create time and this start). */
  async finish(): Promise<void> {
    const { state } = this.plan;
    state.createDone = true;
    state.startDone = this.c.info.State.StartedAt;
    // commands that ran at create time may change the login environment: probe again next time
    if ([...this.plan.now, ...this.plan.later].some((d) => CREATE_HOOKS.includes(d.hook))) delete state.env;
    if (JSON.stringify(state) !== this.before) await writeState(this.run.opts.env, this.c.info.Id, state);
  }

  private text(h: LifecycleHook): string {
    return commandText(this.c.merged.hooks[h]);
  }

  private async runDue(list: Due[]): Promise<void> {
    const { timer, opts } = this.run;
    const { state } = this.plan;
    try {
      await this.runList(list);
    } catch (e) {
      // a hook that failed (or did not run) is due again at the next up: the markers decide
      // (a failed hook's marker is removed), not our record that they all ran
      const createHooks = list.some((d) => CREATE_HOOKS.includes(d.hook));
      const startHook = list.some((d) => d.hook === 'postStartCommand');
      if ((createHooks && state.createDone) || (startHook && state.startDone)) {
        if (createHooks) delete state.createDone;
        if (startHook) delete state.startDone;
        await writeState(opts.env, this.c.info.Id, state).catch(() => undefined);
      }
      // the timeline shows the commands that did not run because of this
      const why = endedBy(e, opts.signal).status === 'cancelled' ? 'Not run: the up was cancelled.' : 'Not run: an earlier command failed.';
      for (const d of list) if (!timer.timeline.has(d.hook)) timer.timeline.skip(d.hook, `${this.text(d.hook)}\n${why}`);
      throw e;
    }
  }

  private async runList(list: Due[]): Promise<void> {
    if (!list.length) return;
    const { engine, timer, opts } = this.run;
    const { report, signal } = opts;
    const { merged, info } = this.c;
    const { state } = this.plan;
    const user = this.remoteUser;
    if (list.every((d) => batchable(merged.hooks[d.hook]))) {
      // one exec for all of them (see runBatch), started from the login shell unless the environment is known
      const cached = state.env && state.env.user === user && state.env.probe === merged.userEnvProbe ? state.env.values : undefined;
      const git = this.gitConfig;
      this.gitConfig = undefined;
      const t0 = performance.now();
      let inHooks = 0;
      const ends = new Map<LifecycleHook, ReturnType<Timer['begin']>>();
      const probed = await runBatch(
        {
          engine,
          containerId: info.Id,
          user,
          workdir: this.workdir,
          probed: cached,
          probe: merged.userEnvProbe,
          remoteEnv: merged.remoteEnv,
          containerEnv: this.containerEnv,
          report,
          signal,
          onHookStart: (hook) => ends.set(hook, timer.begin(hook, this.text(hook))),
          ...(git ? { gitConfig: git.text, onGitConfig: (r: string) => reportGitConfig(git, user, r, report) } : {}),
          onHookDone: (hook, ms, exitCode) => {
            inHooks += ms;
            const end = ends.get(hook);
            if (end) end(exitCode === 0 ? 'ok' : 'failed', { exitCode });
            else timer.record(hook, ms);
          },
        },
        list.map((d) => ({ hook: d.hook, entries: merged.hooks[d.hook], marker: d.marker })),
      );
      // the exec itself, and the login shell that gives the commands the user's environment
      timer.record(cached || merged.userEnvProbe === 'none' ? 'lifecycle exec' : 'lifecycle exec + userEnvProbe', performance.now() - t0 - inHooks, t0);
      if (probed) state.env = { user, probe: merged.userEnvProbe, values: probed };
      throwIfCancelled(signal, 'hb up');
      return;
    }
    let ctx: ContainerContext | undefined;
    for (const d of list) {
      ctx ??= await this.context();
      await timer.time(d.hook, () => runHook(ctx!, d.hook, merged.hooks[d.hook], d.marker), this.text(d.hook), { exitCode: 0 });
      throwIfCancelled(signal, 'hb up');
    }
  }

  private async context(): Promise<ContainerContext> {
    const { engine, timer, opts } = this.run;
    const { merged, info } = this.c;
    const probed = await userEnv(engine, info.Id, this.remoteUser, merged, this.plan.state, opts.report, timer, opts.signal);
    return { engine, containerId: info.Id, user: this.remoteUser, workdir: this.workdir, env: hookEnv(probed, merged.remoteEnv, this.containerEnv), report: opts.report, signal: opts.signal };
  }
}
