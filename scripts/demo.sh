#!/usr/bin/env bash
# Builds cffi-forge and uses it end to end on a bundled sample project:
#
#     scripts/demo.sh
#
# 0. installs Rust with rustup when there is no cargo (building cffi-forge needs it);
# 1. builds the cffi-forge wheel from this checkout (`pip wheel .`, i.e. maturin), unless
#    CFFI_FORGE_WHEELHOUSE already holds one;
# 2. creates a fresh venv;
# 3. builds sample-projects/fasthash with `pip wheel` (an isolated PEP 517 build whose
#    backend is the cffi-forge wheel from step 1);
# 4. installs the wheel and calls a function from it;
# 5. prints how to hand the cffi-forge wheel to pip, python -m build and uv.
#
# The Rust build in step 1 takes minutes; a progress line (the crate cargo is compiling)
# is printed every few seconds, and the full output goes to $DEMO/cffi-forge-build.log.
#
# Scratch files go to ${CFFI_FORGE_TEST_CACHE:-${XDG_CACHE_HOME:-~/.cache}/cffi-forge-tests}/demo.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${CFFI_FORGE_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cffi-forge-tests}
DEMO=$CACHE/demo
PYTHON=${PYTHON:-python3}
say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

# with_progress LOG CMD...: run CMD with its output in LOG, printing every 5 s how long it
# has run and the last `Compiling <crate>` line cargo wrote (pip hides the build's output
# otherwise, and a Rust build is minutes of silence). On failure, the end of LOG.
with_progress() {
    local log=$1 started=$SECONDS pid rc last
    shift
    "$@" >"$log" 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        sleep 5
        kill -0 "$pid" 2>/dev/null || break
        last=$(grep -aoE '(Compiling|Finished|Built|Running) [^ ]+( v[^ ]+)?' "$log" | tail -n 1 || true)
        printf '    ... %3ds  %s\n' $((SECONDS - started)) "${last:-starting}"
    done
    rc=0
    wait "$pid" || rc=$?
    if [ "$rc" -ne 0 ]; then
        tail -n 40 "$log" >&2
        echo "failed (exit $rc): $*; full output in $log" >&2
        return "$rc"
    fi
    printf '    done in %ds\n' $((SECONDS - started))
}

if ! command -v cargo >/dev/null && [ -f "$HOME/.cargo/env" ]; then
    # shellcheck disable=SC1091
    . "$HOME/.cargo/env"
fi
if ! command -v cargo >/dev/null && [ -z "${CFFI_FORGE_WHEELHOUSE:-}" ]; then
    say "no cargo: installing Rust with rustup (toolchain from rust-toolchain.toml)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs |
        sh -s -- -y --profile minimal --default-toolchain none
    # shellcheck disable=SC1091
    . "$HOME/.cargo/env"
fi

rm -rf "$DEMO"
mkdir -p "$DEMO"
"$PYTHON" -m venv "$DEMO/venv"
VPY=$DEMO/venv/bin/python
"$VPY" -m pip install -q --disable-pip-version-check -U pip

WHEELHOUSE=${CFFI_FORGE_WHEELHOUSE:-}
if [ -n "$WHEELHOUSE" ] && ls "$WHEELHOUSE"/cffi_forge-*.whl >/dev/null 2>&1; then
    say "using the cffi-forge wheel in $WHEELHOUSE"
else
    say "building the cffi-forge wheel (pip wheel . → maturin, release profile; minutes the first time)"
    WHEELHOUSE=$ROOT/target/wheels
    rm -f "$WHEELHOUSE"/cffi_forge-*.whl
    # -v: pip passes cargo's `Compiling ...` lines through, which the progress shows.
    with_progress "$DEMO/cffi-forge-build.log" \
        "$VPY" -m pip wheel -v --disable-pip-version-check --no-deps -w "$WHEELHOUSE" "$ROOT"
fi
ls "$WHEELHOUSE"/cffi_forge-*.whl

say "building sample-projects/fasthash with pip wheel (isolated build, backend cffi_forge)"
cp -r "$ROOT/sample-projects/fasthash" "$DEMO/fasthash"
unset CFFI_FORGE_BIN  # the backend must use the binary from the wheel
"$VPY" -m pip wheel --disable-pip-version-check --no-deps --find-links "$WHEELHOUSE" \
    -w "$DEMO/wheels" "$DEMO/fasthash"

say "installing $(cd "$DEMO/wheels" && ls fasthash-*.whl)"
"$VPY" -m pip install -q --disable-pip-version-check "$DEMO"/wheels/fasthash-*.whl

say "calling it"
cd "$DEMO"
"$VPY" - <<'PY'
import fasthash
from fasthash import _native

print("module:", _native.__file__)
for data in (b"hello", b"cffi-forge"):
    print("fasthash.fnv1a_32(%r) = %#010x" % (data, fasthash.fnv1a_32(data)))
print("fasthash.murmur3_32(b'hello', seed=42) = %#010x" % fasthash.murmur3_32(b"hello", 42))


def fnv1a_32(data):  # the same hash in pure Python, to check the compiled one
    h = 0x811C9DC5
    for byte in data:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


for data in (b"", b"hello", bytes(range(256))):
    assert fasthash.fnv1a_32(data) == fnv1a_32(data), data
print("ok: the compiled fnv1a_32 agrees with a pure-Python one")
PY

FORGE_WHEEL=$(ls "$WHEELHOUSE"/cffi_forge-*.whl | head -n 1)
say "the cffi-forge wheel: $FORGE_WHEEL"
cat <<EOF
cffi-forge is not on PyPI yet: point the frontend at this folder and
\`requires = ["cffi-forge"]\` resolves to the wheel above.

    pip wheel --find-links $WHEELHOUSE YOUR-PROJECT      # or pip install
    PIP_FIND_LINKS=$WHEELHOUSE python -m build YOUR-PROJECT
    UV_FIND_LINKS=$WHEELHOUSE uv build YOUR-PROJECT
EOF
