#!/usr/bin/env bash
# The README's main job: installs what is missing, builds the plugin, starts the embedded AWS
# (moto on 127.0.0.1), and deploys examples/typescript with the real `pulumi up`, then prints the
# stack outputs. The stack lives in a throwaway file:// backend and is destroyed (and moto
# stopped) at the end; pass --keep to leave moto and the stack up until you press Ctrl-C.
set -uo pipefail
KEEP=0
[ "${1:-}" = "--keep" ] && KEEP=1
START=$(date +%s)
source "$(dirname "$0")/tools/common.sh"
setup_toolchain || exit 1
build_plugin || exit 1
build_sdks || exit 1

WORK=$(mktemp -d "${TMPDIR:-/tmp}/secureapi-demo.XXXXXX")
MOTO_PID=
cleanup() {
    [ -n "$MOTO_PID" ] && kill "$MOTO_PID" 2>/dev/null && wait "$MOTO_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

step "embedded AWS (moto)"
(cd "$REPO/tests" && exec "$VENV/bin/python" -m harness.moto "$WORK/moto-url") &
MOTO_PID=$!
for _ in $(seq 1 300); do [ -s "$WORK/moto-url" ] && break; sleep 0.1; done
[ -s "$WORK/moto-url" ] || { echo "moto did not start" >&2; exit 1; }
MOTO_URL=$(cat "$WORK/moto-url")

EX=$REPO/examples/typescript
step "npm packages for examples/typescript"
(cd "$EX" && npm install --no-audit --no-fund --no-package-lock --loglevel=error --prefer-offline) || exit 1

mkdir -p "$WORK/state"
export PATH="$SECUREAPI_BUILD_DIR/provider:$SECUREAPI_PULUMI_BIN:$PATH"
export PULUMI_HOME="$WORK/home" PULUMI_BACKEND_URL="file://$WORK/state"
export PULUMI_CONFIG_PASSPHRASE=demo PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export AWS_ENDPOINT_URL="$MOTO_URL" AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
export AWS_SECRET_ACCESS_KEY=moto-demo-secret AWS_REGION=ap-southeast-1 AWS_EC2_METADATA_DISABLED=true
cd "$EX"
pulumi stack init demo --non-interactive >/dev/null || exit 1
pulumi config set environmentSuffix demo --non-interactive || exit 1

step "pulumi up (examples/typescript -> $MOTO_URL)"
pulumi up --yes --skip-preview --non-interactive --color never || exit 1
step "stack outputs"
pulumi stack output --json
if [ $KEEP = 1 ]; then
    echo "demo: moto at $MOTO_URL keeps the stack; Ctrl-C to stop (the stack is thrown away)."
    wait "$MOTO_PID"
else
    step "pulumi destroy"
    pulumi destroy --yes --skip-preview --non-interactive --color never >/dev/null
fi
