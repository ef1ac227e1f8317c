#!/usr/bin/env bash
# The benchmark command: sets up what tests/check.sh sets up (toolchain, build), adds matplotlib
# for the chart, and runs bench.py, which writes build/bench/report.md and build/bench/create.png.
# Not part of the test command: it measures, it does not pass or fail.
set -euo pipefail
START=$(date +%s)
source "$(dirname "$0")/../../tools/setup/common.sh"
setup_toolchain
build_plugin
"$VENV/bin/python" -c "import matplotlib" 2>/dev/null ||
    "$VENV/bin/pip" install -q --disable-pip-version-check "matplotlib==3.11.2"
step "benchmark"
exec "$VENV/bin/python" "$REPO/tests/bench/bench.py"
