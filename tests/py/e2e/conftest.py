"""Session fixtures of the end-to-end tests: interpreters, fresh venvs, built sample wheels.

Expensive things are done once per session and shared: each interpreter gets one fresh
venv (created at first use, in the test cache, never in the repository), and each sample
is built once per building interpreter, then installed everywhere it should work.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from . import interpreters
from .support import (SAMPLES, CacheInUse, Venv, cache_dir, clean_env, copy_project, load_samples, lock_cache, run,
                      wheelhouse)


@pytest.fixture(scope="session")
def cache():
    path = cache_dir()
    try:
        lock = lock_cache(path)
    except CacheInUse as e:
        pytest.exit(str(e), returncode=1)
    yield path
    lock.close()


@pytest.fixture(scope="session")
def scratch(cache):
    """A per-session scratch folder, emptied at the start of the session (so two sessions
    cannot share a cache: the `cache` fixture's lock stops the second; set
    CFFI_FORGE_TEST_CACHE). The previous session's folder is
    moved aside and deleted in the background while tests run."""
    path = cache / "scratch"
    cleaner = None
    if path.exists():
        trash = cache / ("scratch-old-%d" % os.getpid())
        path.rename(trash)
        cleaner = subprocess.Popen(["rm", "-rf", str(trash)])
    for stale in cache.glob("scratch-old-*"):
        if cleaner is None or stale.name != "scratch-old-%d" % os.getpid():
            shutil.rmtree(stale, ignore_errors=True)
    path.mkdir()
    yield path
    if cleaner is not None:
        cleaner.wait()


@pytest.fixture(scope="session")
def forge_wheelhouse():
    return wheelhouse()


class Interpreters:
    """Finds each interpreter once; a missing one fails the tests that need it."""

    def __init__(self):
        self._found = {}

    def path(self, version):
        if version not in self._found:
            self._found[version] = interpreters.find(version)
        found = self._found[version]
        if found is None:
            pytest.fail(interpreters.missing_message(version), pytrace=False)
        return found


@pytest.fixture(scope="session")
def pythons():
    return Interpreters()


class Venvs:
    """Fresh venvs, created once per session on first use: by default one per interpreter
    with pytest installed; tests that must not share one ask for their own `name`."""

    def __init__(self, root, pythons):
        self.root = root
        self.pythons = pythons
        self._venvs = {}
        self._errors = {}
        self._facts = {}

    def get(self, version, name=None, with_pytest=True) -> Venv:
        key = name or "py" + version
        if key in self._errors:
            pytest.fail("venv %s could not be set up:\n%s" % (key, self._errors[key]))
        if key not in self._venvs:
            interpreter = self.pythons.path(version)
            try:
                venv = Venv.create(interpreter, self.root / key)
                if with_pytest:
                    venv.pip("install", "pytest")
            except AssertionError as e:
                self._errors[key] = str(e)
                raise
            self._venvs[key] = venv
        return self._venvs[key]

    def facts(self, version) -> dict:
        """What the interpreter says about itself, to compute the tags we expect."""
        if version not in self._facts:
            out = run([self.get(version).python, "-c", FACTS])
            self._facts[version] = json.loads(out.text)
        return self._facts[version]


FACTS = """
import json, sys, sysconfig
print(json.dumps({
    "implementation": sys.implementation.name,
    "version": list(sys.version_info[:2]),
    "platform": sysconfig.get_platform().replace("-", "_").replace(".", "_"),
    "ext_suffix": sysconfig.get_config_var("EXT_SUFFIX"),
    "pypy_version": list(sys.pypy_version_info[:2]) if hasattr(sys, "pypy_version_info") else None,
}))
"""


@pytest.fixture(scope="session")
def venvs(scratch, pythons):
    return Venvs(scratch / "venvs", pythons)


class SampleBuilds:
    """`pip wheel` (isolated build) of each sample, once per building interpreter and
    generator (`None`: the project as it is; `"cffi"`: with `generator = "cffi"`)."""

    def __init__(self, root, venvs, forge_wheelhouse):
        self.root = root
        self.venvs = venvs
        self.wheelhouse = forge_wheelhouse
        self._results = {}

    def wheel(self, sample, builder, generator=None) -> Path:
        return self._get(sample, builder, generator)[0]

    def log(self, sample, builder, generator=None) -> str:
        """pip's verbose output of the build, with cffi-forge's verbose status lines."""
        return self._get(sample, builder, generator)[1]

    def _get(self, sample, builder, generator):
        key = (sample, builder, generator)
        if key not in self._results:
            try:
                self._results[key] = (self._build(sample, builder, generator), None)
            except AssertionError as e:
                self._results[key] = (None, str(e))
                raise
        result, error = self._results[key]
        if error is not None:
            pytest.fail("building %s with %s failed earlier:\n%s" % (sample, builder, error))
        return result

    def _build(self, sample, builder, generator):
        venv = self.venvs.get(builder)
        work = self.root / builder / (sample + ("-" + generator if generator else ""))
        project = copy_project(SAMPLES / sample, work / "src")
        if generator:
            set_generator(project / "pyproject.toml", generator)
        out = work / "wheels"
        out.mkdir()
        # A sample that needs nothing but cffi-forge to build (declarative modules) is built
        # with the wheelhouse as its only index, which proves it.
        no_index = ["--no-index"] if load_samples()[sample].get("no-index") else []
        proc = venv.pip(
            "wheel", "-v", "--no-deps", *no_index, "--find-links", self.wheelhouse, "-w", out, project,
            cwd=work, env=clean_env(CFFI_FORGE_VERBOSE=1),
        )
        wheels = list(out.glob("*.whl"))
        assert len(wheels) == 1, "expected one wheel, got %s" % wheels
        return wheels[0], proc.text


def set_generator(pyproject: Path, generator: str):
    """Add `generator = ...` to the project's `[tool.cffi-forge]` table (made if absent)."""
    lines = pyproject.read_text(encoding="utf-8").splitlines()
    setting = 'generator = "%s"' % generator
    for i, line in enumerate(lines):
        if line.strip() == "[tool.cffi-forge]":
            lines.insert(i + 1, setting)
            break
    else:
        lines += ["", "[tool.cffi-forge]", setting]
    pyproject.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="session")
def sample_builds(scratch, venvs, forge_wheelhouse):
    return SampleBuilds(scratch / "builds", venvs, forge_wheelhouse)
