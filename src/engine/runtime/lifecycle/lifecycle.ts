// Lifecycle commands, in the spec's order: initializeCommand on the host; then in the container
// onCreateCommand, updateContentCommand, postCreateCommand (once per container), postStartCommand
// (once per start) and postAttachCommand (at each up). String (run by /bin/sh -c), array (run as
// is) and object (each value in parallel) forms.
//
// Run-once markers are the reference implementation's, so neither tool re-runs the other's:
// before running a create-time command it writes the container's creation time (as the engine
// reports it) to $HOME/.devcontainer/.<hook>Marker inside the container, and the start time to
// .postStartCommandMarker; a hook whose marker already holds that value has run. Unlike the
// reference, a hook that fails has its marker removed again, so the next up runs it again.
import type { Engine } from '../engine/docker';
import { execIn } from './exec';
import { lastLines, RuntimeError } from '../errors';
import { LIFECYCLE_HOOKS, type CommandSpec, type LifecycleHook, type MergedConfig } from '../build/metadata';
import type { Reporter } from '../report';
import { FIND_USER_SHELL } from './snippets';
import { childProcess } from '../../util/program';

export const CREATE_HOOKS: LifecycleHook[] = LIFECYCLE_HOOKS.slice(0, LIFECYCLE_HOOKS.indexOf('postStartCommand'));

function describe(cmd: string | string[]): string {
  const s = typeof cmd === 'string' ? cmd : cmd.join(' ');
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/** The commands one spec runs: `[label, argv]` pairs (object form: one per key, run in parallel). */
export function commandsOf(spec: CommandSpec): { label?: string; argv: string[]; text: string | string[] }[] {
  const one = (c: string | string[]) => (typeof c === 'string' ? ['/bin/sh', '-c', c] : c.map(String));
  if (typeof spec === 'string') return spec.trim() ? [{ argv: one(spec), text: spec }] : [];
  if (Array.isArray(spec)) return spec.length ? [{ argv: one(spec), text: spec }] : [];
  return Object.entries(spec)
    .filter(([, c]) => (typeof c === 'string' ? c.trim() : Array.isArray(c) && c.length))
    .map(([label, c]) => ({ label, argv: one(c), text: c }));
}

// ---------------------------------------------------------------------------------------------
// On the host

export async function runInitializeCommand(
  entries: { command: CommandSpec; origin: string }[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  report: Reporter,
  signal?: AbortSignal,
): Promise<void> {
  for (const entry of entries) {
    const cmds = commandsOf(entry.command);
    if (!cmds.length) continue;
    report.step('Running initializeCommand on the host');
    await Promise.all(
      cmds.map(
        (c) =>
          new Promise<void>((resolve, reject) => {
            let output = '';
            const child = childProcess().spawn(c.argv[0], c.argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
            const onData = (b: Buffer) => {
              const s = b.toString('utf8');
              output = (output + s).slice(-32_000);
              report.output(c.label ? `initializeCommand ${c.label}` : 'initializeCommand', s);
            };
            child.stdout.on('data', onData);
            child.stderr.on('data', onData);
            const onAbort = () => child.kill('SIGTERM');
            signal?.addEventListener('abort', onAbort, { once: true });
            child.on('error', (e) => {
              signal?.removeEventListener('abort', onAbort);
              reject(new RuntimeError('command-failed', `initializeCommand${c.label ? ` "${c.label}"` : ''} (${describe(c.text)}) could not start: ${e.message}.`));
            });
            child.on('close', (code, sig) => {
              signal?.removeEventListener('abort', onAbort);
              if (signal?.aborted) return reject(new RuntimeError('cancelled', 'initializeCommand was cancelled.'));
              if (code === 0) return resolve();
              reject(
                new RuntimeError(
                  'command-failed',
                  `initializeCommand${c.label ? ` "${c.label}"` : ''} from ${entry.origin} failed with ${sig ? `signal ${sig}` : `exit code ${code}`}: ${describe(c.text)}\n` +
                    (output.trim() ? `Last lines of its output:\n${lastLines(output)}\n` : '') +
                    'It runs on the host in the workspace folder; fix it and run hb up again.',
                  code ?? undefined,
                ),
              );
            });
          }),
      ),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// In the container

export interface ContainerContext {
  engine: Engine;
  containerId: string;
  user: string;
  workdir: string;
  /** The environment hooks and exec get: the probed user environment plus remoteEnv. */
  env: Record<string, string>;
  report: Reporter;
  signal?: AbortSignal;
}

/**
 * The run-once markers, written once for every script that touches them (runHook, the batch
 * driver, readMarkers): `$hb_md` is their folder, `hb_mark HOOK VALUE` writes one, `hb_unmark HOOK`
 * removes one.
 */
const MARKERS = 'hb_md="${HOME:-/root}/.devcontainer"; hb_mark() { mkdir -p "$hb_md" 2>/dev/null && echo "$2" > "$hb_md/.$1Marker" 2>/dev/null; }; hb_unmark() { rm -f "$hb_md/.$1Marker"; }; ';

const MARKER_SCRIPT = `${MARKERS}hb_mark "$1" "$0"; shift; exec "$@"`;

/** What to do after a hook failed: true, as a failed hook keeps no marker (see runBatch's driver). */
function fixHint(hook: LifecycleHook): string {
  return `Fix the command in devcontainer.json, then run hb up again: it runs ${hook} again (hb run-hooks --hook ${hook} runs just that one; hb rebuild starts from a fresh container).`;
}

const UNMARK_SCRIPT = `${MARKERS}hb_unmark "$0"`;

/** Runs one hook's commands. `marker` (creation or start time) is written first when given. */
export async function runHook(ctx: ContainerContext, hook: LifecycleHook, entries: { command: CommandSpec; origin: string }[], marker?: string): Promise<void> {
  let markerPending = marker;
  for (const entry of entries) {
    const cmds = commandsOf(entry.command);
    if (!cmds.length) continue;
    ctx.report.step(`Running ${hook}${entry.origin === 'devcontainer.json' ? '' : ` (from ${entry.origin})`}`);
    const running = Promise.all(
      cmds.map(async (c, i) => {
        let argv = c.argv;
        if (markerPending !== undefined && i === 0) {
          argv = ['/bin/sh', '-c', MARKER_SCRIPT, markerPending, hook, ...argv];
        }
        const source = c.label ? `${hook} ${c.label}` : hook;
        let res;
        try {
          res = await execIn(ctx.engine, ctx.containerId, {
            cmd: argv,
            user: ctx.user,
            workdir: ctx.workdir,
            env: ctx.env,
            signal: ctx.signal,
            onOutput: (text) => ctx.report.output(source, text),
          });
        } catch (e) {
          if (e instanceof RuntimeError) throw e;
          const status = (e as { statusCode?: number }).statusCode;
          throw new RuntimeError(
            'command-failed',
            `${hook}${c.label ? ` "${c.label}"` : ''} could not run in container ${ctx.containerId.slice(0, 12)}: ${(e as Error).message}` +
              (status === 409 ? ' (the container stopped; see hb logs)' : '') +
              '.',
          );
        }
        if (res.exitCode !== 0) {
          const died = await containerGone(ctx, res.exitCode >= 128);
          throw hookFailed({ hook, label: c.label, origin: entry.origin, text: c.text, exitCode: res.exitCode, output: res.output, died });
        }
      }),
    );
    const wroteMarker = markerPending !== undefined;
    try {
      await running;
    } catch (e) {
      // a hook that failed has not run: its marker goes, so the next up runs it again
      if (wroteMarker) await execIn(ctx.engine, ctx.containerId, { cmd: ['/bin/sh', '-c', UNMARK_SCRIPT, hook], user: ctx.user, env: ctx.env }).catch(() => undefined);
      throw e;
    }
    markerPending = undefined;
  }
  if (markerPending !== undefined) {
    // no command ran, but the marker records that this hook is done (as the reference does)
    await execIn(ctx.engine, ctx.containerId, { cmd: ['/bin/sh', '-c', MARKER_SCRIPT, markerPending, hook, 'true'], user: ctx.user, env: ctx.env }).catch(() => undefined);
  }
}

/**
 * Why the container is gone, when it is. With `patient` (the command was killed), the engine may
 * take a moment to record that the container stopped: look again for up to a second.
 */
async function containerGone(ctx: Pick<ContainerContext, 'engine' | 'containerId'>, patient = false): Promise<string | undefined> {
  for (let i = 0; ; i++) {
    try {
      const info = await ctx.engine.docker.getContainer(ctx.containerId).inspect();
      if (!info.State.Running) return `exit code ${info.State.ExitCode}${info.State.OOMKilled ? ', out of memory' : ''}`;
    } catch {
      return 'it was removed';
    }
    if (!patient || i >= 10) return undefined;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A lifecycle command that exited with an error, as both runners (runHook, runBatch) report it. */
function hookFailed(f: { hook: LifecycleHook; label?: string; origin: string; text: string | string[]; exitCode: number; output: string; died?: string }): RuntimeError {
  return new RuntimeError(
    'command-failed',
    `${f.hook}${f.label ? ` "${f.label}"` : ''} from ${f.origin} failed with exit code ${f.exitCode}: ${describe(f.text)}\n` +
      (f.output.trim() ? `Last lines of its output:\n${lastLines(f.output)}\n` : '(it printed nothing)\n') +
      (f.died ? `The container stopped while it ran (${f.died}); see hb logs.\n` : '') +
      fixHint(f.hook),
    f.exitCode,
  );
}

/** Which hooks have run for this container and start, by their markers. */
export async function readMarkers(
  engine: Engine,
  containerId: string,
  user: string,
  env: Record<string, string>,
  created: string,
  startedAt: string,
): Promise<Set<LifecycleHook>> {
  const script =
    MARKERS +
    `for h in ${CREATE_HOOKS.join(' ')}; do c=$(cat "$hb_md/.\${h}Marker" 2>/dev/null || echo ENOENT); [ "\${c:-$0}" = "$0" ] && echo "$h"; done; ` +
    'c=$(cat "$hb_md/.postStartCommandMarker" 2>/dev/null || echo ENOENT); [ "${c:-$1}" = "$1" ] && echo postStartCommand; true';
  const res = await execIn(engine, containerId, { cmd: ['/bin/sh', '-c', script, created, startedAt], user, env });
  const done = new Set<LifecycleHook>();
  for (const l of res.stdout.split('\n')) if (l.trim()) done.add(l.trim() as LifecycleHook);
  return done;
}

// ---------------------------------------------------------------------------------------------
// userEnvProbe: the environment of the user's login / interactive shell

const PROBE_MARK = '__HYPERBOX_ENV_7f3a__';
const DROP = new Set(['_', 'PWD', 'OLDPWD', 'SHLVL', 'HOSTNAME']);
/**
 * Prints a file whole with plain read and write: `head` with a line count no file reaches. cat
 * would do the same with one more syscall (busybox's sendfile, coreutils' fadvise64), which every
 * seccomp profile hb seccomp records would then have to allow.
 */
const PRINT_FILE = ['head', '-n', '2147483647'];

/**
 * The login shell of `user` (a name or uid, with or without `:group`) in its /etc/passwd line, or
 * undefined (no such line, no shell in it). The first line that matches wins, as for id -un.
 */
export function shellOf(passwd: string, user: string): string | undefined {
  const u = user.split(':')[0];
  if (!u) return undefined;
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || !(f[0] === u || (/^\d+$/.test(u) && f[2] === u))) continue;
    const shell = f.slice(6).join(':').trim();
    return shell.startsWith('/') ? shell : undefined;
  }
  return undefined;
}

/**
 * The environment of the user's login / interactive shell, as userEnvProbe says. Two execs and
 * no shell script around them, so the probe makes few distinct syscalls (a seccomp profile
 * recorded by hb seccomp covers it): /etc/passwd printed with head gives the user's shell (no
 * getent, which minimal images lack), then that shell, else /bin/sh, prints a mark and execs
 * (through env) head on /proc/self/environ. No redirection, command substitution, `read` loop or
 * child process of hb's own: no dup2, pipe, poll or wait4 for the profile to allow.
 */
export async function probeUserEnv(
  engine: Engine,
  containerId: string,
  user: string,
  probe: MergedConfig['userEnvProbe'],
  report: Reporter,
  signal?: AbortSignal,
): Promise<Record<string, string>> {
  if (probe === 'none') return {};
  const flags = probe === 'loginShell' ? '-l' : probe === 'interactiveShell' ? '-i' : '-li';
  const timeout = AbortSignal.timeout(10_000);
  const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
  // through env: a shell may run head inside itself on `exec head` (busybox sh does), where
  // /proc/self/environ is still what the shell started with; env execs it afresh with the exports
  const script = `printf "%s" ${PROBE_MARK}; exec env ${PRINT_FILE.join(' ')} /proc/self/environ`;
  const inShell = (shell: string) => execIn(engine, containerId, { cmd: [shell, flags, '-c', script], user, signal: both, keep: 256_000 });
  try {
    const passwd = await execIn(engine, containerId, { cmd: [...PRINT_FILE, '/etc/passwd'], user, signal: both, keep: 256_000 });
    const shell = passwd.exitCode === 0 ? shellOf(passwd.stdout, user) : undefined;
    let res = await inShell(shell ?? '/bin/sh');
    // a shell named in /etc/passwd that is not there (or cannot run): /bin/sh, as a login would not do but a probe may
    if (!res.stdout.includes(PROBE_MARK) && shell && shell !== '/bin/sh') res = await inShell('/bin/sh');
    const start = res.stdout.indexOf(PROBE_MARK);
    if (start < 0 || res.exitCode !== 0) throw new Error(`the shell printed no environment (exit code ${res.exitCode}${res.output.trim() ? `: ${lastLines(res.output.trim(), 3)}` : ''})`);
    return parseEnviron(res.stdout.slice(start + PROBE_MARK.length));
  } catch (e) {
    if (signal?.aborted) throw new RuntimeError('cancelled', 'Probing the user environment was cancelled.');
    report.warn(
      `Could not read ${user}'s ${probe} environment (userEnvProbe): ${timeout.aborted ? 'the shell did not finish within 10 s' : (e as Error).message}. ` +
        'Commands get the container environment instead; set "userEnvProbe": "none" to skip the probe.',
    );
    return {};
  }
}

/** `${containerEnv:VAR}` and `${containerEnv:VAR:default}` with the container's environment. */
export function substituteContainerEnv(value: string, containerEnv: Record<string, string>): string {
  return value.replace(/\$\{containerEnv:([^}:]+)(?::([^}]*))?\}/g, (_, name: string, def?: string) => containerEnv[name] ?? def ?? '');
}

/** The environment for hooks and exec: the probed one, then remoteEnv (null removes). */
export function hookEnv(probed: Record<string, string>, remoteEnv: Record<string, string | null>, containerEnv: Record<string, string>): Record<string, string> {
  const env = { ...probed };
  for (const [k, v] of Object.entries(remoteEnv)) {
    if (v === null || v === undefined) delete env[k];
    else env[k] = substituteContainerEnv(String(v), containerEnv);
  }
  return env;
}

/** A process's environment as /proc/<pid>/environ gives it (NUL-separated), without the shell's own variables (DROP) or those `skip` names. */
function parseEnviron(text: string, skip: (name: string) => boolean = () => false): Record<string, string> {
  const env = parseEnvList(text.split('\0'));
  for (const k of Object.keys(env)) if (DROP.has(k) || skip(k)) delete env[k];
  return env;
}

export function parseEnvList(list: string[] | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of list ?? []) {
    const eq = e.indexOf('=');
    if (eq > 0) env[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return env;
}

// ---------------------------------------------------------------------------------------------
// Several hooks in one exec. Each exec costs the engine tens of milliseconds, so when a container
// is brought up the due hooks run in one: a small POSIX-shell driver, started from the user's
// login shell as userEnvProbe says (so the commands get exactly the environment a probe would
// have given them), applies remoteEnv, then for each command writes the hook's marker (first
// command of a hook), prints a start line, runs the command (stderr merged into stdout so the
// order is kept) and prints an end line with its exit code; it stops at the first failure.
// Commands keep their forms: a string runs in `/bin/sh -c`, an array as is (quoted for the
// shell, so nothing is expanded). Object (parallel) forms are not batched.

const CTRL = '\u001eHB-';
const DRIVER = [
  MARKERS,
  'n=$HB_N; envs=$HB_ENV_SCRIPT; dump=$HB_DUMP',
  'i=0; while [ "$i" -lt "$n" ]; do eval "c_$i=\\$HB_C_$i; h_$i=\\$HB_H_$i; m_$i=\\$HB_M_$i; unset HB_C_$i HB_H_$i HB_M_$i"; i=$((i+1)); done',
  'unset HB_N HB_ENV_SCRIPT HB_DUMP HB_DRIVER',
  // the user's git config, at create time, unless they have one (userFiles.ts); written as the user, so theirs
  `if [ -n "\${HB_GITCONFIG+x}" ]; then g=$HB_GITCONFIG; unset HB_GITCONFIG; h=\${HOME:-/root}; if [ -e "$h/.gitconfig" ] || [ -e "$h/.config/git/config" ]; then r=kept; elif printf "%s" "$g" > "$h/.gitconfig" 2>/dev/null; then r=copied; else r=failed; fi; printf '${CTRL}GIT %s\\n' "$r"; unset g h r; fi`,
  `if [ -n "$dump" ]; then printf '${CTRL}ENV\\n'; cat /proc/self/environ; printf '\\n${CTRL}ENV-END\\n'; fi`,
  'eval "$envs"',
  'i=0; while [ "$i" -lt "$n" ]; do',
  '  eval "c=\\$c_$i; h=\\$h_$i; m=\\$m_$i"',
  '  if [ -n "$m" ]; then hb_mark "$h" "$m"; mk=$h; fi',
  `  printf '${CTRL}START %s\\n' "$i"`,
  '  (eval "exec $c") </dev/null 2>&1; rc=$?',
  `  printf '\\n${CTRL}END %s %s\\n' "$i" "$rc"`,
  // a hook that failed has not run: its marker goes, so the next up runs it again
  '  if [ "$rc" -ne 0 ]; then [ "$mk" = "$h" ] && hb_unmark "$h"; exit 0; fi',
  '  i=$((i+1))',
  'done',
].join('\n');

const LAUNCH =
  FIND_USER_SHELL +
  '[ -x "$s" ] || s=/bin/sh; ' +
  // the login/interactive shell's own start-up noise (busybox sh -i without a TTY prints "can't
  // access tty; job control turned off") goes nowhere; the commands get stderr back on fd 3
  'exec 3>&2; exec "$s" $0 -c \'exec 2>&3 3>&-; exec /bin/sh -c "$HB_DRIVER"\' </dev/null 2>/dev/null';

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Whether a hook's commands can run in the batch (no object form). */
export function batchable(entries: { command: CommandSpec }[]): boolean {
  return entries.every((e) => typeof e.command === 'string' || Array.isArray(e.command));
}

export interface BatchItem {
  hook: LifecycleHook;
  entries: { command: CommandSpec; origin: string }[];
  marker?: string;
}

export interface BatchOptions {
  engine: Engine;
  containerId: string;
  user: string;
  workdir: string;
  /** The environment already probed (cached), or undefined to start from the login shell as `probe` says. */
  probed?: Record<string, string>;
  probe: MergedConfig['userEnvProbe'];
  remoteEnv: Record<string, string | null>;
  containerEnv: Record<string, string>;
  report: Reporter;
  signal?: AbortSignal;
  /** Called when a hook's first command starts, for the timeline. */
  onHookStart?(hook: LifecycleHook): void;
  /** The host's git config, written to ~/.gitconfig before the first command unless the user has one; `onGitConfig` hears what became of it. */
  gitConfig?: string;
  onGitConfig?(result: 'copied' | 'kept' | 'failed'): void;
  /** Called with each hook's duration and the exit code of its last command (non-zero: it failed), for timings. */
  onHookDone?(hook: LifecycleHook, ms: number, exitCode: number): void;
}

/** Runs hooks in one exec. Returns the probed environment (when it was probed here). */
export async function runBatch(opts: BatchOptions, items: BatchItem[]): Promise<Record<string, string> | undefined> {
  const cmds: { hook: LifecycleHook; text: string | string[]; origin: string; marker?: string; line: string }[] = [];
  for (const item of items) {
    let marker = item.marker;
    for (const entry of item.entries) {
      for (const c of commandsOf(entry.command)) {
        cmds.push({ hook: item.hook, text: c.text, origin: entry.origin, marker, line: c.argv.map(shellQuote).join(' ') });
        marker = undefined;
      }
    }
  }
  if (!cmds.length) return undefined;
  const envScript = Object.entries(opts.remoteEnv)
    .map(([k, v]) => (v === null || v === undefined ? `unset ${k}` : `export ${k}=${shellQuote(substituteContainerEnv(String(v), opts.containerEnv))}`))
    .join('\n');
  const env: Record<string, string> = { ...(opts.probed ?? {}), HB_DRIVER: DRIVER, HB_N: String(cmds.length), HB_ENV_SCRIPT: envScript };
  if (!opts.probed && opts.probe !== 'none') env.HB_DUMP = '1';
  if (opts.gitConfig !== undefined) env.HB_GITCONFIG = opts.gitConfig;
  cmds.forEach((c, i) => {
    env[`HB_C_${i}`] = c.line;
    env[`HB_H_${i}`] = c.hook;
    env[`HB_M_${i}`] = c.marker ?? '';
  });
  const flags = opts.probe === 'loginShell' ? '-l' : opts.probe === 'interactiveShell' ? '-i' : '-li';
  const argv = opts.probed || opts.probe === 'none' ? ['/bin/sh', '-c', 'exec /bin/sh -c "$HB_DRIVER"'] : ['/bin/sh', '-c', LAUNCH, flags];

  let probed: Record<string, string> | undefined;
  let buffer = '';
  let current = -1;
  let ended = -1;
  let failed: { index: number; code: number } | undefined;
  let output = '';
  let hookStart = 0;
  let partial = false;
  const handleLine = (line: string, complete: boolean) => {
    if (line.startsWith(CTRL) && complete) {
      const [kind, a, b] = line.slice(CTRL.length).split(' ');
      if (kind === 'GIT') {
        opts.onGitConfig?.(a as 'copied' | 'kept' | 'failed');
        return;
      }
      if (kind === 'START') {
        current = +a;
        output = '';
        const c = cmds[current];
        if (current === 0 || cmds[current - 1].hook !== c.hook) {
          hookStart = performance.now();
          opts.onHookStart?.(c.hook);
          opts.report.step(`Running ${c.hook}${c.origin === 'devcontainer.json' ? '' : ` (from ${c.origin})`}`);
        }
        return;
      }
      if (kind === 'END') {
        // end a last line the command printed without a newline
        if (current >= 0 && partial) opts.report.output(cmds[current].hook, '\n');
        partial = false;
        ended = +a;
        const code = +b;
        const c = cmds[ended];
        if (code !== 0) failed = { index: ended, code };
        if (code !== 0 || ended === cmds.length - 1 || cmds[ended + 1].hook !== c.hook) opts.onHookDone?.(c.hook, performance.now() - hookStart, code);
        current = -1;
        return;
      }
    }
    if (current >= 0) {
      output = (output + line + (complete ? '\n' : '')).slice(-32_000);
      opts.report.output(cmds[current].hook, line + (complete ? '\n' : ''));
      partial = !complete;
    }
  };
  let envText: string | undefined;
  const onText = (text: string) => {
    buffer += text;
    for (;;) {
      if (envText !== undefined) {
        const end = buffer.indexOf(`\n${CTRL}ENV-END\n`);
        if (end < 0) return;
        envText += buffer.slice(0, end);
        buffer = buffer.slice(end + `\n${CTRL}ENV-END\n`.length);
        // (the driver's own HB_ variables are not the user's)
        probed = parseEnviron(envText, (k) => k.startsWith('HB_'));
        envText = undefined;
        continue;
      }
      const nl = buffer.indexOf('\n');
      if (nl < 0) {
        // stream partial output of a running command as it comes (but not what may be a control line)
        if (current >= 0 && buffer && !buffer.startsWith(CTRL) && !CTRL.startsWith(buffer)) {
          handleLine(buffer, false);
          buffer = '';
        }
        return;
      }
      const line = buffer.slice(0, nl);
      const rest = buffer.slice(nl + 1);
      if (line === '' && (rest === '' || CTRL.startsWith(rest.slice(0, CTRL.length)))) {
        // the driver prints a newline before each end line, which belongs to no output: wait to see
        if (rest.length < `${CTRL}END`.length) return;
        if (rest.startsWith(`${CTRL}END`)) {
          buffer = rest;
          continue;
        }
      }
      buffer = rest;
      if (line === `${CTRL}ENV`) {
        envText = '';
        continue;
      }
      handleLine(line, true);
    }
  };
  let res;
  try {
    res = await execIn(opts.engine, opts.containerId, {
      cmd: argv,
      user: opts.user,
      workdir: opts.workdir,
      env,
      signal: opts.signal,
      onOutput: (text) => onText(text),
    });
  } catch (e) {
    if (e instanceof RuntimeError) throw e;
    throw new RuntimeError('command-failed', `The lifecycle commands could not run in container ${opts.containerId.slice(0, 12)}: ${(e as Error).message}.`);
  }
  if (buffer && buffer !== '\n') handleLine(buffer, false);
  if (failed) {
    const c = cmds[failed.index];
    throw hookFailed({ hook: c.hook, origin: c.origin, text: c.text, exitCode: failed.code, output });
  }
  if (ended !== cmds.length - 1) {
    const c = cmds[Math.max(0, current >= 0 ? current : ended + 1)];
    const died = await containerGone({ engine: opts.engine, containerId: opts.containerId }, true);
    throw new RuntimeError(
      'command-failed',
      `${c.hook} did not finish: ${died ? `the container stopped while it ran (${died})` : `its shell ended unexpectedly (exit code ${res.exitCode})`}: ${describe(c.text)}\n` +
        (output.trim() ? `Last lines of its output:\n${lastLines(output)}\n` : '') +
        'See hb logs; hb up runs the commands that did not run yet.',
    );
  }
  return probed;
}
