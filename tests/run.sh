#!/usr/bin/env bash
# Runs the whole cffi-forge test suite from a clean checkout:
#
#     tests/run.sh [extra pytest arguments, e.g. -k fasthash]
#
# 1. installs the system packages the tests need, if missing (pkg-config, zlib1g-dev,
#    g++, pypy3, pypy3-dev; with sudo when not root) and Rust if there is no cargo;
# 2. creates a tools venv (maturin, pytest, build, uv, cffi, setuptools, ...) in the cache;
# 3. finds CPython 3.8-3.13 and PyPy (installing missing CPythons with `uv python install`);
# 4. builds the release binary and the cffi-forge wheel once, with maturin, into
#    target/wheelhouse;
# 5. runs `cargo test`;
# 6. runs `pytest tests/py`: end-to-end tests of every sample project on every interpreter,
#    the frontends (pip, build, uv), the three real projects, and the other Python tests;
# 7. runs cffi's own recompiler tests with cffi-forge generating the C and the Python
#    (`../shared/peer/run-cffi-suite.sh` next to the repository, or $CFFI_FORGE_CFFI_SUITE);
#    when that harness is absent the summary says NOT RUN, loudly.
#
# Exported for the tests: CFFI_FORGE_BIN, CFFI_FORGE_TEST_PYTHON, CFFI_FORGE_WHEELHOUSE,
# CFFI_FORGE_TEST_CACHE. Venvs, downloads and scratch builds live in the cache
# (CFFI_FORGE_TEST_CACHE, default ${XDG_CACHE_HOME:-~/.cache}/cffi-forge-tests), never in
# the repository. Exit status is non-zero if any step fails; a summary comes last.

set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
CACHE=${CFFI_FORGE_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cffi-forge-tests}
TOOLS=$CACHE/tools
TOOLS_PY=$TOOLS/bin/python
WHEELHOUSE=$ROOT/target/wheelhouse
LOGS=$ROOT/target/test-logs
mkdir -p "$CACHE" "$LOGS"

SUITE_START=$(date +%s)
NAMES=()
RESULTS=()
TIMES=()
NOTES=()
FAILED=0

# run_step NAME FUNCTION: runs it, records status, time and the NOTE it sets.
run_step() {
    local name=$1 fn=$2 start rc
    shift 2
    NOTE=""
    printf '\n\033[1m==> %s\033[0m\n' "$name"
    start=$(date +%s)
    "$fn" "$@"
    rc=$?
    NAMES+=("$name")
    TIMES+=($(($(date +%s) - start)))
    NOTES+=("$NOTE")
    if [ $rc -eq 0 ]; then
        RESULTS+=("ok")
    else
        RESULTS+=("FAILED")
        FAILED=1
    fi
    return $rc
}

not_run() {
    NAMES+=("$1")
    RESULTS+=("NOT RUN")
    TIMES+=(0)
    NOTES+=("$2")
    FAILED=1
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

system_packages() {
    local wanted=(pkg-config zlib1g-dev gcc g++ pypy3 pypy3-dev) missing=() p
    # What the real projects link or dlopen (one per line, # comments).
    wanted+=($(sed -e 's/#.*//' tests/real_projects/apt-packages.txt))
    if ! command -v dpkg >/dev/null; then
        for p in pkg-config gcc g++ pypy3; do
            command -v "$p" >/dev/null || missing+=("$p")
        done
        if [ ${#missing[@]} -gt 0 ]; then
            echo "not a Debian-like system and missing: ${missing[*]}; install them" >&2
            NOTE="missing: ${missing[*]}"
            return 1
        fi
        NOTE="no dpkg; tools found on PATH"
        return 0
    fi
    for p in "${wanted[@]}"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    # Debian's own python3 cannot create venvs without python3-venv.
    local py=${CFFI_FORGE_TOOLS_PYTHON:-python3}
    if ! "$py" -c 'import ensurepip, venv' 2>/dev/null && [ "$(command -v "$py")" = /usr/bin/python3 ]; then
        missing+=(python3-venv)
    fi
    if [ ${#missing[@]} -eq 0 ]; then
        NOTE="all present"
        return 0
    fi
    echo "installing: ${missing[*]}"
    as_root apt-get update -qq &&
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    local rc=$?
    NOTE="installed ${missing[*]}"
    return $rc
}

rust_toolchain() {
    if ! command -v cargo >/dev/null && [ -f "$HOME/.cargo/env" ]; then
        # shellcheck disable=SC1091
        . "$HOME/.cargo/env"
    fi
    if ! command -v cargo >/dev/null; then
        echo "no cargo: installing Rust with rustup (toolchain from rust-toolchain.toml)"
        curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs |
            sh -s -- -y --profile minimal --default-toolchain none || return 1
        # shellcheck disable=SC1091
        . "$HOME/.cargo/env"
    fi
    cargo --version || return 1
    NOTE=$(cargo --version)
}

tools_venv() {
    local py=${CFFI_FORGE_TOOLS_PYTHON:-python3}
    if [ ! -x "$TOOLS_PY" ] || ! "$TOOLS_PY" -c 'import sys' 2>/dev/null; then
        rm -rf "$TOOLS"
        "$py" -m venv "$TOOLS" || return 1
    fi
    "$TOOLS_PY" -m pip install -q --disable-pip-version-check -U pip &&
        "$TOOLS_PY" -m pip install -q --disable-pip-version-check -r tests/py/requirements-tools.txt || return 1
    NOTE="$("$TOOLS_PY" --version 2>&1) at $TOOLS"
}

find_interpreters() {
    "$TOOLS_PY" tests/py/e2e/interpreters.py --install | tee "$LOGS/interpreters.txt"
    local rc=${PIPESTATUS[0]} missing
    missing=$(grep -c MISSING "$LOGS/interpreters.txt")
    NOTE="$((7 - missing))/7 found"
    [ "$missing" -gt 0 ] && NOTE="$NOTE; $missing MISSING (their tests fail)"
    return "$rc"
}

build_tool() {
    rm -rf "$WHEELHOUSE"
    mkdir -p "$WHEELHOUSE"
    "$TOOLS/bin/maturin" build --release --out "$WHEELHOUSE" || return 1
    if [ ! -x target/release/cffi-forge ]; then
        cargo build --release --bin cffi-forge || return 1
    fi
    NOTE=$(cd "$WHEELHOUSE" && ls cffi_forge-*.whl)
}

cargo_tests() {
    cargo test --no-fail-fast 2>&1 | tee "$LOGS/cargo-test.txt"
    local rc=${PIPESTATUS[0]}
    NOTE=$(awk '/^test result:/ { p += $4; f += $6; i += $8 }
                END { printf "%d passed, %d failed, %d ignored", p, f, i }' "$LOGS/cargo-test.txt")
    return "$rc"
}

python_tests() {
    "$TOOLS_PY" -m pytest tests/py -p no:cacheprovider -ra --durations=15 \
        --junitxml="$LOGS/pytest.xml" "$@"
    local rc=$?
    NOTE=$("$TOOLS_PY" - "$LOGS/pytest.xml" <<'EOF'
import sys
import xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    print("no report")
    raise SystemExit
suites = [root] if root.tag == "testsuite" else list(root)
n = {k: sum(int(s.get(k, 0)) for s in suites) for k in ("tests", "failures", "errors", "skipped")}
passed = n["tests"] - n["failures"] - n["errors"] - n["skipped"]
print("%d passed, %d failed, %d errors, %d skipped" % (passed, n["failures"], n["errors"], n["skipped"]))
EOF
)
    [ $# -gt 0 ] && NOTE="$NOTE (filtered: $*)"
    return $rc
}

# cffi's test files the harness runs, and the counts they gave when this was written
# (test_recompiler, test_re_python, test_dlopen; `ffi.include()` tests harness-skipped).
CFFI_SUITE_FILES="testing/cffi1/test_recompiler.py testing/cffi1/test_re_python.py testing/cffi1/test_dlopen.py"
CFFI_SUITE=${CFFI_FORGE_CFFI_SUITE:-$ROOT/../shared/peer/run-cffi-suite.sh}

cffi_suite() {
    local log=$LOGS/cffi-suite.txt rc
    # Its own venv and cffi sdist live in our cache, so a fresh cache is a clean run.
    # shellcheck disable=SC2086
    CFFI_SUITE_CACHE=$CACHE/cffi-suite CFFI_SUITE_RESULTS=$LOGS/cffi-suite \
        EXTGEN=$ROOT/target/release/cffi-forge EXTGEN_PY=1 \
        "$CFFI_SUITE" $CFFI_SUITE_FILES 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    # Per-file lines, then `cffi-suite: N passed, N failed, N skipped (...)` last.
    NOTE=$(grep -E '^cffi-suite: [0-9]+ passed' "$log" | tail -1 | sed 's/^cffi-suite: //')
    [ -n "$NOTE" ] || NOTE="no result line (see $log)"
    if ! grep -qE '^cffi-suite: [0-9]+ passed, 0 failed' "$log"; then
        return 1
    fi
    return "$rc"
}

# A step that cannot run here: shown as NOT RUN, with the reason, in the summary and at
# the end, without failing the suite (a clean checkout may lack the harness).
SKIPPED=()
not_available() {
    NAMES+=("$1")
    RESULTS+=("NOT RUN")
    TIMES+=(0)
    NOTES+=("$2")
    SKIPPED+=("$1: $2")
}

main() {
    run_step "system packages" system_packages
    run_step "rust toolchain" rust_toolchain
    RUST_OK=$?
    if run_step "tools venv" tools_venv; then
        export CFFI_FORGE_TEST_PYTHON=$TOOLS_PY
        export CFFI_FORGE_TEST_CACHE=$CACHE
        export CFFI_FORGE_WHEELHOUSE=$WHEELHOUSE
        export CFFI_FORGE_BIN=$ROOT/target/release/cffi-forge
        run_step "interpreters" find_interpreters
        if [ $RUST_OK -eq 0 ] && run_step "build (maturin, release)" build_tool; then
            run_step "cargo test" cargo_tests
            run_step "pytest tests/py" python_tests "$@"
            if [ -x "$CFFI_SUITE" ]; then
                run_step "cffi's recompiler tests" cffi_suite
            else
                not_available "cffi's recompiler tests" "NOT RUN: no harness at $CFFI_SUITE"
            fi
        else
            not_run "cargo test" "the build failed"
            not_run "pytest tests/py" "the build failed"
            not_run "cffi's recompiler tests" "the build failed"
        fi
    else
        not_run "interpreters" "no tools venv"
        not_run "build (maturin, release)" "no tools venv"
        not_run "cargo test" "no tools venv"
        not_run "pytest tests/py" "no tools venv"
        not_run "cffi's recompiler tests" "no tools venv"
    fi

    TOTAL=$(($(date +%s) - SUITE_START))
    printf '\n\033[1m%s\033[0m\n' "cffi-forge test summary"
    for i in "${!NAMES[@]}"; do
        printf '  %-28s %-8s %5ss  %s\n' "${NAMES[$i]}" "${RESULTS[$i]}" "${TIMES[$i]}" "${NOTES[$i]}"
    done
    printf '  %-28s %-8s %5ss  (%dm%02ds)\n' "total" "$([ $FAILED -eq 0 ] && echo ok || echo FAILED)" \
        "$TOTAL" $((TOTAL / 60)) $((TOTAL % 60))
    echo "  logs: $LOGS"
    for skipped in "${SKIPPED[@]}"; do
        printf '\033[1;33m  !! %s\033[0m\n' "$skipped"
    done
    return $FAILED
}

# The whole script is parsed before it runs, so editing it mid-run is harmless.
main "$@"
exit $?
