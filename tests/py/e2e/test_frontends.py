"""The other ways users build and install: `python -m build` (sdist, then a wheel from
it), `uv build`, `pip install` from a source tree, `pip install -e` (PEP 660); plus the abi3
floor from requires-python and reproducible wheels."""

import re
import shutil
import sys
import tarfile
from pathlib import Path

from .support import (
    SAMPLES,
    check_imports_from_venv,
    clean_env,
    copy_project,
    load_samples,
    run,
    run_sample_tests,
)
from .wheelcheck import Wheel

EXPECT = load_samples()


def single(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, "expected one %s in %s, found %s" % (pattern, folder, found)
    return found[0]


def test_python_m_build_sdist_then_wheel(scratch, venvs, forge_wheelhouse):
    work = scratch / "frontend-build"
    project = copy_project(SAMPLES / "textkit", work / "textkit")
    env = clean_env(PIP_FIND_LINKS=forge_wheelhouse)

    run([sys.executable, "-m", "build", "-o", work / "dist", project], cwd=work, env=env)
    sdist = single(work / "dist", "*.tar.gz")
    assert sdist.name == "textkit-0.9.0.tar.gz"
    with tarfile.open(sdist) as tar:
        names = set(tar.getnames())
        pkg_info = tar.extractfile("textkit-0.9.0/PKG-INFO").read().decode()
    for member in [
        "PKG-INFO", "pyproject.toml", "README.md", "src/textkit/__init__.py",
        "src/textkit/cli.py", "src/textkit/counting.py", "src/textkit/rle.py",
        "src/textkit/rle.h", "src/textkit/_count_build.py", "src/textkit/_rle_build.py",
    ]:
        assert "textkit-0.9.0/" + member in names, "%s missing from the sdist: %s" % (member, sorted(names))
    assert all(n == "textkit-0.9.0" or n.startswith("textkit-0.9.0/") for n in names)
    assert re.search(r"^Name: textkit$", pkg_info, re.M)
    assert re.search(r"^Version: 0\.9\.0$", pkg_info, re.M)

    from_sdist = single(work / "dist", "*.whl")
    run([sys.executable, "-m", "build", "--wheel", "-o", work / "direct", project], cwd=work, env=env)
    from_tree = single(work / "direct", "*.whl")
    assert from_sdist.name == from_tree.name
    assert from_sdist.read_bytes() == from_tree.read_bytes(), (
        "the wheel built from the sdist differs from the one built from the tree"
    )

    venv = venvs.get("3.11", name="build-frontend")
    venv.pip("install", from_sdist)
    check_imports_from_venv(venv, EXPECT["textkit"]["imports"], work)
    run_sample_tests(venv, "textkit", work / "run")


def test_uv_build(scratch, venvs, pythons, forge_wheelhouse):
    work = scratch / "frontend-uv"
    project = copy_project(SAMPLES / "statkit", work / "statkit")
    uv = Path(sys.executable).parent / "uv"
    assert uv.exists(), "uv is not installed in the tools venv %s" % Path(sys.executable).parent
    # Every local build is cffi-forge 0.1.0: make uv look at the wheel again, not its cache.
    run([uv, "build", "--refresh-package", "cffi-forge", "--python", pythons.path("3.12"),
         "--find-links", forge_wheelhouse,
         "-o", work / "dist", project], cwd=work)
    single(work / "dist", "statkit-0.1.0.tar.gz")
    wheel = Wheel(single(work / "dist", "*.whl"))
    assert re.fullmatch(r"cp38-abi3-\w+", wheel.tag), wheel.tag
    wheel.check_record()

    venv = venvs.get("3.12", name="uv-frontend")
    venv.pip("install", wheel.path)
    check_imports_from_venv(venv, EXPECT["statkit"]["imports"], work)
    run_sample_tests(venv, "statkit", work / "run")


def test_pip_install_from_source_tree(scratch, venvs, forge_wheelhouse):
    work = scratch / "frontend-pip-install"
    project = copy_project(SAMPLES / "zcheck", work / "zcheck")
    venv = venvs.get("3.13", name="pip-install")
    venv.pip("install", "--find-links", forge_wheelhouse, project, cwd=work)
    check_imports_from_venv(venv, EXPECT["zcheck"]["imports"], work)
    run_sample_tests(venv, "zcheck", work / "run")


def test_editable_install(scratch, venvs, forge_wheelhouse):
    work = scratch / "frontend-editable"
    project = copy_project(SAMPLES / "textkit", work / "textkit")
    venv = venvs.get("3.12", name="editable")
    venv.pip("install", "--find-links", forge_wheelhouse, "-e", project, cwd=work)
    run_sample_tests(venv, "textkit", work / "run")

    where = "import textkit, textkit._count as c; print(textkit.__file__); print(c.__file__)"
    package, compiled = run([venv.python, "-c", where], cwd=work).text.split()
    assert Path(package).resolve() == (project / "src" / "textkit" / "__init__.py").resolve(), (
        "an editable install must import pure Python from the project tree, got %s" % package
    )
    assert Path(compiled).name.startswith("_count.") and Path(compiled).exists()

    # Edits to pure-Python sources show without reinstalling.
    with open(project / "src" / "textkit" / "counting.py", "a") as f:
        f.write("\nEDITED_LIVE = 42\n")
    out = run([venv.python, "-c", "import textkit.counting as c; print(c.EDITED_LIVE)"], cwd=work)
    assert out.text.strip() == "42"


def test_abi3_floor_follows_requires_python(scratch, venvs, forge_wheelhouse):
    work = scratch / "abi3-floor"
    project = copy_project(SAMPLES / "fasthash", work / "fasthash")
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    assert 'requires-python = ">=3.8"' in text
    pyproject.write_text(text.replace('requires-python = ">=3.8"', 'requires-python = ">=3.10"'))

    venv = venvs.get("3.11", name="abi3-floor", with_pytest=False)
    venv.pip("wheel", "--no-deps", "--find-links", forge_wheelhouse, "-w", work / "out", project, cwd=work)
    wheel = Wheel(single(work / "out", "*.whl"))
    assert wheel.python_tag == "cp310" and wheel.abi_tag == "abi3", wheel.tag
    venv.pip("install", wheel.path)
    out = run([venv.python, "-c", "import fasthash; print(hex(fasthash.fnv1a_32(b'a')))"], cwd=work)
    assert out.text.strip() == "0xe40c292c"


def test_rebuilding_elsewhere_gives_a_byte_identical_wheel(scratch, sample_builds, venvs, forge_wheelhouse):
    first = sample_builds.wheel("fasthash", "3.8")
    work = scratch / "rebuild" / "a-different-path"
    project = copy_project(SAMPLES / "fasthash", work / "fasthash")
    venvs.get("3.8").pip("wheel", "--no-deps", "--find-links", forge_wheelhouse, "-w", work / "out", project, cwd=work)
    second = single(work / "out", "*.whl")
    assert first.name == second.name
    assert first.read_bytes() == second.read_bytes(), "two builds of the same sources differ"
