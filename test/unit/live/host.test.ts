// The live host with a fake event source: what capabilities are told when a served project's
// container runs, stops, starts again, is recreated or removed, and when the engine shuts down;
// one capability's failure never reaches another.
import { strict as assert } from 'node:assert';
import type { ContainerEvent } from '../../../src/protocol';
import { LiveHost, type LiveBackend, type LiveCapability, type LiveContainer, type LiveProject } from '../../../src/engine/live/host';

const A: LiveProject = { folder: '/w/a', configFile: '/w/a/.devcontainer/devcontainer.json' };
const B: LiveProject = { folder: '/w/b', configFile: '/w/b/.devcontainer/devcontainer.json' };

/** Containers by id with their project and whether they run; events are pushed by the test. */
class FakeDocker implements LiveBackend {
  readonly containers = new Map<string, { project: LiveProject; running: boolean }>();
  private listener?: (e: ContainerEvent) => void;
  watching = 0;
  failWatch?: Error;
  watch(onEvent: (e: ContainerEvent) => void) {
    this.watching++;
    this.listener = onEvent;
    return { ready: this.failWatch ? Promise.reject(this.failWatch) : Promise.resolve(), close: () => (this.listener = undefined) };
  }
  async findRunning(project: LiveProject) {
    return [...this.containers].find(([, c]) => c.project === project && c.running)?.[0];
  }
  async describe(id: string, project: LiveProject): Promise<LiveContainer | undefined> {
    const c = this.containers.get(id);
    if (!c?.running) return undefined;
    return { id, project, resolved: { config: {}, configFile: project.configFile, workspaceFolder: project.folder } as never, info: { Id: id } as never };
  }
  /** A container changes state, and Docker says so. */
  emit(id: string, action: ContainerEvent['action']) {
    const c = this.containers.get(id)!;
    if (action === 'start') c.running = true;
    if (action === 'die' || action === 'stop') c.running = false;
    if (action === 'destroy') this.containers.delete(id);
    this.listener?.({ containerId: id, name: id, folder: c.project.folder, configFile: c.project.configFile, action, state: 'running', time: new Date().toISOString() });
  }
}

/** A capability that records what it is told, as "start <id>" / "stop <id> <reason>" / "aborted <id> <reason>". */
function recorder(name: string, opts: { failStart?: boolean; failStop?: boolean } = {}): LiveCapability & { calls: string[] } {
  const calls: string[] = [];
  return {
    name,
    calls,
    start(c, signal) {
      calls.push(`start ${c.id}`);
      signal.addEventListener('abort', () => calls.push(`aborted ${c.id} ${signal.reason}`));
      if (opts.failStart) throw new Error(`${name} cannot start`);
      return (reason) => {
        calls.push(`stop ${c.id} ${reason}`);
        if (opts.failStop) throw new Error(`${name} cannot stop`);
      };
    },
    shutdown() {
      calls.push('shutdown');
    },
  };
}

const settle = () => new Promise((r) => setTimeout(r, 10));

function setup(caps: LiveCapability[]) {
  const docker = new FakeDocker();
  const warnings: string[] = [];
  const events: ContainerEvent[] = [];
  const host = new LiveHost(docker, caps, { warn: (m) => warnings.push(m), debug: () => undefined }, (e) => events.push(e));
  return { docker, host, warnings, events };
}

describe('live: the live host', () => {
  it('starts work for a served project’s running container, ends it on stop, starts it again on start, ends it on removal', async () => {
    const ports = recorder('ports');
    const { docker, host, events } = setup([ports]);
    docker.containers.set('c1', { project: A, running: true });
    await host.serve(A);
    assert.deepEqual(ports.calls, ['start c1']);
    assert.deepEqual(host.running(), ['c1']);
    docker.emit('c1', 'die');
    docker.emit('c1', 'stop');
    await settle();
    assert.deepEqual(ports.calls, ['start c1', 'aborted c1 stopped', 'stop c1 stopped'], 'stopped once, for die then stop');
    assert.deepEqual(host.running(), []);
    docker.emit('c1', 'start');
    await settle();
    assert.deepEqual(ports.calls.slice(3), ['start c1']);
    docker.emit('c1', 'die');
    docker.emit('c1', 'destroy');
    await settle();
    assert.deepEqual(ports.calls.slice(4), ['aborted c1 stopped', 'stop c1 stopped']);
    assert.equal(events.length, 5, 'every event is passed on (the editor’s RuntimeContainerChanged)');
  });

  it('ends the old container’s work with "recreated" when another container of the project starts', async () => {
    const cap = recorder('cap');
    const { docker, host } = setup([cap]);
    docker.containers.set('old', { project: A, running: true });
    await host.serve(A, 'old');
    docker.containers.set('new', { project: A, running: false });
    docker.emit('new', 'start');
    await settle();
    assert.deepEqual(cap.calls, ['start old', 'aborted old recreated', 'stop old recreated', 'start new']);
    docker.emit('old', 'destroy');
    await settle();
    assert.equal(cap.calls.length, 4, 'removing the old container does not touch the new one');
  });

  it('ignores containers of projects it does not serve, and containers that are not running when asked', async () => {
    const cap = recorder('cap');
    const { docker, host } = setup([cap]);
    docker.containers.set('a1', { project: A, running: false });
    docker.containers.set('b1', { project: B, running: true });
    await host.serve(A);
    docker.emit('b1', 'start');
    await settle();
    assert.deepEqual(cap.calls, [], 'B is not served; A has no running container');
    // a start whose container died again before the host looked: nothing starts
    docker.containers.get('a1')!.running = false;
    host.handle({ containerId: 'a1', name: 'a1', folder: A.folder, configFile: A.configFile, action: 'start', state: 'running', time: '' });
    await settle();
    assert.deepEqual(cap.calls, []);
  });

  it('one capability failing to start or stop is logged under its name; the others work on', async () => {
    const bad = recorder('bad', { failStart: true });
    const badStop = recorder('badStop', { failStop: true });
    const good = recorder('good');
    const { docker, host, warnings } = setup([bad, badStop, good]);
    docker.containers.set('c1', { project: A, running: true });
    await host.serve(A);
    assert.deepEqual(good.calls, ['start c1']);
    assert.match(warnings.join('\n'), /^bad, starting for \/w\/a: bad cannot start$/m);
    docker.emit('c1', 'stop');
    await settle();
    assert.deepEqual(good.calls, ['start c1', 'aborted c1 stopped', 'stop c1 stopped']);
    assert.match(warnings.join('\n'), /badStop, stopping for \/w\/a: badStop cannot stop/);
    // and the host still follows the container
    docker.emit('c1', 'start');
    await settle();
    assert.deepEqual(good.calls.slice(-1), ['start c1']);
  });

  it('shutdown ends every container’s work, then tells each capability; later events do nothing', async () => {
    const cap = recorder('cap');
    const { docker, host } = setup([cap]);
    docker.containers.set('a1', { project: A, running: true });
    docker.containers.set('b1', { project: B, running: true });
    await host.serve(A);
    await host.serve(B);
    await host.shutdown();
    assert.deepEqual([...cap.calls].sort(), ['aborted a1 shutdown', 'aborted b1 shutdown', 'shutdown', 'start a1', 'start b1', 'stop a1 shutdown', 'stop b1 shutdown'].sort());
    assert.equal(cap.calls.at(-1), 'shutdown', 'capabilities hear of the shutdown last');
    host.handle({ containerId: 'a1', name: 'a1', folder: A.folder, configFile: A.configFile, action: 'start', state: 'running', time: '' });
    await settle();
    assert.equal(cap.calls.length, 7);
  });

  it('a container that stops while a capability is still starting: its work ends once the start is done, in that order', async () => {
    let release!: () => void;
    const calls: string[] = [];
    const slow: LiveCapability = {
      name: 'slow',
      async start(c) {
        await new Promise<void>((r) => (release = r));
        calls.push(`started ${c.id}`);
        return (reason) => void calls.push(`stop ${c.id} ${reason}`);
      },
    };
    const { docker, host } = setup([slow]);
    docker.containers.set('c1', { project: A, running: true });
    const serving = host.serve(A, 'c1');
    await settle();
    docker.emit('c1', 'die');
    release();
    await serving;
    await settle();
    assert.deepEqual(calls, ['started c1', 'stop c1 stopped']);
    assert.deepEqual(host.running(), []);
  });

  it('opens the event stream once; a failure to open it is the caller’s error and the next call tries again', async () => {
    const { docker, host } = setup([]);
    docker.failWatch = new Error('Docker is not running');
    await assert.rejects(host.watch(), /Docker is not running/);
    docker.failWatch = undefined;
    await host.watch();
    await host.watch();
    await host.serve(A);
    assert.equal(docker.watching, 2);
  });
});
