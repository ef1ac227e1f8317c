#!/usr/bin/env bash
# Builds the four libraries whose Debian static archives cannot go into a self-contained binary,
# from Debian's own source packages (fetched with `apt-get source`, which checks the archive's
# signatures and the files' hashes, Debian's patches applied): libcurl (Debian's libcurl.a needs
# nghttp2, libssh2, rtmp, LDAP and Kerberos, none of which ship static archives; ours is HTTP and
# HTTPS over OpenSSL with zlib, proxies and the threaded resolver, nothing else), libxml2 (Debian's
# is built with ICU, whose static data alone is 30 MB; ours is the XML and HTML parsers and the
# tree API, with threads: --with-minimum), libarchive (Debian's libarchive.a needs nettle, libxml2,
# ACL, lzma, zstd, lz4 and bzip2; ours reads zip, jar, tar and gzip and writes nothing: zlib only)
# and cJSON (Debian ships no static archive). As Debian's
# own build does, autoreconf runs first (Debian's patches touch the build files). Usage: build-
# static-deps.sh amd64|arm64. Prints the install prefix (lib/*.a, lib/pkgconfig, include) on its
# last line; the prefix is cached under ~/.cache/pulumi-secureapi, keyed by this script and the
# source versions, and one build runs at a time.
set -euo pipefail
ARCH=${1:?usage: build-static-deps.sh amd64|arm64}
case "$ARCH" in
    amd64) TRIPLE=x86_64-linux-gnu ;;
    arm64) TRIPLE=aarch64-linux-gnu ;;
    *) echo "build-static-deps: unknown architecture '$ARCH' (amd64 or arm64)" >&2; exit 2 ;;
esac
if [ "$(dpkg --print-architecture)" != amd64 ]; then
    echo "build-static-deps: builds on an amd64 Debian host only (arm64 is cross-compiled)" >&2
    exit 2
fi
CACHE=${SECUREAPI_CACHE:-$HOME/.cache/pulumi-secureapi}
SRC_PARENT="$CACHE/release-src"
mkdir -p "$CACHE"
# one build at a time (the tests and the benchmark may both ask): the others wait, then reuse it
exec 9>"$CACHE/.static-deps.lock"
flock 9
JOBS=${SECUREAPI_JOBS:-$(nproc)}

# The source versions apt offers now; a new Debian point release gives a new cache key.
versions=""
for pkg in curl libxml2 libarchive cjson; do
    v=$(apt-cache showsrc "$pkg" 2>/dev/null | awk '/^Version:/ {print $2}' | sort -V | tail -1)
    if [ -z "$v" ]; then
        echo "build-static-deps: apt has no source for $pkg;" \
            "run tools/release/install-release-deps.sh" >&2
        exit 1
    fi
    versions="$versions $pkg=$v"
done
key=$( (cat "$0"; echo "$versions") | sha256sum | cut -c1-12)
PREFIX="$CACHE/static-deps-$ARCH-$key"
if [ -f "$PREFIX/.done" ]; then
    echo "$PREFIX"
    exit 0
fi

mkdir -p "$SRC_PARENT"
SRC="$SRC_PARENT/$key"
if [ ! -f "$SRC/.fetched" ]; then
    rm -rf "$SRC"
    mkdir -p "$SRC"
    echo "build-static-deps: fetching Debian sources:$versions" >&2
    # shellcheck disable=SC2086
    (cd "$SRC" && apt-get source -qq $versions >&2)
    touch "$SRC/.fetched"
fi
srcdir() { find "$SRC" -maxdepth 1 -type d -name "$1-*" | head -1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
rm -rf "$PREFIX"
mkdir -p "$PREFIX"
export CC="$TRIPLE-gcc" AR="$TRIPLE-ar" RANLIB="$TRIPLE-ranlib"
export CFLAGS="-O2 -g -fPIC -fstack-protector-strong -D_FORTIFY_SOURCE=2"
export PKG_CONFIG="$TRIPLE-pkg-config"
HOST_ARGS=(--build=x86_64-linux-gnu "--host=$TRIPLE")

echo "build-static-deps: cJSON ($ARCH)" >&2
mkdir "$WORK/cjson"
(cd "$WORK/cjson" &&
    cmake -S "$(srcdir cjson)" -B . -DCMAKE_C_COMPILER="$CC" -DCMAKE_AR="$(command -v "$AR")" \
        -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
        -DBUILD_SHARED_AND_STATIC_LIBS=OFF -DENABLE_CJSON_TEST=OFF -DENABLE_CJSON_UTILS=OFF \
        -DENABLE_CUSTOM_COMPILER_FLAGS=OFF -DCMAKE_INSTALL_PREFIX="$PREFIX" \
        -DCMAKE_INSTALL_LIBDIR=lib >/dev/null &&
    make -j"$JOBS" >/dev/null && make install >/dev/null)

echo "build-static-deps: libxml2, XML and HTML parsers and tree only ($ARCH)" >&2
cp -a "$(srcdir libxml2)" "$WORK/libxml2"
(cd "$WORK/libxml2" && autoreconf -fi >/dev/null 2>&1 &&
    ./configure "${HOST_ARGS[@]}" --prefix="$PREFIX" --disable-shared --enable-static \
        --with-minimum --with-threads --with-tree --with-html --without-python --without-icu \
        --without-lzma --without-zlib --without-iconv >/dev/null &&
    make -j"$JOBS" libxml2.la >/dev/null &&
    make install-libLTLIBRARIES install-pkgconfigDATA >/dev/null &&
    make -C include install >/dev/null)

echo "build-static-deps: libarchive, zip/tar/gzip over zlib only ($ARCH)" >&2
cp -a "$(srcdir libarchive)" "$WORK/libarchive"
(cd "$WORK/libarchive" && sh build/autogen.sh >/dev/null 2>&1 &&
    ./configure "${HOST_ARGS[@]}" --prefix="$PREFIX" --disable-shared --enable-static \
        --disable-bsdtar --disable-bsdcpio --disable-bsdcat --disable-acl --disable-xattr \
        --with-zlib --without-bz2lib --without-libb2 --without-lz4 --without-zstd --without-lzma \
        --without-lzo2 --without-cng --without-mbedtls --without-nettle --without-openssl \
        --without-xml2 --without-expat >/dev/null &&
    make -j"$JOBS" libarchive.la >/dev/null &&
    make install-libLTLIBRARIES install-pkgconfigDATA install-includeHEADERS >/dev/null)

echo "build-static-deps: libcurl with HTTP(S) over OpenSSL only ($ARCH)" >&2
cp -a "$(srcdir curl)" "$WORK/curl"
# Debian's series ends with the patches that make its GnuTLS and NSS flavours; like
# debian/rules, take them off for the OpenSSL flavour.
(cd "$WORK/curl" && patch -R -s -p1 <debian/patches/99_nss.patch &&
    patch -R -s -p1 <debian/patches/90_gnutls.patch && autoreconf -fi >/dev/null 2>&1 &&
    ./configure "${HOST_ARGS[@]}" --prefix="$PREFIX" --disable-shared --enable-static \
        --with-openssl --with-zlib --without-brotli --without-zstd --without-libpsl \
        --without-libidn2 --without-nghttp2 --without-librtmp --without-libssh2 --without-libssh \
        --without-gssapi --without-libgsasl --without-ca-bundle --without-ca-path \
        --without-ca-fallback --disable-ldap --disable-ldaps --disable-ftp --disable-file \
        --disable-rtsp --disable-dict --disable-telnet --disable-tftp --disable-pop3 \
        --disable-imap --disable-smb --disable-smtp --disable-gopher --disable-mqtt \
        --disable-manual --disable-ntlm --disable-ntlm-wb --disable-tls-srp --disable-cookies \
        --disable-alt-svc --disable-hsts --disable-netrc --disable-doh --disable-mime \
        --disable-websockets >/dev/null &&
    make -j"$JOBS" -C lib >/dev/null &&
    make -C lib install >/dev/null && make -C include install >/dev/null &&
    make install-pkgconfigDATA >/dev/null)

touch "$PREFIX/.done"
# older builds (another script version or Debian point release) are not needed any more
find "$CACHE" -maxdepth 1 -name "static-deps-$ARCH-*" ! -name "static-deps-$ARCH-$key" \
    -exec rm -rf {} +
find "$SRC_PARENT" -mindepth 1 -maxdepth 1 ! -name "$key" -exec rm -rf {} +
echo "$PREFIX"
