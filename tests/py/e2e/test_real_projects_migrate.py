"""`cffi-forge migrate` on the real CFFI projects of tests/real_projects: each sdist is
converted by `migrate --write` plus only the edits its todo lines ask for
(real_projects.MIGRATE_EDITS), its setup.py deleted, then built with cffi-forge on the
oldest CPython its wheel claims, installed into a fresh venv, and its own test suite must
give the counts its setuptools build gives.

EXPECTED lists, per project, the start of every todo/note line migrate prints: what it
could not translate (the closing table of issue 15). A change to migrate that reports
more, or less, shows here."""

import re
import sys

import pytest

from .support import REPO, tomllib

sys.path.insert(0, str(REPO / "tests" / "real_projects"))
import real_projects  # noqa: E402

EXPECTED = {
    "argon2-cffi-bindings": [
        # setuptools-scm's version; the sdist's PKG-INFO has it.
        'pyproject.toml: note: the version came from setuptools-scm (from git); wrote version = "25.1.0"',
        # The cmdclass set the cp3X-abi3 tag on CPython: cffi-forge derives it from
        # requires-python, so neither needs an edit.
        "setup.py:12: todo: depends on the platform",
        "setup.py:37: todo: custom commands (`cmdclass`)",
    ],
    "bcrypt": [
        "setup.cfg:8: note: `license_files` cannot go with a legacy license table",
        "setup.py:13: todo: depends on the platform",  # a PyPy version check
    ],
    "brotlipy": [
        # README + HISTORY concatenated: no readme (metadata only).
        "setup.py:14: todo: `long_description` is computed",
    ],
    "cairocffi": [
        "setup.cfg:6: note: `license_files` cannot go with a legacy license table",
        "setup.cfg:12: note: `platforms` has no [project] field",
    ],
    "cmarkgfm": [
        "src/cmarkgfm/build_cmark.py:1: note: the build script imports setuptools or distutils",
    ],
    "misaka": [
        "setup.py:38: todo: reads the command line",  # its `test` command
        "setup.py:54: todo: custom commands (`cmdclass`)",
        # Changed for Python 2 only: cffi-forge adds the cffi requirement itself.
        "setup.py:73: todo: `install_requires` is computed",
    ],
    "persistent": [
        # The one edit: readme = "README.rst" (real_projects.MIGRATE_EDITS).
        "pyproject.toml: todo: the readme concatenates several files",
        "setup.py:63: todo: depends on the platform",  # headers off on PyPy
        "setup.py:79: todo: `headers` (C headers installed for other extensions",
    ],
    "pylibsrtp": [
        "setup.py:17: todo: custom commands (`cmdclass`)",  # the cp310-abi3 tag
    ],
    "pymunk": [
        "pyproject.toml:66: note: `package_data` is implied",
        # PYMUNK_BUILD_SLIM leaves the examples out; the default ships them, as
        # cffi-forge's discovery does.
        "setup.py:7: todo: reads an environment variable",
        "setup.py:13: todo: `packages` is computed",
        "setup.py:14: todo: `exclude_package_data` is computed",
    ],
    "PyNaCl": [
        "setup.cfg:2: note: `license_files` cannot go with a legacy license table",
        # The libsodium build: configure/make in a build_clib subclass, or the system
        # libsodium with SODIUM_INSTALL=system; the build script names `sodium`, which
        # links the system one.
        "setup.py:42: todo: depends on the platform",
        "setup.py:71: todo: reads an environment variable",
        "setup.py:115: todo: reads an environment variable",
        "setup.py:117: todo: reads an environment variable",
        "setup.py:154: todo: depends on the platform",
        "setup.py:158: todo: reads an environment variable",
        "setup.py:167: todo: reads an environment variable",
        "setup.py:206: todo: `long_description` is computed",
        # Only adds cffi on CPython: cffi-forge adds it itself.
        "setup.py:213: todo: `install_requires` is computed",
        "setup.py:221: todo: custom commands (`cmdclass`)",
        "setup.py:222: todo: `distclass` is not translated",
    ],
    "pyvips": [
        # The ABI-mode fallback in the except (real_projects.MIGRATE_EDITS).
        "setup.py:22: todo: a second `setup(` call (only the first is read)",
    ],
    "reflink": [
        "setup.py:30: todo: depends on the platform",  # a supported-platform check
        "setup.py:31: todo: depends on the platform",
        # README + HISTORY concatenated: readme = README.rst.
        "setup.py:38: todo: `long_description` is computed",
    ],
    "soundfile": [
        # Platform switches for the binary wheels with a bundled libsndfile.
        "setup.py:8: todo: reads an environment variable",
        "setup.py:9: todo: reads an environment variable",
        "setup.py:13: todo: depends on the platform",
        'setup.py:87: note: `version` is computed (`soundfile_version`): wrote version = "0.14.0"',
        "setup.py:94: todo: `packages` is computed",
        "setup.py:95: todo: `package_data` is computed",
        "setup.py:103: note: `platforms` has no [project] field",
        "setup.py:119: todo: custom commands (`cmdclass`)",
    ],
    "sounddevice": [
        # Cross-platform packaging switches (the bundled PortAudio of Windows/macOS wheels).
        "setup.py:12: todo: reads an environment variable",
        "setup.py:13: todo: depends on the platform",
        "setup.py:14: todo: reads an environment variable",
        "setup.py:16: todo: depends on the platform",
        # None on Linux: migrate writes no packages, as setuptools ships none here.
        "setup.py:66: todo: `packages` is computed",
        "setup.py:67: note: `package_data` is implied",
        "setup.py:70: todo: custom commands (`cmdclass`)",  # the py3-none-<platform> tag
    ],
    "xattr": [
        "setup.py:7: note: `platforms` has no [project] field",
    ],
    "xkbcommon": [
        "setup.cfg:11: note: `license_files` cannot go with a legacy license table",
    ],
}

NAMES = sorted(real_projects.PROJECTS)


def test_every_real_project_is_listed():
    assert sorted(EXPECTED) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_migrated_real_project_builds_and_passes_its_tests(name, pythons, forge_wheelhouse, scratch, cache):
    project = real_projects.PROJECTS[name]
    work = scratch / "real-projects-migrate" / name
    # build_and_test also checks the test counts against the setuptools build's.
    wheel, _, build = real_projects.build_and_test(
        project,
        pythons.path(project.min_python),
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
    edits = real_projects.MIGRATE_EDITS.get(name, [])
    assert len(edits) <= sum(": todo: " in l for l in reported), "every edit answers a todo"

    with open(work / "src" / "pyproject.toml", "rb") as f:
        config = tomllib.load(f)
    assert config["build-system"]["build-backend"] == "cffi_forge"
    assert not (work / "src" / "setup.py").exists()
    if project.tool.get("cffi-modules") != []:  # pyvips' conversion runs no build script
        assert "(build script)" in build, build[-6000:]
