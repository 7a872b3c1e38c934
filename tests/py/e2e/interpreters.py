"""The interpreters the end-to-end tests build with and install into.

CPython 3.8 (the oldest we support: abi3 wheels are built with it) to 3.15, and PyPy 3
(Debian's `pypy3`). Found, in order, through `CFFI_FORGE_TEST_PYTHONS` (`3.9=/path,...`),
pyenv's versions folder, `python3.X` on PATH, uv's managed interpreters, and for 3.14 and
3.15 the ones `tests/provision/python-sid.sh` provisions into the test cache (Debian sid's
packages; `tests/run.sh` runs it).

    python interpreters.py            # print what was found, exit 1 if any is missing
    python interpreters.py --install  # also install missing CPythons with `uv python install`
"""

import glob
import os
import shutil
import subprocess
import sys

CPYTHONS = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15"]
# Provisioned by tests/provision/python-sid.sh, never by uv.
PROVISIONED = ["3.14", "3.15"]
PYPY = "pypy3"
ALL = CPYTHONS + [PYPY]


def _probe(path, version):
    """True if `path` runs and is the wanted interpreter (pyenv shims may not be)."""
    if version == PYPY:
        code = "import sys; print(sys.implementation.name)"
        want = "pypy"
    else:
        code = "import sys; print(sys.implementation.name + '%d.%d' % sys.version_info[:2])"
        want = "cpython" + version
    try:
        out = subprocess.run(
            [path, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and out.stdout.decode().strip() == want


def _pyenv_root():
    root = os.environ.get("PYENV_ROOT")
    if root:
        return root
    exe = shutil.which("pyenv")
    if exe:
        out = subprocess.run([exe, "root"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if out.returncode == 0:
            return out.stdout.decode().strip()
    return os.path.expanduser("~/.pyenv")


def _uv():
    """uv from the tools venv running us, else PATH."""
    here = os.path.join(os.path.dirname(sys.executable), "uv")
    return here if os.path.exists(here) else shutil.which("uv")


def _provisioned(version):
    """Where tests/provision/python-sid.sh puts `version`'s venv (with pip and cffi)."""
    cache = os.environ.get("CFFI_FORGE_TEST_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "cffi-forge-tests",
    )
    return os.path.join(cache, "pythons", "sid", "venv-" + version, "bin", "python")


def candidates(version):
    explicit = dict(
        item.split("=", 1)
        for item in os.environ.get("CFFI_FORGE_TEST_PYTHONS", "").split(",")
        if "=" in item
    )
    if version in explicit:
        yield explicit[version]
        return
    if version == PYPY:
        for name in ("pypy3", "pypy3.10", "pypy3.9"):
            found = shutil.which(name)
            if found:
                yield found
        return
    root = _pyenv_root()
    for path in sorted(glob.glob(os.path.join(root, "versions", version + ".*", "bin", "python" + version)), reverse=True):
        yield path
    found = shutil.which("python" + version)
    if found:
        yield found
    if version in PROVISIONED:
        yield _provisioned(version)
        return
    uv = _uv()
    if uv:
        out = subprocess.run(
            [uv, "python", "find", "--managed-python", version],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        if out.returncode == 0 and out.stdout.strip():
            yield out.stdout.decode().strip()


def find(version):
    """Path of the interpreter, or None."""
    for path in candidates(version):
        if _probe(path, version):
            return path
    return None


def find_all():
    return {version: find(version) for version in ALL}


def missing_message(version):
    if version == PYPY:
        return "PyPy 3 not found (looked for pypy3 on PATH); install it: apt-get install pypy3 pypy3-dev"
    if version in PROVISIONED:
        return (
            "CPython %s not found (looked in pyenv's versions, python%s on PATH and %s); "
            "provision it: tests/provision/python-sid.sh" % (version, version, _provisioned(version))
        )
    return (
        "CPython %s not found (looked in pyenv's versions, python%s on PATH and uv's managed "
        "interpreters); install it, e.g. `uv python install %s`" % (version, version, version)
    )


def main(argv):
    install = "--install" in argv
    found = find_all()
    if install:
        uv = _uv()
        for version in CPYTHONS:
            if found[version] is None and uv and version not in PROVISIONED:
                print("installing CPython %s with uv ..." % version, file=sys.stderr)
                subprocess.run([uv, "python", "install", version])
                found[version] = find(version)
    ok = True
    for version, path in found.items():
        if path:
            print("%-7s %s" % (version, path))
        else:
            ok = False
            print("%-7s MISSING: %s" % (version, missing_message(version)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
