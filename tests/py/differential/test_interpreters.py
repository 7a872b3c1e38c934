"""A representative subset of the corpus on the other supported interpreters and
runtime cffi versions: CPython 3.8 with cffi 1.15.1, CPython 3.9, 3.10, 3.12 and 3.13
with the newest cffi, and PyPy 3 with its built-in cffi (API-mode modules are built as
abi3 on CPython). Venvs live under ~/.cache/cffi-forge-tests/gen-emit.
A missing interpreter fails the test (it is never skipped silently)."""

import shutil

import pytest

from corpus import Run, ensure_venv, load_cases, python_path

CASES = load_cases()
# Every third case, plus every API-only feature case.
SUBSET = [c for i, c in enumerate(CASES) if i % 3 == 0 or c["file"] == "api_only.toml"]


def cpython(version, requirement):
    def find():
        base = python_path(version)
        if base is None:
            pytest.fail("CPython %s not found (as tests/py/e2e/interpreters.py looks): cannot test it" % version)
        return ensure_venv(base, requirement)
    return find


def pypy():
    path = shutil.which("pypy3")
    if path is None:
        pytest.fail("pypy3 not found on PATH: cannot test PyPy")
    return path


INTERPRETERS = {
    "cpython3.8-cffi1.15.1": (cpython("3.8", "cffi==1.15.1"), "1.15.1"),
    "cpython3.9-cffi-newest": (cpython("3.9", "cffi"), None),
    "cpython3.10-cffi-newest": (cpython("3.10", "cffi"), None),
    "cpython3.12-cffi-newest": (cpython("3.12", "cffi"), None),
    "cpython3.13-cffi-newest": (cpython("3.13", "cffi"), None),
    "pypy3": (pypy, None),
}

_runs = {}


def run_for(interp, mode, tmp_path_factory):
    key = (interp, mode)
    if key not in _runs:
        find, expected_cffi = INTERPRETERS[interp]
        cases = [c for c in SUBSET if mode in c["modes"]]
        run = Run(find(), cases, mode, tmp_path_factory.mktemp("%s-%s" % (interp, mode)))
        if expected_cffi is not None:
            assert run.interpreter()["cffi"] == expected_cffi, run.interpreter()
        _runs[key] = run
    return _runs[key]


@pytest.mark.parametrize("interp", sorted(INTERPRETERS))
@pytest.mark.parametrize("name", [c["name"] for c in SUBSET if "api" in c["modes"]])
def test_api_mode(interp, name, tmp_path_factory):
    run_for(interp, "api", tmp_path_factory).compare(name)


@pytest.mark.parametrize("interp", sorted(INTERPRETERS))
@pytest.mark.parametrize("name", [c["name"] for c in SUBSET if "abi" in c["modes"]])
def test_abi_mode(interp, name, tmp_path_factory):
    run_for(interp, "abi", tmp_path_factory).compare(name)
