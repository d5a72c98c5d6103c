#!/usr/bin/env bash
# Installs HyperBox's dependencies and builds it. Safe to run again: it skips what is done.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1; }
if ! need node || ! need npm; then
  echo "setup: Node.js 20+ and npm are required and were not found on PATH. Install Node.js 20 first." >&2
  exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "setup: Node.js $(node --version) is too old; HyperBox needs Node.js 20 or newer." >&2
  exit 1
fi

# Install from the lockfile when node_modules is missing or older than the lockfile.
stamp=node_modules/.hyperbox-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  echo "setup: installing dependencies (npm ci) ..." >&2
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi

echo "setup: building (node esbuild.mjs) ..." >&2
node esbuild.mjs --quiet
