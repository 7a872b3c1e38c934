"""The samples' own tests are about the libraries, not about cffi-forge: each sample, built
the classic way (setuptools + `cffi_modules` in a generated setup.py, cffi's own build),
passes them too. A sample whose tests fail here is a broken sample, not a backend bug."""

import sys

import pytest

from .support import REPO, SAMPLES, Venv, check_imports_from_venv, load_samples, run, run_sample_tests, sample_dirs

sys.path.insert(0, str(REPO / "bench" / "pip_wheel"))
import setuptools_variant  # noqa: E402

EXPECT = load_samples()
# Declarative samples have no build script for setuptools to run.
WITH_SCRIPTS = [s for s in sample_dirs() if EXPECT.get(s, {}).get("setuptools-oracle", True)]


@pytest.fixture(scope="module")
def oracle_venv(scratch):
    venv = Venv.create(sys.executable, scratch / "venvs" / "setuptools-oracle")
    venv.pip("install", "pytest")
    return venv


@pytest.mark.parametrize("sample", WITH_SCRIPTS)
def test_sample_passes_when_built_by_setuptools(sample, oracle_venv, scratch):
    work = scratch / "setuptools" / sample
    variant = setuptools_variant.make_variant(str(SAMPLES / sample), str(work / "src"))
    out = work / "wheels"
    # The tools venv running this suite has setuptools and cffi: no isolation needed.
    run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps",
         "-w", out, variant], cwd=work)
    (wheel,) = out.glob("*.whl")
    oracle_venv.pip("install", wheel)
    check_imports_from_venv(oracle_venv, EXPECT[sample]["imports"], work)
    run_sample_tests(oracle_venv, sample, work / "run")
