#!/usr/bin/env bash
# The cross toolchain of the release builds for other systems (build-cross-deps.sh,
# build-binary.sh): zig (PyPI `ziglang`: clang, musl, mingw-w64, macOS libSystem stubs and libc++
# for every target, from one package) and a meson from PyPI that knows zig's linker (Debian 12's
# meson 1.0.1 does not), in a virtual environment cached under ~/.cache/pulumi-secureapi and
# keyed by the two versions. Prints the environment's bin folder (zig is its python-zig: run as
# `python3 -m ziglang`; the wrappers build-cross-deps.sh writes call it) on its last line.
set -euo pipefail
ZIG_VERSION=0.17.1
MESON_VERSION=1.12.1
CACHE=${SECUREAPI_CACHE:-$HOME/.cache/pulumi-secureapi}
VENV="$CACHE/cross-tools-zig$ZIG_VERSION-meson$MESON_VERSION"
mkdir -p "$CACHE"
exec 9>"$CACHE/.cross-tools.lock"
flock 9
if [ ! -f "$VENV/.done" ]; then
    echo "install-cross-tools: ziglang $ZIG_VERSION and meson $MESON_VERSION from PyPI" >&2
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q "ziglang==$ZIG_VERSION" "meson==$MESON_VERSION" >&2
    touch "$VENV/.done"
fi
echo "$VENV/bin"
