#!/usr/bin/env bash
# Generates the Node.js and Python SDKs (sdk-shim/) from the built plugin's own schema with the
# real `pulumi package gen-sdk`. Usage: tools/sdk/gen-sdk.sh [OUT_DIR] (default: sdk-shim).
# Needs the plugin built (SECUREAPI_BUILD_DIR, default build/) and the Pulumi toolchain.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$REPO/sdk-shim}
BUILD=${SECUREAPI_BUILD_DIR:-$REPO/build}
PULUMI_BIN=${SECUREAPI_PULUMI_BIN:-$(bash "$REPO/tools/setup/install-pulumi.sh" | tail -1)}
HOME_DIR=$(mktemp -d)
trap 'rm -rf "$HOME_DIR"' EXIT
export PATH="$PULUMI_BIN:$PATH" PULUMI_HOME="$HOME_DIR" PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
mkdir -p "$OUT"
for lang in nodejs python; do
    rm -rf "${OUT:?}/$lang"
    (cd "$HOME_DIR" && pulumi package gen-sdk "$BUILD/provider/pulumi-resource-secureapi" \
        --language "$lang" -o "$OUT" >/dev/null)
done
cat > "$OUT/README.md" <<'MD'
# sdk-shim

The SDKs of the `secureapi` package, generated from the plugin's own schema
(`provider/schema.json`) by `pulumi package gen-sdk` through `tools/sdk/gen-sdk.sh`. Nothing here
is written by hand except this file; `tests/e2e/test_sdk.py` fails when regenerating changes a
tracked file.

- `nodejs/`: the npm package `pulumi-secureapi` (TypeScript).
- `python/`: the Python package `pulumi_secureapi`.
MD
