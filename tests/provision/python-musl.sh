#!/usr/bin/env bash
# Builds a musl CPython 3.13.5 (linked by Debian's musl-gcc, loader /lib/ld-musl-x86_64.so.1)
# into the test cache: the Python that installs and runs cffi-forge's musllinux_1_2 release
# wheel (tests/py/e2e/test_release_wheels.py). uv's musl CPython builds cannot be fetched
# here (they come from GitHub), so it is built from the sources Debian ships, pinned by
# sha256 and downloaded from the machine's own Debian mirror: trixie's python3.13 source (the
# one tests/provision/python-313t.sh uses) and zlib 1.3.1 (built static for musl first:
# ensurepip and pip need the zlib module, and Debian's libz is linked against glibc).
#
#   tests/provision/python-musl.sh [CACHE_DIR]   (default: $CFFI_FORGE_TEST_CACHE or
#                                                 ~/.cache/cffi-forge-tests)
# Prints `musl <prefix>/bin/python3.13`. Cached: a few minutes on 2 cores the first time,
# nothing after. Needs musl-tools (musl-gcc) and make. Its sysconfig CC is musl-gcc, so the
# extension modules a build backend compiles for it are musl ones too.
set -euo pipefail

cache="${1:-${CFFI_FORGE_TEST_CACHE:-$HOME/.cache/cffi-forge-tests}}"
py_version=3.13.5
py_sha256=93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640
py_pool=pool/main/p/python3.13/python3.13_$py_version.orig.tar.xz
zlib_sha256=60dd315c07f616887caa029408308a018ace66e3d142726a97db164b3b8f69fb
zlib_pool=pool/main/z/zlib/zlib_1.3.dfsg+really1.3.1.orig.tar.gz
prefix="$cache/pythons/cpython-$py_version-musl"
exe="$prefix/bin/python3.13"

# fetch POOL_PATH SHA256: the file, checked, in $cache/pythons; prints its path.
fetch() {
    local pool_path=$1 sum=$2 file mirror
    file="$cache/pythons/${pool_path##*/}"
    if [ -f "$file" ] && echo "$sum  $file" | sha256sum -c --status; then
        echo "$file"
        return
    fi
    mirror="${CFFI_FORGE_DEBIAN_MIRROR:-$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }')}"
    if [ -z "$mirror" ]; then
        echo "python-musl.sh: no Debian mirror in the apt sources; set CFFI_FORGE_DEBIAN_MIRROR" >&2
        exit 2
    fi
    curl -fsSL --retry 3 -o "$file.part" "${mirror%/}/$pool_path"
    if ! echo "$sum  $file.part" | sha256sum -c --status; then
        echo "python-musl.sh: $pool_path does not match its pinned sha256" >&2
        rm -f "$file.part"
        exit 1
    fi
    mv "$file.part" "$file"
    echo "$file"
}

# A musl Python: its loader is musl's, and it imports zlib (so pip works).
usable() {
    [ -x "$exe" ] && "$exe" -c 'import zlib, sys, sysconfig; sys.exit("musl" not in sysconfig.get_config_var("EXT_SUFFIX"))' 2>/dev/null
}

if ! usable; then
    if ! command -v musl-gcc >/dev/null; then
        echo "python-musl.sh: no musl-gcc (Debian: apt-get install musl-tools)" >&2
        exit 2
    fi
    mkdir -p "$cache/pythons"
    py_tarball=$(fetch "$py_pool" "$py_sha256")
    zlib_tarball=$(fetch "$zlib_pool" "$zlib_sha256")
    work="$cache/pythons/build-$py_version-musl"
    rm -rf "$work" "$prefix"
    mkdir -p "$work/zlib" "$work/python"
    tar -xzf "$zlib_tarball" -C "$work/zlib" --strip-components=1
    tar -xJf "$py_tarball" -C "$work/python" --strip-components=1
    (
        set -e
        # zlib into the Python's own prefix, static and position-independent (the zlib
        # extension module is a shared object linking it).
        cd "$work/zlib"
        CC=musl-gcc CFLAGS="-O2 -fPIC" ./configure --static --prefix="$prefix" >configure.log 2>&1
        make -s -j"$(nproc)" install >make.log 2>&1
        cd "$work/python"
        # musl-gcc is Debian's gcc with musl's headers and libraries: `--print-multiarch`
        # still says x86_64-linux-gnu, which configure refuses next to the musl triplet it
        # detects (x86_64-linux-musl). musl has no multiarch: ask nothing.
        sed -i 's/^\( *MULTIARCH=\)\$(\$CC --print-multiarch 2>\/dev\/null)$/\1/' configure
        grep -q '^ *MULTIARCH=$' configure
        # pkg-config must find this zlib, never the system's glibc one.
        CC=musl-gcc PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig" \
            CPPFLAGS="-I$prefix/include" LDFLAGS="-L$prefix/lib" \
            ./configure --quiet --prefix="$prefix" --with-ensurepip=install >configure.log 2>&1
        make -s -j"$(nproc)" >make.log 2>&1
        make -s install >install.log 2>&1
    ) || { echo "python-musl.sh: the build failed; logs in $work" >&2; exit 1; }
    if ! usable; then
        echo "python-musl.sh: built $exe, but it is no musl Python with zlib; logs in $work" >&2
        exit 1
    fi
    rm -rf "$work"
fi
echo "musl $exe"
