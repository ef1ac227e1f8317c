#!/usr/bin/env bash
# The whole allocation-failure sweep (tests/alloc): every allocation of Check, Diff, Create, Read
# and Delete of one stack made to fail in turn (stride 1), on the ASan+UBSan build with the
# alloc_testing option that tests/check.sh also uses (check.sh walks Create, Read and Delete with
# a stride). About 40 minutes on 2 cores; prints how many allocations each operation made fail.
# Usage: tests/alloc/run.sh [pytest args...]
set -uo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO"
source "$REPO/tools/setup/common.sh"
setup_toolchain || exit 1
ASAN_BUILD=${SECUREAPI_ASAN_BUILD_DIR:-$REPO/build-asan}
if [ ! -f "$ASAN_BUILD/build.ninja" ]; then
    meson setup "$ASAN_BUILD" -Db_sanitize=address,undefined -Db_lundef=false \
        -Dalloc_testing=true >/dev/null || exit 1
fi
meson configure "$ASAN_BUILD" -Dalloc_testing=true >/dev/null || exit 1
meson compile -C "$ASAN_BUILD" >/dev/null || { meson compile -C "$ASAN_BUILD"; exit 1; }
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
SECUREAPI_SANITIZED=1 SECUREAPI_ALLOC_BUILD_DIR=$ASAN_BUILD SECUREAPI_ALLOC_STRIDE=1 \
    "$VENV/bin/python" -m pytest -c tests/pytest.ini --rootdir tests tests/alloc -s "$@"
