#!/usr/bin/env bash
# Generates the Node.js, Python and Go SDKs (sdk-shim/) from the built plugin's own schema with the
# real `pulumi package gen-sdk`. Usage: tools/sdk/gen-sdk.sh [OUT_DIR] (default: sdk-shim).
# Needs the plugin built (SECUREAPI_BUILD_DIR, default build/), the Pulumi toolchain and Go.
# The Go SDK gets its go.mod and go.sum here (codegen writes one only for schemas with
# meta.supportPack, which would also change the Python SDK's packaging): module
# <importBasePath without its last element>, requiring github.com/pulumi/pulumi/sdk/v3 at the CLI's
# version, tidied with the module cache of tools/sdk/go-env.sh.
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
for lang in nodejs python go; do
    rm -rf "${OUT:?}/$lang"
    (cd "$HOME_DIR" && pulumi package gen-sdk "$BUILD/provider/pulumi-resource-secureapi" \
        --language "$lang" -o "$OUT" >/dev/null)
done
# The Go module: go.mod at go/ (the folder gen-sdk writes the package folder secureapi/ into).
CLI_VERSION=$(pulumi version)
MODULE=$(python3 -c 'import json,sys,posixpath
print(posixpath.dirname(json.load(open(sys.argv[1]))["language"]["go"]["importBasePath"]))' \
    "$REPO/provider/schema.json")
source "$REPO/tools/sdk/go-env.sh"
(
    cd "$OUT/go"
    printf 'module %s\n\ngo 1.25\n\nrequire github.com/pulumi/pulumi/sdk/v3 %s\n' "$MODULE" "$CLI_VERSION" > go.mod
    go mod tidy >&2
)
cat > "$OUT/README.md" <<'MD'
# sdk-shim

The SDKs of the `secureapi` package, generated from the plugin's own schema
(`provider/schema.json`) by `pulumi package gen-sdk` through `tools/sdk/gen-sdk.sh`. Nothing here
is written by hand except this file; `tests/e2e/test_sdk.py` fails when regenerating changes a
tracked file.

- `nodejs/`: the npm package `pulumi-secureapi` (TypeScript).
- `python/`: the Python package `pulumi_secureapi`.
- `go/`: the Go module `github.com/pulumi-secureapi/pulumi-secureapi/sdk/go` (`go.mod` and
  `go.sum` are written by `gen-sdk.sh` after `gen-sdk`: it requires `github.com/pulumi/pulumi/sdk/v3`
  at the Pulumi CLI's version), with the package
  `github.com/pulumi-secureapi/pulumi-secureapi/sdk/go/secureapi` in `go/secureapi/` (the
  schema's `language.go.importBasePath`). The module path names the folder `sdk/go` of the
  repository, where Go looks for it: `go get
  github.com/pulumi-secureapi/pulumi-secureapi/sdk/go/secureapi` resolves once this folder is
  published as `sdk/go` (with a `sdk/go/vX.Y.Z` tag). Until then a program uses it with
  `replace github.com/pulumi-secureapi/pulumi-secureapi/sdk/go => <path to sdk-shim/go>` (as
  `examples/go` does) or generates its own copy with `pulumi package add`.
MD
