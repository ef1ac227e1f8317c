#!/usr/bin/env bash
# Builds the committed SDKs for local use: the Node.js SDK is compiled with tsc into
# sdk-shim/nodejs/bin (git-ignored, with its package.json, so programs depend on
# "file:<repo>/sdk-shim/nodejs/bin"); the Python SDK needs no build (programs put sdk-shim/python
# is installed into the test venv when VENV is set, since it reads its version from the installed
# package's metadata). Reuses a build that is newer than every source file.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SDK=$REPO/sdk-shim/nodejs
STAMP=$SDK/bin/.built
if [ -n "${VENV:-}" ]; then
    PYSDK=$REPO/sdk-shim/python
    PYSTAMP=$VENV/.secureapi-sdk-built
    if [ ! -f "$PYSTAMP" ] || [ -n "$(find "$PYSDK" -type f -newer "$PYSTAMP" -print -quit)" ]; then
        "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps --force-reinstall \
            "$PYSDK" >&2
        touch "$PYSTAMP"
    fi
fi
if [ -f "$STAMP" ] && [ -z "$(find "$SDK" -path "$SDK/bin" -prune -o -path "$SDK/node_modules" -prune -o -type f -newer "$STAMP" -print -quit)" ]; then
    exit 0
fi
cd "$SDK"
npm install --no-audit --no-fund --no-package-lock --loglevel=error --prefer-offline >&2
rm -rf bin
npx tsc >&2
cp package.json README.md bin/
touch "$STAMP"
