#!/usr/bin/env bash
# Makes (once) a minimal Debian root filesystem with `debootstrap --variant=minbase` for the
# release tests: amd64 is a complete root a chroot can run; arm64 is debootstrap's first stage
# (--foreign: the required packages unpacked, not configured), which is what qemu-user needs to
# run an arm64 binary against that root's own glibc. No -dev or library packages are added: the
# roots hold only what minbase holds. Cached under ~/.cache/pulumi-secureapi/rootfs-*; made in a
# temporary directory and renamed, so an interrupted run never leaves half a root. Needs root.
# Usage: make-minbase-root.sh amd64|arm64; prints the root's path on its last line. The Debian
# release is this machine's unless SECUREAPI_ROOTFS_SUITE names another (the release tests also
# run the linux-amd64 binary in a bullseye root: Debian 11, glibc 2.31).
set -euo pipefail
ARCH=${1:?usage: make-minbase-root.sh amd64|arm64}
. /etc/os-release
SUITE=${SECUREAPI_ROOTFS_SUITE:-$VERSION_CODENAME}
MIRROR=${SECUREAPI_DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=${SECUREAPI_CACHE:-$HOME/.cache/pulumi-secureapi}
ROOT="$CACHE/rootfs-$SUITE-$ARCH-minbase"
if [ -f "$ROOT/.secureapi-complete" ]; then
    echo "$ROOT"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "make-minbase-root: debootstrap and chroot need root" >&2
    exit 1
fi
case "$ARCH" in
    amd64) foreign=() ;;
    arm64) foreign=(--foreign) ;;
    *) echo "make-minbase-root: unknown architecture '$ARCH' (amd64 or arm64)" >&2; exit 2 ;;
esac
mkdir -p "$CACHE"
TMP=$(mktemp -d "$CACHE/rootfs-tmp.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
echo "make-minbase-root: debootstrap --variant=minbase $SUITE ($ARCH) from $MIRROR" >&2
debootstrap "${foreign[@]}" --arch="$ARCH" --variant=minbase "$SUITE" "$TMP/root" "$MIRROR" \
    >"$TMP/debootstrap.log" 2>&1 || { tail -20 "$TMP/debootstrap.log" >&2; exit 1; }
rm -rf "$TMP/root/var/cache/apt/archives/"*.deb
touch "$TMP/root/.secureapi-complete"
rm -rf "$ROOT"
mv "$TMP/root" "$ROOT"
echo "$ROOT"
