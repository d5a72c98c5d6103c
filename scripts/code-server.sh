#!/usr/bin/env bash
# Installs code-server (the same VS Code workbench and extension host, served to a browser) into a
# per-version cache outside the clone, and prints the path of its `code-server` launcher on stdout.
# Later runs reuse the cache: a cached install is checked with `code-server --version` and
# reinstalled only when that fails.
#
#   bash scripts/code-server.sh            # install when missing; prints the launcher's path
#   bash scripts/code-server.sh --check    # exit 0 when installed and working, 1 otherwise
#
# Environment:
#   HB_CODE_SERVER_VERSION  default 4.100.3 (VS Code 1.100.3, the newest that runs on Node 20)
#   HB_CODE_SERVER_DIR      install folder (default ${XDG_CACHE_HOME:-$HOME/.cache}/hyperbox/code-server-<version>)
#
# As root on Debian it installs the "code-server" group of scripts/debian-packages.txt (the headers
# code-server's native modules build against, and ripgrep). Elsewhere it prints the exact
# `apt-get install` line for what is missing and exits 1. All messages go to stderr.
set -euo pipefail

version=${HB_CODE_SERVER_VERSION:-4.100.3}
cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/hyperbox
dir=${HB_CODE_SERVER_DIR:-$cache_root/code-server-$version}
bin=$dir/node_modules/.bin/code-server
log=$cache_root/code-server-$version-install.log

say() { echo "code-server: $*" >&2; }

works() { # the installed launcher answers with the expected version
  [ -x "$bin" ] || return 1
  # what code-server's postinstall makes: the server's native modules, ripgrep and the CLI links
  local vs=$dir/node_modules/code-server/lib/vscode
  [ -L "$vs/bin/remote-cli/code-server" ] && [ -x "$vs/node_modules/@vscode/ripgrep/bin/rg" ] \
    && [ -f "$vs/node_modules/node-pty/build/Release/pty.node" ] || return 1
  # The first run may print a line about the config file it wrote before the version line.
  local out
  out=$(timeout 60 "$bin" --version 2>/dev/null) || return 1
  grep -q "^$version " <<<"$out"
}

if [ "${1:-}" = "--check" ]; then
  works && exit 0 || exit 1
fi

if works; then
  say "using cached code-server $version ($dir)"
  echo "$bin"
  exit 0
fi

# --- system packages (only to build it) ------------------------------------------------------
# the "code-server" group of scripts/debian-packages.txt: build headers for its native modules, rg
. "$(dirname "$0")/lib/debian.sh"
hb_debian_install code-server code-server || { say "cannot install code-server without them (see above)"; exit 1; }

# --- code-server itself ----------------------------------------------------------------------
command -v npm >/dev/null 2>&1 || { say "npm is required (Node.js 20) and was not found on PATH"; exit 1; }
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" != 20 ]; then
  say "warning: code-server $version is built for Node 20; this is Node $(node --version)"
fi

# @vscode/ripgrep's install script downloads rg from the internet unless it finds the release
# tarball already in its cache folder (<tmpdir>/vscode-ripgrep-cache-<package version>/). Put
# Debian's rg there under the name it looks for: code-server 4.100.3 pins @vscode/ripgrep 1.15.11,
# which fetches ripgrep v13.0.0-10 (override both for another code-server version).
rg_pkg_version=${HB_VSCODE_RIPGREP_VERSION:-1.15.11}
rg_release=${HB_RIPGREP_RELEASE:-v13.0.0-10}
rg=$(command -v rg || true)
[ -n "$rg" ] || { say "rg (Debian's ripgrep) is missing"; exit 1; }
rg_cache=${TMPDIR:-/tmp}/vscode-ripgrep-cache-$rg_pkg_version
rg_tarball=$rg_cache/ripgrep-$rg_release-$(uname -m)-unknown-linux-musl.tar.gz
if [ ! -s "$rg_tarball" ]; then
  mkdir -p "$rg_cache"
  tar -C "$(dirname "$rg")" -czf "$rg_tarball" "$(basename "$rg")"
fi

mkdir -p "$cache_root" "$(dirname "$dir")"
# Install into a fresh folder next to the target and move it into place only when it works, so an
# interrupted install never leaves a half-made cache that looks usable.
work=$(mktemp -d "$(dirname "$dir")/.code-server-$version.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
say "installing code-server $version into $dir (takes 2-5 minutes; log: $log) ..."
start=$(date +%s)
echo '{"name":"hyperbox-code-server","private":true}' >"$work/package.json"
# code-server's own postinstall installs VS Code's server dependencies (lib/vscode) with a nested
# npm install, and their install scripts build the native modules: all of it must run. npm 11's
# allowScripts policy skips dependency install scripts by default, and a policy in this throwaway
# package.json would not reach the nested installs, so this one install allows them through the
# environment (older npm versions ignore the setting).
if ! (cd "$work" && npm_config_unsafe_perm=true npm_config_yes=true \
      npm_config_dangerously_allow_all_scripts=true \
      npm install --no-audit --no-fund --no-save --loglevel=warn "code-server@$version") >"$log" 2>&1; then
  say "npm install failed; last lines of $log:"
  tail -n 30 "$log" >&2
  exit 1
fi

# If any copy of @vscode/ripgrep still has no binary (e.g. its cache version was not prepared),
# give it Debian's rg directly.
while IFS= read -r pkg; do
  mkdir -p "$pkg/bin"
  [ -x "$pkg/bin/rg" ] || { cp "$rg" "$pkg/bin/rg"; say "gave $pkg Debian's rg"; }
done < <(find "$work/node_modules" -type d -path '*/@vscode/ripgrep' 2>/dev/null)

rm -rf "$dir"
mv "$work" "$dir"
trap - EXIT
if ! works; then
  say "installed, but '$bin --version' does not answer $version:"
  timeout 60 "$bin" --version >&2 || true
  exit 1
fi
say "installed code-server $version in $(( $(date +%s) - start )) s"
echo "$bin"
