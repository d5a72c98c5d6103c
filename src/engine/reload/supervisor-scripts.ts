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

/** Node: loaded through NODE_OPTIONS=--require; holds a standby until its gate opens. */
export const GATE_CJS = `'use strict';
const gate = process.env.HB_GATE;
if (gate) {
  delete process.env.HB_GATE;
  // the app's own child processes start as usual
  const me = __filename;
  process.env.NODE_OPTIONS = (process.env.NODE_OPTIONS || '').split('--require ' + me).join('').split('--require=' + me).join('').trim();
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
