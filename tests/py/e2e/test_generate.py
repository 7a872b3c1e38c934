"""`cffi-forge generate` inside meson-python and scikit-build-core builds (docs/plugins.md):
sample-projects/plugins/meson-python-demo (a build script's set_source keywords: sources,
include_dirs, define_macros, libraries) and plugins/scikit-build-core-demo (a declarative
module with pkg-config's zlib), built by pip, `python -m build` (sdist, then the wheel from
it) and uv on the oldest and newest CPython of the matrix and on PyPy, installed into a
fresh venv, imported and called. meson.build / CMakeLists.txt run `cffi-forge generate` at
configure time and include its snippet; the `cffi-forge` program comes from the cffi-forge
wheel in the isolated build environment (build-system.requires). A failing generate stops
the build with cffi-forge's own message.

Each build uses a copy of the sample committed to a fresh git repository: meson-python
makes its sdist with `meson dist`, which archives what git tracks."""

import re
import sys
from pathlib import Path

import pytest

from .support import SAMPLES, clean_env, copy_project, run
from .wheelcheck import Wheel

PLUGINS = SAMPLES / "plugins"
OLDEST, NEWEST, PYPY = "3.8", "3.15", "pypy3"
STABLE = "3.13"
FRONTENDS = ["pip", "build", "uv"]
SAMPLES_UNDER_TEST = ["meson-python-demo", "scikit-build-core-demo"]
PACKAGES = {"meson-python-demo": "mesondemo", "scikit-build-core-demo": "skbdemo"}
VERSIONS = {"meson-python-demo": "0.5.0", "scikit-build-core-demo": "0.2.0"}
HOSTS = {"meson-python-demo": "meson", "scikit-build-core-demo": "scikit-build-core"}
# Each call checks an input that only cffi-forge's resolved build inputs provide: MD_SCALE
# (define_macros) and sqrt (libraries=["m"]) for meson, zlib (pkg-config) for CMake.
CALLS = {
    "meson-python-demo": (
        "import mesondemo as m; assert m.gcd(84, 36) == 12; assert m.total([5, -2, 40]) == 43; "
        "assert m.hypot(3.0, 4.0) == 5.0; assert m.SCALE == 3; print('ok')"
    ),
    "scikit-build-core-demo": (
        "import zlib, skbdemo as s; assert s.gcd(84, 36) == 12; assert s.total([5, -2, 40]) == 43; "
        "data = b'cffi-forge generate' * 100; assert s.crc32(data) == zlib.crc32(data), s.crc32(data); "
        "assert s.ZLIB_VERSION == zlib.ZLIB_RUNTIME_VERSION, s.ZLIB_VERSION; print('ok')"
    ),
}


def single(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, "expected one %s in %s, found %s" % (pattern, folder, found)
    return found[0]


def git_copy(sample: str, dest: Path) -> Path:
    """A copy of the sample, committed to a fresh git repository."""
    project = copy_project(PLUGINS / sample, dest)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "init.defaultBranch=main"]
    run(git + ["init", "-q"], cwd=project)
    run(git + ["add", "-A"], cwd=project)
    run(git + ["commit", "-q", "-m", "sample"], cwd=project)
    return project


def build_with(frontend, version, project, out, venvs, pythons, wheelhouse, check=True):
    env = clean_env(PIP_FIND_LINKS=wheelhouse)
    if frontend == "pip":
        venv = venvs.get(version, name="generate-pip-" + version, with_pytest=False)
        return venv.pip("wheel", "--no-deps", "-w", out, project, env=env, cwd=out.parent, check=check)
    if frontend == "build":
        venv = venvs.get(version, name="generate-build-" + version, with_pytest=False)
        if not (venv.bin / "pyproject-build").exists():
            venv.pip("install", "build", env=clean_env())
        # The sdist first, then the wheel from it: the sdist must keep the build inputs.
        result = run([venv.python, "-m", "build", "-o", out, project], env=env, cwd=out.parent, check=check)
        single(out, "*.tar.gz").unlink()
        return result
    uv = Path(sys.executable).parent / "uv"
    assert uv.exists(), "uv is not installed in the tools venv %s" % uv.parent
    # Every local build is cffi-forge 0.1.0: make uv look at the wheel again.
    return run([uv, "build", "--wheel", "--refresh-package", "cffi-forge", "--python", pythons.path(version),
                "--find-links", wheelhouse, "--build-constraint", env["PIP_CONSTRAINT"],
                "-o", out, project], cwd=out.parent, env=clean_env(), check=check)


def extension_suffix(python) -> str:
    """What the interpreter calls a module built for it alone (PyPy: no stable ABI)."""
    code = "import importlib.machinery as m; print(m.EXTENSION_SUFFIXES[0])"
    return run([python, "-c", code]).text.strip()


def check_wheel(wheel: Wheel, sample: str, version: str, venv_python):
    """The file cffi-forge named (abi3 on CPython, the interpreter's own suffix on PyPy),
    installed in its package by the host's install rules, with its typed stub."""
    pkg = PACKAGES[sample]
    if version == PYPY:
        assert re.fullmatch(r"pp3\d+-pypy3\d+_pp\d+-linux_x86_64", wheel.tag), wheel.tag
        ext = extension_suffix(venv_python)
    else:
        # meson-python tags abi3 wheels with the building CPython; scikit-build-core with
        # wheel.py-api (cp38, the floor cffi-forge compiled for).
        want = r"cp38" if sample == "scikit-build-core-demo" else r"cp%s" % version.replace(".", "")
        assert re.fullmatch(want + r"-abi3-linux_x86_64", wheel.tag), wheel.tag
        ext = ".abi3.so"
    assert wheel.wheel_file()["Root-Is-Purelib"] == "false"
    names = {n for n in wheel.files if ".dist-info/" not in n}
    assert names == {pkg + "/__init__.py", pkg + "/_native" + ext, pkg + "/_native.pyi"}, names
    assert wheel.metadata()["Version"] == VERSIONS[sample]
    assert wheel.wheel_file()["Generator"].startswith(HOSTS[sample]), wheel.wheel_file()["Generator"]


@pytest.mark.parametrize("version", [OLDEST, NEWEST, PYPY])
@pytest.mark.parametrize("frontend", FRONTENDS)
@pytest.mark.parametrize("sample", SAMPLES_UNDER_TEST)
def test_generate_in_host_build(sample, frontend, version, scratch, venvs, pythons, forge_wheelhouse):
    work = scratch / "generate" / ("%s-%s-%s" % (sample, frontend, version))
    project = git_copy(sample, work / sample)
    build_with(frontend, version, project, work / "out", venvs, pythons, forge_wheelhouse)
    wheel = Wheel(single(work / "out", "*.whl"))
    venv = venvs.get(version, name="generate-run-%s-%s" % (frontend, version), with_pytest=False)
    check_wheel(wheel, sample, version, venv.python)
    venv.pip("install", wheel.path, env=clean_env())
    out = run([venv.python, "-c", CALLS[sample]], cwd=work)
    assert out.text.strip() == "ok"


def test_meson_build_stops_with_cffi_forge_error(scratch, venvs, forge_wheelhouse):
    """A build script naming a missing C file: meson's error() shows cffi-forge's message."""
    work = scratch / "generate" / "meson-error"
    project = copy_project(PLUGINS / "meson-python-demo", work / "meson-python-demo")
    script = project / "mesondemo_build.py"
    script.write_text(script.read_text().replace('"csrc/mesondemo.c"', '"csrc/missing.c"'))
    venv = venvs.get(STABLE, name="generate-error", with_pytest=False)
    out = venv.pip("wheel", "--no-deps", "-w", work / "out", project,
                   env=clean_env(PIP_FIND_LINKS=forge_wheelhouse), cwd=work, check=False)
    assert out.returncode != 0
    assert "cffi-forge generate failed" in out.text, out.text
    assert "csrc/missing.c" in out.text and "mesondemo_build.py" in out.text, out.text
    assert not list((work / "out").glob("*.whl"))


def test_cmake_build_stops_with_cffi_forge_error(scratch, venvs, forge_wheelhouse):
    """A pyproject.toml source that does not exist: CMake's FATAL_ERROR shows cffi-forge's
    message, which names the file and line of the key."""
    work = scratch / "generate" / "cmake-error"
    project = copy_project(PLUGINS / "scikit-build-core-demo", work / "scikit-build-core-demo")
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text().replace('sources = ["csrc/skbdemo.c"]', 'sources = ["csrc/missing.c"]')
    pyproject.write_text(text)
    line = text[: text.index("csrc/missing.c")].count("\n") + 1
    venv = venvs.get(STABLE, name="generate-error", with_pytest=False)
    out = venv.pip("wheel", "--no-deps", "-w", work / "out", project,
                   env=clean_env(PIP_FIND_LINKS=forge_wheelhouse), cwd=work, check=False)
    assert out.returncode != 0
    assert "cffi-forge generate failed" in out.text, out.text
    assert "csrc/missing.c" in out.text and ("pyproject.toml:%d:" % line) in out.text, out.text
    assert not list((work / "out").glob("*.whl"))


@pytest.mark.parametrize("sample,build_file", [("meson-python-demo", "meson.build"),
                                               ("scikit-build-core-demo", "CMakeLists.txt")])
def test_build_files_repeat_no_set_source_keyword(sample, build_file):
    """What the module needs (its C files, include dir, macro, libraries) is declared once,
    for cffi-forge; the build file names none of it, and the module builds (above)."""
    text = (PLUGINS / sample / build_file).read_text()
    code = "\n".join(line.split("#")[0] for line in text.splitlines())
    for declared in ("csrc", ".c'", '.c"', "MD_SCALE", "-lm", "zlib", "_native", "abi3", "include_directories("):
        assert declared not in code, "%s repeats %r" % (build_file, declared)
    assert "generate" in code and ("subdir('_cffi_forge')" in code or "cffi-forge.cmake" in code)
