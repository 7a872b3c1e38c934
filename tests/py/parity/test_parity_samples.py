"""The parity samples (sample-projects/parity-samples/) build with `pip wheel` in an
isolated build (cffi-forge from the local wheelhouse, build requirements from PyPI),
give the wheel setuptools' setup.py would have given, install into fresh venvs and pass
their own tests.

- flatcrc: flat layout, `ext-package`, a top-level module beside a C folder, a script,
  package data, dynamic version from a file (and from the sdist), cffi only in an extra,
  a build script importing pkgconfig, packaging and a project helper, string arguments;
- vecmath: `module-options`, a static library, a limited-API plain extension, a
  Windows-only extension skipped by `when`, `py-limited-api = "cp39"`;
- mixext: a full-API C++ extension making the wheel version-specific, a Linux-only
  `module-options` table.
"""

import re
import tarfile

import pytest

from e2e.support import audited_platform, check_imports_from_venv, run
from e2e.wheelcheck import Wheel


def platform_tag(venv):
    """The platform part of the tags of wheels built by `venv`'s interpreter."""
    out = run([venv.python, "-c", "import sysconfig; print(sysconfig.get_platform())"])
    return re.sub(r"[-.]", "_", out.text.strip())


@pytest.fixture(scope="module")
def flatcrc(parity):
    """flatcrc built with the oldest CPython: (wheel, pip output)."""
    project = parity.project("flatcrc")
    return parity.pip_wheel("3.8", project, parity.root / "wheels" / "flatcrc")


@pytest.fixture(scope="module")
def vecmath(parity):
    project = parity.project("vecmath")
    return parity.pip_wheel("3.9", project, parity.root / "wheels" / "vecmath", verbose=True)


@pytest.fixture(scope="module")
def mixext(parity):
    project = parity.project("mixext")
    return parity.pip_wheel("3.12", project, parity.root / "wheels" / "mixext", verbose=True)


def test_flatcrc_wheel(flatcrc, parity):
    wheel = Wheel(flatcrc[0])
    platform = audited_platform(wheel.platform_tag, platform_tag(parity.venv("3.8", "build", packages=())))
    assert wheel.tag == "cp38-abi3-" + platform
    assert wheel.version == "2.1.0"  # dynamic, from the VERSION file
    wheel.check_layout()
    wheel.check_record()
    # Exactly these: not crcpkg/stray.c, ffibuild.py, _buildhelpers.py, crcutil/crc.c or
    # the tests, which the sdist carries.
    wheel.check_files([
        "crcpkg/__init__.py",
        "crcpkg/_crc{ext}",  # ext-package
        "crcpkg/_crc.pyi",  # its typed stub
        "crcpkg/data/poly.txt",  # package data
        "crcutil.py",  # top-level single-file module beside the crcutil/ C folder
        "flatcrc-2.1.0.data/scripts/crc-sum",
        "{dist-info}/METADATA",
        "{dist-info}/RECORD",
        "{dist-info}/WHEEL",
    ], ".abi3.so")
    assert wheel.text("flatcrc-2.1.0.data/scripts/crc-sum").startswith("#!python\n")
    # add-cffi-dependency = false: cffi only through the extra.
    assert wheel.requires_dist() == ['cffi>=1.15; extra == "ffi"']


@pytest.mark.parametrize("python", ["3.8", "3.13"])
def test_flatcrc_passes_its_tests(flatcrc, parity, python):
    wheel = flatcrc[0]
    venv = parity.venv(python, "flatcrc")
    venv.pip("uninstall", "-y", "cffi", "flatcrc", check=False)
    venv.pip("install", "--force-reinstall", "--no-deps", wheel)
    # Without the extra there is no cffi runtime: the module cannot load.
    failed = run([venv.python, "-c", "import crcutil"], check=False)
    assert failed.returncode != 0 and "_cffi_backend" in failed.text, failed.text
    venv.pip("install", "%s[ffi]" % wheel)
    work = parity.root / "runs" / ("flatcrc-" + python)
    work.mkdir(parents=True, exist_ok=True)
    check_imports_from_venv(venv, ["crcpkg", "crcutil", "crcpkg._crc"], work)
    parity.run_tests(venv, "flatcrc", work)


def test_flatcrc_sdist_records_the_version_and_builds_the_same_wheel(flatcrc, parity):
    project = parity.project("flatcrc", name="flatcrc-sdist")
    sdist = parity.sdist("3.8", project, parity.root / "sdists")
    assert sdist.name == "flatcrc-2.1.0.tar.gz"
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
        pkg_info = tar.extractfile("flatcrc-2.1.0/PKG-INFO").read().decode()
    assert re.search(r"^Version: 2\.1\.0$", pkg_info, re.M), pkg_info
    for needed in ("ffibuild.py", "_buildhelpers.py", "crcutil/crc.c", "crcpkg/stray.c", "bin/crc-sum", "VERSION"):
        assert "flatcrc-2.1.0/" + needed in names, (needed, names)
    from_sdist, _ = parity.pip_wheel("3.8", sdist, parity.root / "wheels" / "flatcrc-from-sdist")
    assert from_sdist.name == flatcrc[0].name
    assert Wheel(from_sdist).files == Wheel(flatcrc[0]).files, "the wheel from the sdist differs"


def test_vecmath_wheel(vecmath, parity):
    path, output = vecmath
    wheel = Wheel(path)
    platform = audited_platform(wheel.platform_tag, platform_tag(parity.venv("3.9", "build", packages=())))
    # py-limited-api = "cp39": abi3 although requires-python says >=3.8, and the limited-API
    # extension keeps it so.
    assert wheel.tag == "cp39-abi3-" + platform
    wheel.check_layout()
    wheel.check_record()
    wheel.check_files([
        "vecmath/__init__.py",
        "vecmath/_speedups{ext}",
        "vecmath/_vec_build.py",
        "vecmath/_vec{ext}",
        "vecmath/_vec.pyi",
        "{dist-info}/METADATA",
        "{dist-info}/RECORD",
        "{dist-info}/WHEEL",
    ], ".abi3.so")
    assert 'floor 3.9 from `py-limited-api = "cp39"`' in output, output[-3000:]
    assert "Compiling library vmcore (static, for vecmath._vec, vecmath._speedups)" in output, output[-3000:]


@pytest.mark.parametrize("python", ["3.9", "3.13"])
def test_vecmath_passes_its_tests(vecmath, parity, python):
    venv = parity.venv(python, "vecmath")
    venv.pip("install", "--force-reinstall", vecmath[0])
    work = parity.root / "runs" / ("vecmath-" + python)
    work.mkdir(parents=True, exist_ok=True)
    check_imports_from_venv(venv, ["vecmath", "vecmath._vec", "vecmath._speedups"], work)
    parity.run_tests(venv, "vecmath", work)


def test_vecmath_does_not_install_below_its_floor(vecmath, parity):
    venv = parity.venv("3.8", "vecmath-floor", packages=())
    failed = venv.pip("install", "--no-deps", vecmath[0], check=False)
    assert failed.returncode != 0 and "is not a supported wheel" in failed.text, failed.text


def test_mixext_wheel_is_version_specific_and_says_why(mixext, parity):
    path, output = mixext
    wheel = Wheel(path)
    venv = parity.venv("3.12", "build", packages=())
    platform = audited_platform(wheel.platform_tag, platform_tag(venv))
    assert wheel.tag == "cp312-cp312-" + platform
    suffix = run([venv.python, "-c", "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))"]).text.strip()
    wheel.check_files([
        "mixext/__init__.py",
        "mixext/_clamp.abi3.so",
        "mixext/_clamp.pyi",
        "mixext/_clamp_build.py",
        "mixext/_native{ext}",
        "{dist-info}/METADATA",
        "{dist-info}/RECORD",
        "{dist-info}/WHEEL",
    ], suffix)
    assert "not abi3: extension `mixext._native` is not built for the limited API" in output, output[-3000:]


def test_mixext_passes_its_tests(mixext, parity):
    venv = parity.venv("3.12", "mixext")
    venv.pip("install", "--force-reinstall", mixext[0])
    work = parity.root / "runs" / "mixext-3.12"
    work.mkdir(parents=True, exist_ok=True)
    parity.run_tests(venv, "mixext", work)


@pytest.fixture(scope="module")
def declgeom(parity):
    project = parity.project("declgeom")
    return parity.pip_wheel("3.8", project, parity.root / "wheels" / "declgeom", verbose=True)


def test_declgeom_wheel_needs_no_cffi_to_build(declgeom, parity):
    path, output = declgeom
    wheel = Wheel(path)
    platform = audited_platform(wheel.platform_tag, platform_tag(parity.venv("3.8", "build", packages=())))
    assert wheel.tag == "cp38-abi3-" + platform
    assert wheel.version == "0.7.0"
    wheel.check_layout()
    wheel.check_record()
    wheel.check_files([
        "declgeom/__init__.py",
        "declgeom/_geom{ext}",
        "declgeom/_geom.pyi",
        "declgeom/_libm.py",  # ABI mode, when = Linux; no declgeom/_win*
        "declgeom/_libm.pyi",
        "{dist-info}/METADATA",
        "{dist-info}/RECORD",
        "{dist-info}/WHEEL",
    ], ".abi3.so")
    # No build script: the isolated build environment got no cffi.
    installed = re.findall(r"Successfully installed (.*)", output)
    assert installed and not any("cffi-" in line.replace("cffi-forge", "") for line in installed), installed


@pytest.mark.parametrize("python", ["3.8", "3.13"])
def test_declgeom_passes_its_tests(declgeom, parity, python):
    venv = parity.venv(python, "declgeom")
    venv.pip("install", "--force-reinstall", declgeom[0])
    work = parity.root / "runs" / ("declgeom-" + python)
    work.mkdir(parents=True, exist_ok=True)
    check_imports_from_venv(venv, ["declgeom", "declgeom._geom", "declgeom._libm"], work)
    parity.run_tests(venv, "declgeom", work)
