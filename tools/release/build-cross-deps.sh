#!/usr/bin/env bash
# Builds every C and C++ library the plugin links, from Debian's source packages (`apt-get source`
# checks the archive's signatures and each file's hash; Debian's patches applied), for one release
# target with zig (install-cross-tools.sh): linux-amd64 and linux-arm64 (musl, fully static),
# darwin-amd64 and darwin-arm64 (macOS 11 and later, libSystem only), windows-amd64 and
# windows-arm64 (mingw-w64; Windows 10 and later). Each library is made as small as the plugin
# allows: gRPC is only its grpc_unsecure closure (gpr, upb, address_sorting, abseil, re2; no
# c-ares: the plugin resolves no names, it listens on 127.0.0.1), OpenSSL only libcrypto and
# libssl without engines, modules or legacy ciphers, libcurl only HTTP and HTTPS, libxml2 the
# parsers and tree, libarchive reading zip/tar/gzip over zlib (and cmocka, for the unit tests
# that run on the release targets). Cold, one target takes about
# 25 minutes on 2 cores (gRPC and abseil are most of it). The result is cached in
# ~/.cache/pulumi-secureapi/cross-deps-<target>, one library at a time: each has a stamp of the
# Debian versions it was built from (its own and those it builds against) and of RECIPE below
# (raise it when a recipe changes what gets built), so a Debian update of one package rebuilds only
# that library and what builds against it, and a run cut short keeps what it finished. The prefix
# also holds what builds against it need: cc, c++, ar and ranlib wrappers (bin/), a CMake
# toolchain file and the meson cross file (meson-cross.ini). Usage: build-cross-deps.sh
# [--cached] <os>-<arch>. Prints the prefix on its last line; with --cached it builds and fetches
# nothing, and exits 3 unless every library is built and current.
set -euo pipefail
RECIPE=1
CACHED_ONLY=0
if [ "${1:-}" = --cached ]; then
    CACHED_ONLY=1
    shift
fi
TARGET=${1:?usage: build-cross-deps.sh [--cached] linux-amd64|linux-arm64|darwin-amd64|darwin-arm64|windows-amd64|windows-arm64}
case "$TARGET" in
    linux-amd64) ZT=x86_64-linux-musl; HOST=x86_64-linux-musl ;;
    linux-arm64) ZT=aarch64-linux-musl; HOST=aarch64-linux-musl ;;
    darwin-amd64) ZT=x86_64-macos.11.0; HOST=x86_64-apple-darwin20 ;;
    darwin-arm64) ZT=aarch64-macos.11.0; HOST=aarch64-apple-darwin20 ;;
    windows-amd64) ZT=x86_64-windows-gnu; HOST=x86_64-w64-mingw32 ;;
    windows-arm64) ZT=aarch64-windows-gnu; HOST=aarch64-w64-mingw32 ;;
    *) echo "build-cross-deps: unknown target '$TARGET'" >&2; exit 2 ;;
esac
OS=${TARGET%-*}
ARCH=${TARGET#*-}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${SECUREAPI_CACHE:-$HOME/.cache/pulumi-secureapi}
JOBS=${SECUREAPI_JOBS:-$(nproc)}
TOOLS=$(bash "$REPO/tools/release/install-cross-tools.sh" | tail -1)
ZIG=$("$TOOLS/python" -c 'import os, ziglang; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))')
export ZIG_GLOBAL_CACHE_DIR="$CACHE/zig-cache" ZIG_LOCAL_CACHE_DIR="$CACHE/zig-cache"
log() { echo "build-cross-deps ($TARGET): $*" >&2; }

PACKAGES="zlib pcre2 cjson protobuf-c openssl curl libxml2 libarchive abseil re2 grpc cmocka"
# The newest source version of each that the archive serves (a point release just published can
# be listed before its files are: then the next one).
SRC_PARENT="$CACHE/cross-src"
mkdir -p "$SRC_PARENT"
exec 8>"$CACHE/.cross-src.lock"
flock 8
versions=""
for pkg in $PACKAGES; do
    v=$(apt-cache showsrc "$pkg" 2>/dev/null | awk '/^Version:/ {print $2}' | sort -uVr | head -1)
    [ -n "$v" ] || { log "apt has no source for $pkg (apt-get update?)"; exit 1; }
    versions="$versions $pkg=$v"
done
SRC="$SRC_PARENT/$(echo "$versions" | sha256sum | cut -c1-12)"
if [ ! -f "$SRC/.fetched" ] && [ $CACHED_ONLY = 1 ]; then
    exit 3
fi
if [ ! -f "$SRC/.fetched" ]; then
    rm -rf "$SRC" && mkdir -p "$SRC"
    for pv in $versions; do
        pkg=${pv%%=*}
        if ! (cd "$SRC" && apt-get source -qq "$pv" >/dev/null 2>&1); then
            # the newest listed is not served: take the newest one that is
            for v in $(apt-cache showsrc "$pkg" | awk '/^Version:/ {print $2}' | sort -uVr | tail -n +2); do
                if (cd "$SRC" && apt-get source -qq "$pkg=$v" >/dev/null 2>&1); then
                    pv="$pkg=$v"; break
                fi
            done
        fi
        find "$SRC" -maxdepth 1 -type d -name "$pkg-*" | grep -q . || { log "cannot fetch $pv"; exit 1; }
        echo "$pv" >>"$SRC/versions"
    done
    touch "$SRC/.fetched"
fi
flock -u 8
srcdir() { find "$SRC" -maxdepth 1 -type d -name "$1-[0-9]*" | head -1; }

# Each library's stamp holds what it was built from: the recipe, its own source version and those
# of the libraries it builds against. A stamp that differs (a Debian update of one package) means
# that library, and whatever builds against it, is built again; nothing else is.
declare -A NEEDS=([curl]="openssl zlib" [libarchive]="zlib" [grpc]="abseil re2 zlib")
LIBS="zlib pcre2 cjson protobuf_c openssl curl libxml2 libarchive abseil re2 grpc cmocka"
stamp_of() {
    local l
    echo "recipe $RECIPE"
    for l in $1 ${NEEDS[$1]:-}; do grep "^${l/_/-}=" "$SRC/versions"; done
}
PREFIX="$CACHE/cross-deps-$TARGET"
all_built() {
    local l
    for l in $LIBS; do
        [ "$(cat "$PREFIX/.built-$l" 2>/dev/null)" = "$(stamp_of "$l")" ] || return 1
    done
}
if [ $CACHED_ONLY = 1 ]; then
    all_built || exit 3
    echo "$PREFIX"
    exit 0
fi
mkdir -p "$PREFIX/bin" "$PREFIX/lib/pkgconfig" "$PREFIX/include"
exec 9>"$PREFIX/.lock"
flock 9
WORK="$CACHE/cross-work/$TARGET"

# Compiler wrappers: zig for this target, optimised, sections for --gc-sections.
COMMON="-O2 -ffunction-sections -fdata-sections"
case "$OS" in
    # musl declares off64_t and friends (abseil uses them) only when asked
    linux) COMMON="$COMMON -D_LARGEFILE64_SOURCE" ;;
    windows) COMMON="$COMMON -D_WIN32_WINNT=0x0A00 -DWINVER=0x0A00" ;;
esac
for tool in cc c++; do
    printf '#!/bin/sh\nexec "%s" %s -target %s %s "$@"\n' "$ZIG" "$tool" "$ZT" "$COMMON" >"$PREFIX/bin/$tool"
done
printf '#!/bin/sh\nexec "%s" ar "$@"\n' "$ZIG" >"$PREFIX/bin/ar"
printf '#!/bin/sh\nexec "%s" ranlib "$@"\n' "$ZIG" >"$PREFIX/bin/ranlib"
chmod +x "$PREFIX"/bin/*
export CC="$PREFIX/bin/cc" CXX="$PREFIX/bin/c++" AR="$PREFIX/bin/ar" RANLIB="$PREFIX/bin/ranlib"
export PKG_CONFIG_LIBDIR="$PREFIX/lib/pkgconfig" PKG_CONFIG_PATH=""
CMAKE_SYSTEM=$(case "$OS" in linux) echo Linux;; darwin) echo Darwin;; windows) echo Windows;; esac)
CPU=$(case "$ARCH" in amd64) echo x86_64;; arm64) echo aarch64;; esac)
cat >"$PREFIX/toolchain.cmake" <<EOF
set(CMAKE_SYSTEM_NAME $CMAKE_SYSTEM)
set(CMAKE_SYSTEM_PROCESSOR $CPU)
set(CMAKE_C_COMPILER "$CC")
set(CMAKE_CXX_COMPILER "$CXX")
set(CMAKE_AR "$AR")
set(CMAKE_RANLIB "$RANLIB")
set(CMAKE_C_ARCHIVE_FINISH "<CMAKE_RANLIB> <TARGET>")
set(CMAKE_CXX_ARCHIVE_FINISH "<CMAKE_RANLIB> <TARGET>")
set(CMAKE_OSX_SYSROOT "")
set(CMAKE_OSX_DEPLOYMENT_TARGET "")
set(CMAKE_FIND_ROOT_PATH "$PREFIX")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
EOF
cmake_build() {  # <source> <build dir> [cmake options...]: configure, build, install
    local src=$1 dir=$2
    shift 2
    cmake -S "$src" -B "$dir" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$PREFIX/toolchain.cmake" \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$PREFIX" -DCMAKE_INSTALL_LIBDIR=lib \
        -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF -DCMAKE_CXX_STANDARD=17 "$@" >"$dir.log" 2>&1 ||
        { tail -30 "$dir.log" >&2; return 1; }
    ninja -C "$dir" -j "$JOBS" >>"$dir.log" 2>&1 && ninja -C "$dir" install >>"$dir.log" 2>&1 ||
        { tail -30 "$dir.log" >&2; return 1; }
}
HOST_ARGS=(--build=x86_64-linux-gnu "--host=$HOST" "--prefix=$PREFIX" --disable-shared --enable-static)
configure_quiet() { ./configure "$@" >configure.out 2>&1 || { tail -30 config.log >&2; return 1; }; }
pcfile() {  # <name> <version> <libs> [cflags]
    cat >"$PREFIX/lib/pkgconfig/$1.pc" <<EOF
prefix=$PREFIX
libdir=\${prefix}/lib
includedir=\${prefix}/include
Name: $1
Description: $1 (built by build-cross-deps.sh)
Version: $2
Libs: -L\${libdir} $3
Cflags: -I\${includedir} ${4:-}
EOF
}
srcversion() { grep "^$1=" "$SRC/versions" | sed 's/^[^=]*=\([0-9:]*:\)\?\([0-9.]*\).*/\2/'; }

build_zlib() {
    local s
    s=$(srcdir zlib)
    local defs="-DHAVE_STDARG_H"
    [ "$OS" = windows ] || defs="$defs -DHAVE_UNISTD_H"
    # zutil.h of 1.2.13 takes any TARGET_OS_MAC for classic Mac OS and defines fdopen away,
    # which breaks macOS's own stdio.h; naming fdopen as itself keeps that define out
    [ "$OS" != darwin ] || defs="$defs -Dfdopen=fdopen"
    (cd "$1" && for f in adler32 compress crc32 deflate gzclose gzlib gzread gzwrite infback \
            inffast inflate inftrees trees uncompr zutil; do
            "$CC" -c -w $defs "$s/$f.c" -o "$f.o" || exit 1
        done && "$AR" rcs "$PREFIX/lib/libz.a" ./*.o) || return 1
    cp "$s/zlib.h" "$s/zconf.h" "$PREFIX/include/"
    pcfile zlib "$(srcversion zlib)" -lz
}
build_pcre2() {
    cmake_build "$(srcdir pcre2)" "$1" -DPCRE2_BUILD_PCRE2_8=ON -DPCRE2_BUILD_PCRE2_16=OFF \
        -DPCRE2_BUILD_PCRE2_32=OFF -DPCRE2_SUPPORT_JIT=OFF -DPCRE2_BUILD_PCRE2GREP=OFF \
        -DPCRE2_BUILD_TESTS=OFF -DPCRE2_SUPPORT_LIBZ=OFF -DPCRE2_SUPPORT_LIBBZ2=OFF \
        -DPCRE2_SUPPORT_LIBEDIT=OFF -DPCRE2_SUPPORT_LIBREADLINE=OFF || return 1
    # its pkg-config file leaves out what a static link needs on Windows (else dllimport)
    sed -i 's|^Cflags: \(.*\)$|Cflags: \1 -DPCRE2_STATIC|' "$PREFIX/lib/pkgconfig/libpcre2-8.pc"
}
build_cjson() {
    (cd "$1" && "$CC" -c "$(srcdir cjson)/cJSON.c" -o cJSON.o &&
        "$AR" rcs "$PREFIX/lib/libcjson.a" cJSON.o) || return 1
    mkdir -p "$PREFIX/include/cjson"
    cp "$(srcdir cjson)/cJSON.h" "$PREFIX/include/cjson/"
    pcfile libcjson "$(srcversion cjson)" -lcjson "-I\${includedir}/cjson"
}
build_protobuf_c() {
    local s
    s=$(srcdir protobuf-c)
    (cd "$1" && "$CC" -c -I"$s" "$s/protobuf-c/protobuf-c.c" -o protobuf-c.o &&
        "$AR" rcs "$PREFIX/lib/libprotobuf-c.a" protobuf-c.o) || return 1
    mkdir -p "$PREFIX/include/protobuf-c"
    cp "$s/protobuf-c/protobuf-c.h" "$PREFIX/include/protobuf-c/"
    pcfile libprotobuf-c "$(srcversion protobuf-c)" -lprotobuf-c
}
build_cmocka() {
    # the unit tests' framework (not linked into the plugin): they run on the release targets
    # too (tests/check.sh: linux-arm64 under qemu-user, windows-amd64 under wine)
    local s defs="-DHAVE_SIGNAL_H -DHAVE_INTTYPES_H -DHAVE_GCC_THREAD_LOCAL_STORAGE -DHAVE_STRUCT_TIMESPEC"
    s=$(srcdir cmocka)
    case "$OS" in
        linux) defs="$defs -DHAVE_STRINGS_H -DHAVE_MALLOC_H -DHAVE_CLOCK_REALTIME -DHAVE_SIGLONGJMP -DHAVE_STRSIGNAL" ;;
        darwin) defs="$defs -DHAVE_STRINGS_H -DHAVE_CLOCK_REALTIME -DHAVE_SIGLONGJMP -DHAVE_STRSIGNAL" ;;
        windows) defs="$defs -DHAVE_MALLOC_H" ;;
    esac
    # cmocka 1.1.5 guesses uintptr_t's type by hand, wrongly for musl on arm64; like later
    # cmocka, take stdint.h's where it was included (our tests and cmocka.c include it first)
    mkdir "$1/include"
    sed 's|^#if !defined(_UINTPTR_T) && !defined(_UINTPTR_T_DEFINED)$|& \&\& !defined(UINTPTR_MAX)|' \
        "$s/include/cmocka.h" >"$1/include/cmocka.h"
    grep -q 'defined(UINTPTR_MAX)' "$1/include/cmocka.h" || return 1
    (cd "$1" && "$CC" -c $defs -include stdint.h -I"$1/include" -I"$s/include" "$s/src/cmocka.c" \
            -o cmocka.o &&
        "$AR" rcs "$PREFIX/lib/libcmocka.a" cmocka.o) || return 1
    cp "$1/include/cmocka.h" "$PREFIX/include/"
    pcfile cmocka "$(srcversion cmocka)" -lcmocka
}
build_openssl() {
    local t
    case "$TARGET" in
        linux-amd64) t=linux-x86_64 ;;
        linux-arm64) t=linux-aarch64 ;;
        darwin-amd64) t=darwin64-x86_64-cc ;;
        darwin-arm64) t=darwin64-arm64-cc ;;
        windows-amd64) t=mingw64 ;;
        windows-arm64) t=mingwarm64-zig ;;
    esac
    cp -a "$(srcdir openssl)/." "$1/"
    # OpenSSL 3.0 has no target for Windows on ARM64 with MinGW: mingw64's, for 64-bit ARM and
    # its C code (no x86-64 assembly, no -m64)
    cat >"$1/mingwarm64-zig.conf" <<'CONF'
my %targets = (
    "mingwarm64-zig" => {
        inherit_from     => [ "mingw-common" ],
        sys_id           => "MINGW64",
        bn_ops           => add("SIXTY_FOUR_BIT"),
        asm_arch         => undef,
        perlasm_scheme   => undef,
        multilib         => "64",
    },
);
CONF
    local extra=()
    [ "$TARGET" != windows-arm64 ] || extra=(--config="$1/mingwarm64-zig.conf" no-asm)
    (cd "$1" && CROSS_COMPILE="" ./Configure "$t" "${extra[@]}" no-shared no-tests no-engine no-dso no-module \
            no-legacy no-comp no-ssl3 no-dtls no-srp no-psk no-ui-console \
            --prefix="$PREFIX" --libdir=lib --openssldir=/etc/ssl >configure.out 2>&1 ||
            { tail -20 configure.out >&2; exit 1; }
        make -j"$JOBS" build_libs >make.out 2>&1 || { tail -30 make.out >&2; exit 1; }
        make install_dev >>make.out 2>&1) || return 1
}
build_curl() {
    cp -a "$(srcdir curl)/." "$1/"
    local extra=()
    # (curl's configure insists on a resource compiler for Windows, used only for its DLL; and
    # clang 16 and later refuse some of its 7.88 probes, an int* passed for an unsigned long*,
    # which would leave out features, such as Windows' non-blocking sockets, that are there)
    [ "$OS" != windows ] || extra=(--with-schannel=no "RC=llvm-windres-14 --target=$HOST")
    # Debian's series ends with the patches that make its GnuTLS and NSS flavours; like
    # debian/rules, take them off for the OpenSSL flavour.
    if [ "$OS" = darwin ]; then
        # curl 7.88 links CoreFoundation and SystemConfiguration on macOS for one call,
        # SCDynamicStoreCopyProxies, made before resolving an IPv4 *literal* so that macOS
        # synthesises its IPv6 form on NAT64 networks; the plugin connects to AWS by name (a
        # literal only in tests), so it goes, and the binary loads nothing but libSystem
        sed -i 's|^#    define CURL_OSX_CALL_COPYPROXIES 1$||' "$1/lib/curl_setup.h"
        sed -i 's|^      LDFLAGS="$LDFLAGS -framework CoreFoundation -framework SystemConfiguration"$|      :|' \
            "$1/m4/curl-sysconfig.m4"
        ! grep -q 'CURL_OSX_CALL_COPYPROXIES 1\|framework SystemConfiguration' \
            "$1/lib/curl_setup.h" "$1/m4/curl-sysconfig.m4" || return 1
    fi
    (cd "$1" && patch -R -s -p1 <debian/patches/99_nss.patch &&
        patch -R -s -p1 <debian/patches/90_gnutls.patch && autoreconf -fi >/dev/null 2>&1 &&
        CFLAGS="-Wno-error=incompatible-pointer-types" \
        configure_quiet "${HOST_ARGS[@]}" "${extra[@]}" --with-openssl="$PREFIX" \
            --with-zlib="$PREFIX" --without-brotli --without-zstd --without-libpsl \
            --without-libidn2 --without-nghttp2 --without-librtmp --without-libssh2 \
            --without-libssh --without-gssapi --without-libgsasl --without-ca-bundle \
            --without-ca-path --without-ca-fallback --disable-ldap --disable-ldaps \
            --disable-ftp --disable-file --disable-rtsp --disable-dict --disable-telnet \
            --disable-tftp --disable-pop3 --disable-imap --disable-smb --disable-smtp \
            --disable-gopher --disable-mqtt --disable-manual --disable-ntlm --disable-ntlm-wb \
            --disable-tls-srp --disable-cookies --disable-alt-svc --disable-hsts --disable-netrc \
            --disable-doh --disable-mime --disable-websockets &&
        make -j"$JOBS" -C lib >make.out 2>&1 && make -C lib install >>make.out 2>&1 &&
        make -C include install >>make.out 2>&1 && make install-pkgconfigDATA >>make.out 2>&1) ||
        { tail -30 "$1/make.out" >&2 2>/dev/null; return 1; }
}
build_libxml2() {
    cp -a "$(srcdir libxml2)/." "$1/"
    (cd "$1" && autoreconf -fi >/dev/null 2>&1 &&
        configure_quiet "${HOST_ARGS[@]}" --with-minimum --with-threads --with-tree --with-html \
            --without-python --without-icu --without-lzma --without-zlib --without-iconv &&
        make -j"$JOBS" libxml2.la >make.out 2>&1 &&
        make install-libLTLIBRARIES install-pkgconfigDATA >>make.out 2>&1 &&
        make -C include install >>make.out 2>&1) || { tail -30 "$1/make.out" >&2; return 1; }
}
build_libarchive() {
    cp -a "$(srcdir libarchive)/." "$1/"
    (cd "$1" && sh build/autogen.sh >/dev/null 2>&1 &&
        CPPFLAGS="-I$PREFIX/include" LDFLAGS="-L$PREFIX/lib" configure_quiet "${HOST_ARGS[@]}" \
            --disable-bsdtar --disable-bsdcpio --disable-bsdcat --disable-acl --disable-xattr \
            --with-zlib --without-bz2lib --without-libb2 --without-lz4 --without-zstd \
            --without-lzma --without-lzo2 --without-cng --without-mbedtls --without-nettle \
            --without-openssl --without-xml2 --without-expat --without-iconv &&
        make -j"$JOBS" libarchive.la >make.out 2>&1 &&
        make install-libLTLIBRARIES install-pkgconfigDATA install-includeHEADERS >>make.out 2>&1) ||
        { tail -30 "$1/make.out" >&2; return 1; }
}
build_abseil() {
    mkdir "$1/src"
    cp -a "$(srcdir abseil)/." "$1/src/"
    if [ "$OS" = darwin ]; then
        # The one CoreFoundation call on macOS: the local time zone's name from
        # CFTimeZoneCopyDefault. Without it abseil reads /etc/localtime (":localtime"), which
        # macOS keeps as a link to the same zone; gRPC only formats UTC times with it.
        sed -i 's|^#if defined(__APPLE__)$|#if 0 /* no CoreFoundation: build-cross-deps.sh */|' \
            "$1/src/absl/time/internal/cctz/src/time_zone_lookup.cc"
        sed -i 's|^  find_library(CoreFoundation CoreFoundation)$||' "$1/src/absl/time/CMakeLists.txt"
        # On Apple, abseil passes every architecture's AES flags at once behind -Xarch_<arch>,
        # which zig's cc does not filter: take the one-architecture choice other systems get
        sed -i 's|^if(APPLE AND CMAKE_CXX_COMPILER_ID MATCHES \[\[Clang\]\])$|if(FALSE)|' \
            "$1/src/absl/copts/AbseilConfigureCopts.cmake"
        grep -q '^if(FALSE)$' "$1/src/absl/copts/AbseilConfigureCopts.cmake" || return 1
        grep -q 'no CoreFoundation' "$1/src/absl/time/internal/cctz/src/time_zone_lookup.cc" ||
            return 1
    fi
    # zig's cc reads -march as one of its CPU names: the ARMv8 crypto extension (for abseil's
    # hardware AES random engine) is asked for as a feature of the generic CPU instead
    sed -i 's|"-march=armv8-a+crypto"|"-mcpu=generic+aes"|' \
        "$1/src/absl/copts/GENERATED_AbseilCopts.cmake"
    cmake_build "$1/src" "$1/build" -DABSL_PROPAGATE_CXX_STD=ON -DABSL_ENABLE_INSTALL=ON
}
build_re2() {
    # Debian's source leaves out the generated Unicode and Perl tables; like debian/rules
    # (REBUILD_TABLES=1), make them from the unicode-data package
    mkdir "$1/src"
    cp -a "$(srcdir re2)/." "$1/src/"
    (cd "$1/src" && perl re2/make_perl_groups.pl >re2/perl_groups.cc &&
        python3 re2/make_unicode_casefold.py >re2/unicode_casefold.cc &&
        python3 re2/make_unicode_groups.py >re2/unicode_groups.cc) || return 1
    cmake_build "$1/src" "$1/build" -DRE2_BUILD_TESTING=OFF
}
build_grpc() {
    # Only the grpc_unsecure target and what it links; CMake's install would build all of gRPC,
    # so the archives, headers and pkg-config file are put in place here.
    # (clang 22 makes an error of a `template` keyword gRPC 1.51 writes without an argument list)
    local s d=$1
    s=$(srcdir grpc)
    cmake -S "$s" -B "$d" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$PREFIX/toolchain.cmake" \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_STANDARD=17 -DBUILD_SHARED_LIBS=OFF \
        -DgRPC_BUILD_TESTS=OFF -DgRPC_BUILD_CODEGEN=OFF -DgRPC_BUILD_CSHARP_EXT=OFF \
        -DgRPC_INSTALL=OFF -DgRPC_ABSL_PROVIDER=package -DgRPC_RE2_PROVIDER=package \
        -DgRPC_ZLIB_PROVIDER=package -DgRPC_CARES_PROVIDER=none -DgRPC_SSL_PROVIDER=none \
        -DgRPC_PROTOBUF_PROVIDER=none -DgRPC_BENCHMARK_PROVIDER=none \
        -DCMAKE_C_FLAGS="-DGRPC_ARES=0" \
        -DCMAKE_CXX_FLAGS="-DGRPC_ARES=0 -Wno-missing-template-arg-list-after-template-kw" \
        -Dabsl_DIR="$PREFIX/lib/cmake/absl" -Dre2_DIR="$PREFIX/lib/cmake/re2" \
        -DZLIB_ROOT="$PREFIX" >"$d.log" 2>&1 || { tail -30 "$d.log" >&2; return 1; }
    ninja -C "$d" -j "$JOBS" grpc_unsecure >>"$d.log" 2>&1 || { tail -30 "$d.log" >&2; return 1; }
    local a
    for a in grpc_unsecure gpr upb address_sorting; do
        cp "$(find "$d" -name "lib$a.a" | head -1)" "$PREFIX/lib/"
    done
    cp -r "$s/include/grpc" "$PREFIX/include/"
    # abseil's own pkg-config files list each of its libraries; grpc_unsecure needs most of them
    local absl
    absl=$(cd "$PREFIX/lib" && ls libabsl_*.a | sed 's/^lib\(.*\)\.a$/-l\1/' | tr '\n' ' ')
    local sys=""
    case "$OS" in
        windows) sys="-lws2_32 -lcrypt32 -ladvapi32 -ldbghelp -lbcrypt -liphlpapi" ;;
        *) sys="-lpthread" ;;
    esac
    # the static archives depend on one another both ways: one group, listed twice
    local core
    core=$(sed -n 's/^set(gRPC_CORE_VERSION *"\([0-9.]*\)")/\1/p' "$s/CMakeLists.txt")
    pcfile grpc_unsecure "$core" \
        "-lgrpc_unsecure -lupb -laddress_sorting -lgpr -lre2 $absl $absl -lz $sys"
}

# the meson cross file the plugin's own build uses (build-binary.sh); the exe_wrapper runs the
# unit tests where this machine can run the target's code
case "$TARGET" in
    linux-arm64) wrapper="exe_wrapper = 'qemu-aarch64-static'" ;;
    windows-amd64) wrapper="exe_wrapper = 'wine'" ;;
    *) wrapper="" ;;
esac
cat >"$PREFIX/meson-cross.ini" <<EOF
# $TARGET: zig $ZT, libraries from $PREFIX (written by build-cross-deps.sh)
[binaries]
c = ['$ZIG', 'cc', '-target', '$ZT']
cpp = ['$ZIG', 'c++', '-target', '$ZT']
ar = ['$ZIG', 'ar']
ranlib = ['$ZIG', 'ranlib']
pkg-config = 'pkg-config'
strip = 'llvm-strip-14'
$wrapper

[properties]
pkg_config_libdir = '$PREFIX/lib/pkgconfig'

[host_machine]
system = '$OS'
cpu_family = '$CPU'
cpu = '$CPU'
endian = 'little'
EOF
for lib in $LIBS; do
    [ "$(cat "$PREFIX/.built-$lib" 2>/dev/null)" != "$(stamp_of "$lib")" ] || continue
    log "building $lib"
    start=$SECONDS
    rm -rf "${WORK:?}/$lib" && mkdir -p "$WORK/$lib"
    "build_$lib" "$WORK/$lib" || { log "$lib failed (its logs: $WORK/$lib*)"; exit 1; }
    rm -rf "${WORK:?}/$lib" "$WORK/$lib.log"
    # relocatable pkg-config files: the cache folder can move
    sed -i "s|^prefix=.*|prefix=\${pcfiledir}/../..|" "$PREFIX"/lib/pkgconfig/*.pc
    stamp_of "$lib" >"$PREFIX/.built-$lib"
    # what builds against it is built again
    for l in $LIBS; do
        case " ${NEEDS[$l]:-} " in *" $lib "*) rm -f "$PREFIX/.built-$l" ;; esac
    done
    log "$lib done in $((SECONDS - start)) s"
done

rm -rf "${WORK:?}"
echo "$PREFIX"
