#!/usr/bin/env bash
# Writes the SDK packages of a release into an output folder, their versions equal to the
# plugin's (meson.build's project version, checked against the committed SDKs' own):
#   pulumi-secureapi-<ver>.tgz                 `npm pack` of the built Node.js SDK (tools/sdk/build-sdk.sh)
#   pulumi_secureapi-<ver>-py3-none-any.whl    the Python SDK (sdk-shim/python) built with PyPA
#   pulumi_secureapi-<ver>.tar.gz              `build` through the PEP 517 setuptools backend
# Needs no root: Node.js comes from tools/setup/install-node.sh, `build` and setuptools (pinned)
# from a private venv in the cache folder. tools/release/release.sh calls it; tests call it alone.
# Usage: tools/release/sdk-packages.sh [output dir, default build-release/dist]. Prints the output
# dir as its last line.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=$(mkdir -p "${1:-$REPO/build-release/dist}" && cd "${1:-$REPO/build-release/dist}" && pwd)
CACHE=${SECUREAPI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-secureapi}
BUILD_VERSION=1.6.1 SETUPTOOLS_VERSION=84.2.1 WHEEL_VERSION=0.48.0
log() { echo "sdk-packages: $*" >&2; }

VERSION=$(sed -n "s/^ *version: *'\([^']*\)'.*/\1/p" "$REPO/meson.build" | head -1)
[ -n "$VERSION" ] || { log "no project version in meson.build"; exit 1; }
NPM_VERSION=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["version"])' \
    "$REPO/sdk-shim/nodejs/package.json")
PY_VERSION=$(sed -n 's/^VERSION = "\(.*\)"$/\1/p' "$REPO/sdk-shim/python/setup.py")
if [ "$NPM_VERSION" != "$VERSION" ] || [ "$PY_VERSION" != "$VERSION" ]; then
    log "SDK versions (npm $NPM_VERSION, python $PY_VERSION) differ from meson.build's $VERSION;" \
        "regenerate the SDKs (tools/sdk/gen-sdk.sh)"
    exit 1
fi

rm -f "$OUT"/pulumi-secureapi-*.tgz "$OUT"/pulumi_secureapi-*.whl "$OUT"/pulumi_secureapi-*.tar.gz

# ---- Node.js: the compiled SDK (sdk-shim/nodejs/bin, with its package.json) packed by npm
NODE_BIN=$(bash "$REPO/tools/setup/install-node.sh" | tail -1)
export PATH="$NODE_BIN:$PATH"
# VENV unset: build-sdk.sh then leaves every Python venv alone
env -u VENV bash "$REPO/tools/sdk/build-sdk.sh"
STAGE=$(mktemp -d "${TMPDIR:-/tmp}/secureapi-npm.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
cp -r "$REPO/sdk-shim/nodejs/bin/." "$STAGE/"
rm -f "$STAGE/.built"  # build-sdk.sh's stamp
(cd "$STAGE" && npm pack --pack-destination "$OUT" --loglevel=error >/dev/null)
[ -f "$OUT/pulumi-secureapi-$VERSION.tgz" ] || { log "npm pack wrote no pulumi-secureapi-$VERSION.tgz"; exit 1; }

# ---- Python: wheel + sdist. The generated SDK has a setup.py and no pyproject.toml (the schema's
# language.python.pyproject is off), so a copy gets a pyproject.toml naming the setuptools PEP 517
# backend (metadata stays in setup.py), and
# its README.md at the root (setup.py reads it for the long description PyPI shows).
PYVENV=$CACHE/pybuild-build$BUILD_VERSION-setuptools$SETUPTOOLS_VERSION
if [ ! -f "$PYVENV/.done" ]; then
    log "creating $PYVENV"
    rm -rf "$PYVENV"
    python3 -m venv "$PYVENV"
    "$PYVENV/bin/pip" install -q --disable-pip-version-check "build==$BUILD_VERSION" \
        "setuptools==$SETUPTOOLS_VERSION" "wheel==$WHEEL_VERSION" >&2
    touch "$PYVENV/.done"
fi
SRC=$(mktemp -d "${TMPDIR:-/tmp}/secureapi-pysdk.XXXXXX")
trap 'rm -rf "$STAGE" "$SRC"' EXIT
cp -r "$REPO/sdk-shim/python/." "$SRC/"
find "$SRC" -name __pycache__ -prune -exec rm -rf {} +
rm -rf "$SRC"/*.egg-info "$SRC/build"
cp "$REPO/sdk-shim/python/pulumi_secureapi/README.md" "$SRC/README.md"
# (a generated pyproject.toml, once the schema asks for one, is used as it is)
if [ ! -f "$SRC/pyproject.toml" ]; then
    cat > "$SRC/pyproject.toml" <<TOML
# Added by tools/release/sdk-packages.sh: the PEP 517 build backend; metadata is in setup.py.
[build-system]
requires = ["setuptools>=61", "wheel"]
build-backend = "setuptools.build_meta"
TOML
fi
# --no-isolation: the backend is the pinned one of the private venv (no second download per build)
"$PYVENV/bin/python" -m build --no-isolation --sdist --wheel --outdir "$OUT" "$SRC" >&2
for f in "pulumi_secureapi-$VERSION-py3-none-any.whl" "pulumi_secureapi-$VERSION.tar.gz"; do
    [ -f "$OUT/$f" ] || { log "build wrote no $f"; exit 1; }
done
log "wrote $OUT: pulumi-secureapi-$VERSION.tgz pulumi_secureapi-$VERSION-py3-none-any.whl pulumi_secureapi-$VERSION.tar.gz"
echo "$OUT"
