#!/usr/bin/env bash
# The whole test suite: set-up, type check, lint (ESLint, type-aware), unit tests, engine tests against a real Docker
# engine (started here when needed), end-to-end tests in a real VS Code (code-server), then one
# closing line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

out=$(mktemp -d)
# the dockerd this run starts is stopped at its end; one started before it (by try.sh, which leaves
# its engine running, or by hand) is not this run's to stop
rm -f /tmp/hyperbox-dockerd.pid
trap 'bash scripts/docker-stop.sh; rm -rf "$out"' EXIT

bash scripts/setup.sh || { echo "test: set-up failed" >&2; exit 1; }
# Every Debian package of scripts/debian-packages.txt, in one apt run (as root on Debian; otherwise
# the exact apt-get line, and the tests that need them fail saying so)
. scripts/lib/debian.sh
hb_debian_install test || echo "test: going on without them (see above)" >&2

status=0
run() { # name, command...
  local name=$1; shift
  echo
  echo "=== $name: $*"
  "$@" 2>&1 | tee "$out/$name.log"
  local rc=${PIPESTATUS[0]}
  if [ "$rc" != 0 ]; then echo "=== $name failed (exit $rc)"; status=1; fi
}

run typecheck npx tsc --noEmit -p .
run lint npx eslint .
# THIRD_PARTY_NOTICES.md names every package the bundles contain (it ships in the .vsix)
run notices bash -c 'node esbuild.mjs --quiet && node scripts/third-party-notices.mjs --check'
# A Docker engine first: the extension's tests run the real engine, which asks Docker for the
# container's state, and the engine tests need it outright.
docker_ok=1
bash scripts/docker.sh --test-engines || { docker_ok=0; echo "=== no Docker engine could be started (see above): the engine tests will fail"; status=1; }
run unit npx mocha
if [ -f test/engine/.mocharc.json ]; then
  if [ "$docker_ok" = 1 ]; then
    run engine npx mocha --config test/engine/.mocharc.json
  else
    echo "=== engine tests need a Docker engine and none could be started (see above)"
    status=1
  fi
fi
# The packaged extension in a real VS Code (code-server + headless Chromium); installs code-server
# into ~/.cache/hyperbox on first use (about 1-5 minutes), then takes about a minute.
run e2e bash scripts/e2e.sh --no-setup

passed=0; failed=0
for f in "$out"/*.log; do
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$f" | tail -n 1)
  [ -n "$line" ] || continue
  p=${line%% passed*}; rest=${line#*passed, }; fl=${rest%% failed*}
  passed=$((passed + p)); failed=$((failed + fl))
done
echo
echo "${passed} passed, ${failed} failed"
[ "$failed" = 0 ] || status=1
exit $status
