#!/usr/bin/env bash
# Runs the whole cffi-forge test suite from a clean checkout:
#
#     tests/run.sh [extra pytest arguments, e.g. -k fasthash]
#
# 1. installs the system packages the tests need, if missing (pkg-config, zlib1g-dev,
#    g++, pypy3, pypy3-dev, wine, wine64 and MinGW-w64 for the Windows tests, the aarch64
#    cross gcc; with sudo when not root) and Rust if there is no cargo;
# 2. creates a tools venv (maturin, pytest, build, uv, cffi, setuptools, ...) in the cache;
# 3. finds CPython 3.8-3.13 and PyPy (installing missing CPythons with `uv python install`);
# 4. builds the release binary and the cffi-forge wheel once, with maturin, into
#    target/wheelhouse, and cffi-forge's own release wheels (scripts/release-wheels.sh,
#    cached by a hash of their sources) into target/release-wheels;
# 5. runs `cargo test`;
# 6. runs `pytest tests/py`: end-to-end tests of every sample project on every interpreter,
#    the frontends (pip, build, uv), the three real projects, and the other Python tests;
# 7. runs cffi's own recompiler tests with cffi-forge generating the C and the Python
#    (`../shared/peer/run-cffi-suite.sh` next to the repository, or $CFFI_FORGE_CFFI_SUITE);
#    when that harness is absent the summary says NOT RUN, loudly;
# 8. checks the counts (tests/suite_counts.py): every test file and test binary passed at
#    least its floor of tests, so a step that skipped or lost its tests fails.
#
# Under CI=true (.ci/run sets it) a missing harness, interpreter or tool fails the run
# instead of being reported as NOT RUN.
#
# Exported for the tests: CFFI_FORGE_BIN, CFFI_FORGE_TEST_PYTHON, CFFI_FORGE_TEST_PYTHONS
# (`3.8=/path,...,pypy3=/path`, the interpreters found), CFFI_FORGE_WHEELHOUSE,
# CFFI_FORGE_TEST_CACHE, CFFI_FORGE_NOT_RUN_LOG (where tests record what they could not
# run). Venvs, downloads and scratch builds live in the cache (CFFI_FORGE_TEST_CACHE,
# default ${XDG_CACHE_HOME:-~/.cache}/cffi-forge-tests), never in the repository. Exit
# status is non-zero if any step fails; a summary comes last, and its last line is
# `total: N passed, N failed` (tests, plus failed steps and missed floors).

set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
CACHE=${CFFI_FORGE_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cffi-forge-tests}
TOOLS=$CACHE/tools
TOOLS_PY=$TOOLS/bin/python
WHEELHOUSE=$ROOT/target/wheelhouse
LOGS=$ROOT/target/test-logs
mkdir -p "$CACHE" "$LOGS"
NOT_RUN_LOG=$LOGS/not-run.txt
rm -f "$NOT_RUN_LOG" "$LOGS/pytest.xml" "$LOGS/cargo-test.txt" "$LOGS/cffi-suite.txt"
# Pinned tools: pip for the tools venv, rustup-init (by version and checksum) when there is
# no cargo. The Python packages are pinned in tests/py/requirements-tools.txt and, for the
# test venvs, tests/py/constraints.txt.
PIP_VERSION=26.3
RUSTUP_VERSION=1.28.2
declare -A RUSTUP_SHA256=(
    [x86_64-unknown-linux-gnu]=20a06e644b0d9bd2fbdbfd52d42540bdde820ea7df86e92e533c073da0cdd43c
    [aarch64-unknown-linux-gnu]=e3853c5a252fca15252d07cb23a1bdd9377a8c6f3efa01531109281ae47f841c
)
IN_CI=0
[ "${CI:-}" = true ] && IN_CI=1

SUITE_START=$(date +%s)
NAMES=()
RESULTS=()
TIMES=()
NOTES=()
FAILED=0
# Tests passed and failed over all steps; a failed step that counted no failed test (a
# build error, a crash, a missed floor) adds its own failures, so `failed` is 0 exactly
# when the run succeeds.
TOTAL_PASSED=0
TOTAL_FAILED=0

# run_step NAME FUNCTION: runs it, records status, time and the NOTE it sets. A test step
# also sets STEP_PASSED / STEP_FAILED (its test counts).
run_step() {
    local name=$1 fn=$2 start rc
    shift 2
    NOTE=""
    STEP_PASSED=0
    STEP_FAILED=0
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
        [ "$STEP_FAILED" -gt 0 ] || STEP_FAILED=1
    fi
    TOTAL_PASSED=$((TOTAL_PASSED + STEP_PASSED))
    TOTAL_FAILED=$((TOTAL_FAILED + STEP_FAILED))
    return $rc
}

not_run() {
    NAMES+=("$1")
    RESULTS+=("NOT RUN")
    TIMES+=(0)
    NOTES+=("$2")
    FAILED=1
    TOTAL_FAILED=$((TOTAL_FAILED + 1))
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

system_packages() {
    # wine, wine64 and MinGW-w64: the Windows tests (tests/windows, test_windows.py); the
    # aarch64 cross compiler and C library: `--target aarch64-unknown-linux-gnu` (tests/cli/cross.rs);
    # clang, lld and llvm 16: macOS cross builds (-bundle links, llvm-lipo, llvm-objdump);
    # ccache: the compiler-launcher tests; musl, musl-tools: the musl CPython that runs the
    # musllinux release wheel (tests/provision/python-musl.sh); qemu-user: runs the aarch64
    # release wheel's binary.
    local wanted=(pkg-config zlib1g-dev gcc g++ pypy3 pypy3-dev wine wine64 gcc-mingw-w64-x86-64
        binutils-mingw-w64-x86-64 gcc-aarch64-linux-gnu libc6-dev-arm64-cross
        clang-16 lld-16 llvm-16 ccache musl musl-tools qemu-user) missing=() p
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
        install_rustup || return 1
        # shellcheck disable=SC1091
        . "$HOME/.cargo/env"
    fi
    cargo --version || return 1
    # The Windows build of cffi-forge itself (tests/windows/build-exe.sh, test_windows.py's
    # PEP 517 hooks run by Windows CPython under Wine), for the pinned toolchain.
    rustup target list --installed 2>/dev/null | grep -qx x86_64-pc-windows-gnu ||
        rustup target add x86_64-pc-windows-gnu || return 1
    NOTE=$(cargo --version)
}

# rustup-init $RUSTUP_VERSION, checked against its pinned sha256 before it runs; the
# toolchain itself comes from rust-toolchain.toml.
install_rustup() {
    local triple sum dir
    triple="$(uname -m)-unknown-linux-gnu"
    sum=${RUSTUP_SHA256[$triple]:-}
    if [ -z "$sum" ]; then
        echo "no cargo, and no pinned rustup-init for $triple: install Rust from https://rustup.rs" >&2
        return 1
    fi
    echo "no cargo: installing Rust with rustup-init $RUSTUP_VERSION (toolchain from rust-toolchain.toml)"
    dir=$(mktemp -d) || return 1
    curl --proto '=https' --tlsv1.2 -sSf -o "$dir/rustup-init" \
        "https://static.rust-lang.org/rustup/archive/$RUSTUP_VERSION/$triple/rustup-init" &&
        echo "$sum  $dir/rustup-init" | sha256sum -c --quiet - &&
        chmod +x "$dir/rustup-init" &&
        "$dir/rustup-init" -y --profile minimal --default-toolchain none
    local rc=$?
    rm -rf "$dir"
    [ $rc -eq 0 ] || echo "installing rustup-init $RUSTUP_VERSION failed (download or checksum)" >&2
    return $rc
}

tools_venv() {
    local py=${CFFI_FORGE_TOOLS_PYTHON:-python3}
    if [ ! -x "$TOOLS_PY" ] || ! "$TOOLS_PY" -c 'import sys' 2>/dev/null; then
        rm -rf "$TOOLS"
        "$py" -m venv "$TOOLS" || return 1
    fi
    # The pinned tools (cffi 2.0.0, pycparser 3.0, pytest) need 3.10.
    if ! "$TOOLS_PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
        echo "the tools venv needs Python 3.10+, $py is $("$TOOLS_PY" --version 2>&1):" \
            "set CFFI_FORGE_TOOLS_PYTHON to a newer one" >&2
        NOTE="needs Python 3.10+"
        return 1
    fi
    # Every package pinned (==) and installed without resolving: what is installed is
    # exactly the list, and `pip check` proves the list complete and consistent.
    "$TOOLS_PY" -m pip install -q --disable-pip-version-check "pip==$PIP_VERSION" &&
        "$TOOLS_PY" -m pip install -q --disable-pip-version-check --no-deps \
            -r tests/py/requirements-tools.txt &&
        "$TOOLS_PY" -m pip check || return 1
    NOTE="$("$TOOLS_PY" --version 2>&1) at $TOOLS"
}

find_interpreters() {
    "$TOOLS_PY" tests/py/e2e/interpreters.py --install | tee "$LOGS/interpreters.txt"
    local rc=${PIPESTATUS[0]} missing all
    missing=$(grep -c MISSING "$LOGS/interpreters.txt")
    all=$(grep -c . "$LOGS/interpreters.txt")
    NOTE="$((all - missing))/$all found"
    [ "$missing" -gt 0 ] && NOTE="$NOTE; $missing MISSING (their tests fail)"
    # The same interpreters for every test, the Rust ones included (tests/packaging/tags.rs).
    CFFI_FORGE_TEST_PYTHONS=$(awk '$2 != "MISSING:" && NF == 2 { printf "%s%s=%s", sep, $1, $2; sep = "," }' \
        "$LOGS/interpreters.txt")
    export CFFI_FORGE_TEST_PYTHONS
    return "$rc"
}

# CPython 3.14 and 3.15 from Debian sid's packages, pinned, into the cache (about 30 s the
# first time), and a free-threaded 3.13.5 built from source (about 8 min the first time;
# CFFI_FORGE_SKIP_313T=1 skips it and its tests say NOTE). Cached runs: 0 s.
provision_pythons() {
    # patchelf points sid's interpreters at sid's own loader and libraries.
    if ! command -v patchelf >/dev/null; then
        echo "installing: patchelf"
        as_root apt-get update -qq &&
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends patchelf ||
            return 1
    fi
    tests/provision/python-sid.sh "$CACHE" || return 1
    NOTE="3.14.10 and 3.15.2 (Debian sid)"
    if [ -z "${CFFI_FORGE_SKIP_313T:-}" ]; then
        tests/provision/python-313t.sh "$CACHE" || return 1
        NOTE="$NOTE, 3.13.5t (built)"
    fi
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

# cffi-forge's own release wheels (scripts/release-wheels.sh: manylinux2014 x86_64 and
# aarch64, musllinux_1_2 x86_64, the sdist) with maturin and zig from the tools venv, into
# target/release-wheels; the script skips the rebuild when the sources' hash matches its
# stamp. Then the musl CPython test_release_wheels.py installs the musllinux wheel into.
RELEASE_WHEELS=$ROOT/target/release-wheels
release_wheels() {
    local log=$LOGS/release-wheels.txt
    if ! command -v rustup >/dev/null || ! "$TOOLS_PY" -c 'import maturin, ziglang' 2>/dev/null; then
        NOTE="NOT RUN: no rustup, or no maturin/ziglang in the tools venv"
        SKIPPED+=("release wheels: $NOTE")
        [ $IN_CI -eq 1 ] && NOTE="$NOTE (a failure under CI=true)" && return 1
        return 0
    fi
    # From here on test_release_wheels.py fails, never skips, without the wheels.
    export CFFI_FORGE_RELEASE_WHEELS=$RELEASE_WHEELS
    PYTHON=$TOOLS_PY OUT=$RELEASE_WHEELS scripts/release-wheels.sh 2>&1 | tee "$log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || { NOTE="release-wheels.sh failed (see $log)"; return 1; }
    # `<wheel>: auditwheel <tag>, <glibc floor>` lines, shortened to `<tag> (<floor>)`.
    NOTE="$(grep -q 'up to date' "$log" && echo "cached" || echo "built"): $(sed -nE \
        's/^cffi_forge-.*: auditwheel ([^,]+), (.*)$/\1 (\2)/p' "$log" | paste -sd, - | sed 's/,/, /g')"
    tests/provision/python-musl.sh "$CACHE" || { NOTE="$NOTE; the musl CPython failed to build"; return 1; }
}

cargo_tests() {
    cargo test --no-fail-fast 2>&1 | tee "$LOGS/cargo-test.txt"
    local rc=${PIPESTATUS[0]}
    local ignored
    read -r STEP_PASSED STEP_FAILED ignored < <(awk '/^test result:/ { p += $4; f += $6; i += $8 }
        END { printf "%d %d %d\n", p, f, i }' "$LOGS/cargo-test.txt")
    NOTE="$STEP_PASSED passed, $STEP_FAILED failed, $ignored ignored"
    return "$rc"
}

python_tests() {
    # xunit1: each test case names its file, for the per-file counts.
    "$TOOLS_PY" -m pytest tests/py -p no:cacheprovider -ra --durations=15 \
        -o junit_family=xunit1 --junitxml="$LOGS/pytest.xml" "$@"
    local rc=$? counts
    counts=$("$TOOLS_PY" - "$LOGS/pytest.xml" <<'EOF'
import sys
import xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    print("0 0 0 0")
    raise SystemExit
suites = [root] if root.tag == "testsuite" else list(root)
n = {k: sum(int(s.get(k, 0)) for s in suites) for k in ("tests", "failures", "errors", "skipped")}
passed = n["tests"] - n["failures"] - n["errors"] - n["skipped"]
print(passed, n["failures"], n["errors"], n["skipped"])
EOF
)
    local failures errors skipped
    read -r STEP_PASSED failures errors skipped <<<"$counts"
    STEP_FAILED=$((failures + errors))
    NOTE="$STEP_PASSED passed, $failures failed, $errors errors, $skipped skipped"
    [ -f "$LOGS/pytest.xml" ] || NOTE="no report"
    [ $# -gt 0 ] && NOTE="$NOTE (filtered: $*)"
    return $rc
}

# cffi's test files the harness runs, and the counts they gave when this was written
# (test_recompiler, test_re_python, test_dlopen; `ffi.include()` tests sent to the generator
# with EXTGEN_INCLUDE=1: 202 passed, 3 skipped on cffi 2.0.0).
CFFI_SUITE_FILES="testing/cffi1/test_recompiler.py testing/cffi1/test_re_python.py testing/cffi1/test_dlopen.py"
CFFI_SUITE=${CFFI_FORGE_CFFI_SUITE:-$ROOT/../shared/peer/run-cffi-suite.sh}

# cffi_suite [NAME PYTHON CFFI_VERSION]: the harness on the tools venv's Python (cffi as the
# harness pins it), or on PYTHON with that cffi (3.15 with cffi 2.1.1, the first with cp315).
cffi_suite() {
    local name=${1:-cffi-suite} log rc
    log=$LOGS/$name.txt
    local extra=()
    [ $# -ge 3 ] && extra=(CFFI_SUITE_PYTHON="$2" CFFI_VERSION="$3")
    # Its own venv and cffi sdist live in our cache, so a fresh cache is a clean run.
    # shellcheck disable=SC2086
    env "${extra[@]}" CFFI_SUITE_CACHE="$CACHE/$name" CFFI_SUITE_RESULTS="$LOGS/$name" \
        EXTGEN="$ROOT/target/release/cffi-forge" EXTGEN_PY=1 EXTGEN_INCLUDE=1 \
        "$CFFI_SUITE" $CFFI_SUITE_FILES 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    # Per-file lines, then `cffi-suite: N passed, N failed, N skipped (...)` last.
    NOTE=$(grep -E '^cffi-suite: [0-9]+ passed' "$log" | tail -1 | sed 's/^cffi-suite: //')
    [ -n "$NOTE" ] || NOTE="no result line (see $log)"
    read -r STEP_PASSED STEP_FAILED < <(echo "$NOTE" | sed -nE 's/^([0-9]+) passed, ([0-9]+) failed.*/\1 \2/p')
    STEP_PASSED=${STEP_PASSED:-0}
    STEP_FAILED=${STEP_FAILED:-0}
    if ! grep -qE '^cffi-suite: [0-9]+ passed, 0 failed' "$log"; then
        return 1
    fi
    # Never a vacuous pass: as many tests as suite_counts.py's CFFI_SUITE_FLOOR.
    if [ "$STEP_PASSED" -lt 202 ]; then
        echo "FLOOR MISS: $name passed $STEP_PASSED < 202" >&2
        NOTE="$NOTE; FLOOR MISS (< 202)"
        return 1
    fi
    return "$rc"
}

# A step that cannot run here: shown as NOT RUN, with the reason, in the summary and at
# the end, without failing the suite (a clean checkout may lack the harness); under
# CI=true it fails the suite.
SKIPPED=()
not_available() {
    if [ $IN_CI -eq 1 ]; then
        not_run "$1" "$2 (a failure under CI=true)"
        return
    fi
    NAMES+=("$1")
    RESULTS+=("NOT RUN")
    TIMES+=(0)
    NOTES+=("$2")
    SKIPPED+=("$1: $2")
}

# The floors of tests/suite_counts.py over the reports of the steps that ran. Arguments:
# the pytest arguments (a filtered run is counted, not held to the floors).
suite_counts() {
    # cargo and pytest always ran before this step: no report from them is a failure.
    local args=(--cargo-log "$LOGS/cargo-test.txt" --pytest-xml "$LOGS/pytest.xml") misses
    [ $# -gt 0 ] && args+=(--pytest-filtered)
    [ -f "$LOGS/cffi-suite.txt" ] && args+=(--cffi-log "$LOGS/cffi-suite.txt")
    args+=(--not-run-log "$NOT_RUN_LOG")
    "$TOOLS_PY" tests/suite_counts.py "${args[@]}" | tee "$LOGS/suite-counts.txt"
    local rc=${PIPESTATUS[0]}
    misses=$(grep -cE '^(FLOOR MISS|MISSING|NO REPORT):' "$LOGS/suite-counts.txt")
    NOTE="$misses floor misses or missing reports, $(grep -c '^  no floor for' "$LOGS/suite-counts.txt") files without a floor"
    [ "$rc" -eq 0 ] || [ "$misses" -gt 0 ] || misses=1
    STEP_FAILED=$misses
    return "$rc"
}

main() {
    # One run per cache at a time: two runs empty each other's scratch folder and fail at
    # random places. The second stops here instead. The lock is held by a `flock` process
    # of its own (not an inherited descriptor, which a daemon a test starts, such as
    # sccache's server, would keep after the run) that ends with this script.
    if ! flock -n "$CACHE/run.lock" true; then
        echo "tests/run.sh: another run is using the test cache $CACHE; wait for it, or give" \
            "this one its own with CFFI_FORGE_TEST_CACHE=<folder>" >&2
        return 1
    fi
    flock -o "$CACHE/run.lock" tail --pid=$$ -f /dev/null </dev/null >/dev/null 2>&1 &
    local lock_holder=$!
    run_step "system packages" system_packages
    run_step "rust toolchain" rust_toolchain
    RUST_OK=$?
    if run_step "tools venv" tools_venv; then
        export CFFI_FORGE_TEST_PYTHON=$TOOLS_PY
        export CFFI_FORGE_TEST_CACHE=$CACHE
        export CFFI_FORGE_WHEELHOUSE=$WHEELHOUSE
        export CFFI_FORGE_BIN=$ROOT/target/release/cffi-forge
        export CFFI_FORGE_NOT_RUN_LOG=$NOT_RUN_LOG
        run_step "provision CPython 3.14/3.15" provision_pythons
        run_step "interpreters" find_interpreters
        if [ $RUST_OK -eq 0 ] && run_step "build (maturin, release)" build_tool; then
            run_step "release wheels" release_wheels
            [[ ${NOTES[-1]} == "NOT RUN:"* ]] && RESULTS[-1]="NOT RUN"
            run_step "cargo test" cargo_tests
            run_step "pytest tests/py" python_tests "$@"
            if [ -x "$CFFI_SUITE" ]; then
                run_step "cffi's recompiler tests" cffi_suite
                # The same suite on CPython 3.15 (issue: cffi 2.1.1 had to leave internal API
                # for 3.15; our generated C must work there too).
                local py315=$CACHE/pythons/sid/venv-3.15/bin/python
                if [ -x "$py315" ]; then
                    run_step "cffi's recompiler tests on 3.15" cffi_suite cffi-suite-3.15 "$py315" 2.1.1
                else
                    not_run "cffi's recompiler tests on 3.15" "no provisioned CPython 3.15 at $py315"
                fi
            else
                not_available "cffi's recompiler tests" "NOT RUN: no harness at $CFFI_SUITE"
            fi
            run_step "suite counts" suite_counts "$@"
        else
            not_run "release wheels" "the build failed"
            not_run "cargo test" "the build failed"
            not_run "pytest tests/py" "the build failed"
            not_run "cffi's recompiler tests" "the build failed"
            not_run "suite counts" "the build failed"
        fi
    else
        not_run "interpreters" "no tools venv"
        not_run "build (maturin, release)" "no tools venv"
        not_run "release wheels" "no tools venv"
        not_run "cargo test" "no tools venv"
        not_run "pytest tests/py" "no tools venv"
        not_run "cffi's recompiler tests" "no tools venv"
        not_run "suite counts" "no tools venv"
    fi

    TOTAL=$(($(date +%s) - SUITE_START))
    printf '\n\033[1m%s\033[0m\n' "cffi-forge test summary"
    for i in "${!NAMES[@]}"; do
        printf '  %-28s %-8s %5ss  %s\n' "${NAMES[$i]}" "${RESULTS[$i]}" "${TIMES[$i]}" "${NOTES[$i]}"
    done
    printf '  %-28s %-8s %5ss  (%dm%02ds)\n' "all steps" "$([ $FAILED -eq 0 ] && echo ok || echo FAILED)" \
        "$TOTAL" $((TOTAL / 60)) $((TOTAL % 60))
    echo "  logs: $LOGS"
    for skipped in "${SKIPPED[@]}"; do
        printf '\033[1;33m  !! %s\033[0m\n' "$skipped"
    done
    if [ -s "$NOT_RUN_LOG" ]; then
        while IFS= read -r line; do
            printf '\033[1;33m  !! %s\033[0m\n' "$line"
        done <"$NOT_RUN_LOG"
    fi
    echo "total: $TOTAL_PASSED passed, $TOTAL_FAILED failed"
    kill "$lock_holder" 2>/dev/null
    return $FAILED
}

# The whole script is parsed before it runs, so editing it mid-run is harmless. Sourced
# (as the tests of the summary in tests/py/e2e/test_suite_counts.py do), it only defines.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    main "$@"
    exit $?
fi
