#!/usr/bin/env bash
# One release binary: the target's libraries (build-cross-deps.sh, cached), then the plugin
# configured with the release options (meson option static_release, release buildtype, stripped
# at install) by zig through the cross file build-cross-deps.sh wrote, in build-release/<target>,
# and compiled. The release command (release.sh) runs it for each target, the benchmark
# (tests/bench/run.sh) for linux-amd64. Needs what install-release-deps.sh installs. Usage:
# build-binary.sh linux-amd64|linux-arm64|darwin-amd64|darwin-arm64|windows-amd64|windows-arm64
# (SECUREAPI_JOBS: compile jobs, default the cores). Prints the build folder on its last line; the
# binary, not yet stripped (meson install strips it), is <folder>/provider/pulumi-resource-secureapi
# (.exe on Windows).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TARGET=${1:?usage: build-binary.sh <os>-<arch>}
prefix=$(bash "$REPO/tools/release/build-cross-deps.sh" "$TARGET" | tail -1)
tools=$(bash "$REPO/tools/release/install-cross-tools.sh" | tail -1)
export ZIG_GLOBAL_CACHE_DIR=${SECUREAPI_CACHE:-$HOME/.cache/pulumi-secureapi}/zig-cache
export ZIG_LOCAL_CACHE_DIR=$ZIG_GLOBAL_CACHE_DIR
bdir="$REPO/build-release/$TARGET"
opts=(-Dstatic_release=true -Dbuildtype=release -Db_pie=false -Dstrip=true --prefix=/)
if [ -f "$bdir/build.ninja" ]; then
    "$tools/meson" configure "$bdir" "${opts[@]}" >/dev/null
else
    rm -rf "$bdir"
    echo "build-binary: meson setup $bdir" >&2
    "$tools/meson" setup "$bdir" "$REPO" --cross-file "$prefix/meson-cross.ini" "${opts[@]}" \
        >"$bdir.setup.log" 2>&1 || { tail -30 "$bdir.setup.log" >&2; exit 1; }
fi
echo "build-binary: building $TARGET" >&2
JOBS=${SECUREAPI_JOBS:-$(nproc)}
"$tools/meson" compile -C "$bdir" -j "$JOBS" >/dev/null ||
    { "$tools/meson" compile -C "$bdir" -j "$JOBS" >&2; exit 1; }
echo "$bdir"
