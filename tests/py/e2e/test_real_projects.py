"""Real CFFI projects from PyPI, switched to cffi-forge by editing only pyproject.toml,
build, install into a fresh venv and pass their own test suites with the counts their
setuptools build gives (tests/real_projects: each conversion is recorded there).

Each project is built natively on the oldest CPython its wheel claims (its abi3 floor or
requires-python; 3.8 at least); the projects with more variants also build with cffi's
emitter and declaratively on the newest CPython, where build scripts meet a Python
without distutils."""

import sys

import pytest

from .test_samples import check_abi3_audit
from .wheelcheck import Wheel
from .support import REPO

sys.path.insert(0, str(REPO / "tests" / "real_projects"))
import real_projects  # noqa: E402

# The newest stable CPython (not a pre-release: the projects' pinned dependencies must
# have wheels or build there).
NEWEST = "3.13"


def _runs():
    for name, project in sorted(real_projects.PROJECTS.items()):
        for variant in real_projects.variants(project):
            yield name, variant, project.min_python if variant == "native" else NEWEST


RUNS = list(_runs())


@pytest.mark.parametrize("name, variant, python", RUNS, ids=["%s-%s-%s" % r for r in RUNS])
def test_real_project_builds_and_passes_its_tests(name, variant, python, pythons, forge_wheelhouse,
                                                  scratch, cache):
    """native: the build script with cffi-forge's generator (the default); cffi: the build
    script with cffi's emitter; declarative: the modules as [[tool.cffi-forge.module]]
    tables, built with no index but the cffi-forge wheelhouse (no cffi at build time)."""
    project = real_projects.PROJECTS[name]
    work = scratch / "real-projects" / name / variant
    # build_and_test also checks the test counts against the setuptools build's.
    path, _, build = real_projects.build_and_test(
        project,
        pythons.path(python),
        forge_wheelhouse,
        work,
        cache=cache,
        log=lambda message: print(message),
        variant=variant,
    )
    wheel = Wheel(path)
    expected_tag = project.tag.format(py=python.replace(".", ""))
    assert (wheel.tag + "-").startswith(expected_tag + "-"), (
        "%s: expected a %s wheel (%s)" % (path.name, expected_tag, project.notes))
    if wheel.abi_tag == "abi3":
        compiled = [n for n in wheel.files if n.endswith(".so")]
        check_abi3_audit(wheel, compiled)
    # pyvips' conversion builds no module (its setup.py's ABI-mode fallback).
    builds_modules = project.tool.get("cffi-modules") != []
    generated_natively = "(native generator)" in build
    assert generated_natively == (variant != "cffi" and builds_modules), build[-6000:]
    if project.native_fallback and variant == "native":
        assert project.native_fallback in build, build[-6000:]
    else:
        assert "Falling back" not in build, build[-6000:]
    ran_script = "(build script)" in build
    assert ran_script == (variant != "declarative" and builds_modules), build[-6000:]
