#!/usr/bin/env bash
# Builds toxiproxy-server (pinned) from Go modules into a per-version cache folder outside the
# repository, for the TCP-level fault tests (tests/faults/test_tcp_faults.py): latency, resets,
# cut connections and stalls between the plugin and moto. Idempotent: a finished build is reused,
# a half-finished one is redone. Prints the path of the binary on stdout as its last line.
set -euo pipefail

TOXIPROXY_VERSION=${TOXIPROXY_VERSION:-2.12.0}
CACHE=${SECUREAPI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-secureapi}
ROOT=$CACHE/toxiproxy-v$TOXIPROXY_VERSION
BIN=$ROOT/bin/toxiproxy-server

log() { echo "install-toxiproxy: $*" >&2; }

if [ -f "$ROOT/.done" ] && "$BIN" -version >/dev/null 2>&1; then
    echo "$BIN"
    exit 0
fi

command -v go >/dev/null || { log "go is required (the Go toolchain builds toxiproxy)"; exit 1; }
export CGO_ENABLED=0
export GOFLAGS=-modcacherw
export GOTOOLCHAIN=local

rm -rf "$ROOT"
mkdir -p "$ROOT/bin"
log "building toxiproxy-server v$TOXIPROXY_VERSION"
# `go install pkg@version` builds with the module's own go.mod; the command is named after its
# folder (server), so it is renamed to what the tests look for.
(cd "$ROOT" && GOBIN="$ROOT/bin" go install -trimpath \
    -ldflags "-s -w -X github.com/Shopify/toxiproxy/v2.Version=v$TOXIPROXY_VERSION" \
    "github.com/Shopify/toxiproxy/v2/cmd/server@v$TOXIPROXY_VERSION" >&2)
mv -f "$ROOT/bin/server" "$BIN"
v=$("$BIN" -version 2>&1)
case "$v" in
*"v$TOXIPROXY_VERSION"*) ;;
*) log "built toxiproxy-server reports '$v'"; exit 1 ;;
esac
touch "$ROOT/.done"
echo "$BIN"
