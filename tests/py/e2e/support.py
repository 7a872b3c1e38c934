"""Shared machinery of the end-to-end tests: paths, commands, interpreters, venvs.

Everything here runs real tools (pip, uv, build, the interpreters) in subprocesses and
turns a failure into an AssertionError that shows the command and the tail of its output.
"""

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO / "sample-projects"
# Pins for everything the test venvs and build environments install from PyPI.
CONSTRAINTS = REPO / "tests" / "py" / "constraints.txt"


def forge_bin() -> Path:
    """The cffi-forge binary under test: $CFFI_FORGE_BIN (tests/run.sh exports its release
    build), else this checkout's release or debug build."""
    explicit = os.environ.get("CFFI_FORGE_BIN")
    candidates = [Path(explicit)] if explicit else [REPO / "target" / p / "cffi-forge" for p in ("release", "debug")]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    pytest.fail("no cffi-forge binary: set CFFI_FORGE_BIN or cargo build (looked at %s)"
                % ", ".join(map(str, candidates)), pytrace=False)


def not_run(why: str, fail: bool = False):
    """A test that cannot run for want of a tool or an interpreter: a `NOT RUN: <file>: why`
    line in $CFFI_FORGE_NOT_RUN_LOG (run.sh's summary shows it), then a skip, or a failure
    under CI=true or when `fail` says the thing was asked for."""
    current = os.environ.get("PYTEST_CURRENT_TEST", "")
    line = "NOT RUN: %s: %s" % (Path(current.split("::")[0]).stem or "tests", why)
    log = os.environ.get("CFFI_FORGE_NOT_RUN_LOG")
    if log:
        with open(log, "a") as f:
            f.write(line + "\n")
    if fail or os.environ.get("CI") == "true":
        pytest.fail(line + (" (a failure: asked for)" if fail else " (a failure under CI=true)"), pytrace=False)
    pytest.skip(line)


def cache_dir() -> Path:
    """Venvs, downloads and scratch builds live here, never in the repository."""
    explicit = os.environ.get("CFFI_FORGE_TEST_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cffi-forge-tests"


class CacheInUse(Exception):
    pass


def lock_cache(cache: Path):
    """An exclusive lock on `cache` for this test session: the open lock file (keep it
    open while the session runs). Two sessions on one cache empty each other's scratch
    folder (each moves the previous session's aside at its start) and fail at random
    places; the second one stops at once instead, naming the cure."""
    import fcntl

    cache.mkdir(parents=True, exist_ok=True)
    handle = open(cache / "session.lock", "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise CacheInUse(
            "another test session is using the test cache %s; wait for it, or give this one "
            "its own cache with CFFI_FORGE_TEST_CACHE=<folder> (a folder of symlinks to the "
            "first one's `tools` and `pythons` reuses what they installed)" % cache) from None
    return handle


def wheelhouse() -> Path:
    """The folder holding the locally built cffi-forge wheel (set by tests/run.sh)."""
    path = Path(os.environ.get("CFFI_FORGE_WHEELHOUSE") or REPO / "target" / "wheelhouse")
    wheels = sorted(path.glob("cffi_forge-*.whl"))
    assert wheels, (
        "no cffi_forge-*.whl in %s: run tests/run.sh, or build one with "
        "`maturin build --release -o %s` and set CFFI_FORGE_WHEELHOUSE" % (path, path)
    )
    assert len(wheels) == 1, "more than one cffi-forge wheel in %s: %s" % (path, wheels)
    return path


def clean_env(**extra) -> dict:
    """The environment for frontends: the installed cffi-forge wheel must do the work.

    `CFFI_FORGE_BIN` would make the shim use the development binary instead of the one
    in the wheel, so it is removed; pip's user configuration is ignored and what pip
    installs from PyPI is pinned (tests/py/constraints.txt), for reproducibility.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CFFI_FORGE_", "PIP_"))}
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "UV_PYTHON"):
        env.pop(name, None)
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_CONSTRAINT=str(CONSTRAINTS),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


class CommandFailed(AssertionError):
    pass


def run(cmd, cwd=None, env=None, timeout=1200, check=True, input=None):
    """Run a command, capturing output; on failure raise with the command and output."""
    cmd = [str(c) for c in cmd]
    start = time.monotonic()
    try:
        proc = subprocess.run(
            cmd,
            cwd=str(cwd) if cwd else None,
            env=env if env is not None else clean_env(),
            input=input,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as e:
        raise CommandFailed(
            "timed out after %ss: %s\n%s" % (timeout, " ".join(cmd), _tail(e.output or b""))
        )
    proc.elapsed = time.monotonic() - start
    proc.text = proc.stdout.decode("utf-8", "replace")
    if check and proc.returncode != 0:
        raise CommandFailed(
            "exit status %d (cwd %s): %s\n%s"
            % (proc.returncode, cwd or os.getcwd(), " ".join(cmd), _tail(proc.stdout))
        )
    return proc


def _tail(output: bytes, limit: int = 6000) -> str:
    text = output.decode("utf-8", "replace")
    return text if len(text) <= limit else "[...]\n" + text[-limit:]


def load_samples() -> dict:
    with open(SAMPLES / "samples.toml", "rb") as f:
        return tomllib.load(f)


def sample_dirs() -> list:
    return sorted(p.parent.name for p in SAMPLES.glob("*/pyproject.toml"))


def copy_project(src: Path, dest: Path) -> Path:
    """A pristine copy, so builds never write into the repository."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(
        src,
        dest,
        ignore=shutil.ignore_patterns(
            "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", "*.so", "*.pyd"
        ),
    )
    return dest


class Venv:
    """A virtual environment created by one interpreter."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.bin = self.path / ("Scripts" if os.name == "nt" else "bin")
        self.python = self.bin / ("python.exe" if os.name == "nt" else "python")

    @classmethod
    def create(cls, interpreter: Path, path: Path) -> "Venv":
        if path.exists():
            shutil.rmtree(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            run([interpreter, "-m", "venv", path], timeout=300)
        except CommandFailed as venv_error:
            # Some distributions ship interpreters without a working venv/ensurepip
            # (Debian's pypy3 without python3-venv, for one): virtualenv from the tools
            # venv running the tests can still make one.
            shutil.rmtree(path, ignore_errors=True)
            try:
                run([sys.executable, "-m", "virtualenv", "-p", interpreter, path], timeout=300)
            except CommandFailed as virtualenv_error:
                raise CommandFailed("%s\nand virtualenv failed too:\n%s" % (venv_error, virtualenv_error))
        return cls(path)

    def pip(self, *args, **kwargs):
        return run([self.python, "-m", "pip", *args], **kwargs)

    def script(self, name: str) -> Path:
        return self.bin / (name + (".exe" if os.name == "nt" else ""))

    def site_packages(self) -> Path:
        out = run([self.python, "-c", "import sysconfig; print(sysconfig.get_paths()['platlib'])"])
        return Path(out.text.strip())


def run_sample_tests(venv: Venv, sample: str, workdir: Path, project: Path = None, expected: int = None):
    """Run a sample's own pytest suite against what is installed in `venv`; at least
    `expected` tests (default: the sample's `tests` in samples.toml) must pass and none be
    skipped.

    The tests are copied out of the project so that neither the project's sources nor any
    pytest configuration up the tree can stand in for the installed package.
    """
    if expected is None:
        expected = load_samples()[sample]["tests"]
    project = project or SAMPLES / sample
    if workdir.exists():
        shutil.rmtree(workdir)
    shutil.copytree(project / "tests", workdir / "tests")
    (workdir / "pytest.ini").write_text("[pytest]\n")
    proc = run(
        [venv.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=workdir,
        timeout=600,
    )
    check_outcomes(proc.text, "the tests of %s" % sample, expected)
    return proc


_OUTCOME = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected)\b")


def pytest_outcomes(output: str) -> dict:
    """{outcome: count} from the summary line `pytest -q` prints last ("16 passed, 1
    skipped in 0.04s"); `error` for errors."""
    lines = [line for line in output.splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    return {kind.rstrip("s") if kind.startswith("error") else kind: int(n) for n, kind in _OUTCOME.findall(last)}


def check_outcomes(output: str, what: str, expected: int):
    """An inner pytest run judged by its exit status alone passes when it skipped or
    collected nothing: at least `expected` tests must pass, and none be skipped."""
    outcomes = pytest_outcomes(output)
    lines = [line for line in output.splitlines() if line.strip()]
    assert (
        outcomes.get("passed", 0) >= expected
        and not outcomes.get("skipped")
        and not outcomes.get("xfailed")
        and not outcomes.get("deselected")
    ), "%s: at least %d tests must pass and none be skipped; pytest said: %s" % (
        what, expected, lines[-1] if lines else "nothing")


def check_imports_from_venv(venv: Venv, modules, cwd: Path):
    """Each module imports, from inside the venv (not from a source tree)."""
    code = (
        "import importlib, sys\n"
        "for name in sys.argv[1:]:\n"
        "    print(importlib.import_module(name).__file__)\n"
    )
    out = run([venv.python, "-c", code, *modules], cwd=cwd)
    root = os.path.realpath(str(venv.path))
    for module, path in zip(modules, out.text.split()):
        assert os.path.realpath(path).startswith(root + os.sep), (
            "%s was imported from %s, not from the venv %s" % (module, path, venv.path)
        )


POLICY_TAG = r"(?:manylinux_\d+_\d+|manylinux1|manylinux2010|manylinux2014|musllinux_\d+_\d+)_"


def audited_platform(wheel_platform: str, sysconfig_platform: str) -> str:
    """The platform part a wheel built on `sysconfig_platform` (`linux_x86_64`, in wheel
    form) must carry. On Linux the build audits its modules and tags the most compatible
    manylinux/musllinux policy they satisfy, a set like
    `manylinux_2_17_x86_64.manylinux2014_x86_64` (test_manylinux.py checks that auditwheel
    agrees); elsewhere it is sysconfig's platform."""
    if not sysconfig_platform.startswith("linux_"):
        return sysconfig_platform
    arch = re.escape(sysconfig_platform[len("linux_"):])
    parts = wheel_platform.split(".")
    assert all(re.fullmatch(POLICY_TAG + arch, p) for p in parts), (
        "%s is not a manylinux/musllinux tag set for %s" % (wheel_platform, sysconfig_platform))
    return wheel_platform
