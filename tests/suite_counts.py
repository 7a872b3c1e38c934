#!/usr/bin/env python3
"""Checks that the test steps of tests/run.sh really ran their tests.

A step judged by its exit status alone passes when everything in it was skipped or never
collected. This reads the reports the steps leave (pytest's junit XML, `cargo test`'s
output, the cffi suite's log), prints collected / passed / failed / skipped per test file or
test binary, and compares the number PASSED with a floor per file:

    tests/suite_counts.py --pytest-xml target/test-logs/pytest.xml \
        --cargo-log target/test-logs/cargo-test.txt --cffi-log target/test-logs/cffi-suite.txt

Exit status 1 when a floor is missed or a file with a floor reported no test; a file
without a floor is reported ("no floor for ...") but does not fail the run. The last line is
`counted: N passed, N failed`.

Adding a test file: add a line to PYTEST_FLOORS or CARGO_FLOORS below with the number of
tests it passes today (every parametrisation counts). Floors are minimums: a file may grow.
"""

import argparse
import os
import re
import sys
import xml.etree.ElementTree as ET

# Minimum passed tests per pytest file, by path from the repository root.
PYTEST_FLOORS = {
    "tests/py/differential/test_differential.py": 325,
    "tests/py/differential/test_interpreters.py": 750,
    "tests/py/differential/test_tables.py": 787,
    "tests/py/e2e/test_cibuildwheel.py": 1,
    "tests/py/e2e/test_demo.py": 2,
    "tests/py/e2e/test_editable.py": 6,
    "tests/py/e2e/test_embedding.py": 18,
    "tests/py/e2e/test_embedding_macos.py": 14,
    "tests/py/e2e/test_errors.py": 3,
    "tests/py/e2e/test_frontends.py": 7,
    "tests/py/e2e/test_include.py": 2,
    "tests/py/e2e/test_generate.py": 22,
    "tests/py/e2e/test_macos.py": 20,
    "tests/py/e2e/test_manylinux.py": 8,
    "tests/py/e2e/test_new_pythons.py": 16,
    "tests/py/e2e/test_real_projects.py": 20,
    "tests/py/e2e/test_real_projects_migrate.py": 17,
    "tests/py/e2e/test_packaging_oracle.py": 41,
    "tests/py/e2e/test_plugins.py": 24,
    # run.sh's "release wheels" step builds what these install and run.
    "tests/py/e2e/test_release_wheels.py": 7,
    "tests/py/e2e/test_samples.py": 143,
    "tests/py/e2e/test_setuptools_oracle.py": 9,
    "tests/py/e2e/test_shim.py": 13,
    "tests/py/e2e/test_stable_abi_compile.py": 18,
    "tests/py/e2e/test_stubs.py": 45,
    "tests/py/e2e/test_suite_counts.py": 25,
    "tests/py/e2e/test_windows.py": 10,
    "tests/py/parity/test_parity_samples.py": 13,
}

# Minimum passed tests per cargo test binary, named as `cargo test` names its source.
CARGO_FLOORS = {
    "doc-tests cffi_forge": 3,
    "src/lib.rs": 255,
    "src/main.rs": 0,
    "tests/cdef/main.rs": 23,
    "tests/cli/main.rs": 166,
    "tests/packaging/main.rs": 78,
    "tests/parity/main.rs": 15,
}

# cffi's recompiler tests run against our generator (tests/run.sh lists the files).
CFFI_SUITE_FLOOR = 202


class Counts:
    """Outcomes of one test file or binary."""

    def __init__(self, passed=0, failed=0, errors=0, skipped=0):
        self.passed = passed
        self.failed = failed
        self.errors = errors
        self.skipped = skipped

    @property
    def collected(self):
        return self.passed + self.failed + self.errors + self.skipped

    def __repr__(self):
        return "Counts(passed=%d, failed=%d, errors=%d, skipped=%d)" % (
            self.passed, self.failed, self.errors, self.skipped)


def _file_of(case):
    """The test file of a junit <testcase> (xunit1 gives `file`; collection errors may only
    have a dotted classname)."""
    path = case.get("file")
    if path:
        return path.replace(os.sep, "/")
    dotted = case.get("classname") or case.get("name") or "?"
    parts = dotted.split(".")
    while parts and not parts[-1].startswith("test"):
        parts.pop()  # test classes
    return "/".join(parts) + ".py" if parts else dotted


def pytest_counts(xml_text):
    """{test file: Counts} from a pytest junit XML report (`-o junit_family=xunit1`)."""
    root = ET.fromstring(xml_text)
    counts = {}
    for case in root.iter("testcase"):
        c = counts.setdefault(_file_of(case), Counts())
        tags = {child.tag for child in case}
        if "failure" in tags:
            c.failed += 1
        elif "error" in tags:
            c.errors += 1
        elif "skipped" in tags:  # skips and xfails
            c.skipped += 1
        else:
            c.passed += 1
    return counts


_RUNNING = re.compile(r"^\s+Running (?:unittests )?(\S+)")
_DOCTESTS = re.compile(r"^\s+Doc-tests (\S+)")
_RESULT = re.compile(
    r"^test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored; \d+ measured; (\d+) filtered out")


def cargo_counts(log_text):
    """{test binary: Counts} from `cargo test` output; a binary that started but printed no
    result line (it crashed) gets one error."""
    counts = {}
    current = None
    for line in log_text.splitlines():
        m = _RUNNING.match(line) or _DOCTESTS.match(line)
        if m:
            if current is not None and current not in counts:
                counts[current] = Counts(errors=1)
            current = m.group(1) if m.re is _RUNNING else "doc-tests " + m.group(1)
            continue
        m = _RESULT.match(line)
        if m and current is not None:
            passed, failed, ignored, _filtered = map(int, m.groups())
            counts[current] = Counts(passed=passed, failed=failed, skipped=ignored)
            current = None
    if current is not None and current not in counts:
        counts[current] = Counts(errors=1)
    return counts


_CFFI_LINE = re.compile(r"^cffi-suite: (\d+) passed, (\d+) failed, (\d+) skipped")


def cffi_counts(log_text):
    """Counts from the cffi harness's last `cffi-suite: N passed, N failed, N skipped` line,
    or None if there is none."""
    found = None
    for line in log_text.splitlines():
        m = _CFFI_LINE.match(line)
        if m:
            passed, failed, skipped = map(int, m.groups())
            found = Counts(passed=passed, failed=failed, skipped=skipped)
    return found


class Report:
    def __init__(self):
        self.lines = []
        self.misses = []  # failures of this check
        self.unfloored = []
        self.passed = 0
        self.failed = 0

    def add(self, kind, name, counts, floor, enforce=True):
        self.passed += counts.passed
        self.failed += counts.failed + counts.errors
        verdict = "ok"
        if floor is None:
            verdict = "no floor"
            self.unfloored.append("%s %s" % (kind, name))
        elif enforce and counts.passed < floor:
            verdict = "FLOOR MISS"
            self.misses.append(
                "FLOOR MISS: %s %s: %d passed < floor %d (%d collected, %d skipped, %d failed)"
                % (kind, name, counts.passed, floor, counts.collected, counts.skipped,
                   counts.failed + counts.errors))
        self.lines.append("  %-6s %-48s %5d collected %5d passed %4d failed %4d skipped  floor %5s  %s" % (
            kind, name, counts.collected, counts.passed, counts.failed + counts.errors,
            counts.skipped, "-" if floor is None else floor, verdict))

    def missing(self, kind, name, floor):
        self.misses.append("MISSING: %s %s has a floor of %d but reported no test (file gone, "
                           "not collected, or its step did not run)" % (kind, name, floor))

    def problem(self, text):
        self.misses.append(text)


def check_suite(report, kind, counts, floors, enforce=True):
    for name in sorted(counts):
        report.add(kind, name, counts[name], floors.get(name), enforce)
    if enforce:
        for name in sorted(set(floors) - set(counts)):
            report.missing(kind, name, floors[name])


def run(args, out=sys.stdout):
    report = Report()
    if args.pytest_xml:
        try:
            with open(args.pytest_xml, encoding="utf-8") as f:
                counts = pytest_counts(f.read())
        except (OSError, ET.ParseError) as e:
            report.problem("NO REPORT: pytest report %s unreadable: %s" % (args.pytest_xml, e))
        else:
            check_suite(report, "pytest", counts, PYTEST_FLOORS, enforce=not args.pytest_filtered)
            if args.pytest_filtered:
                report.lines.append("  pytest floors not enforced: the run was filtered")
    if args.cargo_log:
        try:
            with open(args.cargo_log, encoding="utf-8", errors="replace") as f:
                counts = cargo_counts(f.read())
        except OSError as e:
            report.problem("NO REPORT: cargo log %s unreadable: %s" % (args.cargo_log, e))
        else:
            check_suite(report, "cargo", counts, CARGO_FLOORS)
    if args.cffi_log:
        try:
            with open(args.cffi_log, encoding="utf-8", errors="replace") as f:
                counts = cffi_counts(f.read())
        except OSError as e:
            report.problem("NO REPORT: cffi suite log %s unreadable: %s" % (args.cffi_log, e))
        else:
            if counts is None:
                report.problem("NO REPORT: %s has no `cffi-suite: N passed` line" % args.cffi_log)
            else:
                report.add("cffi", "recompiler suite", counts, CFFI_SUITE_FLOOR)
    not_run = []
    if args.not_run_log and os.path.exists(args.not_run_log):
        with open(args.not_run_log, encoding="utf-8", errors="replace") as f:
            not_run = [line.rstrip("\n") for line in f if line.strip()]

    for line in report.lines:
        print(line, file=out)
    for name in report.unfloored:
        print("  no floor for %s: add one to tests/suite_counts.py" % name, file=out)
    for line in not_run:
        print("  %s" % line, file=out)
    for line in report.misses:
        print(line, file=out)
    print("counted: %d passed, %d failed" % (report.passed, report.failed), file=out)
    return 1 if report.misses else 0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pytest-xml", help="pytest's junit report (junit_family=xunit1)")
    parser.add_argument("--pytest-filtered", action="store_true",
                        help="pytest ran with a filter: report its counts, enforce no floor")
    parser.add_argument("--cargo-log", help="the output of `cargo test`")
    parser.add_argument("--cffi-log", help="the output of cffi's recompiler suite")
    parser.add_argument("--not-run-log", help="NOT RUN lines written by the tests")
    return parser.parse_args(argv)


def main(argv=None):
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
