#!/usr/bin/env bash
# Installs what the release builds and their tests need beyond install-deps.sh: the build tools the
# libraries' own builds use (CMake, Ninja, autotools, Perl for OpenSSL's Configure, the Unicode
# tables re2's are made from), llvm-14's
# strip and object tools (strip every target's format; the structural checks of the macOS and
# Windows binaries), qemu-user and its static build (linux-arm64 runs, also in an empty root), wine (windows-amd64 runs), debootstrap (the
# Debian root tests), and deb-src entries so `apt-get source` can fetch the Debian source packages
# every library is built from (build-cross-deps.sh). zig and meson come from PyPI
# (install-cross-tools.sh). Only what is missing is installed, so a warm machine pays nothing.
# Needs root or sudo.
set -euo pipefail
SUDO=
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

PKGS=(
    make cmake ninja-build autoconf automake libtool pkg-config perl dpkg-dev python3-venv
    unicode-data debootstrap qemu-user qemu-user-static llvm-14 wine wine64
)

update=0
SRC_LIST=/etc/apt/sources.list.d/secureapi-deb-src.sources
# an active deb-src line (one-line format) or a deb822 stanza with deb-src among its Types
if ! grep -rqsE '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' /etc/apt/sources.list \
        /etc/apt/sources.list.d/; then
    echo "install-release-deps: adding deb-src entries ($SRC_LIST)" >&2
    . /etc/os-release
    $SUDO tee "$SRC_LIST" >/dev/null <<EOF
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: ${VERSION_CODENAME} ${VERSION_CODENAME}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: ${VERSION_CODENAME}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    update=1
fi

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ] && [ $update = 0 ]; then
    exit 0
fi
$SUDO apt-get update -qq >&2
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-release-deps: installing ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >&2
fi
