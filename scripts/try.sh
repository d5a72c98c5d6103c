#!/usr/bin/env bash
# See HyperBox working in a real VS Code in your browser, with nothing to install by hand:
# sets up and builds, installs what it needs from Debian as root (the docker, images and
# code-server groups of scripts/debian-packages.txt; elsewhere it prints the apt-get line), makes
# sure a Docker engine runs (scripts/docker.sh starts one when none does, and try leaves it running), packages the extension (.vsix),
# installs it into code-server (cached under ~/.cache/hyperbox; the first time takes a few minutes)
# and serves a workspace with a dev container on 127.0.0.1, printing the URL and the time it took.
# Runs until Ctrl-C, which stops code-server and removes the dev container made for the folder.
#
#   bash scripts/try.sh [--port N] [folder]
# Default folder: the example workspace ~/.cache/hyperbox/try/example (a copy of
# test/fixtures/example made on the first run and kept, with your edits). Default port: 8080.
set -euo pipefail
cd "$(dirname "$0")/.."
# the time to ready that serve.ts prints counts from here
HB_TRY_STARTED_MS=$(date +%s%3N)
export HB_TRY_STARTED_MS
bash scripts/setup.sh
# What trying HyperBox needs from Debian (scripts/debian-packages.txt: the engine, Compose, crun,
# busybox for the example's offline image, code-server's build headers), in one apt run as root;
# elsewhere the exact apt-get line. Not the test-only packages, nor Chromium: your own browser opens the URL.
. scripts/lib/debian.sh
hb_debian_install try docker images code-server || echo "try: going on without them (see above)" >&2
# a Docker engine for the example's dev container (as root on Debian: installs and starts one)
bash scripts/docker.sh || echo "try: continuing without a Docker engine; HyperBox will show that" >&2
HB_CODE_SERVER=$(bash scripts/code-server.sh)
export HB_CODE_SERVER
exec node --import tsx test/e2e/serve.ts "$@"
