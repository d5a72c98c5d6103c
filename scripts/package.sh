#!/usr/bin/env bash
# Packages the extension: production bundles, fresh third-party notices, then a .vsix with
# @vscode/vsce (bundled code only: --no-dependencies). Checks what went into the .vsix and fails
# if anything outside the shipped set did, or if it is too large.
#
#   bash scripts/package.sh            (npm run package)
# Output: hyperbox-<version>.vsix in the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."

max_bytes=$((5 * 1024 * 1024))
version=$(node -p 'require("./package.json").version')
name=$(node -p 'require("./package.json").name')
out="$name-$version.vsix"

for f in README.md CHANGELOG.md LICENSE; do
  if [[ ! -f $f ]]; then
    echo "package: $f is missing; the .vsix must carry it. Add it, then run npm run package again." >&2
    exit 1
  fi
done

echo "==> production build"
node esbuild.mjs --production

echo "==> third-party notices"
node scripts/third-party-notices.mjs

echo "==> vsce package"
# no repository URL is published yet: say so rather than invent one
npx --no-install vsce package --no-dependencies --allow-missing-repository --out "$out"

echo "==> contents of $out"
listing=$(node scripts/vsix-contents.mjs "$out")
echo "$listing"
unexpected=$(echo "$listing" | awk '{print $2}' | grep -Ev '^extension/(dist/[^/]+\.js|dist/media/[^/]+\.(js|css)|schemas/.+|media/.+|package\.json|readme\.md|changelog\.md|LICENSE(\.txt)?|THIRD_PARTY_NOTICES\.md)$|^(extension\.vsixmanifest|\[Content_Types\]\.xml)$' || true)
if [[ -n $unexpected ]]; then
  echo "package: $out contains files outside the shipped set:" >&2
  echo "$unexpected" >&2
  echo "Leave them out in .vscodeignore." >&2
  exit 1
fi
size=$(stat -c %s "$out")
if (( size > max_bytes )); then
  echo "package: $out is $size bytes, more than the $max_bytes allowed. Look at what the bundles pull in (dist/meta.json)." >&2
  exit 1
fi
echo "==> $out: $size bytes"
