"""`cffi-forge migrate` on real CFFI projects from PyPI: the sdist is converted by
`migrate --write` alone (then its setup.py is deleted), built with cffi-forge, installed
into a fresh venv, and its own test suite passes. Each project's todo/note lines are
listed here: these are the constructs migrate reports it could not translate, and the
build must succeed without any edit beyond them (none of them needs one for these three)."""

import re
import sys

import pytest

from .support import REPO, tomllib

sys.path.insert(0, str(REPO / "tests" / "real_projects"))
import real_projects  # noqa: E402

PYTHON = "3.13"

# What migrate reports for each project, and why no edit is needed for it.
EXPECTED = {
    "argon2-cffi-bindings": [
        # The version is setuptools-scm's; the sdist's PKG-INFO has it.
        "pyproject.toml: note: the version came from setuptools-scm (from git); "
        "wrote version = \"25.1.0\" from PKG-INFO",
        # The cmdclass set the cp3X-abi3 tag on CPython: cffi-forge derives it from
        # requires-python.
        "setup.py:12: todo: depends on the platform",
        "setup.py:37: todo: custom commands (`cmdclass`) do not run under cffi-forge",
    ],
    "cmarkgfm": [
        # Its build script imports distutils.
        "src/cmarkgfm/build_cmark.py: note: the build script imports setuptools or distutils",
    ],
    "xattr": [
        "setup.py:7: note: `platforms` has no [project] field",
    ],
}

NAMES = sorted(EXPECTED)


@pytest.mark.parametrize("name", NAMES)
def test_migrated_real_project_builds_and_passes_its_tests(name, pythons, forge_wheelhouse, scratch, cache):
    project = real_projects.PROJECTS[name]
    work = scratch / "real-projects-migrate" / name
    wheel, _, build = real_projects.build_and_test(
        project,
        pythons.path(PYTHON),
        forge_wheelhouse,
        work,
        cache=cache,
        log=lambda message: print(message),
        variant="migrate",
    )
    reported = [l for l in (work / "migrate.txt").read_text().splitlines() if re.search(r": (todo|note): ", l)]
    expected = EXPECTED[name]
    assert len(reported) == len(expected), "\n".join(reported)
    for line, prefix in zip(reported, expected):
        assert line.startswith(prefix), "%r does not start with %r" % (line, prefix)

    pyproject = work / "src" / "pyproject.toml"
    with open(pyproject, "rb") as f:
        config = tomllib.load(f)
    assert config["build-system"]["build-backend"] == "cffi_forge"
    assert not (work / "src" / "setup.py").exists()
    floor = re.search(r">=\s*3\.(\d+)", config["project"]["requires-python"]).group(1)
    assert "-cp3%s-abi3-" % floor in wheel.name, wheel.name
    assert "(build script)" in build, build[-6000:]
