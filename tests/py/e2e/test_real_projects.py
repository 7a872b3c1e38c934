"""Real CFFI projects from PyPI, switched to cffi-forge by patching only pyproject.toml,
build, install into a fresh venv and pass their own test suites (tests/real_projects)."""

import re
import sys

import pytest

from .support import REPO, tomllib

sys.path.insert(0, str(REPO / "tests" / "real_projects"))
import real_projects  # noqa: E402

# The newest CPython: the build scripts meet a Python without distutils there.
PYTHON = "3.13"


RUNS = [(name, variant) for name, project in sorted(real_projects.PROJECTS.items())
        for variant in real_projects.variants(project)]


@pytest.mark.parametrize("name, variant", RUNS, ids=["%s-%s" % r for r in RUNS])
def test_real_project_builds_and_passes_its_tests(name, variant, pythons, forge_wheelhouse, scratch, cache):
    """native: the build script with cffi-forge's generator (the default); cffi: the build
    script with cffi's emitter; declarative: the modules as [[tool.cffi-forge.module]]
    tables, built with no index but the cffi-forge wheelhouse (no cffi at build time)."""
    project = real_projects.PROJECTS[name]
    work = scratch / "real-projects" / name / variant
    wheel, _, build = real_projects.build_and_test(
        project,
        pythons.path(PYTHON),
        forge_wheelhouse,
        work,
        cache=cache,
        log=lambda message: print(message),
        variant=variant,
    )
    with open(work / "src" / "pyproject.toml", "rb") as f:
        requires_python = tomllib.load(f)["project"]["requires-python"]
    floor = re.search(r">=\s*3\.(\d+)", requires_python).group(1)
    assert "-cp3%s-abi3-" % floor in wheel.name, (
        "%s is not tagged abi3 for requires-python %s" % (wheel.name, requires_python))
    generated_natively = "(native generator)" in build
    assert generated_natively == (variant != "cffi"), build[-6000:]
    assert "Falling back" not in build, build[-6000:]
    ran_script = "(build script)" in build
    assert ran_script == (variant != "declarative"), build[-6000:]
