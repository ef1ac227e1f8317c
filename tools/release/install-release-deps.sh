#!/usr/bin/env bash
# Installs what the static release build and its tests need beyond install-deps.sh: Debian's
# arm64 multiarch libraries (gRPC, abseil, OpenSSL, zlib, protobuf-c and their static archives),
# the aarch64 cross toolchain, qemu-user to run arm64 binaries, debootstrap for the minimal root
# filesystem test, and deb-src entries so `apt-get source` can fetch the Debian source packages
# of curl, libxml2 and cJSON (built statically by build-static-deps.sh). Only what is missing is
# installed, so a warm machine pays nothing. Needs root or sudo.
set -euo pipefail
SUDO=
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

PKGS=(
    g++ make cmake autoconf automake libtool dpkg-dev debootstrap qemu-user binutils
    gcc-aarch64-linux-gnu g++-aarch64-linux-gnu binutils-aarch64-linux-gnu
    libc6-dev:arm64 libstdc++-12-dev:arm64
    libgrpc-dev:arm64 libprotobuf-c-dev:arm64 libssl-dev:arm64 zlib1g-dev:arm64 libpcre2-dev:arm64
)

update=0
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "install-release-deps: adding the arm64 architecture" >&2
    $SUDO dpkg --add-architecture arm64
    update=1
fi
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
