#!/usr/bin/env bash
# The main job: set up and build HyperBox, package the extension (.vsix), put `hb` on PATH,
# and show what HyperBox makes of a project (default: the bundled example workspace).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
folder=${1:-test/fixtures/example}

bash scripts/setup.sh
if [ -f scripts/package.sh ]; then
  bash scripts/package.sh
fi

# Put `hb` on PATH (npm link needs write access to npm's global prefix).
if npm link --no-audit --no-fund --loglevel=error >/dev/null 2>&1 && command -v hb >/dev/null 2>&1; then
  hb_cmd=hb
  echo "start: 'hb' is on your PATH ($(command -v hb))." >&2
else
  hb_cmd="node $root/bin/hb.js"
  echo "start: could not link 'hb' into npm's global folder (no write access?); use: node $root/bin/hb.js" >&2
fi

echo
echo "\$ hb --version"; $hb_cmd --version
echo
echo "\$ hb config $folder"
$hb_cmd config "$folder" || true
echo
echo "\$ hb detect $folder"
$hb_cmd detect "$folder" || true
echo
echo "To see HyperBox in a real VS Code in your browser: bash scripts/try.sh"
