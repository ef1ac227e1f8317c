#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need (C libraries, meson, protoc, cmocka,
# valgrind), only when one is missing, so a warm machine pays nothing. Needs root or sudo.
set -euo pipefail
PKGS=(
    build-essential meson ninja-build pkg-config
    libgrpc-dev libprotobuf-c-dev protobuf-c-compiler libprotobuf-dev protobuf-compiler
    libcurl4-openssl-dev libssl-dev libcjson-dev libxml2-dev zlib1g-dev libpcre2-dev
    libcmocka-dev valgrind python3-venv curl ca-certificates clang-14 libclang-rt-14-dev
    libarchive-dev
    clang-format-14
)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
SUDO=
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
echo "install-deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
