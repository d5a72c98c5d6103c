// What HyperBox runs inside the dev container to supervise the app (hot reload's restart
// strategy). Pure text, written into the container once per session (see supervisor.ts).
//
// supervise.sh (POSIX sh: busybox, dash, bash) reads one command per line on stdin:
//   reload   stop the app's process group (TERM, KILL after the grace), then start it again —
//            from what waits ready when something does (below), else cold
//   fresh    the same, but nothing prepared before is used (dependencies were reinstalled: a
//            standby or the warm Python parent may hold the old ones); the next is made anew
//   prepare  make the next start ready ahead
//   stop     stop the app and exit
// What waits ready, by HB_STANDBY:
//   1 (Node)      a standby: the dev command with HB_GATE set, which the Node preload (gate.cjs,
//                 through NODE_OPTIONS) holds before the app's own code loads; one per start
//   fork (Python) a warm parent: the dev command's Python, held by sitecustomize.py (through
//                 PYTHONPATH) after it imported what HB_PRELOAD names (Flask), which forks a
//                 child for each start; the child loads the app fresh and serves, the parent
//                 stays warm for the next, so saves coming faster than Flask imports still find
//                 one ready. It answers on the reply fifo: "pid P" (the child forked, in its own
//                 process group), "exit P CODE" (a child ended; it tells the engine too), and its
//                 wrapper says "dead N" when it ends (the next start is cold, the next prepare
//                 starts another). The first start is cold too; prepare starts the parent.
// End of stdin (the engine or hb went away) stops the app too. Each app runs in its own process
// group, so a signal reaches all of it. Lines starting with \036hb: are for the engine:
// "started PID", "stopping PID", "exit PID CODE" (the app ended by itself or was stopped).
export const CONTROL_PREFIX = '\x1ehb:';

export const SUPERVISE_SH = `
# the app's stderr is fd 4; the supervisor's own (the shell's job notices) goes nowhere
exec 4>&2 2>/dev/null
dir=$1; mkdir -p "$dir"; grace=\${HB_GRACE:-1}; cur=; next=; gate=; n=0
# Python's warm parent (zy: its wrapper's pid, zn: its number; curz: the number of the one that forked cur)
fork=; zy=; zn=; curz=; got=
if [ "$HB_STANDBY" = fork ] && mkfifo "$dir/reply"; then exec 5<>"$dir/reply"; fork=1; fi
say() { printf '\\036hb:%s\\n' "$*"; }
launch() { # $1: gate fifo or empty; prints nothing, sets $pid
  HB_GATE=$1 setsid sh -c 'trap : TERM INT; sh -c "$HB_CMD" </dev/null 2>&3 3>&-; c=$?; printf "\\036hb:exit %s %s\\n" $$ $c' 3>&4 4>&- 5>&- 6>&- 2>/dev/null &
  pid=$!
}
warm() { # start Python's warm parent; its gate stays open here (fd 6), so a start never blocks on it
  n=$((n+1)); gate="$dir/gate.$n"; rm -f "$gate"; mkfifo "$gate" || return 0
  exec 6<>"$gate"
  HB_GATE=$gate HB_REPLY=$dir/reply HB_ZN=$n setsid sh -c 'trap : TERM INT; sh -c "$HB_CMD" </dev/null 2>&3 3>&-; c=$?; printf "dead %s\\n" "$HB_ZN" 1<>"$HB_REPLY"; printf "\\036hb:exit %s %s\\n" $$ $c' 3>&4 4>&- 5>&- 6>&- 2>/dev/null &
  zy=$! zn=$n
}
reply() { # $1: pid (the fork of a start) or exit (cur's end); 1 when the warm parent it waited on ended
  got=
  while read -r what a b <&5; do
    case $what in
      pid) [ "$1" = pid ] && { got=$a; return 0; } ;;
      exit) [ "$1" = exit ] && [ "$a" = "$cur" ] && return 0 ;;
      dead)
        if [ "$a" = "$zn" ]; then zy=; zn=; fi
        if [ "$a" = "$curz" ]; then curz=; fi
        if [ "$1" = pid ] && [ -z "$zy" ]; then return 1; fi
        if [ "$1" = exit ] && [ -z "$curz" ]; then return 1; fi ;;
    esac
  done
  return 1
}
drop() { # what waits ready goes (dependencies changed)
  if [ -n "$next" ]; then kill -KILL -"$next" 2>/dev/null; wait "$next" 2>/dev/null; next=; fi
  if [ -n "$zy" ]; then kill -KILL -"$zy" 2>/dev/null; wait "$zy" 2>/dev/null; zy=; zn=; fi
}
prepare() {
  if [ -n "$fork" ]; then [ -n "$zy" ] || warm; return 0; fi
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
  if [ -z "$curz" ]; then wait "$cur" 2>/dev/null
  elif ! reply exit; then
    # its warm parent ended: nobody reports this child's end, so look (bounded: a zombie stays)
    i=0; while kill -0 "$cur" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
  fi
  kill -KILL -"$cur" 2>/dev/null
  kill "$k" 2>/dev/null
  cur=; curz=
}
start() {
  if [ -n "$fork" ]; then
    # (one still importing answers once it can: a fork then is still sooner than a cold start)
    if [ -n "$zy" ]; then
      printf g >&6
      if reply pid; then cur=$got; curz=$zn; say started "$cur"; return 0; fi
    fi
    # none yet (the first start: it would compete with the app's own), or it ended: cold; the
    # next prepare starts one
    launch ""; cur=$pid; curz=; say started "$cur"; return 0
  fi
  if [ -n "$next" ]; then
    cur=$next; next=
    # a standby that died while waiting: start cold
    if kill -0 "$cur" 2>/dev/null; then (printf go > "$gate") 2>/dev/null & else wait "$cur" 2>/dev/null; launch ""; cur=$pid; fi
  else launch ""; cur=$pid; fi
  say started "$cur"
}
quit() { stop_cur; drop; rm -rf "$dir"; exit 0; }
trap quit TERM INT HUP
start
while read -r line; do
  case $line in
    reload) stop_cur; start ;;
    fresh) stop_cur; drop; start ;;
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

/**
 * Python: found through PYTHONPATH. The warm parent (HB_GATE set, see SUPERVISE_SH) imports
 * HB_PRELOAD's modules once, then forks a child per byte on its gate; the child returns from here
 * and Python goes on with the dev command (`-m flask run`, `app.py`), loading the app fresh. The
 * workspace's own code is never kept warm: a module the preload pulled in from the working
 * folder (not an installed package) is dropped before the first fork. The parent reaps its
 * children and reports their ends; it ends when the supervisor closes the gate.
 */
export const SITECUSTOMIZE_PY = `import os
_gate = os.environ.pop("HB_GATE", None)
_reply = os.environ.pop("HB_REPLY", None)
os.environ.pop("HB_ZN", None)
if _gate and _reply:
    import importlib, signal, sys
    for _m in [m for m in os.environ.get("HB_PRELOAD", "").split(",") if m]:
        try:
            __import__(_m)
        except Exception:
            pass
    _ws = os.path.join(os.path.realpath(os.getcwd()), "")
    for _n, _mod in list(sys.modules.items()):
        _f = getattr(_mod, "__file__", None)
        if _f:
            _r = os.path.realpath(_f)
            if _r.startswith(_ws) and "/site-packages/" not in _r and "/dist-packages/" not in _r:
                del sys.modules[_n]
    _rep = os.open(_reply, os.O_WRONLY)

    def _code(st):
        if os.WIFSIGNALED(st):
            return 128 + os.WTERMSIG(st)
        return os.WEXITSTATUS(st) if os.WIFEXITED(st) else 1

    def _reap(*_):
        while True:
            try:
                p, st = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if p == 0:
                return
            c = _code(st)
            os.write(1, b"\\036hb:exit %d %d\\n" % (p, c))
            os.write(_rep, b"exit %d %d\\n" % (p, c))

    signal.signal(signal.SIGCHLD, _reap)
    _fd = os.open(_gate, os.O_RDONLY)
    while True:
        _b = os.read(_fd, 1)
        if not _b:
            os._exit(0)
        _p = os.fork()
        if _p == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os.close(_fd)
            os.close(_rep)
            try:
                os.setpgid(0, 0)
            except OSError:
                pass
            importlib.invalidate_caches()
            break
        try:
            os.setpgid(_p, _p)
        except OSError:
            pass
        os.write(_rep, b"pid %d\\n" % _p)
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
      # removed 100 at a time: a list grown one "set --" at a time costs the square of its length
      set --; i=0; err=
      while [ "$i" -lt "$n" ] && IFS= read -r p; do
        set -- "$@" "$ws/$p"; i=$((i+1))
        if [ $# -ge 100 ]; then e=$(rm -rf -- "$@" 2>&1) || err=$e; set --; fi
      done
      if [ $# -gt 0 ]; then e=$(rm -rf -- "$@" 2>&1) || err=$e; fi
      if [ -z "$err" ]; then say ok; else say fail "$(printf %s "$err" | one)"; fi ;;
    *) say fail "unknown frame $op" ;;
  esac
done
`;
