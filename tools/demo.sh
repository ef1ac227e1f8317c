#!/usr/bin/env bash
# The README's main job: installs what is missing, builds the plugin and the SDK, starts the
# embedded AWS (moto on 127.0.0.1, behind a proxy that checks every request against the botocore
# models and refuses what real AWS would), deploys examples/typescript with the real `pulumi up`,
# and prints the stack outputs. The stack lives in a throwaway file:// backend and is destroyed
# (and moto stopped) at the end, with the number of requests checked and any violation (which
# fails the demo); --keep leaves both up until Ctrl-C. The plugin is installed as users install
# it: the just-built binary packed as a release tarball (pulumi-resource-secureapi-v<ver>-linux-
# <arch>.tar.gz, `meson compile package`) and `pulumi plugin install resource secureapi <ver>
# --file <tarball>` into the demo's PULUMI_HOME, never taken from $PATH.
#   tools/demo.sh --aws            deploys to your real AWS account with your usual credentials
#                                  (the stack is kept; its state is in ~/.cache/pulumi-secureapi)
#   tools/demo.sh --aws --destroy  tears that stack down again
set -uo pipefail
KEEP=0 REAL=0 DESTROY=0
for a in "$@"; do
    case "$a" in
    --keep) KEEP=1 ;;
    --aws) REAL=1 ;;
    --destroy) DESTROY=1 ;;
    *) echo "usage: tools/demo.sh [--keep] [--aws [--destroy]]" >&2; exit 2 ;;
    esac
done
START=$(date +%s)
source "$(dirname "$0")/setup/common.sh"
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

EX=$REPO/examples/typescript
export PATH="$SECUREAPI_PULUMI_BIN:$PATH"
export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
if [ $REAL = 1 ]; then
    # your AWS: your credentials, your region (ap-southeast-1 is the example's), real endpoints
    STATE=${SECUREAPI_CACHE:-$HOME/.cache/pulumi-secureapi}/demo-aws-state
    mkdir -p "$STATE"
    export PULUMI_HOME="$STATE/home" PULUMI_BACKEND_URL="file://$STATE"
    export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE:-demo}
    if [ -n "${AWS_ENDPOINT_URL:-}" ]; then
        echo "demo: AWS_ENDPOINT_URL is set ($AWS_ENDPOINT_URL); unset it to deploy to AWS" >&2
        exit 1
    fi
    STACK=aws
else
    step "embedded AWS (moto)"
    (cd "$REPO/tests" && exec "$VENV/bin/python" -m harness.moto "$WORK/moto-url") &
    MOTO_PID=$!
    for _ in $(seq 1 300); do [ -s "$WORK/moto-url" ] && break; sleep 0.1; done
    [ -s "$WORK/moto-url" ] || { echo "moto did not start" >&2; exit 1; }
    MOTO_URL=$(cat "$WORK/moto-url")
    mkdir -p "$WORK/state"
    export PULUMI_HOME="$WORK/home" PULUMI_BACKEND_URL="file://$WORK/state"
    export PULUMI_CONFIG_PASSPHRASE=demo
    export AWS_ENDPOINT_URL="$MOTO_URL" AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
    export AWS_SECRET_ACCESS_KEY=moto-demo-secret AWS_REGION=ap-southeast-1
    export AWS_EC2_METADATA_DISABLED=true
    STACK=demo
fi

step "plugin: the release tarball of the just-built binary"
meson compile -C "$SECUREAPI_BUILD_DIR" package >/dev/null || exit 1
VERSION=$(sed -n "s/^ *version: *'\([^']*\)'.*/\1/p" "$REPO/meson.build" | head -1)
case "$(uname -m)" in x86_64) ARCH=amd64 ;; aarch64) ARCH=arm64 ;; *) ARCH=$(uname -m) ;; esac
TGZ=$SECUREAPI_BUILD_DIR/provider/pulumi-resource-secureapi-v$VERSION-linux-$ARCH.tar.gz
echo "pulumi plugin install resource secureapi $VERSION --file $TGZ"
pulumi plugin install resource secureapi "$VERSION" --file "$TGZ" --reinstall \
    --non-interactive --color never || exit 1

step "npm packages for examples/typescript"
(cd "$EX" && npm install --no-audit --no-fund --no-package-lock --loglevel=error --prefer-offline) || exit 1
cd "$EX"
if [ $DESTROY = 1 ]; then
    step "pulumi destroy ($STACK)"
    pulumi destroy --stack "$STACK" --yes --skip-preview --non-interactive --color never || exit 1
    pulumi stack rm "$STACK" --yes --non-interactive >/dev/null
    exit 0
fi
if ! pulumi stack select "$STACK" --non-interactive >/dev/null 2>&1; then
    pulumi stack init "$STACK" --non-interactive >/dev/null || exit 1
fi
pulumi config set environmentSuffix "$STACK" --non-interactive || exit 1

step "pulumi up (examples/typescript -> ${AWS_ENDPOINT_URL:-AWS})"
pulumi up --yes --skip-preview --non-interactive --color never || exit 1
step "stack outputs"
pulumi stack output --json
if [ $REAL = 1 ]; then
    echo "demo: deployed to AWS; tear it down with: tools/demo.sh --aws --destroy"
elif [ $KEEP = 1 ]; then
    echo "demo: moto at $MOTO_URL keeps the stack; Ctrl-C to stop (the stack is thrown away)."
    wait "$MOTO_PID"
else
    step "pulumi destroy"
    pulumi destroy --yes --skip-preview --non-interactive --color never >/dev/null
fi
if [ -n "$MOTO_PID" ]; then
    # moto's validating proxy prints what it checked (and every violation) as it stops
    step "aws requests checked against the botocore models"
    kill "$MOTO_PID" 2>/dev/null
    wait "$MOTO_PID"
    VALIDATION_RC=$?
    MOTO_PID=
    if [ $VALIDATION_RC -ne 0 ]; then
        echo "demo: the plugin sent requests that real AWS refuses (listed above)" >&2
        exit 1
    fi
fi
