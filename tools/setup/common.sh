# Shared set-up for tests/check.sh and tools/demo.sh (sourced, not run): installs what is missing
# and exports REPO, VENV, SECUREAPI_PULUMI_BIN and SECUREAPI_BUILD_DIR, with the plugin built.
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
START=${START:-$(date +%s)}
step() { echo "== $* ($(( $(date +%s) - START ))s)" >&2; }

setup_toolchain() {
    step "debian packages"
    bash "$REPO/tools/setup/install-deps.sh" || return 1
    step "node.js"
    NODE_BIN=$(bash "$REPO/tools/setup/install-node.sh" | tail -1) || return 1
    export PATH="$NODE_BIN:$PATH"
    step "python venv"
    VENV=$(bash "$REPO/tools/setup/setup-venv.sh" | tail -1) || return 1
    step "pulumi cli and language hosts"
    SECUREAPI_PULUMI_BIN=$(bash "$REPO/tools/setup/install-pulumi.sh" | tail -1) || return 1
    export VENV SECUREAPI_PULUMI_BIN
}

build_plugin() {
    SECUREAPI_BUILD_DIR=${SECUREAPI_BUILD_DIR:-$REPO/build}
    export SECUREAPI_BUILD_DIR
    step "build ($SECUREAPI_BUILD_DIR)"
    if [ ! -f "$SECUREAPI_BUILD_DIR/build.ninja" ]; then
        meson setup "$SECUREAPI_BUILD_DIR" "$REPO" >/dev/null || return 1
    fi
    meson compile -C "$SECUREAPI_BUILD_DIR" >/dev/null || { meson compile -C "$SECUREAPI_BUILD_DIR"; return 1; }
}

build_sdks() {
    step "sdk-shim (Node.js SDK build)"
    bash "$REPO/tools/sdk/build-sdk.sh" || return 1
}
