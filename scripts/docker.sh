#!/usr/bin/env bash
# Makes sure a Docker engine answers on /var/run/docker.sock (or $DOCKER_HOST).
# As root on Debian: installs Debian's docker.io when missing and starts dockerd, logging to
# $HB_DOCKERD_LOG (default /tmp/hyperbox-dockerd.log), with its pid in /tmp/hyperbox-dockerd.pid
# so scripts/docker-stop.sh can stop exactly the engine this script started.
# Elsewhere: says what is missing and exits 1.
set -euo pipefail

log=${HB_DOCKERD_LOG:-/tmp/hyperbox-dockerd.log}
pidfile=/tmp/hyperbox-dockerd.pid
# Prefer Debian's client: a fresh machine has only that one.
docker_bin=/usr/bin/docker
[ -x "$docker_bin" ] || docker_bin=$(command -v docker || true)

answers() { [ -n "$docker_bin" ] && timeout 10 "$docker_bin" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if answers; then
  echo "docker: engine $("$docker_bin" version --format '{{.Server.Version}} (API {{.Server.APIVersion}})') is running" >&2
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "docker: installing Debian's docker.io (engine) ..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq docker.io >/dev/null
    docker_bin=/usr/bin/docker
  else
    echo "docker: no Docker engine is installed and this is not a root Debian machine." >&2
    echo "        Install Docker (e.g. 'sudo apt-get install docker.io') and start it, then run again." >&2
    exit 1
  fi
fi

if [ "$(id -u)" != 0 ]; then
  echo "docker: dockerd is installed but not answering, and starting it needs root." >&2
  echo "        Start it (e.g. 'sudo systemctl start docker') or add your user to the docker group." >&2
  exit 1
fi

echo "docker: starting dockerd (log: $log) ..." >&2
nohup dockerd >"$log" 2>&1 &
echo $! >"$pidfile"
for _ in $(seq 1 60); do
  if answers; then
    echo "docker: engine $("$docker_bin" version --format '{{.Server.Version}} (API {{.Server.APIVersion}})') is up" >&2
    exit 0
  fi
  sleep 0.5
done
echo "docker: dockerd did not answer within 30 s; last lines of $log:" >&2
tail -n 20 "$log" >&2 || true
exit 1
