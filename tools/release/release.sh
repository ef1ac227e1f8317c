#!/usr/bin/env bash
# The release command: builds the plugin for linux-amd64 and linux-arm64 (cross-compiled) with
# every library but glibc linked statically, non-PIE (build-binary.sh: meson option
# static_release; libcurl, libxml2 and cJSON from Debian's source packages via
# build-static-deps.sh), strips it, packs each into
# pulumi-resource-secureapi-v<version>-linux-<arch>.tar.gz (binary at the root, README.md,
# LICENSE; the version comes from meson.build's project()), adds the SDK packages
# (tools/release/sdk-packages.sh: the npm tarball pulumi-secureapi-<version>.tgz, the Python wheel
# pulumi_secureapi-<version>-py3-none-any.whl and sdist pulumi_secureapi-<version>.tar.gz) and
# schema.json (provider/schema.json, the file the Pulumi Registry reads), and writes SHA256SUMS of
# every one of them beside them: the release folder, uploaded as is by .github/workflows/release.yml.
# Usage: tools/release/release.sh [output dir, default build-release/dist]. Installs what it needs.
# SECUREAPI_RELEASE_ARCHES="amd64" limits the architectures.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=$(mkdir -p "${1:-$REPO/build-release/dist}" && cd "${1:-$REPO/build-release/dist}" && pwd)
ARCHES=${SECUREAPI_RELEASE_ARCHES:-amd64 arm64}
log() { echo "release: $*" >&2; }

bash "$REPO/tools/setup/install-deps.sh"
bash "$REPO/tools/release/install-release-deps.sh"

rm -f "$OUT"/pulumi-resource-secureapi-v*.tar.gz "$OUT/SHA256SUMS" "$OUT/schema.json"
for arch in $ARCHES; do
    case "$arch" in
        amd64) triple=x86_64-linux-gnu ;;
        arm64) triple=aarch64-linux-gnu ;;
        *) log "unknown architecture '$arch' (amd64 or arm64)"; exit 2 ;;
    esac
    bdir=$(bash "$REPO/tools/release/build-binary.sh" "$arch" | tail -1)
    rm -rf "$bdir/stage"
    meson install -C "$bdir" --no-rebuild --destdir "$bdir/stage" >/dev/null
    version=$(meson introspect --projectinfo "$bdir" |
              python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')
    bin="$bdir/stage/bin/pulumi-resource-secureapi"
    tgz="$OUT/pulumi-resource-secureapi-v$version-linux-$arch.tar.gz"
    python3 "$REPO/provider/plugin/package.py" "$bin" "$REPO/README.md" "$REPO/LICENSE" "$tgz" \
        "$bdir/stage/sha256"
    glibc=$("$triple-objdump" -T "$bin" | grep -oE 'GLIBC_[0-9]+\.[0-9]+' | sort -uV | tail -1)
    needed=$("$triple-readelf" -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    log "linux-$arch: $(stat -c %s "$bin") bytes stripped, needs ${glibc/_/ } or later; NEEDED: $needed"
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
