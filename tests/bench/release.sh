#!/usr/bin/env bash
# The release benchmark command: sets up the toolchain and the development build (as
# tests/check.sh does), makes the release tarballs with tools/release/release.sh, then runs
# release_start.py (every target's binary and tarball size; start time to the port line of the
# static linux-amd64 binary against the dynamic development build, linux-arm64 under qemu-user,
# windows-amd64 under wine). Not part of the test command: it measures, it does not pass or fail.
set -euo pipefail
START=$(date +%s)
source "$(dirname "$0")/../../tools/setup/common.sh"
setup_toolchain
build_plugin
step "release tarballs"
DIST=$(bash "$REPO/tools/release/release.sh" | tail -1)
VERSION=$(meson introspect --projectinfo "$SECUREAPI_BUILD_DIR" |
          python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')
step "release benchmark"
exec "$VENV/bin/python" "$REPO/tests/bench/release_start.py" "$DIST" "$VERSION"
