// What the steps of one `up` share (up.ts runs them, make.ts and hooks.ts hold the longer ones):
// the options, the step timer, and the run itself: the engine, the config, the trust gate and the
// list of what this up made (undo.ts).
import type { ContainerCreateOptions, ContainerInspectInfo, ImageInspectInfo } from 'dockerode';
import type { AppliedProfile, LiveSettings, Problem, StepTiming, TimelineStatus, TrustFinding, UpResult } from '../../../protocol';
import type { ValidConfig } from '../../devcontainer/config';
import type { Engine, EngineInfo } from '../engine/docker';
import { RuntimeError } from '../errors';
import type { Inputs } from '../build/inputs';
import type { LifecycleHook, MergedConfig, MetadataEntry } from '../build/metadata';
import type { CopyPlan } from '../create/workspaceCopy';
import type { ContainerState } from './state';
import type { LocalFeature } from '../build/features';
import type { RequestScope, TrustDecider, TrustGate } from '../create/trust';
import type { ContainerContributor } from '../../live/contributions';
import type { Reporter } from '../report';
import type { Timeline } from './timeline';
import type { MadeByUp } from './undo';

export interface UpOptions {
  folder: string;
  configFile?: string;
  env: NodeJS.ProcessEnv;
  /**
   * Whether the folder is trusted for what its dev container reaches and runs (see trust.ts): a
   * boolean (the editor's Workspace Trust), or a decider asked only when there are findings (hb:
   * the trust store, --trust, a prompt; the editor's auto-start: the findings accepted before).
   */
  trusted: boolean | TrustDecider;
  report: Reporter;
  signal?: AbortSignal;
  /** Return once the waitFor command is done; `rest` in the outcome finishes the others. */
  waitFor?: boolean;
  /** Remove the existing container first (rebuild). */
  rebuild?: boolean;
  noCache?: boolean;
  /** Fail when devcontainer-lock.json is missing or differs from the Features resolved (hb up --frozen-lockfile). */
  frozenLockfile?: boolean;
  /** The local user whose UID/GID updateRemoteUserUID gives the remote user (default: this process's). */
  localUser?: { uid: number; gid: number };
  /** The OCI runtime to create the container with, over runArgs and the config's (hb up --runtime); see runtimes.ts. */
  runtime?: string;
  /** The runtime when neither runArgs nor the config names one (the editor's hyperbox.runtime setting). */
  defaultRuntime?: string;
  /** The editor's settings the capabilities' contributions follow (traces); hb has none. */
  settings?: LiveSettings;
  /** What capabilities add to a new container (default: every one in live/contributions.ts). */
  contributors?: readonly ContainerContributor[];
  /** Who runs the up, for the timeline: 'editor' or 'hb' (default). */
  client?: string;
  /**
   * Told of every change of the startup timeline (`final` once the up, or the commands it left
   * running, ended). The timeline is also saved in the cache folder (timelineStore.ts).
   */
  onTimeline?(timeline: Timeline, final: boolean): void;
  /**
   * Run these lifecycle commands now even when their markers say they ran (hb run-hooks, the
   * editor's Run Lifecycle Commands); the others run only when due, as at any up.
   */
  runHooks?: LifecycleHook[];
  /** Told of the config's warnings (a misspelled property, an unset variable) once it is read; errors stop the up instead. */
  onConfigWarnings?(warnings: Problem[]): void;
  /**
   * Prewarming (live/prewarm.ts): make the missing container of an image or Dockerfile config on
   * this machine's engine and leave it stopped. Nothing runs, in it or on the host (no lifecycle
   * command, initializeCommand included), and the timeline is not kept as the folder's last up.
   * The next up starts it and does what a new container needs (ContainerState.prewarmed).
   */
  createOnly?: boolean;
}

export interface UpOutcome {
  result: UpResult;
  /**
   * With `waitFor`, the lifecycle commands still to run. The lock on the dev container is held
   * until `rest` (or `release`) is called; exactly one of them must be.
   */
  rest?: () => Promise<void>;
  release?: () => Promise<void>;
}


/** How a step that threw ended: cancelled (Ctrl-C, the editor's Cancel) or failed. */
export function endedBy(e: unknown, signal?: AbortSignal): { status: TimelineStatus; exitCode?: number } {
  if (signal?.aborted || (e instanceof RuntimeError && e.code === 'cancelled')) return { status: 'cancelled' };
  return { status: 'failed', exitCode: e instanceof RuntimeError ? e.exitCode : undefined };
}

/** Times each step: `timings` for the result (hb up --json), and the startup timeline (timeline.ts). */
export class Timer {
  readonly timings: StepTiming[] = [];
  readonly start = performance.now();
  constructor(
    readonly timeline: Timeline,
    private readonly signal?: AbortSignal,
  ) {}
  async time<T>(step: string, fn: () => Promise<T>, detail?: string, ok: { exitCode?: number } = {}): Promise<T> {
    const end = this.begin(step, detail);
    try {
      const value = await fn();
      end('ok', ok);
      return value;
    } catch (e) {
      const how = endedBy(e, this.signal);
      end(how.status, { exitCode: how.exitCode });
      throw e;
    }
  }
  /** A step starts now; the returned function ends it. */
  begin(step: string, detail?: string): (status: TimelineStatus, extra?: { exitCode?: number }) => void {
    const t = performance.now();
    const end = this.timeline.begin(step, detail);
    return (status, extra) => {
      this.timings.push({ step, ms: Math.round((performance.now() - t) * 10) / 10 });
      end(status, extra);
    };
  }
  /** A step that already ended, `ms` long; `startedAt` (performance.now()) when it did not end just now. */
  record(step: string, ms: number, startedAt?: number): void {
    this.timings.push({ step, ms: Math.round(ms * 10) / 10 });
    this.timeline.add(step, ms, 'ok', {}, startedAt);
  }
  total(): number {
    return Math.round((performance.now() - this.start) * 10) / 10;
  }
}

/** One up, once it has its engine: what every step reads (none of it changes during the up). */
export interface UpRun {
  opts: UpOptions & { folder: string };
  engine: Engine;
  resolved: ValidConfig;
  timer: Timer;
  /** The Features (local and downloaded), in install order. */
  features: LocalFeature[];
  /** Trust (trust.ts): what the folder reaches and runs, judged before anything runs and again on the final request. */
  gate: TrustGate;
  scope: RequestScope;
  /** Mounts HyperBox added itself (the SSH agent), in `scope.own`: not the folder's doing. */
  own: Set<unknown>;
  /** What the config shows before anything runs; every later gate judges these again with the rest. */
  configFindings: TrustFinding[];
  /** What this up made, removed again if it is cancelled (or fails before its container exists). */
  made: MadeByUp;
  /** Who the engine is, asked at the start and answered for the result. */
  engineInfo: Promise<EngineInfo>;
  /** An image config's image, inspected at the start (for the first gate, and the image step). */
  configImage?: Promise<ImageInspectInfo | undefined>;
  /** Host setup and the capabilities' contributions, for a new container of either kind (up.ts). */
  hostSetup(body: ContainerCreateOptions, entries: MetadataEntry[]): Promise<{ runtime?: string; gpu: boolean; sshAgent: boolean }>;
}

/** The container an up has once it is made, found or started: what the steps after it work on. */
export interface UpContainer {
  info: ContainerInspectInfo;
  /** The config merged with the metadata the container was made with. */
  merged: MergedConfig;
  /** The drift inputs (the container's label when it was made now). */
  inputs: Inputs;
  /** Made by this up (or by prewarming, for it): nothing has run in it yet. */
  created: boolean;
  /** Started by this up. */
  started: boolean;
  /** Made stopped by prewarming, finished by this up. */
  prewarmed?: ContainerState['prewarmed'];
  /** The language profile applied to a container made now. */
  profile: AppliedProfile | null;
  /** An engine on another machine: the workspace is copied in instead of bind-mounted (workspaceCopy.ts). */
  copyPlan?: CopyPlan;
}
