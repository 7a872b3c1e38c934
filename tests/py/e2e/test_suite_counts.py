"""The suite cannot pass vacuously: tests/suite_counts.py holds every test file and test
binary to a floor of passed tests, and the sample wheels are compared with their whole
expected file lists (wheelcheck.Wheel.check_files)."""

import io
import re
import subprocess
import sys
import zipfile

import pytest

from .support import REPO, CacheInUse, check_outcomes, lock_cache, pytest_outcomes
from .wheelcheck import Wheel, compare_file_lists

sys.path.insert(0, str(REPO / "tests"))
import suite_counts  # noqa: E402

SAMPLES_FILE = "tests/py/e2e/test_samples.py"


def junit(cases):
    """A pytest junit report (xunit1) of `(file, outcome)` cases."""
    body = []
    for i, (path, outcome) in enumerate(cases):
        inner = {
            "passed": "",
            "failed": '<failure message="boom">trace</failure>',
            "error": '<error message="fixture">trace</error>',
            "skipped": '<skipped type="pytest.skip" message="no">why</skipped>',
        }[outcome]
        body.append('<testcase classname="x" name="t%d" file="%s" line="1" time="0">%s</testcase>'
                    % (i, path, inner))
    return ('<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" '
            'tests="%d">%s</testsuite></testsuites>' % (len(cases), "".join(body)))


def check(tmp_path, floors=None, cargo_floors=None, argv=(), **files):
    """Run the counter's CLI logic on report files; returns (exit status, output lines)."""
    args = list(argv)
    for option, text in files.items():
        path = tmp_path / option
        path.write_text(text)
        args += ["--" + option.replace("_", "-"), str(path)]
    saved = suite_counts.PYTEST_FLOORS, suite_counts.CARGO_FLOORS
    suite_counts.PYTEST_FLOORS = floors if floors is not None else {}
    suite_counts.CARGO_FLOORS = cargo_floors if cargo_floors is not None else {}
    out = io.StringIO()
    try:
        status = suite_counts.run(suite_counts.parse_args(args), out=out)
    finally:
        suite_counts.PYTEST_FLOORS, suite_counts.CARGO_FLOORS = saved
    return status, out.getvalue().splitlines()


def test_a_run_that_skipped_everything_fails(tmp_path):
    status, lines = check(tmp_path, floors={SAMPLES_FILE: 3},
                          pytest_xml=junit([(SAMPLES_FILE, "skipped")] * 3))
    assert status == 1
    assert ("FLOOR MISS: pytest %s: 0 passed < floor 3 (3 collected, 3 skipped, 0 failed)"
            % SAMPLES_FILE) in lines
    assert lines[-1] == "counted: 0 passed, 0 failed"


def test_a_floor_miss_fails_and_meeting_it_passes(tmp_path):
    cases = [(SAMPLES_FILE, "passed")] * 4 + [(SAMPLES_FILE, "skipped")]
    status, lines = check(tmp_path, floors={SAMPLES_FILE: 5}, pytest_xml=junit(cases))
    assert status == 1
    assert any(line.startswith("FLOOR MISS: pytest %s: 4 passed < floor 5" % SAMPLES_FILE) for line in lines)
    status, lines = check(tmp_path, floors={SAMPLES_FILE: 4}, pytest_xml=junit(cases))
    assert status == 0, lines
    assert lines[-1] == "counted: 4 passed, 0 failed"


def test_a_file_with_a_floor_and_no_tests_is_missing(tmp_path):
    gone = "tests/py/e2e/test_gone.py"
    status, lines = check(tmp_path, floors={SAMPLES_FILE: 1, gone: 2},
                          pytest_xml=junit([(SAMPLES_FILE, "passed")]))
    assert status == 1
    assert [line for line in lines if line.startswith("MISSING:")] == [
        "MISSING: pytest %s has a floor of 2 but reported no test (file gone, not collected, "
        "or its step did not run)" % gone]


def test_a_file_without_a_floor_is_reported_not_failed(tmp_path):
    new = "tests/py/e2e/test_new.py"
    status, lines = check(tmp_path, floors={SAMPLES_FILE: 1},
                          pytest_xml=junit([(SAMPLES_FILE, "passed"), (new, "passed")]))
    assert status == 0
    assert "  no floor for pytest %s: add one to tests/suite_counts.py" % new in lines


def test_failures_and_errors_are_counted(tmp_path):
    cases = [(SAMPLES_FILE, "passed"), (SAMPLES_FILE, "failed"), (SAMPLES_FILE, "error")]
    status, lines = check(tmp_path, floors={SAMPLES_FILE: 1}, pytest_xml=junit(cases))
    assert status == 0  # the floor holds; pytest's own exit status reports the failures
    assert lines[-1] == "counted: 1 passed, 2 failed"


def test_a_filtered_run_is_counted_but_not_held_to_floors(tmp_path):
    status, lines = check(tmp_path, floors={SAMPLES_FILE: 50, "tests/py/e2e/test_gone.py": 1},
                          argv=["--pytest-filtered"], pytest_xml=junit([(SAMPLES_FILE, "passed")]))
    assert status == 0, lines
    assert "  pytest floors not enforced: the run was filtered" in lines


CARGO_LOG = """\
   Compiling cffi-forge v0.1.0
     Running unittests src/lib.rs (target/debug/deps/cffi_forge-b7004527f447b190)
running 3 tests
test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.08s

     Running tests/packaging_tags.rs (target/debug/deps/packaging_tags-ef912989231e487e)
running 2 tests
test result: ok. 0 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.01s

     Running tests/cli_build.rs (target/debug/deps/cli_build-0ba0143cfa42be28)
running 6 tests
error: test failed, to rerun pass `--test cli_build`
Caused by:
  process didn't exit successfully (signal: 11, SIGSEGV: invalid memory reference)
   Doc-tests cffi_forge
running 2 tests
test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.08s
"""


def test_cargo_binaries_are_held_to_their_floors(tmp_path):
    counts = suite_counts.cargo_counts(CARGO_LOG)
    assert sorted(counts) == ["doc-tests cffi_forge", "src/lib.rs", "tests/cli_build.rs",
                              "tests/packaging_tags.rs"]
    floors = {"src/lib.rs": 3, "doc-tests cffi_forge": 2, "tests/packaging_tags.rs": 2,
              "tests/cli_build.rs": 6, "tests/cli_errors.rs": 10}
    status, lines = check(tmp_path, cargo_floors=floors, cargo_log=CARGO_LOG)
    assert status == 1
    misses = [line for line in lines if line.startswith(("FLOOR MISS", "MISSING"))]
    assert misses == [
        "FLOOR MISS: cargo tests/cli_build.rs: 0 passed < floor 6 (1 collected, 0 skipped, 1 failed)",
        "FLOOR MISS: cargo tests/packaging_tags.rs: 0 passed < floor 2 (2 collected, 2 skipped, 0 failed)",
        "MISSING: cargo tests/cli_errors.rs has a floor of 10 but reported no test (file gone, "
        "not collected, or its step did not run)",
    ]
    assert lines[-1] == "counted: 5 passed, 1 failed"


def test_the_cffi_suite_needs_its_floor_of_passes(tmp_path):
    status, lines = check(tmp_path, cffi_log="cffi-suite: 0 passed, 0 failed, 190 skipped (harness-unsupported 190)\n")
    assert status == 1
    assert "FLOOR MISS: cffi recompiler suite: 0 passed < floor 202 (190 collected, 190 skipped, 0 failed)" in lines
    status, lines = check(tmp_path, cffi_log="x\ncffi-suite: 202 passed, 0 failed, 3 skipped (harness-unsupported 0)\n")
    assert status == 0, lines
    status, lines = check(tmp_path, cffi_log="the harness crashed\n")
    assert status == 1
    assert any(line.startswith("NO REPORT:") for line in lines)


def test_not_run_lines_of_the_tests_are_shown(tmp_path):
    line = "NOT RUN: packaging_tags: CPython 3.9 not found"
    status, lines = check(tmp_path, not_run_log=line + "\n")
    assert status == 0
    assert "  " + line in lines


def test_the_command_line_fails_a_vacuous_report(tmp_path):
    """The script itself, as run.sh runs it, with the real floors."""
    report = tmp_path / "pytest.xml"
    report.write_text(junit([(SAMPLES_FILE, "skipped")]))
    proc = subprocess.run([sys.executable, str(REPO / "tests" / "suite_counts.py"), "--pytest-xml", str(report)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    assert proc.returncode == 1, proc.stdout
    assert "FLOOR MISS: pytest %s: 0 passed" % SAMPLES_FILE in proc.stdout
    assert "MISSING: pytest tests/py/e2e/test_frontends.py" in proc.stdout
    assert proc.stdout.splitlines()[-1] == "counted: 0 passed, 0 failed"


def test_every_floor_names_an_existing_test_file():
    stale = [name for name in suite_counts.PYTEST_FLOORS if not (REPO / name).is_file()]
    stale += [name for name in suite_counts.CARGO_FLOORS
              if name.endswith(".rs") and not (REPO / name).is_file()]
    assert not stale, "floors for files that do not exist: %s" % stale


def make_wheel(tmp_path, files):
    path = tmp_path / "demo-1.0-cp38-abi3-linux_x86_64.whl"
    with zipfile.ZipFile(path, "w") as z:
        for name in files:
            z.writestr(name, "x")
    return Wheel(path)


EXPECTED = ["demo/__init__.py", "demo/_native{ext}", "demo/util.py",
            "{dist-info}/METADATA", "{dist-info}/RECORD", "{dist-info}/WHEEL"]
ARCHIVED = ["demo/__init__.py", "demo/_native.abi3.so", "demo/util.py",
            "demo-1.0.dist-info/METADATA", "demo-1.0.dist-info/RECORD", "demo-1.0.dist-info/WHEEL"]


def test_file_lists_compare_as_sets_both_ways():
    assert compare_file_lists(ARCHIVED, ARCHIVED) == ([], [])
    assert compare_file_lists(["a", "b"], ["b", "c"]) == (["a"], ["c"])


def test_an_extra_file_in_the_wheel_fails(tmp_path):
    wheel = make_wheel(tmp_path, ARCHIVED + ["demo/stray.txt"])
    with pytest.raises(AssertionError) as err:
        wheel.check_files(EXPECTED, ".abi3.so")
    assert "extra (archived, not expected): demo/stray.txt" in str(err.value)
    assert "missing" not in str(err.value)


def test_a_missing_pure_python_module_fails(tmp_path):
    wheel = make_wheel(tmp_path, [f for f in ARCHIVED if f != "demo/util.py"])
    with pytest.raises(AssertionError) as err:
        wheel.check_files(EXPECTED, ".abi3.so")
    assert "missing (expected, not archived): demo/util.py" in str(err.value)


def test_the_module_suffix_is_filled_in(tmp_path):
    wheel = make_wheel(tmp_path, ARCHIVED)
    wheel.check_files(EXPECTED, ".abi3.so")
    with pytest.raises(AssertionError) as err:
        wheel.check_files(EXPECTED, ".pypy39-pp73-x86_64-linux-gnu.so")
    assert "demo/_native.pypy39-pp73-x86_64-linux-gnu.so" in str(err.value)


def test_inner_pytest_summaries_are_read():
    assert pytest_outcomes("...\n16 passed in 0.04s\n") == {"passed": 16}
    assert pytest_outcomes("x\n3 passed, 2 skipped, 1 xfailed, 4 warnings in 1.2s\n") == {
        "passed": 3, "skipped": 2, "xfailed": 1}
    assert pytest_outcomes("1 failed, 1 error in 0.1s") == {"failed": 1, "error": 1}


@pytest.mark.parametrize("summary", [
    "16 skipped in 0.01s",  # exit status 0, nothing ran
    "15 passed, 1 skipped in 0.02s",
    "12 passed in 0.02s",  # tests lost (a file not collected)
    "",
])
def test_a_sample_suite_that_skipped_or_lost_tests_fails(summary):
    with pytest.raises(AssertionError) as err:
        check_outcomes("....\n" + summary, "the tests of fasthash", 16)
    assert "the tests of fasthash: at least 16 tests must pass and none be skipped" in str(err.value)


def test_a_sample_suite_that_ran_everything_passes():
    check_outcomes("....\n16 passed, 1 warning in 0.04s\n", "the tests of fasthash", 16)


# tests/run.sh's summary, with every step stubbed: a copy of run.sh and suite_counts.py in
# a scratch repository, sourced (it then only defines), the steps replaced, main run.
STUBS = r"""
set -uo pipefail
. tests/run.sh
TOOLS_PY=%(python)s
for step in %(steps)s; do
    eval "$step() { NOTE=stub; }"
done
cargo_tests() { cp "$FAKE/cargo-test.txt" "$LOGS/"; STEP_PASSED=$(cat "$FAKE/cargo-passed"); }
python_tests() { cp "$FAKE/pytest.xml" "$LOGS/"; STEP_PASSED=$(cat "$FAKE/pytest-passed"); }
CFFI_SUITE=/nonexistent/run-cffi-suite.sh
main
"""


def run_summary(tmp_path, pytest_outcome="passed", ci=False):
    """Run run.sh's main with stubbed steps whose reports meet (or, with a skipped
    outcome, miss) every floor; returns (exit status, output lines)."""
    import os
    import shutil
    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    for name in ("run.sh", "suite_counts.py"):
        shutil.copy(REPO / "tests" / name, repo / "tests" / name)
    fake = tmp_path / "fake"
    fake.mkdir()
    cases = [(f, pytest_outcome) for f, n in suite_counts.PYTEST_FLOORS.items() for _ in range(max(n, 1))]
    (fake / "pytest.xml").write_text(junit(cases))
    (fake / "pytest-passed").write_text(str(len(cases) if pytest_outcome == "passed" else 0))
    log = []
    for name, floor in suite_counts.CARGO_FLOORS.items():
        log.append(("   Doc-tests %s" % name.split()[1]) if name.startswith("doc-tests")
                   else "     Running %s (target/debug/deps/x)" % name)
        log.append("test result: ok. %d passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; "
                   "finished in 0.01s" % floor)
    (fake / "cargo-test.txt").write_text("\n".join(log) + "\n")
    (fake / "cargo-passed").write_text(str(sum(suite_counts.CARGO_FLOORS.values())))
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(FAKE=str(fake), CFFI_FORGE_TEST_CACHE=str(tmp_path / "cache"))
    if ci:
        env["CI"] = "true"
    # Every step but the counted ones is stubbed, whatever steps run.sh has today.
    steps = set(re.findall(r'run_step "[^"]*" (\w+)', (REPO / "tests" / "run.sh").read_text()))
    steps -= {"cargo_tests", "python_tests", "cffi_suite", "suite_counts"}
    script = STUBS % {"python": sys.executable, "steps": " ".join(sorted(steps))}
    proc = subprocess.run(["bash", "-c", script], cwd=str(repo), env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    return proc.returncode, proc.stdout.splitlines()


def test_run_sh_ends_with_the_totals_and_passes_when_floors_hold(tmp_path):
    status, lines = run_summary(tmp_path)
    passed = sum(max(n, 1) for n in suite_counts.PYTEST_FLOORS.values()) + sum(suite_counts.CARGO_FLOORS.values())
    assert lines[-1] == "total: %d passed, 0 failed" % passed, lines[-30:]
    assert status == 0, lines[-30:]
    assert any("cffi's recompiler tests: NOT RUN: no harness" in line for line in lines)


def test_run_sh_fails_a_run_whose_tests_were_all_skipped(tmp_path):
    status, lines = run_summary(tmp_path, pytest_outcome="skipped")
    assert status == 1
    assert any(line.startswith("FLOOR MISS: pytest tests/py/e2e/test_samples.py: 0 passed") for line in lines)
    # A file whose floor is 0 (it may skip everything) is no floor miss.
    misses = sum(1 for n in suite_counts.PYTEST_FLOORS.values() if n > 0)
    assert re.match(r"^total: \d+ passed, %d failed$" % misses, lines[-1]), lines[-1]


def test_under_ci_a_missing_harness_fails_run_sh(tmp_path):
    status, lines = run_summary(tmp_path, ci=True)
    assert status == 1
    assert any("NOT RUN: no harness at /nonexistent/run-cffi-suite.sh (a failure under CI=true)" in line
               for line in lines), lines[-20:]
    assert re.match(r"^total: \d+ passed, 1 failed$", lines[-1]), lines[-1]


def test_a_second_session_on_the_same_cache_stops_at_once(tmp_path):
    # Another process's lock (flock belongs to the open file), as a second session meets it.
    holder = subprocess.Popen([sys.executable, "-c", "import sys; sys.path.insert(0, %r); "
                               "from e2e.support import lock_cache; from pathlib import Path; "
                               "h = lock_cache(Path(%r)); print('locked', flush=True); sys.stdin.read()"
                               % (str(REPO / "tests" / "py"), str(tmp_path))],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(CacheInUse, match="CFFI_FORGE_TEST_CACHE") as e:
            lock_cache(tmp_path)
        assert str(tmp_path) in str(e.value)
    finally:
        holder.communicate("")
    # Once the first session ended, the cache is free again.
    lock_cache(tmp_path).close()
