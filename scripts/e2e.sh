#!/usr/bin/env bash
# End-to-end tests in a real VS Code, offline: code-server (installed into a cache outside the clone
# by scripts/code-server.sh) driven by Debian's headless Chromium.
#   1. extension-host tests: test/e2e/suite in the server's extension host (runExtensionTests.ts)
#   2. UI tests: the packaged .vsix installed, trust dialog both ways, status bar (ui.test.ts)
# Screenshots, results and VS Code's logs go to .test-output/e2e/. Ends with "N passed, N failed".
#
#   bash scripts/e2e.sh [--no-setup]
# First run: installs code-server (about 1-5 minutes, once per machine); later runs take about a minute.
set -uo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
out=.test-output/e2e

if [ "${1:-}" != "--no-setup" ]; then
  bash scripts/setup.sh || { echo "e2e: set-up failed"; echo "0 passed, 1 failed"; exit 1; }
fi
# Chromium, and busybox for the example's offline image (scripts/debian-packages.txt); code-server
# installs its own group below
. scripts/lib/debian.sh
hb_debian_install e2e browser images || echo "e2e: the tests that need them will fail (see above)"
if ! HB_CODE_SERVER=$(bash scripts/code-server.sh); then
  echo "e2e: code-server is not available (see above), so no end-to-end test could run"
  echo "0 passed, 1 failed"
  exit 1
fi

export HB_CODE_SERVER
rm -rf "$out"
mkdir -p "$out"
status=0
suite() { # name, command...
  local name=$1; shift
  echo
  echo "--- e2e $name: $*"
  local t0; t0=$(date +%s)
  "$@" 2>&1 | tee "$out/$name.log"
  local rc=${PIPESTATUS[0]}
  echo "--- e2e $name: exit $rc in $(( $(date +%s) - t0 )) s"
  [ "$rc" = 0 ] || status=1
}

suite host node --import tsx test/e2e/runExtensionTests.ts
suite ui npx mocha --config test/e2e/.mocharc.json

passed=0; failed=0
for name in host ui; do
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out/$name.log" | tail -n 1)
  if [ -z "$line" ]; then failed=$((failed + 1)); continue; fi # a suite that could not even report
  p=${line%% passed*}; rest=${line#*passed, }; f=${rest%% failed*}
  passed=$((passed + p)); failed=$((failed + f))
done
echo
echo "e2e: took $(( $(date +%s) - started )) s; screenshots and logs in $out/"
echo "${passed} passed, ${failed} failed"
[ "$failed" = 0 ] || status=1
exit $status
