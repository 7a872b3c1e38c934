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


@pytest.mark.parametrize("name", sorted(real_projects.PROJECTS))
def test_real_project_builds_and_passes_its_tests(name, pythons, forge_wheelhouse, scratch, cache):
    project = real_projects.PROJECTS[name]
    wheel, _ = real_projects.build_and_test(
        project,
        pythons.path(PYTHON),
        forge_wheelhouse,
        scratch / "real-projects" / name,
        cache=cache,
        log=lambda message: print(message),
    )
    with open(scratch / "real-projects" / name / "src" / "pyproject.toml", "rb") as f:
        requires_python = tomllib.load(f)["project"]["requires-python"]
    floor = re.search(r">=\s*3\.(\d+)", requires_python).group(1)
    assert "-cp3%s-abi3-" % floor in wheel.name, (
        "%s is not tagged abi3 for requires-python %s" % (wheel.name, requires_python))
