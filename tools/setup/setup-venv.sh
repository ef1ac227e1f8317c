#!/usr/bin/env bash
# Creates (or reuses) the Python virtual environment with the test tooling listed in
# tests/requirements.txt, in a cache folder outside the repository keyed by that file's hash.
# Prints the venv's path as its last line.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/../../tests" && pwd)
CACHE=${SECUREAPI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-secureapi}
REQ=$HERE/requirements.txt
KEY=$(sha256sum "$REQ" | cut -c1-12)
VENV=$CACHE/venv-$KEY
if [ ! -f "$VENV/.done" ]; then
    echo "setup-venv: creating $VENV" >&2
    rm -rf "$VENV"
    mkdir -p "$CACHE"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQ" >&2
    touch "$VENV/.done"
fi
echo "$VENV"
