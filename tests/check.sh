#!/usr/bin/env bash
# The README's test command: installs what is missing (Debian packages, the Python venv, the
# Go-built Pulumi CLI and language hosts), builds the plugin, then runs every suite: unit (C,
# cmocka via meson test, also under valgrind), proto (conformance with Pulumi's descriptors),
# harness, layers (the build's layer rules), aws (the AWS client against moto and fault servers),
# rpc (the binary over real gRPC, also under valgrind), limits (every input limit at its
# boundary), code (Lambda code packaging), faults (the fault matrix), deployer (the
# least-privilege deployer policy under an IAM policy enforcer), e2e (the real CLI against moto)
# and release (the six targets' tarballs tools/release/release.sh makes: the Linux binaries run in
# empty roots, arm64 under qemu-user, windows-amd64 deploys under wine, the macOS and
# windows-arm64 binaries are checked structurally; a target whose libraries are not built on
# this machine is left out, loudly, and its tests skip); then the unit and rpc suites again on an
# ASan+UBSan build, which also has the alloc_testing option and runs the allocation-failure
# sweep (tests/alloc, with a stride), a bounded libFuzzer run (tests/fuzz/run.sh) and the
# clang-format check. Every AWS request of the Python suites
# is checked against the botocore models on its way to moto. Ends with one "N passed, N failed"
# line and one "aws requests validated against the botocore models: N, violations: M" line, and
# exits non-zero on any failure. Usage: tests/check.sh [pytest args...]
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
START=$(date +%s)
source "$REPO/tools/setup/common.sh"
setup_toolchain || exit 1
step "toxiproxy (TCP-level fault tests)"
SECUREAPI_TOXIPROXY=$(bash "$REPO/tools/setup/install-toxiproxy.sh" | tail -1) || exit 1
export SECUREAPI_TOXIPROXY
build_plugin || exit 1
build_sdks || exit 1
step "release tarballs (tools/release/release.sh: linux-amd64 and every other target whose libraries are built)"
SECUREAPI_RELEASE_DIST=$(SECUREAPI_RELEASE_TARGETS=available \
    bash "$REPO/tools/release/release.sh" "$REPO/build-release/dist" | tail -1) || exit 1
export SECUREAPI_RELEASE_DIST
BUILD=$SECUREAPI_BUILD_DIR

RESULTS=$BUILD/test-results
rm -rf "$RESULTS"; mkdir -p "$RESULTS"
export SECUREAPI_LOG_DIR=$RESULTS/logs

step "unit suite"
meson test -C "$BUILD" --suite unit --print-errorlogs
UNIT_RC=$?
cp "$BUILD/meson-logs/testlog.json" "$RESULTS/unit.json" 2>/dev/null

step "unit suite under valgrind memcheck"
meson test -C "$BUILD" --suite unit --print-errorlogs \
    --wrap="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
MEMCHECK_RC=$?
cp "$BUILD/meson-logs/testlog-valgrind.json" "$RESULTS/unit-valgrind.json" 2>/dev/null ||
    cp "$BUILD/meson-logs/testlog.json" "$RESULTS/unit-valgrind.json" 2>/dev/null

# the same unit tests built for the release targets this machine can run: linux-amd64 natively,
# linux-arm64 under qemu-user and windows-amd64 under wine (the cross files' exe_wrapper; a
# headless wine prefix of the run's own)
step "unit suite on the release targets (linux-amd64, linux-arm64 under qemu-user, windows-amd64 under wine)"
CROSS_UNIT_RC=0
CROSS_TOOLS=$(bash "$REPO/tools/release/install-cross-tools.sh" | tail -1)
export WINEPREFIX=$RESULTS/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" WINEARCH=win64
for target in linux-amd64 linux-arm64 windows-amd64; do
    if grep -qx "$target" "$SECUREAPI_RELEASE_DIST/SKIPPED" 2>/dev/null; then
        continue
    fi
    if [ "$target" = windows-amd64 ] && [ ! -d "$WINEPREFIX" ]; then
        env -u DISPLAY wineboot -i >/dev/null 2>&1 || CROSS_UNIT_RC=1
    fi
    "$CROSS_TOOLS/meson" test -C "$REPO/build-release/$target" --no-rebuild --suite unit \
        --print-errorlogs || CROSS_UNIT_RC=1
    cp "$REPO/build-release/$target/meson-logs/testlog.json" "$RESULTS/unit-$target.json" ||
        CROSS_UNIT_RC=1
done
unset WINEPREFIX WINEDEBUG WINEDLLOVERRIDES WINEARCH

PY=("$VENV/bin/python" -m pytest -c tests/pytest.ini --rootdir tests)
step "python suites: proto, harness, layers, aws, rpc, limits, code, faults, deployer, e2e, release"
SUITES=(tests/proto tests/harness tests/layers tests/aws tests/rpc tests/limits tests/code
        tests/faults tests/deployer tests/e2e tests/release)
"${PY[@]}" --junitxml="$RESULTS/pytest.xml" "${SUITES[@]}" "$@"
PY_RC=$?

# valgrind runs the plugin on one core, so the memcheck rpc suite runs beside the sanitizer and
# fuzzing steps (its own pytest temp folder and output file; its output is shown when it ends)
step "rpc suite with the plugin under valgrind memcheck (in the background, beside the next steps)"
SECUREAPI_VALGRIND=1 "${PY[@]}" --basetemp="$RESULTS/pytest-valgrind-tmp" \
    --junitxml="$RESULTS/pytest-valgrind.xml" tests/rpc "$@" >"$RESULTS/pytest-valgrind.out" 2>&1 &
PYVG_PID=$!

step "ASan+UBSan build (with alloc_testing): unit, rpc and allocation-failure suites"
ASAN_BUILD=${SECUREAPI_ASAN_BUILD_DIR:-$REPO/build-asan}
SAN_RC=0
if [ ! -f "$ASAN_BUILD/build.ninja" ]; then
    meson setup "$ASAN_BUILD" -Db_sanitize=address,undefined -Db_lundef=false \
        -Dalloc_testing=true >/dev/null || SAN_RC=1
fi
meson configure "$ASAN_BUILD" -Dalloc_testing=true >/dev/null || SAN_RC=1
meson compile -C "$ASAN_BUILD" >/dev/null || { meson compile -C "$ASAN_BUILD"; SAN_RC=1; }
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
meson test -C "$ASAN_BUILD" --suite unit --print-errorlogs || SAN_RC=1
cp "$ASAN_BUILD/meson-logs/testlog.json" "$RESULTS/unit-asan.json" 2>/dev/null
SECUREAPI_SANITIZED=1 SECUREAPI_BUILD_DIR=$ASAN_BUILD "${PY[@]}" \
    --junitxml="$RESULTS/pytest-asan.xml" tests/rpc "$@" || SAN_RC=1
SECUREAPI_SANITIZED=1 SECUREAPI_ALLOC_BUILD_DIR=$ASAN_BUILD \
    SECUREAPI_ALLOC_STRIDE=${SECUREAPI_ALLOC_STRIDE:-50} "${PY[@]}" \
    --junitxml="$RESULTS/pytest-alloc.xml" tests/alloc "$@" || SAN_RC=1
unset ASAN_OPTIONS UBSAN_OPTIONS

step "fuzzing (bounded: ${SECUREAPI_FUZZ_SECONDS:-30} s per target)"
SECUREAPI_FUZZ_RESULTS="$RESULTS/unit-fuzz.json" bash tests/fuzz/run.sh "${SECUREAPI_FUZZ_SECONDS:-30}"
FUZZ_RC=$?

step "rpc suite with the plugin under valgrind memcheck (its output)"
wait "$PYVG_PID"
PYVG_RC=$?
cat "$RESULTS/pytest-valgrind.out"

step "clang-format (.clang-format, every C file of provider/ and tests/)"
FORMAT_RC=0
git ls-files -- 'provider/*.[ch]' 'tests/*.[ch]' 'tests/*.c.in' |
    xargs clang-format-14 --dry-run --Werror || FORMAT_RC=1

step "summary"
"$VENV/bin/python" - "$RESULTS" <<'PY'
import json, sys, xml.etree.ElementTree as ET
from pathlib import Path
res = Path(sys.argv[1])
passed = failed = skipped = 0
for name in ("unit.json", "unit-valgrind.json", "unit-asan.json", "unit-fuzz.json",
             *sorted(p.name for p in res.glob("unit-*-*.json"))):
    if not (res / name).exists():
        failed += 1
        continue
    for line in (res / name).read_text().splitlines():
        r = json.loads(line)
        if r["result"] == "OK": passed += 1
        elif r["result"] == "SKIP": skipped += 1
        else: failed += 1
for name in ("pytest.xml", "pytest-valgrind.xml", "pytest-asan.xml", "pytest-alloc.xml"):
    if not (res / name).exists():
        failed += 1
        continue
    for s in ET.parse(res / name).getroot().iter("testsuite"):
        t, f, e, sk = (int(s.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
        failed += f + e; skipped += sk; passed += t - f - e - sk
print(f"total: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
# every session's AWS requests went through the validating proxy (tests/harness/aws_validator.py)
(cd "$REPO/tests" && "$VENV/bin/python" -m harness.aws_validator "$SECUREAPI_LOG_DIR")
VALIDATION_RC=$?
if [ -f "$SECUREAPI_RELEASE_DIST/SKIPPED" ]; then
    echo "release targets NOT built nor tested on this machine (their libraries are not cached;" \
        "tools/release/release.sh builds them): $(tr '\n' ' ' <"$SECUREAPI_RELEASE_DIST/SKIPPED")"
else
    echo "release targets built and tested: all six"
fi
echo "elapsed: $(( $(date +%s) - START ))s"
[ $UNIT_RC -eq 0 ] && [ $MEMCHECK_RC -eq 0 ] && [ $CROSS_UNIT_RC -eq 0 ] && [ $PY_RC -eq 0 ] && [ $PYVG_RC -eq 0 ] && [ $SAN_RC -eq 0 ] && [ $FUZZ_RC -eq 0 ] &&
    [ $VALIDATION_RC -eq 0 ] && [ $FORMAT_RC -eq 0 ]
