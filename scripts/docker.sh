#!/usr/bin/env bash
# Makes sure a Docker engine answers on /var/run/docker.sock (or $DOCKER_HOST).
# As root on Debian: installs the "docker" group of scripts/debian-packages.txt (docker.io,
# docker-compose, crun; with --test-engines also the "tests" group) and starts dockerd, logging to
# $HB_DOCKERD_LOG (default /tmp/hyperbox-dockerd.log), with its pid in /tmp/hyperbox-dockerd.pid
# so scripts/docker-stop.sh can stop exactly the engine this script started.
# Elsewhere: says what is missing and exits 1.
set -euo pipefail

log=${HB_DOCKERD_LOG:-/tmp/hyperbox-dockerd.log}
pidfile=/tmp/hyperbox-dockerd.pid
# Debian's client first: the one this script installs (the one on PATH may be another).
docker_bin=/usr/bin/docker
[ -x "$docker_bin" ] || docker_bin=$(command -v docker || true)

answers() { [ -n "$docker_bin" ] && timeout 10 "$docker_bin" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# What scripts/debian-packages.txt lists for running dev containers (docker.io, docker-compose,
# crun), installed as root; and with --test-engines (scripts/test.sh, npm run test:engine) what only
# the engine tests need (Podman, sshd, ...), so apt stays out of the tests' time. A user who is not
# root and already has an engine answering is not told to install Debian's.
. "$(dirname "$0")/lib/debian.sh"
if [ "$(id -u)" = 0 ] || ! answers; then
  hb_debian_install docker docker || echo "docker: going on without them (see above)" >&2
  docker_bin=/usr/bin/docker
  [ -x "$docker_bin" ] || docker_bin=$(command -v docker || true)
fi
if [ "${1:-}" = --test-engines ]; then
  hb_debian_install docker tests || echo "docker: the engine tests that need them will fail (see above)" >&2
fi

if answers; then
  echo "docker: engine $("$docker_bin" version --format '{{.Server.Version}} (API {{.Server.APIVersion}})') is running" >&2
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "docker: no Docker engine (dockerd) is installed and none answers." >&2
  echo "        Install Docker (Debian: 'sudo apt-get install docker.io') and start it, then run again." >&2
  exit 1
fi

if [ "$(id -u)" != 0 ]; then
  echo "docker: dockerd is installed but not answering, and starting it needs root." >&2
  echo "        Start it (e.g. 'sudo systemctl start docker') or add your user to the docker group." >&2
  exit 1
fi

# crun (installed above), registered as a second OCI runtime (hb runtimes, customizations.hyperbox.runtime).
runtime_args=()
if [ -x /usr/bin/crun ]; then
  runtime_args=(--add-runtime crun=/usr/bin/crun)
  # crun refuses a hybrid cgroup host whose cgroup2 still holds a controller (hugetlb here):
  # give that controller its own v1 hierarchy, as the other controllers have.
  unified=$(awk '{ for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' /proc/self/mountinfo)
  if [ -n "$unified" ] && [ "$unified" != /sys/fs/cgroup ] && grep -qw hugetlb "$unified/cgroup.controllers" 2>/dev/null; then
    mkdir -p /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb 2>/dev/null ||
      echo "docker: could not mount the hugetlb cgroup; containers under crun may fail to start" >&2
  fi
fi

echo "docker: starting dockerd (log: $log) ..." >&2
# in a session of its own: a Ctrl-C in the terminal that started it (try.sh runs until one) goes to
# that terminal's process group, and must not stop the engine with the containers on it
setsid dockerd "${runtime_args[@]}" </dev/null >"$log" 2>&1 &
echo $! >"$pidfile"
for _ in $(seq 1 60); do
  if answers; then
    # dockerd's own record of its pid, in case setsid had to fork
    [ -s /var/run/docker.pid ] && cp /var/run/docker.pid "$pidfile"
    echo "docker: engine $("$docker_bin" version --format '{{.Server.Version}} (API {{.Server.APIVersion}})') is up" >&2
    exit 0
  fi
  sleep 0.5
done
echo "docker: dockerd did not answer within 30 s; last lines of $log:" >&2
tail -n 20 "$log" >&2 || true
exit 1
