#!/usr/bin/env bash
# cffi-forge's own release wheels, into target/release-wheels/ (or $OUT):
#   - manylinux2014 (glibc 2.17) for x86_64 and aarch64: `maturin build --zig`, whose zig
#     linker links against glibc 2.17's symbol versions whatever the build machine has;
#   - musllinux_1_2 for x86_64: the musl Rust target (statically linked);
#   - the sdist.
# maturin checks each wheel against its policy (its own auditwheel) before writing it.
#
# Needs, in the Python that runs it ($PYTHON, default python3): maturin and ziglang, both
# from PyPI (`pip install maturin ziglang`; tests/run.sh uses its tools venv, which pins
# them); the Rust targets are added with rustup when missing, for the toolchain
# rust-toolchain.toml pins. TARGETS chooses a subset, e.g. TARGETS=x86_64-unknown-linux-gnu.
#
# Cached: the wheels are rebuilt only when the sources they are made of (src/, backend/,
# Cargo.*, pyproject.toml, rust-toolchain.toml, README.md, this script), TARGETS or the
# maturin and zig versions changed since the last build (a hash in $OUT/.sources-hash);
# FORCE=1 rebuilds anyway. Last, one line per wheel: its auditwheel verdict and the highest
# GLIBC_ symbol version its binary needs (when $PYTHON has auditwheel).
# tests/py/e2e/test_release_wheels.py installs the x86_64 wheels and builds a sample, and
# runs the aarch64 binary under qemu.
set -euo pipefail

# One block, parsed whole before it runs: editing this file mid-build is harmless.
{
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

# The hash of everything the wheels are made of, and of how they are made.
sources_hash() {
    (
        cd "$ROOT"
        find src backend Cargo.toml Cargo.lock pyproject.toml rust-toolchain.toml README.md \
            scripts/release-wheels.sh -type f ! -name '*.pyc' -print0 2>/dev/null | sort -z | xargs -0 sha256sum
        echo "targets: $TARGETS"
        "$PYTHON" -m maturin --version
        "$PYTHON" -m ziglang version
    ) | sha256sum | cut -d' ' -f1
}

# One line per wheel: auditwheel's verdict and the binary's glibc floor.
summary() {
    "$PYTHON" -c 'import auditwheel' 2>/dev/null || { ls -1 "$OUT"; return; }
    local wheel
    for wheel in "$OUT"/cffi_forge-*.whl; do
        "$PYTHON" -m auditwheel show --json "$wheel" 2>/dev/null | "$PYTHON" -c '
import json, re, sys
text = sys.stdin.read()
d = json.loads(text[text.index("{"):])
glibc = [tuple(map(int, m.groups())) for vs in d["versioned_symbols"].values() for v in vs
         for m in [re.fullmatch(r"GLIBC_(\d+)\.(\d+)(?:\.\d+)?", v)] if m]
floor = "GLIBC_%d.%d" % max(glibc) if glibc else "no glibc symbols"
print("%s: auditwheel %s, %s" % (d["wheel"], d["overall_tag"], floor))'
    done
    ls -1 "$OUT"/*.tar.gz
}

mkdir -p "$OUT"
hash=$(sources_hash)
expected=$(( $(wc -w <<<"$TARGETS") ))
wheels=$(find "$OUT" -maxdepth 1 -name 'cffi_forge-*.whl' | wc -l)
if [ -z "${FORCE:-}" ] && [ "$(cat "$OUT/.sources-hash" 2>/dev/null)" = "$hash" ] && [ "$wheels" -eq "$expected" ] &&
    compgen -G "$OUT/cffi_forge-*.tar.gz" >/dev/null; then
    echo "release-wheels.sh: up to date (sources unchanged since the last build; FORCE=1 rebuilds)" >&2
    summary
    exit 0
fi
# Never a stale wheel next to new ones (of another version or target), nor a stamp of a
# build that did not finish.
rm -f "$OUT"/cffi_forge-* "$OUT/.sources-hash"
# The Rust targets of the toolchain rust-toolchain.toml pins (what cargo builds with in
# $ROOT), whatever directory this runs from.
toolchain=$(sed -n 's/^channel = "\(.*\)"$/\1/p' "$ROOT/rust-toolchain.toml")
installed=$(rustup target list --installed --toolchain "$toolchain")
for target in $TARGETS; do
    case $target in
        *-linux-gnu) compatibility=manylinux2014 ;;
        *-linux-musl) compatibility=musllinux_1_2 ;;
        *) echo "release-wheels.sh: no Linux policy for $target" >&2; exit 1 ;;
    esac
    if ! grep -qx "$target" <<<"$installed"; then
        rustup target add --toolchain "$toolchain" "$target"
    fi
    echo "release-wheels.sh: $target ($compatibility)" >&2
    "$PYTHON" -m maturin build --release --zig --target "$target" --compatibility "$compatibility" \
        --manifest-path "$ROOT/Cargo.toml" --out "$OUT"
done
"$PYTHON" -m maturin sdist --manifest-path "$ROOT/Cargo.toml" --out "$OUT"
echo "$hash" >"$OUT/.sources-hash"
summary
exit
}
