#!/usr/bin/env bash
# Compares two builds of the plugin in one run (tests/bench/compare.py): cold start, peak RSS and
# create time, old and new alternately. Usage: tests/bench/compare.sh OLD_BUILD_DIR [NEW_BUILD_DIR]
# (NEW defaults to this checkout's build, built first). Measures; does not pass or fail.
set -euo pipefail
source "$(dirname "$0")/../../tools/setup/common.sh"
setup_toolchain
build_plugin
step "comparing builds"
exec "$VENV/bin/python" "$REPO/tests/bench/compare.py" "$@"
