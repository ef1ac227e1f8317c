#!/usr/bin/env bash
# The benchmark command: sets up what tests/check.sh sets up (toolchain, build), builds the linux-amd64
# release binary (tools/release/build-binary.sh, as the release command does; its folder goes to
# bench.py as SECUREAPI_BENCH_RELEASE_BUILD, unless already set, for the peak memory rows), adds
# matplotlib for the chart, and runs bench.py, which writes build/bench/report.md and
# build/bench/create.png.
# Not part of the test command: it measures, it does not pass or fail.
set -euo pipefail
START=$(date +%s)
source "$(dirname "$0")/../../tools/setup/common.sh"
setup_toolchain
build_plugin
if [ -z "${SECUREAPI_BENCH_RELEASE_BUILD:-}" ] && [ "${SECUREAPI_BENCH_ONLY:-}" != create ]; then
    step "release binary (tools/release/build-binary.sh linux-amd64)"
    bash "$REPO/tools/release/install-release-deps.sh"
    SECUREAPI_BENCH_RELEASE_BUILD=$(bash "$REPO/tools/release/build-binary.sh" linux-amd64 | tail -1)
    export SECUREAPI_BENCH_RELEASE_BUILD
fi
"$VENV/bin/python" -c "import matplotlib" 2>/dev/null ||
    "$VENV/bin/pip" install -q --disable-pip-version-check "matplotlib==3.11.2"
step "benchmark"
exec "$VENV/bin/python" "$REPO/tests/bench/bench.py"
