#!/usr/bin/env bash
# Stops the dockerd that scripts/docker.sh started (and only that one).
set -u
pidfile=/tmp/hyperbox-dockerd.pid
[ -f "$pidfile" ] || exit 0
pid=$(cat "$pidfile")
if kill -0 "$pid" 2>/dev/null; then
  kill "$pid"
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
fi
rm -f "$pidfile"
