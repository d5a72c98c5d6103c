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

# Docker Compose, for compose configs (hb up runs `docker compose` or `docker-compose`): Debian
# has docker-compose (v1); install it as root when neither is there. Done whether or not the
# engine is already running.
if ! { [ -n "$docker_bin" ] && "$docker_bin" compose version >/dev/null 2>&1; } && ! command -v docker-compose >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "docker: installing Debian's docker-compose ..." >&2
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null 2>&1; }; } ||
      echo "docker: docker-compose could not be installed; compose configs will not work" >&2
  else
    echo "docker: neither 'docker compose' nor docker-compose is installed; compose configs need one (e.g. 'sudo apt-get install docker-compose')." >&2
  fi
fi

# Podman (its Docker-compatible socket) and an ssh server (an ssh DOCKER_HOST to 127.0.0.1), for
# test/engine/podman.test.ts and ssh.test.ts: installed here as root so apt stays out of the tests'
# time (they install them themselves when missing, or fail). Only with --test-engines
# (scripts/test.sh, npm run test:engine), not for scripts/try.sh.
missing=()
[ -x /usr/bin/podman ] || missing+=(podman)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
if [ "${1:-}" = --test-engines ] && [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "docker: installing Debian's ${missing[*]} (Podman and ssh engine tests) ..." >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; } ||
    echo "docker: ${missing[*]} could not be installed; the Podman / ssh engine tests will try again or fail" >&2
fi

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

# crun, registered as a second OCI runtime (hb runtimes, customizations.hyperbox.runtime).
if [ ! -x /usr/bin/crun ] && command -v apt-get >/dev/null 2>&1; then
  echo "docker: installing Debian's crun (a second OCI runtime) ..." >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq crun >/dev/null 2>&1 || echo "docker: crun could not be installed; going on without it" >&2
fi
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
nohup dockerd "${runtime_args[@]}" >"$log" 2>&1 &
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
