#!/usr/bin/env bash
# One release binary: the static dependencies for the architecture (build-static-deps.sh, cached),
# then the plugin configured with the release options (meson option static_release, release
# buildtype, stripped at install, aarch64-linux-gnu.ini for arm64) in build-release/<arch> and
# compiled. The release command (release.sh) runs it for each architecture, the benchmark
# (tests/bench/run.sh) for amd64. Needs what install-release-deps.sh installs. Usage:
# build-binary.sh amd64|arm64 (SECUREAPI_JOBS: compile jobs, default the cores). Prints the build
# folder on its last line; the binary, not yet stripped (meson install strips it), is
# <folder>/provider/pulumi-resource-secureapi.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ARCH=${1:?usage: build-binary.sh amd64|arm64}
case "$ARCH" in
    amd64) cross=() ;;
    arm64) cross=(--cross-file "$REPO/tools/release/aarch64-linux-gnu.ini") ;;
    *) echo "build-binary: unknown architecture '$ARCH' (amd64 or arm64)" >&2; exit 2 ;;
esac
prefix=$(bash "$REPO/tools/release/build-static-deps.sh" "$ARCH" | tail -1)
bdir="$REPO/build-release/$ARCH"
opts=(-Dstatic_release=true -Dbuildtype=release -Dstrip=true --prefix=/
      "-Dpkg_config_path=$prefix/lib/pkgconfig")
if [ -f "$bdir/build.ninja" ]; then
    meson configure "$bdir" "${opts[@]}" >/dev/null
else
    echo "build-binary: meson setup $bdir" >&2
    meson setup "$bdir" "$REPO" "${cross[@]}" "${opts[@]}" >/dev/null
fi
echo "build-binary: building linux-$ARCH" >&2
JOBS=${SECUREAPI_JOBS:-$(nproc)}
meson compile -C "$bdir" -j "$JOBS" >/dev/null || { meson compile -C "$bdir" -j "$JOBS" >&2; exit 1; }
echo "$bdir"
