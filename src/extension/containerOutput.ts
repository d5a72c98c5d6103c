// "Show Container Output": what the dev container and the lifecycle commands it runs print (as
// `hb logs`), in one output view per project that is reused and follows the container while it
// runs. Named so that it cannot be taken for "Show HyperBox Log" (HyperBox's own log).
import * as vscode from 'vscode';
import { RuntimeContainerLogs } from '../protocol';
import type { Ctx } from './context';
import { EngineUnavailableError } from './engineClient';
import type { Project } from './projects';

/** How often a shown container's output is read again while it runs. */
const FOLLOW_MS = 2000;
/** The tail the engine sends each time. */
const MAX_BYTES = 1024 * 1024;

/** The view's name: says whose output it is. */
export function containerOutputName(folderName: string): string {
  return `Dev Container Output: ${folderName}`;
}

/**
 * What to add to a view that shows `shown` when the container's output is now `next` (both tails of
 * the same stream): the new part, or the whole of `next` (replace) when they no longer overlap.
 */
export function outputDelta(shown: string, next: string): { append: string } | { replace: string } {
  if (next.startsWith(shown)) return { append: next.slice(shown.length) };
  // older output fell out of the tail: find where the shown text's end is in the new tail
  const tail = shown.slice(-256);
  const at = tail ? next.lastIndexOf(tail) : -1;
  if (at >= 0) return { append: next.slice(at + tail.length) };
  // a short view: the longest end of it that the new tail starts with
  for (let k = Math.min(shown.length, next.length, 4096); k > 0; k--) if (next.startsWith(shown.slice(-k))) return { append: next.slice(k) };
  return { replace: next };
}

interface Follower {
  channel: vscode.OutputChannel;
  shown: string;
  timer?: NodeJS.Timeout;
  reading: boolean;
}

export class ContainerOutput implements vscode.Disposable {
  private readonly byFolder = new Map<string, Follower>();

  constructor(private readonly ctx: Ctx) {}

  /** Shows the project's view (made once), reads the output now and follows it while the container runs. */
  async show(project: Project): Promise<void> {
    const key = project.folder.uri.fsPath;
    let f = this.byFolder.get(key);
    if (!f) {
      f = { channel: vscode.window.createOutputChannel(containerOutputName(project.folder.name), 'log'), shown: '', reading: false };
      this.byFolder.set(key, f);
    }
    f.channel.show(true);
    await this.read(project, f);
    this.follow(project, f);
  }

  /** The views made so far, by folder (for tests). */
  channels(): ReadonlyMap<string, { channel: vscode.OutputChannel; following: boolean }> {
    return new Map([...this.byFolder].map(([k, f]) => [k, { channel: f.channel, following: !!f.timer }]));
  }

  private follow(project: Project, f: Follower): void {
    clearTimeout(f.timer);
    f.timer = undefined;
    if (!project.container.summary?.running) return;
    f.timer = setTimeout(() => {
      f.timer = undefined;
      // one last read after it stopped, then rest until shown again
      void this.read(project, f).then(() => this.follow(project, f));
    }, FOLLOW_MS);
    f.timer.unref?.();
  }

  private async read(project: Project, f: Follower): Promise<void> {
    if (project.choice.kind !== 'chosen' || f.reading) return;
    f.reading = true;
    try {
      const { text } = await this.ctx.request(RuntimeContainerLogs, { folder: project.folder.uri.fsPath, configFile: project.choice.configFile, maxBytes: MAX_BYTES });
      const d = outputDelta(f.shown, text);
      if ('replace' in d) {
        f.channel.replace(d.replace);
      } else if (d.append) {
        f.channel.append(d.append);
      }
      f.shown = text;
      if (!text && !f.shown) f.channel.replace('(the container has printed nothing yet)\n');
    } catch (e) {
      if (!(e instanceof EngineUnavailableError)) this.ctx.log.warn(`Could not read the output of the dev container of ${project.folder.name}: ${(e as Error).message}`);
    } finally {
      f.reading = false;
    }
  }

  dispose(): void {
    for (const f of this.byFolder.values()) {
      clearTimeout(f.timer);
      f.channel.dispose();
    }
    this.byFolder.clear();
  }
}
