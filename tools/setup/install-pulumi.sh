#!/usr/bin/env bash
# Builds the real Pulumi CLI (pinned) and the language hosts our end-to-end tests drive
# (nodejs, python with its exec script, go, yaml, plus the yaml converter) from Go modules, into a
# per-version cache folder outside the repository, then our language-host front (tools/langhost)
# in front of the nodejs, python and go hosts, and a code-generation-only .NET host
# (tools/langhost/dotnet) for `pulumi package gen-sdk --language dotnet`. Idempotent: a finished build is reused, a half-finished one
# is redone, and a finished build whose front is missing or stale gets only the front (re)built.
# Prints the bin folder on stdout as its last line.
set -euo pipefail

PULUMI_VERSION=${PULUMI_VERSION:-3.274.1}
YAML_VERSION=${PULUMI_YAML_VERSION:-1.25.0}
CACHE=${SECUREAPI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-secureapi}
ROOT=$CACHE/pulumi-v$PULUMI_VERSION-yaml-v$YAML_VERSION
OUT=$ROOT/bin
W=$ROOT/wrapper
LANGHOST_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../langhost" && pwd)

log() { echo "install-pulumi: $*" >&2; }

# The front's cache key: its source, its module files and the engine version it is built against.
langhost_key() {
    (cd "$LANGHOST_SRC" && sha256sum go.mod go.sum *.go && echo "pulumi v$PULUMI_VERSION") |
        sha256sum | cut -c1-16
}
langhost_ok() {
    [ "$(cat "$ROOT/.langhost" 2>/dev/null)" = "$(langhost_key)" ] || return 1
    local lang
    for lang in nodejs python go; do
        [ -x "$OUT/pulumi-language-$lang" ] || return 1
        compgen -G "$OUT/pulumi-language-$lang-v*" >/dev/null || return 1
    done
}

# Builds the front and installs it as pulumi-language-nodejs, -python and -go, with the real (older) hosts
# beside it as pulumi-language-<lang>-v<sdk version>, where the front finds them.
install_langhost() {
    local lang bin ver hw
    for lang in nodejs python; do
        bin=$OUT/pulumi-language-$lang
        # A host under the plain name is a real one (a cache built before the front existed, or the
        # full build below): move it aside under its sdk version, read from its own build info.
        if [ -f "$bin" ] && go version -m "$bin" |
            grep -Eq "^[[:space:]]path[[:space:]]+github.com/pulumi/pulumi/sdk/v3/$lang/cmd/pulumi-language-$lang\$"; then
            ver=$(go version -m "$bin" |
                awk '($1=="mod" || $1=="dep") && $2=="github.com/pulumi/pulumi/sdk/v3" {print $3; exit}')
            [ -n "$ver" ] || { log "cannot read the sdk version of $bin"; return 1; }
            rm -f "$OUT"/pulumi-language-$lang-v*
            mv "$bin" "$bin-$ver"
        fi
        compgen -G "$bin-v*" >/dev/null || { log "no real $lang host in $OUT"; return 1; }
    done
    compgen -G "$OUT/pulumi-language-go-v*" >/dev/null || { log "no real go host in $OUT"; return 1; }
    log "building the language-host front (tools/langhost)"
    hw=$ROOT/wrapper-langhost
    rm -rf "$hw"; mkdir -p "$hw"
    cp "$LANGHOST_SRC"/go.mod "$LANGHOST_SRC"/go.sum "$LANGHOST_SRC"/*.go "$hw/"
    (
        cd "$hw"
        # go.mod pins pkg/sdk to the default CLI version; follow an overridden one.
        if [ "$(go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)" != "v$PULUMI_VERSION" ]; then
            go get "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" >&2
            go mod tidy >&2
        fi
        go build -trimpath -buildvcs=false -ldflags "-s -w" -o "$OUT/.pulumi-language-front.tmp" .
    )
    mv -f "$OUT/.pulumi-language-front.tmp" "$OUT/pulumi-language-nodejs"
    ln -f "$OUT/pulumi-language-nodejs" "$OUT/pulumi-language-python"
    ln -f "$OUT/pulumi-language-nodejs" "$OUT/pulumi-language-go"
    langhost_key > "$ROOT/.langhost"
}

export CGO_ENABLED=0
export GOFLAGS=-modcacherw
export GOTOOLCHAIN=local

build_host() { # <sdk version> <package> <output name>
    local hw="$ROOT/wrapper-$3"
    rm -rf "$hw"; mkdir -p "$hw"
    (
        cd "$hw"
        go mod init local.invalid/host-build >/dev/null 2>&1
        go mod edit -replace=golang.org/x/text=golang.org/x/text@v0.3.6 \
            -replace=github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e
        go get "github.com/pulumi/pulumi/sdk/v3@$1" >&2
        printf 'package tools\nimport _ "%s"\n' "$2" > tools.go
        go mod tidy >&2 || true
        go get "github.com/pulumi/pulumi/sdk/v3@$1" >&2
        go build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$1" \
            -o "$OUT/$3" "$2"
    )
}

# The Go language host, a separate cached step (its own marker, .gohost, so adding or changing it
# never rebuilds the CLI): like the nodejs and python hosts, current Go hosts live in an untagged
# nested module (sdk/go/pulumi-language-go/v3) that the module proxy here refuses (403); the newest
# one inside the tagged sdk/v3 module is sdk v3.66.0's (sdk v3.67.0 moved it out). It runs Go
# programs (`go build` in the project, then the binary) and sits beside the front, which serves the
# code generation (gen-sdk --language go) it predates.
GO_HOST_SDK=${PULUMI_GO_HOST_SDK:-v3.66.0}
gohost_ok() {
    [ "$(cat "$ROOT/.gohost" 2>/dev/null)" = "$GO_HOST_SDK" ] && [ -x "$OUT/pulumi-language-go-$GO_HOST_SDK" ]
}
install_gohost() {
    log "building the Go language host (sdk $GO_HOST_SDK)"
    rm -f "$ROOT/.gohost" "$OUT"/pulumi-language-go-v*
    build_host "$GO_HOST_SDK" github.com/pulumi/pulumi/sdk/v3/go/pulumi-language-go \
        "pulumi-language-go-$GO_HOST_SDK"
    echo "$GO_HOST_SDK" > "$ROOT/.gohost"
}

# The code-generation-only .NET host (tools/langhost/dotnet, its own module pinned to the last pkg/v3
# with codegen/dotnet we can build cheaply), so `pulumi package gen-sdk --language dotnet` works here;
# a separate cached step too (.dotnethost holds the hash of its sources).
DOTNETHOST_SRC=$LANGHOST_SRC/dotnet
dotnethost_key() {
    (cd "$DOTNETHOST_SRC" && sha256sum go.mod go.sum *.go) | sha256sum | cut -c1-16
}
dotnethost_ok() {
    [ "$(cat "$ROOT/.dotnethost" 2>/dev/null)" = "$(dotnethost_key)" ] && [ -x "$OUT/pulumi-language-dotnet" ]
}
install_dotnethost() {
    log "building the code-generation-only .NET host (tools/langhost/dotnet)"
    local hw=$ROOT/wrapper-langhost-dotnet pkgv
    rm -rf "$hw" "$ROOT/.dotnethost"; mkdir -p "$hw"
    cp "$DOTNETHOST_SRC"/go.mod "$DOTNETHOST_SRC"/go.sum "$DOTNETHOST_SRC"/*.go "$hw/"
    (
        cd "$hw"
        pkgv=$(go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)
        go build -trimpath -buildvcs=false -ldflags "-s -w -X main.pkgVersion=${pkgv#v}" \
            -o "$OUT/.pulumi-language-dotnet.tmp" .
    )
    mv -f "$OUT/.pulumi-language-dotnet.tmp" "$OUT/pulumi-language-dotnet"
    dotnethost_key > "$ROOT/.dotnethost"
}

if [ -f "$ROOT/.done" ] && "$OUT/pulumi" version >/dev/null 2>&1; then
    if ! dotnethost_ok; then
        command -v go >/dev/null || { log "go is required (the Go toolchain builds the .NET codegen host)"; exit 1; }
        install_dotnethost
    fi
    if ! gohost_ok; then
        command -v go >/dev/null || { log "go is required (the Go toolchain builds the Go host)"; exit 1; }
        install_gohost
    fi
    if ! langhost_ok; then
        command -v go >/dev/null || { log "go is required (the Go toolchain builds the front)"; exit 1; }
        install_langhost
    fi
    echo "$OUT"
    exit 0
fi

command -v go >/dev/null || { log "go is required (the Go toolchain builds the CLI)"; exit 1; }

rm -rf "$W" "$OUT" "$ROOT/.done" "$ROOT/.langhost" "$ROOT/.gohost" "$ROOT/.dotnethost"
mkdir -p "$OUT" "$W"
cd "$W"
go mod init local.invalid/pulumi-cli-build >/dev/null 2>&1

pyjson() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
log "resolving pkg/v$PULUMI_VERSION"
PKGINFO=$(go mod download -json "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION")
PKGMOD=$(printf '%s' "$PKGINFO" | pyjson 'd["GoMod"]')

# Copy every module->module replace of pkg/go.mod (replaces of dependencies are ignored by Go);
# stop on any local-path replace other than the sdk one the wrapper satisfies itself.
go mod edit -json "$PKGMOD" | python3 -c '
import json,sys
for r in json.load(sys.stdin).get("Replace") or []:
    o=r["Old"]; n=r["New"]
    old=o["Path"]+("@"+o["Version"] if o.get("Version") else "")
    if not n.get("Version"):
        if o["Path"]=="github.com/pulumi/pulumi/sdk/v3": continue
        sys.exit("unexpected local replace in pkg/go.mod: %s => %s" % (old, n["Path"]))
    print("-replace=%s=%s@%s" % (old, n["Path"], n["Version"]))
' | xargs -r go mod edit

log "resolving modules (first run downloads about 1-2 GB)"
go get -tool "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$PULUMI_VERSION" >&2
go get "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" >&2
go mod tidy >&2
got=$(go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3 github.com/pulumi/pulumi/sdk/v3 | sort -u)
if [ "$got" != "v$PULUMI_VERSION" ]; then
    log "pkg/sdk drifted to $got, expected v$PULUMI_VERSION"; exit 1
fi

LDF="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
B=(go build -trimpath -tags osusergo,grpcnotrace -ldflags "$LDF")
log "building pulumi (several minutes on a cold cache)"
"${B[@]}" -o "$OUT/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi

# The nodejs and python hosts of current releases live in untagged nested modules that the
# module proxy here does not serve (no pseudo-versions, no Origin hash). The newest hosts it does
# serve are the ones still inside the tagged sdk/v3 module: nodejs up to sdk v3.68.0 and python up
# to sdk v3.79.0. Each is built in its own wrapper so its dependency graph is the one it shipped
# with; tests/README.md records how they behave with the pinned engine. They are installed under the
# plain names here and moved aside by install_langhost, which puts the front in their place.
log "building language hosts"
NODE_HOST_SDK=${PULUMI_NODE_HOST_SDK:-v3.68.0}
PY_HOST_SDK=${PULUMI_PY_HOST_SDK:-v3.79.0}
build_host "$NODE_HOST_SDK" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs pulumi-language-nodejs
build_host "$PY_HOST_SDK" github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python pulumi-language-python
PYSDK=$(cd "$ROOT/wrapper-pulumi-language-python" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
install -m 0755 "$PYSDK/python/cmd/pulumi-language-python-exec" "$OUT/"

log "building pulumi-yaml v$YAML_VERSION"
GOBIN="$OUT" go install -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=v$YAML_VERSION" \
    "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@v$YAML_VERSION" \
    "github.com/pulumi/pulumi-yaml/cmd/pulumi-converter-yaml@v$YAML_VERSION" >&2

install_gohost
install_dotnethost

v=$("$OUT/pulumi" version)
if [ "$v" != "v$PULUMI_VERSION" ]; then log "built pulumi reports '$v'"; exit 1; fi
install_langhost
touch "$ROOT/.done"
echo "$OUT"
