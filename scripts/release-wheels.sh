#!/usr/bin/env bash
# cffi-forge's own release wheels, into target/release-wheels/ (or $OUT):
#   - manylinux2014 (glibc 2.17) for x86_64 and aarch64: `maturin build --zig`, whose zig
#     linker links against glibc 2.17's symbol versions whatever the build machine has;
#   - musllinux_1_2 for x86_64: the musl Rust target (statically linked);
#   - the sdist.
# maturin checks each wheel against its policy (its own auditwheel) before writing it.
#
# Needs, in the Python that runs it ($PYTHON, default python3): maturin and ziglang, both
# from PyPI (`pip install maturin ziglang`); the Rust targets are added with rustup when
# missing. TARGETS chooses a subset, e.g. TARGETS=x86_64-unknown-linux-gnu.
# tests/py/e2e/test_release_wheels.py installs the x86_64 wheels and builds a sample.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$ROOT/target/release-wheels}
PYTHON=${PYTHON:-python3}
TARGETS=${TARGETS:-x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-unknown-linux-musl}

for module in maturin ziglang; do
    if ! "$PYTHON" -c "import $module" 2>/dev/null; then
        echo "release-wheels.sh: $PYTHON has no $module: run \`$PYTHON -m pip install maturin ziglang\`" >&2
        exit 1
    fi
done

# maturin finds zig as `python-zig` (the ziglang package's script) or `python -m ziglang`
# on PATH: put the scripts of $PYTHON's environment first.
PATH="$(dirname "$(command -v "$PYTHON")"):$PATH"
export PATH

mkdir -p "$OUT"
installed=$(rustup target list --installed)
for target in $TARGETS; do
    case $target in
        *-linux-gnu) compatibility=manylinux2014 ;;
        *-linux-musl) compatibility=musllinux_1_2 ;;
        *) echo "release-wheels.sh: no Linux policy for $target" >&2; exit 1 ;;
    esac
    if ! grep -qx "$target" <<<"$installed"; then
        rustup target add "$target"
    fi
    echo "release-wheels.sh: $target ($compatibility)" >&2
    "$PYTHON" -m maturin build --release --zig --target "$target" --compatibility "$compatibility" \
        --manifest-path "$ROOT/Cargo.toml" --out "$OUT"
done
"$PYTHON" -m maturin sdist --manifest-path "$ROOT/Cargo.toml" --out "$OUT"
ls -1 "$OUT"
