#!/usr/bin/env bash
# The release command: builds the plugin for the six release targets (build-binary.sh: zig, every
# library built from Debian's sources for the target and linked statically; linux-* fully static
# on musl, darwin-* loading only libSystem, windows-* only system DLLs), strips it, packs each
# into pulumi-resource-secureapi-v<version>-<os>-<arch>.tar.gz (binary at the root, named
# pulumi-resource-secureapi.exe on Windows, README.md, LICENSE; the version comes from
# meson.build's project()), adds the SDK packages (tools/release/sdk-packages.sh: the npm tarball
# pulumi-secureapi-<version>.tgz, the Python wheel pulumi_secureapi-<version>-py3-none-any.whl and
# sdist pulumi_secureapi-<version>.tar.gz) and schema.json (provider/schema.json, the file the
# Pulumi Registry reads), and writes SHA256SUMS of every one of them beside them: the release
# folder, uploaded as is by .github/workflows/release.yml.
# Usage: tools/release/release.sh [output dir, default build-release/dist]. Installs what it needs.
# SECUREAPI_RELEASE_TARGETS names the targets (default all six). "available" (what the test
# command asks for) means linux-amd64, and every other target whose libraries are already built
# and cached: a cold build of one target's libraries takes about 25 minutes on two cores, and a
# fresh machine's test run (90 minutes in CI, 40 of them the suites) has room for one; the
# targets left out are named on stderr and in <output dir>/SKIPPED, and this command without the
# variable builds them.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=$(mkdir -p "${1:-$REPO/build-release/dist}" && cd "${1:-$REPO/build-release/dist}" && pwd)
ALL="linux-amd64 linux-arm64 darwin-amd64 darwin-arm64 windows-amd64 windows-arm64"
TARGETS=${SECUREAPI_RELEASE_TARGETS:-$ALL}
log() { echo "release: $*" >&2; }

bash "$REPO/tools/setup/install-deps.sh"
bash "$REPO/tools/release/install-release-deps.sh"

rm -f "$OUT"/pulumi-resource-secureapi-v*.tar.gz "$OUT/SHA256SUMS" "$OUT/schema.json" "$OUT/SKIPPED"
if [ "$TARGETS" = available ]; then
    TARGETS=""
    for t in $ALL; do
        if [ "$t" = linux-amd64 ] || bash "$REPO/tools/release/build-cross-deps.sh" --cached "$t"; then
            TARGETS="$TARGETS $t"
        else
            echo "$t" >>"$OUT/SKIPPED"
        fi
    done
    if [ -f "$OUT/SKIPPED" ]; then
        log "############################################################################"
        log "NOT BUILT (their libraries are not built and cached on this machine, and a cold"
        log "build of each takes about 25 minutes): $(tr '\n' ' ' <"$OUT/SKIPPED")"
        log "tools/release/release.sh builds them; the test command then tests them too."
        log "############################################################################"
    fi
fi
tools=$(bash "$REPO/tools/release/install-cross-tools.sh" | tail -1)
for target in $TARGETS; do
    bdir=$(bash "$REPO/tools/release/build-binary.sh" "$target" | tail -1)
    rm -rf "$bdir/stage"
    "$tools/meson" install -C "$bdir" --no-rebuild --destdir "$bdir/stage" >/dev/null
    version=$("$tools/meson" introspect --projectinfo "$bdir" |
              python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')
    bin="$bdir/stage/bin/pulumi-resource-secureapi"
    [ "${target%-*}" != windows ] || bin="$bin.exe"  # (beside it there, zig's .pdb: not shipped)
    tgz="$OUT/pulumi-resource-secureapi-v$version-$target.tar.gz"
    python3 "$REPO/provider/plugin/package.py" "$bin" "$REPO/README.md" "$REPO/LICENSE" "$tgz" \
        "$bdir/stage/sha256"
    log "$target: $(stat -c %s "$bin") bytes stripped"
done
log "SDK packages"
bash "$REPO/tools/release/sdk-packages.sh" "$OUT" >/dev/null
cp "$REPO/provider/schema.json" "$OUT/schema.json"
cd "$OUT"  # the globs below name the release's files
ASSETS=(pulumi-resource-secureapi-v*.tar.gz schema.json pulumi-secureapi-*.tgz pulumi_secureapi-*.whl
        pulumi_secureapi-*.tar.gz)
sha256sum "${ASSETS[@]}" > SHA256SUMS
log "wrote $OUT:"
ls -l --time-style=+ "${ASSETS[@]}" SHA256SUMS >&2
echo "$OUT"
