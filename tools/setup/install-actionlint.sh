#!/usr/bin/env bash
# Builds actionlint (pinned; the GitHub Actions workflow linter) from Go modules into a per-version
# cache folder outside the repository, for the workflow test (tests/release/test_workflow.py).
# Idempotent: a finished build is reused, a half-finished one is redone. Prints the path of the
# binary on stdout as its last line.
set -euo pipefail

ACTIONLINT_VERSION=${ACTIONLINT_VERSION:-1.7.12}
CACHE=${SECUREAPI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-secureapi}
ROOT=$CACHE/actionlint-v$ACTIONLINT_VERSION
BIN=$ROOT/bin/actionlint

log() { echo "install-actionlint: $*" >&2; }

if [ -f "$ROOT/.done" ] && "$BIN" -version >/dev/null 2>&1; then
    echo "$BIN"
    exit 0
fi

command -v go >/dev/null || { log "go is required (the Go toolchain builds actionlint)"; exit 1; }
export CGO_ENABLED=0
export GOFLAGS=-modcacherw
export GOTOOLCHAIN=local

rm -rf "$ROOT"
mkdir -p "$ROOT/bin"
log "building actionlint v$ACTIONLINT_VERSION"
# `go install pkg@version` builds with the module's own go.mod; the version is stamped the way
# actionlint's own release build does it, so `actionlint -version` reports it.
(cd "$ROOT" && GOBIN="$ROOT/bin" go install -trimpath \
    -ldflags "-s -w -X github.com/rhysd/actionlint.version=$ACTIONLINT_VERSION" \
    "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION" >&2)
v=$("$BIN" -version 2>&1 | head -1)
case "$v" in
*"$ACTIONLINT_VERSION"*) ;;
*) log "built actionlint reports '$v'"; exit 1 ;;
esac
touch "$ROOT/.done"
echo "$BIN"
