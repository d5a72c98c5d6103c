// What HyperBox runs inside the dev container to supervise the app (hot reload's restart
// strategy). Pure text, written into the container once per session (see supervisor.ts).
//
// supervise.sh (POSIX sh: busybox, dash, bash) reads one command per line on stdin:
//   reload   stop the app's process group (TERM, KILL after the grace), then start it again —
//            by opening the gate of the standby when one waits, else cold
//   prepare  start a standby: the dev command with HB_GATE set, which the Node preload
//            (gate.cjs, through NODE_OPTIONS) or the Python one (sitecustomize.py, through
//            PYTHONPATH) holds before the app's own code loads: Node itself, npm, or Flask and
//            what HB_PRELOAD names are loaded already when the change arrives
//   stop     stop the app and exit
// End of stdin (the engine or hb went away) stops the app too. Each app runs in its own session
// (setsid), so a signal reaches its whole process group. Lines starting with \036hb: are for the
// engine: "started PGID", "exit PGID CODE" (the app ended by itself or was stopped).
export const CONTROL_PREFIX = '\x1ehb:';

export const SUPERVISE_SH = `
# the app's stderr is fd 4; the supervisor's own (the shell's job notices) goes nowhere
exec 4>&2 2>/dev/null
dir=$1; mkdir -p "$dir"; grace=\${HB_GRACE:-1}; cur=; next=; gate=; n=0
say() { printf '\\036hb:%s\\n' "$*"; }
launch() { # $1: gate fifo or empty; prints nothing, sets $pid
  HB_GATE=$1 setsid sh -c 'trap : TERM INT; sh -c "$HB_CMD" </dev/null 2>&3 3>&-; c=$?; printf "\\036hb:exit %s %s\\n" $$ $c' 3>&4 4>&- 2>/dev/null &
  pid=$!
}
prepare() {
  [ -n "$HB_STANDBY" ] && [ -z "$next" ] || return 0
  n=$((n+1)); gate="$dir/gate.$n"; rm -f "$gate"; mkfifo "$gate" || return 0
  launch "$gate"; next=$pid
}
stop_cur() {
  [ -n "$cur" ] || return 0
  say stopping "$cur"
  kill -TERM -"$cur" 2>/dev/null
  ( trap 'kill $! 2>/dev/null; exit 0' TERM; sleep "$grace" & wait $!; kill -KILL -"$cur" ) 2>/dev/null &
  k=$!
  wait "$cur" 2>/dev/null
  kill -KILL -"$cur" 2>/dev/null
  kill "$k" 2>/dev/null
  cur=
}
start() {
  if [ -n "$next" ]; then
    cur=$next; next=
    # a standby that died while waiting: start cold
    if kill -0 "$cur" 2>/dev/null; then (printf go > "$gate") 2>/dev/null & else wait "$cur" 2>/dev/null; launch ""; cur=$pid; fi
  else launch ""; cur=$pid; fi
  say started "$cur"
}
quit() { stop_cur; if [ -n "$next" ]; then kill -KILL -"$next" 2>/dev/null; fi; rm -rf "$dir"; exit 0; }
trap quit TERM INT HUP
start
while read -r line; do
  case $line in
    reload) stop_cur; start ;;
    prepare) prepare ;;
    stop) quit ;;
  esac
done
quit
`;

/**
 * Node: loaded through NODE_OPTIONS=--require; holds a standby until its gate opens. While it
 * waits it loads Node's own modules a server needs (no side effects, and they cannot have
 * changed), so a reload only loads the app's code.
 */
export const GATE_CJS = `'use strict';
const gate = process.env.HB_GATE;
if (gate) {
  delete process.env.HB_GATE;
  // the app's own child processes start as usual
  const me = __filename;
  process.env.NODE_OPTIONS = (process.env.NODE_OPTIONS || '').split('--require ' + me).join('').split('--require=' + me).join('').trim();
  for (const m of ['http', 'https', 'http2', 'net', 'tls', 'dns', 'url', 'querystring', 'stream', 'zlib', 'crypto', 'util', 'events', 'path', 'os', 'child_process', 'worker_threads']) {
    try { require(m); } catch {}
  }
  require('fs').readFileSync(gate);
}
`;

/** Python: found through PYTHONPATH; a standby imports HB_PRELOAD's modules, then waits at its gate. */
export const SITECUSTOMIZE_PY = `import os
_gate = os.environ.pop("HB_GATE", None)
if _gate:
    for _m in [m for m in os.environ.get("HB_PRELOAD", "").split(",") if m]:
        try:
            __import__(_m)
        except Exception:
            pass
    with open(_gate) as _f:
        _f.read()
`;

/**
 * Copy-sync's agent (POSIX sh, run as root, kept open for the session): one tar per batch on
 * stdin instead of a transfer or an exec per change. Reads frames:
 *   tar N      N bytes of tar follow: extracted into the workspace ($1), mtimes and owners kept
 *   rm N       N lines follow, each a path relative to the workspace: removed
 * and answers each with "\036hb:ok" or "\036hb:fail MESSAGE". Whatever tar leaves unread of its
 * N bytes is drained, so the next frame starts where it should.
 */
export const SYNC_SH = `
ws=$1
say() { printf '\\036hb:%s\\n' "$*"; }
one() { tr '\\n' ' ' | cut -c1-500; }
while read -r op n; do
  case $op in
    tar)
      if err=$(head -c "$n" | { tar -x -f - -C "$ws" 2>&1; r=$?; cat >/dev/null; exit $r; }); then say ok; else say fail "$(printf %s "$err" | one)"; fi ;;
    rm)
      set --; i=0
      while [ "$i" -lt "$n" ] && IFS= read -r p; do set -- "$@" "$ws/$p"; i=$((i+1)); done
      if err=$(rm -rf -- "$@" 2>&1); then say ok; else say fail "$(printf %s "$err" | one)"; fi ;;
    *) say fail "unknown frame $op" ;;
  esac
done
`;
