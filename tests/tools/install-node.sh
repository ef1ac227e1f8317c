#!/usr/bin/env bash
# Makes sure Node.js (>= 20, for @pulumi/pulumi 3.248) and npm are on PATH, installing Debian's
# packages when they are missing. The npm packages of each program are installed by the tests
# and the demo into the program's own node_modules (git-ignored).
set -euo pipefail
if command -v node >/dev/null && command -v npm >/dev/null; then
    major=$(node -p 'process.versions.node.split(".")[0]')
    if [ "$major" -ge 20 ]; then exit 0; fi
    echo "install-node: Node.js $major is too old; need >= 20" >&2
    exit 1
fi
SUDO=
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
$SUDO apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >&2
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || { echo "install-node: Debian's Node.js $major is too old; need >= 20" >&2; exit 1; }
