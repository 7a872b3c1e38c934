#!/usr/bin/env bash
# Provisions CPython 3.14 and 3.15 for the test matrix from Debian sid's binary packages,
# without touching the system: every .deb is pinned by pool path and sha256, downloaded
# from the machine's own Debian mirror (the one in its apt sources), unpacked with
# `dpkg -x` into the test cache, and the interpreter binaries are pointed at sid's own
# loader and libraries (sid's glibc is newer than the host's). Each version then gets a
# venv with pip and cffi. Cached: a second run with the same pins does nothing.
#
#   tests/provision/python-sid.sh [CACHE_DIR]     (default: $CFFI_FORGE_TEST_CACHE or
#                                                  ~/.cache/cffi-forge-tests)
# Prints one line per version: `3.15 <venv>/bin/python`.
# Overrides: CFFI_FORGE_DEBIAN_MIRROR (a Debian archive URL), CFFI_FORGE_SID_CFFI (the
# cffi requirement installed into each venv).
set -euo pipefail

cache="${1:-${CFFI_FORGE_TEST_CACHE:-$HOME/.cache/cffi-forge-tests}}"
root="$cache/pythons/sid"
debs="$root/debs"
cffi_req="${CFFI_FORGE_SID_CFFI:-cffi==2.1.1}"
arch="$(dpkg --print-architecture 2>/dev/null || echo unknown)"
if [ "$arch" != amd64 ]; then
    echo "python-sid.sh: the pins are for amd64, this machine is $arch" >&2
    exit 2
fi

for tool in curl dpkg patchelf; do
    if ! command -v "$tool" >/dev/null; then
        echo "python-sid.sh: needs $tool (Debian: apt-get install $tool)" >&2
        exit 2
    fi
done

mirror="${CFFI_FORGE_DEBIAN_MIRROR:-}"
if [ -z "$mirror" ]; then
    # The first Debian archive URI in the system's apt sources (deb822 or one-line form).
    mirror="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }')"
    if [ -z "$mirror" ]; then
        mirror="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
            | awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/ && $i !~ /security/) { print $i; exit } }')"
    fi
fi
if [ -z "$mirror" ]; then
    echo "python-sid.sh: no Debian mirror in the apt sources; set CFFI_FORGE_DEBIAN_MIRROR" >&2
    exit 2
fi
mirror="${mirror%/}"

# sha256  pool path   (Debian sid, amd64; shared libraries first, then each CPython)
PINS='
5c71715c51103beb4fbba9fe9f8dff604af6610dfa71c70bff342f54a7860803 pool/main/g/glibc/libc6_2.43-7_amd64.deb
d251ea642c3795e8723ac2b9eeebe511467ca04590ba70f3d555a7616787d7e3 pool/main/g/gcc-16/libgcc-s1_16.2.0-4_amd64.deb
190d7f5e45f070c42a12f708fe417d6636cb45fae71175203168bb5c3695081b pool/main/e/expat/libexpat1_2.9.0-1_amd64.deb
93e7930e4c25b918f1dd980cc1c6d4487654a248f5fa71eacb976ed7bbe954bd pool/main/libz/libzstd/libzstd1_1.5.7+dfsg-4_amd64.deb
8506ce550a81ac14b047608e0df121037d9cbb10c3cc28446f68cf8c1d9d31ce pool/main/z/zlib/zlib1g_1.3.dfsg+really1.3.2-4_amd64.deb
8f52979b2f3831088c419aae858f10fd3ad7e42cc6c1d28967bae996a98223a4 pool/main/libf/libffi/libffi8_3.8.0-2_amd64.deb
0a0ec84fe860c5c93c74d53cbb071aea0793327a3761b483080e9d7b73c21b37 pool/main/o/openssl/libssl3t64_3.6.5-1_amd64.deb
82b7c056f7dfd91e4eedb1a0738d655867b6e13bd25ce03406e9cf464e9345ad pool/main/o/openssl/openssl-provider-legacy_3.6.5-1_amd64.deb
bbf13c9326764d05e37e6590debdaa6f33af6bd822e3ca1204789d9d1dc23b11 pool/main/s/sqlite3/libsqlite3-0_3.53.4-2_amd64.deb
04c7528234a6a4a8a2c2470f1470a7a616d90904fe8cdccf4c2c655540cdc61f pool/main/b/bzip2/libbz2-1.0_1.0.8-6+b2_amd64.deb
2dd166f61cb2a32c50f1a4dd3cd34f5f18a4ff97a6ff23665b9a57537fd60625 pool/main/x/xz-utils/liblzma5_5.8.4-1_amd64.deb
932b7f0f6e46a5da64977bdf049e8f2fb8aa617d20813fe9902d382d57bea410 pool/main/m/mpdecimal/libmpdec4_4.0.1-6_amd64.deb
bdef15911ca5748219f5257bf4f1e81444fb40966499c02b1176bfbbcd9a2d08 pool/main/u/util-linux/libuuid1_2.42.4-1_amd64.deb
91dbb5e4ebe44a010703f916b4c4675aa3f54516601bbffe6612bd07e92d2071 pool/main/n/ncurses/libncursesw6_6.6+20260608-2_amd64.deb
14682d1f6e35df22df0fe1eb2c09418aff0e29e2ea5a7bc0aa1bcd37192ba5a7 pool/main/n/ncurses/libtinfo6_6.6+20260608-2_amd64.deb
1b65e285f312f9073dc4f0dafe44143d986bd8914e4a03af3ca59d68f238d02c pool/main/r/readline/libreadline8t64_8.3-4_amd64.deb
d263910f67130b11763a0164bac9ee94dafa482cc5ed7301703bbb6520183985 pool/main/d/db5.3/libdb5.3t64_5.3.28+dfsg2-11+b1_amd64.deb
5df0bb84a02838cc65483a4fa6fa876e956efc79ae265c784bb2fc2e98091644 pool/main/p/python-pip/python3-pip-whl_26.2.2+dfsg-1_all.deb
017018ec9cf495d2dc757b4d91e50de8444c3e95a10a8a06a03432b06fc7392e pool/main/s/setuptools/python3-setuptools-whl_84.2.0-1_all.deb
96f4d045aeb704d72ed40c0c37099d5035b57d2095f3c9e42ab103344cad05f8 pool/main/p/python3.14/python3.14_3.14.10-1_amd64.deb
a23204aa66be03a9ad427367e75ee2142c60685c8c229bcde0bdde8b421cefb8 pool/main/p/python3.14/python3.14-minimal_3.14.10-1_amd64.deb
a59bb22e16dde6f441b892cdfd058dd93d8149cf437a31d8985dcca3cf407367 pool/main/p/python3.14/libpython3.14-minimal_3.14.10-1_amd64.deb
0af595928d7a49c12fe33d5667da95dc2fa9868e1a9a00625428074d3b3d458a pool/main/p/python3.14/libpython3.14-stdlib_3.14.10-1_amd64.deb
fcca5b71a6b96127bcbd6134d9c05cb9e894581c60590005c51e2b768ec9662f pool/main/p/python3.14/libpython3.14_3.14.10-1_amd64.deb
ce226a5a09bd3739123b95c5a41688ee3110651e6b4f9b22973a27c7be2f64fa pool/main/p/python3.14/libpython3.14-dev_3.14.10-1_amd64.deb
3d06bb96c8464127eea4e5f40386691d41df7cfa3f2123e2989f4a94ce2b5e4f pool/main/p/python3.14/python3.14-venv_3.14.10-1_amd64.deb
33b28c97e08ff0fa9249390b44cab662985177decdc70c06fc5a8c1c4f01ffd4 pool/main/p/python3.15/python3.15_3.15.2-1_amd64.deb
b3065172be908a9962bc5512090837e1cff0a5b79da0b7e58ed6fabd436e6f11 pool/main/p/python3.15/python3.15-minimal_3.15.2-1_amd64.deb
1cd6e6860993a912b4ec41c2262f9001c8911ed9e8740a2c79d1f94bc9088047 pool/main/p/python3.15/libpython3.15-minimal_3.15.2-1_amd64.deb
fabb8a62a20704a57bfe80c009a8c846821c6632acf8f433fbf3442cae893e42 pool/main/p/python3.15/libpython3.15-stdlib_3.15.2-1_amd64.deb
592a1272ff97320c9031ed7c8a89cd0a2f2001714846dbaf3bd6ca14f7f3477e pool/main/p/python3.15/libpython3.15_3.15.2-1_amd64.deb
e544de7077e9c7017c8d5c811a793439e19522a45ba283c93361e0ea311b93c9 pool/main/p/python3.15/libpython3.15-dev_3.15.2-1_amd64.deb
809ea7eccb04494cc34d7f48b7246d541429f39586e38d59f4f69dc0b465cf7c pool/main/p/python3.15/python3.15-venv_3.15.2-1_amd64.deb
'

fetch() { # sha256 pool-path -> prints the verified local file
    local sum="$1" path="$2" file="$debs/${2##*/}"
    if [ ! -f "$file" ] || ! echo "$sum  $file" | sha256sum -c --status; then
        curl -fsSL --retry 3 -o "$file.part" "$mirror/$path" \
            || { echo "python-sid.sh: cannot download $path from $mirror" >&2; return 1; }
        if ! echo "$sum  $file.part" | sha256sum -c --status; then
            echo "python-sid.sh: $path does not match its pinned sha256 $sum" >&2
            rm -f "$file.part"
            return 1
        fi
        mv "$file.part" "$file"
    fi
    echo "$file"
}

stamp="$root/.provisioned-$(echo "$PINS $cffi_req" | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    mkdir -p "$debs"
    rm -rf "$root/tree" "$root/venv-"*
    mkdir -p "$root/tree"
    while read -r sum path; do
        [ -n "$sum" ] || continue
        dpkg -x "$(fetch "$sum" "$path")" "$root/tree"
    done <<<"$PINS"
    libdir="$root/tree/usr/lib/x86_64-linux-gnu"
    for version in 3.14 3.15; do
        # Debian's include/python3.X/pyconfig.h only includes the multiarch one by a path
        # relative to /usr/include, which a compiler here does not search: use the real one.
        cp "$root/tree/usr/include/x86_64-linux-gnu/python$version/pyconfig.h" \
            "$root/tree/usr/include/python$version/pyconfig.h"
        exe="$root/tree/usr/bin/python$version"
        patchelf --set-interpreter "$libdir/ld-linux-x86-64.so.2" \
            --force-rpath --set-rpath "$libdir" "$exe"
        # ensurepip (so `-m venv`) takes pip from the compiled-in WHEEL_PKG_DIR,
        # /usr/share/python-wheels: the host's, with an older pip or none. Use sid's own.
        sed -i "s|'WHEEL_PKG_DIR': '/usr/share/python-wheels/'|'WHEEL_PKG_DIR': '$root/tree/usr/share/python-wheels/'|" \
            "$root"/tree/usr/lib/python$version/_sysconfigdata_*.py
        # The interpreter finds its stdlib from its own location; a venv's `home` points here.
        venv="$root/venv-$version"
        "$exe" -m venv "$venv"
        "$venv/bin/python" -m pip install -q --disable-pip-version-check --only-binary cffi "$cffi_req"
    done
    touch "$stamp"
fi
for version in 3.14 3.15; do
    echo "$version $root/venv-$version/bin/python"
done
