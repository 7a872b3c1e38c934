"""Fixtures of the parity end-to-end tests: interpreters, fresh venvs, isolated builds.

Built on the e2e helpers (tests/py/e2e/support.py): the same venv, command and
wheelhouse conventions, in a scratch folder of their own so both suites can run at once.
"""

import shutil
import threading
from pathlib import Path

import pytest

from e2e import interpreters
from e2e.support import REPO, Venv, cache_dir, check_outcomes, clean_env, copy_project, run, wheelhouse

PARITY_SAMPLES = REPO / "sample-projects" / "parity-samples"
# How many of each parity sample's own tests must pass (none skipped).
PARITY_TESTS = {"declgeom": 5, "flatcrc": 5, "mixext": 3, "vecmath": 5}


@pytest.fixture(scope="session")
def parity_scratch():
    path = cache_dir() / "parity-scratch"
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


@pytest.fixture(scope="session")
def forge_wheelhouse():
    return wheelhouse()


class ParityEnv:
    """Interpreters, one venv per (interpreter, purpose) and isolated `pip wheel` builds."""

    def __init__(self, root: Path, wheelhouse: Path):
        self.root = root
        self.wheelhouse = wheelhouse
        self._lock = threading.Lock()
        self._venvs = {}

    def interpreter(self, version):
        found = interpreters.find(version)
        if found is None:
            pytest.fail(interpreters.missing_message(version), pytrace=False)
        return found

    def venv(self, version, purpose, packages=("pytest",)) -> Venv:
        key = (version, purpose)
        with self._lock:
            if key not in self._venvs:
                venv = Venv.create(self.interpreter(version), self.root / "venvs" / ("%s-%s" % (purpose, version)))
                if packages:
                    venv.pip("install", *packages)
                self._venvs[key] = venv
            return self._venvs[key]

    def project(self, sample, name=None) -> Path:
        """A pristine copy of a parity sample."""
        return copy_project(PARITY_SAMPLES / sample, self.root / "projects" / (name or sample))

    def pip_wheel(self, version, source, out: Path, verbose=False):
        """`pip wheel` with build isolation, cffi-forge from the local wheelhouse.
        Returns (wheel path, pip output)."""
        venv = self.venv(version, "build", packages=())
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        args = ["wheel", "--no-deps", "--find-links", self.wheelhouse, "-w", out, source]
        if verbose:
            args.insert(1, "-v")
        proc = venv.pip(*args, cwd=out)
        wheels = list(out.glob("*.whl"))
        assert len(wheels) == 1, "expected one wheel, got %s" % wheels
        return wheels[0], proc.text

    def sdist(self, version, project: Path, out: Path) -> Path:
        """`python -m build --sdist` (isolated), cffi-forge from the local wheelhouse."""
        venv = self.venv(version, "sdist", packages=("build",))
        run(
            [venv.python, "-m", "build", "--sdist", "--outdir", out, project],
            env=clean_env(PIP_FIND_LINKS=self.wheelhouse),
        )
        sdists = list(out.glob("*.tar.gz"))
        assert len(sdists) == 1, sdists
        return sdists[0]

    def run_tests(self, venv: Venv, sample: str, workdir: Path):
        """The sample's own tests against what is installed, away from the sources: all of
        them must pass (PARITY_TESTS), none skipped."""
        if workdir.exists():
            shutil.rmtree(workdir)
        shutil.copytree(PARITY_SAMPLES / sample / "tests", workdir / "tests")
        (workdir / "pytest.ini").write_text("[pytest]\n")
        proc = run([venv.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=workdir)
        check_outcomes(proc.text, "the tests of %s" % sample, PARITY_TESTS[sample])
        return proc


@pytest.fixture(scope="session")
def parity(parity_scratch, forge_wheelhouse):
    return ParityEnv(parity_scratch, forge_wheelhouse)
