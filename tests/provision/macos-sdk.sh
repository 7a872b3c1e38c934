#!/usr/bin/env bash
# Makes a minimal macOS SDK for cross builds with clang + ld64.lld from the macOS C headers
# and libSystem stubs that zig's PyPI package (`ziglang`) bundles: usr/include,
# usr/lib/libSystem.tbd and SDKSettings.json. Enough for C extension modules (libc,
# libm, pthread are all in libSystem); no frameworks, no C++ headers.
#
#   tests/provision/macos-sdk.sh [CACHE_DIR] [PYTHON]
#     CACHE_DIR  default: $CFFI_FORGE_TEST_CACHE or ~/.cache/cffi-forge-tests
#     PYTHON     an interpreter that imports ziglang (default: the tools venv's,
#                $CACHE_DIR/tools/bin/python; pinned in tests/py/requirements-tools.txt)
# Prints the SDK's path (use it as SDKROOT). Cached: well under a second after the first
# time; about 8 MB.
#
# Two fixes make zig's files usable by LLVM 16's tools:
# - libSystem.tbd lists `arm64e.x1-*` targets, which LLVM 16's TAPI reader rejects
#   ("unknown architecture"); they are renamed `arm64-*` (zig links arm64 against the
#   arm64e entries, lld needs arm64 listed).
# - zig's SDKSettings.json holds only a version, which clang cannot parse (it needs
#   MaximumDeploymentTarget); a complete one is written.
set -euo pipefail

cache="${1:-${CFFI_FORGE_TEST_CACHE:-$HOME/.cache/cffi-forge-tests}}"
python="${2:-$cache/tools/bin/python}"
sdk="$cache/macos-sdk/MacOSX14.0.sdk"
stamp="$sdk/.complete"

if [ -f "$stamp" ]; then
    echo "$sdk"
    exit 0
fi
if ! lib="$("$python" -c 'import os, ziglang; print(os.path.join(os.path.dirname(ziglang.__file__), "lib"))' 2>/dev/null)"; then
    echo "macos-sdk.sh: $python cannot import ziglang (pip install ziglang)" >&2
    exit 2
fi
headers="$lib/libc/include/any-darwin-any"
tbd="$lib/libc/darwin/libSystem.tbd"
if [ ! -f "$headers/stdio.h" ] || [ ! -f "$tbd" ]; then
    echo "macos-sdk.sh: this ziglang has no macOS headers or libSystem.tbd under $lib/libc" >&2
    exit 1
fi
rm -rf "$sdk.part"
mkdir -p "$sdk.part/usr/lib"
cp -R "$headers" "$sdk.part/usr/include"
sed 's/arm64e\.x1-/arm64-/g' "$tbd" > "$sdk.part/usr/lib/libSystem.tbd"
ln -s libSystem.tbd "$sdk.part/usr/lib/libSystem.B.tbd"
cat > "$sdk.part/SDKSettings.json" <<'EOF'
{"Version": "14.0", "CanonicalName": "macosx14.0", "DisplayName": "macOS 14.0 (from zig)", "MaximumDeploymentTarget": "14.99"}
EOF
rm -rf "$sdk"
mv "$sdk.part" "$sdk"
touch "$stamp"
echo "$sdk"
