"""cffi-forge inside other build backends (docs/plugins.md): the hatchling build hook
(sample-projects/plugins/hatch-demo) and the pdm-backend hook (plugins/pdm-demo), each
built by pip, `python -m build` and uv on the oldest and newest CPython of the matrix and
on PyPy, installed into a fresh venv, imported and called. The hatch sample also with
`hatch build` and an editable install.

The samples' metadata stays the host's: hatch-demo's version comes from a git tag
(hatch-vcs), so every test builds a copy made into a git repository tagged v1.4.2."""

import re
import shutil
import sys
from pathlib import Path

import pytest

from .support import SAMPLES, Venv, clean_env, copy_project, run
from .wheelcheck import Wheel

PLUGINS = SAMPLES / "plugins"
# The oldest and newest CPython of the matrix (tests/py/e2e/interpreters.py) and PyPy;
# the single-interpreter tests use the newest CPython release with every wheel on PyPI.
OLDEST, NEWEST, PYPY = "3.8", "3.15", "pypy3"
STABLE = "3.13"
FRONTENDS = ["pip", "build", "uv"]
# What each sample's wheel holds besides its .dist-info, `{ext}` the compiled suffix.
FILES = {
    "hatch-demo": {"hatchdemo/__init__.py", "hatchdemo/_native{ext}", "hatchdemo/_native.pyi"},
    "pdm-demo": {"pdmdemo/__init__.py", "pdmdemo/_native{ext}", "pdmdemo/_native.pyi"},
}
VERSIONS = {"hatch-demo": "1.4.2", "pdm-demo": "0.3.0"}
PACKAGES = {"hatch-demo": "hatchdemo", "pdm-demo": "pdmdemo"}
CALL = "import {pkg}; assert {pkg}.gcd(84, 36) == 12; assert {pkg}.total([5, -2, 40]) == 43; print('ok')"


def single(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, "expected one %s in %s, found %s" % (pattern, folder, found)
    return found[0]


def tagged_copy(sample: str, dest: Path) -> Path:
    """A copy of the sample in a fresh git repository whose HEAD is tagged v<version>."""
    project = copy_project(PLUGINS / sample, dest)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "init.defaultBranch=main"]
    run(git + ["init", "-q"], cwd=project)
    run(git + ["add", "-A"], cwd=project)
    run(git + ["commit", "-q", "-m", "sample"], cwd=project)
    run(git + ["tag", "v" + VERSIONS[sample]], cwd=project)
    return project


def check_wheel(wheel: Wheel, sample: str, version: str):
    """The tag cffi-forge decides for `version` and exactly the expected files."""
    if version == PYPY:
        assert re.fullmatch(r"pp3\d+-pypy3\d+_pp\d+-manylinux[\w.]+", wheel.tag), wheel.tag
        ext_re = r"\.pypy3\d+-pp\d+-x86_64-linux-gnu\.so"
    else:
        # abi3 with the floor of requires-python (>=3.8), whatever CPython built it.
        assert re.fullmatch(r"cp38-abi3-manylinux[\w.]+", wheel.tag), wheel.tag
        ext_re = r"\.abi3\.so"
    assert wheel.wheel_file()["Root-Is-Purelib"] == "false"
    names = {n for n in wheel.files if ".dist-info/" not in n}
    want = FILES[sample]
    compiled = [n for n in names if "_native." in n and not n.endswith(".pyi")]
    assert len(compiled) == 1 and re.fullmatch(r"\w+/_native" + ext_re, compiled[0]), names
    assert names == {w.replace("{ext}", compiled[0][len(compiled[0].split(".")[0]):]) for w in want}, names
    assert wheel.metadata()["Version"] == VERSIONS[sample]


def install_and_call(venvs, version: str, wheel: Path, sample: str, work: Path, name: str):
    venv = venvs.get(version, name=name, with_pytest=False)
    venv.pip("install", wheel, env=clean_env())
    out = run([venv.python, "-c", CALL.format(pkg=PACKAGES[sample])], cwd=work)
    assert out.text.strip() == "ok"


def build_with(frontend: str, version: str, project: Path, out: Path, venvs, pythons, wheelhouse) -> Wheel:
    env = clean_env(PIP_FIND_LINKS=wheelhouse)
    if frontend == "pip":
        venv = venvs.get(version, name="plugins-pip-" + version, with_pytest=False)
        venv.pip("wheel", "--no-deps", "-w", out, project, env=env, cwd=out.parent)
    elif frontend == "build":
        venv = venvs.get(version, name="plugins-build-" + version, with_pytest=False)
        if not (venv.bin / "pyproject-build").exists():
            venv.pip("install", "build", env=clean_env())
        # The sdist first, then the wheel from it: the sdist must keep the build inputs.
        run([venv.python, "-m", "build", "-o", out, project], env=env, cwd=out.parent)
        single(out, "*.tar.gz").unlink()
    else:
        uv = Path(sys.executable).parent / "uv"
        assert uv.exists(), "uv is not installed in the tools venv %s" % uv.parent
        # Every local build is cffi-forge 0.1.0: make uv look at the wheel again.
        run([uv, "build", "--wheel", "--refresh-package", "cffi-forge", "--python", pythons.path(version),
             "--find-links", wheelhouse, "--build-constraint", env["PIP_CONSTRAINT"],
             "-o", out, project], cwd=out.parent, env=clean_env())
    return Wheel(single(out, "*.whl"))


@pytest.mark.parametrize("version", [OLDEST, NEWEST, PYPY])
@pytest.mark.parametrize("frontend", FRONTENDS)
@pytest.mark.parametrize("sample", ["hatch-demo", "pdm-demo"])
def test_plugin_hook(sample, frontend, version, scratch, venvs, pythons, forge_wheelhouse):
    work = scratch / "plugins" / ("%s-%s-%s" % (sample, frontend, version))
    project = tagged_copy(sample, work / sample)
    wheel = build_with(frontend, version, project, work / "out", venvs, pythons, forge_wheelhouse)
    check_wheel(wheel, sample, version)
    host = {"hatch-demo": "hatchling", "pdm-demo": "pdm-backend"}[sample]
    assert wheel.wheel_file()["Generator"].startswith(host), "%s must write the wheel" % host
    install_and_call(venvs, version, wheel.path, sample, work, "plugins-run-%s-%s" % (frontend, version))


def test_hatch_build_and_sdist(scratch, venvs, forge_wheelhouse):
    """`hatch build` (hatch from PyPI) writes the sdist with the C sources and a wheel."""
    work = scratch / "plugins" / "hatch-build"
    project = tagged_copy("hatch-demo", work / "hatch-demo")
    hatch = Path(sys.executable).parent / "hatch"
    assert hatch.exists(), "hatch is not installed in the tools venv %s" % hatch.parent
    env = clean_env(PIP_FIND_LINKS=forge_wheelhouse, HATCH_DATA_DIR=work / "hatch-data",
                    HATCH_CACHE_DIR=work / "hatch-cache", UV_FIND_LINKS=forge_wheelhouse)
    run([hatch, "build", work / "dist"], cwd=project, env=env)
    sdist = single(work / "dist", "hatchdemo-1.4.2.tar.gz")
    import tarfile

    with tarfile.open(sdist) as tar:
        names = set(tar.getnames())
    for member in ("pyproject.toml", "csrc/hatchdemo.c", "csrc/hatchdemo.h", "hatchdemo/__init__.py"):
        assert "hatchdemo-1.4.2/" + member in names, sorted(names)
    wheel = Wheel(single(work / "dist", "*.whl"))
    check_wheel(wheel, "hatch-demo", "3.11")
    install_and_call(venvs, "3.11", wheel.path, "hatch-demo", work, "plugins-hatch-build")


def test_hatch_editable_install_sees_python_changes(scratch, venvs, forge_wheelhouse):
    work = scratch / "plugins" / "hatch-editable"
    project = tagged_copy("hatch-demo", work / "hatch-demo")
    venv = venvs.get(STABLE, name="plugins-editable", with_pytest=False)
    venv.pip("install", "-e", project, env=clean_env(PIP_FIND_LINKS=forge_wheelhouse), cwd=work)
    out = run([venv.python, "-c", CALL.format(pkg="hatchdemo")], cwd=work)
    assert out.text.strip() == "ok"
    where = run([venv.python, "-c", "import hatchdemo; print(hatchdemo.__file__)"], cwd=work).text.strip()
    assert Path(where).resolve() == (project / "hatchdemo" / "__init__.py").resolve(), where
    with open(project / "hatchdemo" / "__init__.py", "a") as f:
        f.write("\nEDITED_LIVE = 42\n")
    out = run([venv.python, "-c", "import hatchdemo; print(hatchdemo.EDITED_LIVE, hatchdemo.gcd(9, 6))"], cwd=work)
    assert out.text.split() == ["42", "3"]


def test_hatch_hook_options_and_abi_mode(scratch, venvs, forge_wheelhouse):
    """The hook table's keys are merged over [tool.cffi-forge]: here a declarative module
    turned into ABI mode (no `source`), which makes a pure py3-none-any wheel."""
    work = scratch / "plugins" / "hatch-abi"
    project = tagged_copy("hatch-demo", work / "hatch-demo")
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    # ABI mode: the ffi opens libc for `abs`; the package's C helpers are gone.
    start = text.index("[[tool.cffi-forge.module]]")
    text = text[:start] + (
        '[[tool.cffi-forge.module]]\nname = "hatchdemo._native"\ncdef = "int abs(int);"\n'
    )
    text = text.replace("[tool.hatch.build.targets.wheel.hooks.cffi-forge]",
                        "[tool.hatch.build.targets.wheel.hooks.cffi-forge]\nverbose = true\nstubs = false")
    pyproject.write_text(text)
    (project / "hatchdemo" / "__init__.py").write_text(
        "from ._native import ffi\nlib = ffi.dlopen(None)\n\ndef absolute(x):\n    return lib.abs(x)\n"
    )
    run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qam", "abi"], cwd=project)
    run(["git", "tag", "-f", "v1.4.2"], cwd=project)
    venv = venvs.get(STABLE, name="plugins-abi", with_pytest=False)
    out = venv.pip("wheel", "--no-deps", "-w", work / "out", project,
                   env=clean_env(PIP_FIND_LINKS=forge_wheelhouse), cwd=work)
    wheel = Wheel(single(work / "out", "*.whl"))
    assert wheel.tag == "py3-none-any", wheel.tag
    assert wheel.wheel_file()["Root-Is-Purelib"] == "true"
    names = {n for n in wheel.files if ".dist-info/" not in n}
    # `stubs = false` from the hook table: no generated .pyi.
    assert names == {"hatchdemo/__init__.py", "hatchdemo/_native.py"}, names
    venv.pip("install", wheel.path, env=clean_env())
    out = run([venv.python, "-c", "import hatchdemo; print(hatchdemo.absolute(-7))"], cwd=work)
    assert out.text.strip() == "7"


def test_hatch_hook_reports_config_errors_at_their_line(scratch, venvs, forge_wheelhouse):
    """[project] is the host's, but an error in [tool.cffi-forge] still names its line."""
    work = scratch / "plugins" / "hatch-error"
    project = tagged_copy("hatch-demo", work / "hatch-demo")
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text().replace('sources = ["csrc/hatchdemo.c"]', 'sources = ["csrc/missing.c"]')
    pyproject.write_text(text)
    line = text[: text.index("csrc/missing.c")].count("\n") + 1
    venv = venvs.get(STABLE, name="plugins-error", with_pytest=False)
    out = venv.pip("wheel", "--no-deps", "-w", work / "out", project,
                   env=clean_env(PIP_FIND_LINKS=forge_wheelhouse), cwd=work, check=False)
    assert out.returncode != 0
    assert "csrc/missing.c" in out.text and ("pyproject.toml:%d:" % line) in out.text, out.text
    assert not (work / "out").exists() or not list((work / "out").glob("*.whl"))


def test_pdm_editable_install_sees_python_changes(scratch, venvs, forge_wheelhouse):
    work = scratch / "plugins" / "pdm-editable"
    project = tagged_copy("pdm-demo", work / "pdm-demo")
    venv = venvs.get(STABLE, name="plugins-pdm-editable", with_pytest=False)
    venv.pip("install", "-e", project, env=clean_env(PIP_FIND_LINKS=forge_wheelhouse), cwd=work)
    init = project / "src" / "pdmdemo" / "__init__.py"
    where = run([venv.python, "-c", "import pdmdemo; print(pdmdemo.__file__)"], cwd=work).text.strip()
    assert Path(where).resolve() == init.resolve(), where
    with open(init, "a") as f:
        f.write("\nEDITED_LIVE = 42\n")
    out = run([venv.python, "-c", "import pdmdemo; print(pdmdemo.EDITED_LIVE, pdmdemo.gcd(9, 6))"], cwd=work)
    assert out.text.split() == ["42", "3"]


def test_pdm_hook_is_off_without_a_tool_table(scratch, venvs, forge_wheelhouse):
    """Installed for every pdm-backend build in the environment, the hook leaves projects
    without [tool.cffi-forge] alone: a pure wheel, nothing compiled."""
    work = scratch / "plugins" / "pdm-off"
    project = tagged_copy("pdm-demo", work / "pdm-demo")
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(text[: text.index("[[tool.cffi-forge.module]]")])
    venv = venvs.get(STABLE, name="plugins-pdm-off", with_pytest=False)
    venv.pip("wheel", "--no-deps", "-w", work / "out", project,
             env=clean_env(PIP_FIND_LINKS=forge_wheelhouse), cwd=work)
    wheel = Wheel(single(work / "out", "*.whl"))
    assert wheel.tag == "py3-none-any", wheel.tag
    assert not [n for n in wheel.files if n.endswith(".so")], sorted(wheel.files)
