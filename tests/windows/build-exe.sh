#!/usr/bin/env bash
# Builds cffi-forge for Windows on Linux: cffi-forge.exe (Rust target x86_64-pc-windows-gnu,
# linked by MinGW-w64's x86_64-w64-mingw32-gcc) inside a cffi-forge wheel for win_amd64
# (maturin, bindings `bin`, as for every other platform):
#
#   tests/windows/build-exe.sh OUT_DIR [--release]
#
# Prints the wheel's path. A dev-profile build by default (the tests need behaviour, not
# speed; incremental, so a second run takes seconds); --release for a wheel to ship. The
# Rust target is added to the pinned toolchain (rust-toolchain.toml) when missing.
# maturin: $MATURIN, else `$CFFI_FORGE_TEST_PYTHON -m maturin` (the tools venv pins it).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${1:?usage: build-exe.sh OUT_DIR [--release]}"
profile=(--profile dev)
[ "${2:-}" = --release ] && profile=(--release)
target=x86_64-pc-windows-gnu

cd "$repo"
if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
    echo "build-exe.sh: adding the Rust target $target" >&2
    rustup target add "$target" >&2
fi
command -v x86_64-w64-mingw32-gcc >/dev/null ||
    { echo "build-exe.sh: no x86_64-w64-mingw32-gcc (apt-get install gcc-mingw-w64-x86-64)" >&2; exit 2; }
if [ -n "${MATURIN:-}" ]; then
    maturin=("$MATURIN")
else
    maturin=("${CFFI_FORGE_TEST_PYTHON:-python3}" -m maturin)
fi
mkdir -p "$out"
rm -f "$out"/cffi_forge-*-win_amd64.whl
"${maturin[@]}" build "${profile[@]}" --target "$target" --out "$out" >&2
ls "$out"/cffi_forge-*-win_amd64.whl
