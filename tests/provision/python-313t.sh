#!/usr/bin/env bash
# Builds a free-threaded CPython 3.13 (`--disable-gil`, "3.13t") from the CPython 3.13.5
# source Debian ships (trixie's python3.13 source package; pinned by sha256, downloaded
# from the machine's own Debian mirror) into the test cache. No free-threaded 3.14 or
# 3.15 can be had here: Debian packages none, and their source tarballs are not served.
# cffi does not support 3.13t, so this interpreter only exercises what cffi-forge decides
# from a real free-threaded build: `Py_GIL_DISABLED` detection, naming, tags, and
# compiling the generated C against free-threaded headers.
#
#   tests/provision/python-313t.sh [CACHE_DIR]   (default: $CFFI_FORGE_TEST_CACHE or
#                                                 ~/.cache/cffi-forge-tests)
# Prints `3.13t <prefix>/bin/python3.13t`. Cached: about 8 minutes on 2 cores the first
# time, nothing after. Needs a C compiler and make; zlib, OpenSSL and libffi development
# files give it pip and ctypes (Debian: zlib1g-dev libssl-dev libffi-dev).
set -euo pipefail

cache="${1:-${CFFI_FORGE_TEST_CACHE:-$HOME/.cache/cffi-forge-tests}}"
version=3.13.5
sha256=93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640
pool_path=pool/main/p/python3.13/python3.13_$version.orig.tar.xz
prefix="$cache/pythons/cpython-${version}t"
exe="$prefix/bin/python3.13t"

if [ ! -x "$exe" ] || ! "$exe" -c 'import sysconfig, sys; sys.exit(not sysconfig.get_config_var("Py_GIL_DISABLED"))'; then
    mirror="${CFFI_FORGE_DEBIAN_MIRROR:-$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }')}"
    if [ -z "$mirror" ]; then
        echo "python-313t.sh: no Debian mirror in the apt sources; set CFFI_FORGE_DEBIAN_MIRROR" >&2
        exit 2
    fi
    work="$cache/pythons/build-${version}t"
    tarball="$cache/pythons/${pool_path##*/}"
    mkdir -p "$cache/pythons"
    if [ ! -f "$tarball" ] || ! echo "$sha256  $tarball" | sha256sum -c --status; then
        curl -fsSL --retry 3 -o "$tarball.part" "${mirror%/}/$pool_path"
        if ! echo "$sha256  $tarball.part" | sha256sum -c --status; then
            echo "python-313t.sh: $pool_path does not match its pinned sha256" >&2
            rm -f "$tarball.part"
            exit 1
        fi
        mv "$tarball.part" "$tarball"
    fi
    rm -rf "$work" "$prefix"
    mkdir -p "$work"
    tar -xJf "$tarball" -C "$work" --strip-components=1
    (
        cd "$work"
        ./configure --quiet --disable-gil --prefix="$prefix" --with-ensurepip=install >configure.log 2>&1
        make -s -j"$(nproc)" >make.log 2>&1
        make -s install >install.log 2>&1
    ) || { echo "python-313t.sh: the build failed; logs in $work" >&2; exit 1; }
    rm -rf "$work"
fi
echo "3.13t $exe"
