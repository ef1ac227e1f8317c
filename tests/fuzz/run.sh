#!/usr/bin/env bash
# Builds the libFuzzer targets with clang, ASan and UBSan (in build-fuzz/, or $SECUREAPI_FUZZ_BUILD_DIR)
# and runs each for a bounded time from its committed seed corpus (copied, so the repository is
# not changed). Any crash, leak, sanitizer report or timeout fails the run; the reproducing input
# is kept in build-fuzz/findings/. Usage: tests/fuzz/run.sh [seconds per target, default 30]
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SECONDS_EACH=${1:-30}
BUILD=${SECUREAPI_FUZZ_BUILD_DIR:-$REPO/build-fuzz}
command -v clang-14 >/dev/null || {
    SUDO=
    if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq clang-14 libclang-rt-14-dev >&2
}
if [ ! -f "$BUILD/build.ninja" ]; then
    CC=clang-14 meson setup "$BUILD" "$REPO" -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
meson compile -C "$BUILD" >/dev/null
mkdir -p "$BUILD/findings"
RESULTS=${SECUREAPI_FUZZ_RESULTS:-$BUILD/findings/results.json}
: > "$RESULTS"
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1
total=0
for t in fuzz_struct fuzz_aws_error fuzz_aws_response fuzz_sigv4; do
    work=$(mktemp -d)
    cp "$REPO/tests/fuzz/corpus/$t/"* "$work/"
    log=$BUILD/findings/$t.log
    if ! "$BUILD/tests/fuzz/$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$BUILD/findings/$t-" -print_final_stats=1 "$work" >"$log" 2>&1; then
        echo "fuzz: $t FAILED (see $log)"; tail -30 "$log"; rm -rf "$work"
        echo "{\"name\": \"$t\", \"result\": \"FAIL\"}" >> "$RESULTS"
        exit 1
    fi
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    total=$((total + runs))
    echo "fuzz: $t ok, $runs executions in ${SECONDS_EACH}s"
    echo "{\"name\": \"$t\", \"result\": \"OK\", \"executions\": $runs}" >> "$RESULTS"
    rm -rf "$work"
done
echo "fuzz: $total executions in all"
