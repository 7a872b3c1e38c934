"""cffi-forge's own release wheels (scripts/release-wheels.sh, run by tests/run.sh's
"release wheels" step):

- x86_64 manylinux2014: `auditwheel show` agrees with the tag and the binary needs no glibc
  symbol newer than 2.17; installed into fresh venvs of the oldest and the newest CPython,
  it builds a sample through pip's isolated PEP 517 build (the folder of release wheels as
  the only index), and the sample's wheel installs and passes the sample's own tests;
- x86_64 musllinux_1_2: `auditwheel show` agrees; installed into a venv of a musl CPython
  (tests/provision/python-musl.sh), it builds the same sample, compiled by musl-gcc (found
  by cffi-forge itself: a musl interpreter on a glibc machine) and tagged musllinux, which
  installs and passes its tests there; its static binary also builds the sample for this
  machine's glibc Python;
- aarch64 manylinux2014: `auditwheel show` agrees, and the binary runs `--version` under
  qemu-aarch64.

The wheels are built by the script, not here (a release build of every target takes
minutes). Without them the tests skip, or fail when CFFI_FORGE_RELEASE_WHEELS is set (run.sh
sets it after building them) or under CI=true.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from . import interpreters
from .support import (CONSTRAINTS, REPO, SAMPLES, Venv, cache_dir, clean_env, copy_project,
                      load_samples, not_run, run, run_sample_tests)

WHEELS = Path(os.environ.get("CFFI_FORGE_RELEASE_WHEELS") or REPO / "target" / "release-wheels")
# run.sh built the release wheels and asks for these tests: what cannot run then fails.
ASKED = bool(os.environ.get("CFFI_FORGE_RELEASE_WHEELS"))
SAMPLE = "b64kit"  # declarative API mode with bundled C: builds with nothing but cffi-forge
# The oldest CPython we support and the newest the suite has.
OLDEST_NEWEST = [interpreters.CPYTHONS[0], interpreters.CPYTHONS[-1]]
MANYLINUX2014 = {"x86_64": "manylinux_2_17_x86_64", "aarch64": "manylinux_2_17_aarch64"}
GLIBC_FLOOR = (2, 17)

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.uname().machine != "x86_64",
    reason="the release wheels are checked on x86_64 Linux")




def release_wheel(platform_part: str) -> Path:
    wheels = sorted(WHEELS.glob("cffi_forge-*%s*.whl" % platform_part))
    if not wheels:
        not_run("no %s wheel in %s: run scripts/release-wheels.sh" % (platform_part, WHEELS), fail=ASKED)
    assert len(wheels) == 1, "more than one %s wheel in %s: %s" % (platform_part, WHEELS, wheels)
    return wheels[0]


def auditwheel_show(wheel: Path) -> dict:
    pytest.importorskip("auditwheel")
    out = run([sys.executable, "-m", "auditwheel", "show", "--json", wheel], env=clean_env())
    return json.loads(out.text[out.text.index("{"):])


def extract_binary(wheel: Path, dest: Path) -> Path:
    """The cffi-forge executable the wheel installs into the environment's bin/."""
    with zipfile.ZipFile(wheel) as z:
        (member,) = [n for n in z.namelist() if n.endswith(".data/scripts/cffi-forge")]
        z.extract(member, dest)
    binary = dest / member
    binary.chmod(0o755)
    return binary


def glibc_floor(binary: Path):
    """The highest GLIBC_x.y version the binary's symbol references need (None: none)."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.gnuversions import GNUVerNeedSection

    versions = []
    with open(binary, "rb") as f:
        for section in ELFFile(f).iter_sections():
            if isinstance(section, GNUVerNeedSection):
                for _needed, auxes in section.iter_versions():
                    for aux in auxes:
                        m = re.fullmatch(r"GLIBC_(\d+)\.(\d+)(?:\.\d+)?", aux.name)
                        if m:
                            versions.append((int(m.group(1)), int(m.group(2))))
    return max(versions) if versions else None


def forge_version() -> str:
    text = (REPO / "Cargo.toml").read_text()
    return re.search(r'^version = "([^"]+)"', text, re.M).group(1)


def installed_tags(venv: Venv) -> set:
    """The tags (WHEEL's `Tag:` lines) of the cffi-forge wheel pip chose for `venv`."""
    code = "import importlib.metadata as m; print(m.distribution('cffi-forge').read_text('WHEEL'))"
    wheel_file = run([venv.python, "-c", code], env=clean_env()).text
    return set(re.findall(r"^Tag: (\S+)$", wheel_file, re.M))


def needed_libraries(wheel: Path, dest: Path) -> list:
    """The DT_NEEDED entries of the wheel's compiled modules."""
    from elftools.elf.dynamic import DynamicSection
    from elftools.elf.elffile import ELFFile

    needed = []
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            if name.endswith(".so"):
                with open(z.extract(name, dest), "rb") as f:
                    for section in ELFFile(f).iter_sections():
                        if isinstance(section, DynamicSection):
                            needed += [t.needed for t in section.iter_tags() if t.entry.d_tag == "DT_NEEDED"]
    return needed


def build_and_test_sample(venv: Venv, work: Path, expected_platform: str, pip_env: dict):
    """cffi-forge from the release wheels builds the sample (isolated), whose wheel carries
    `expected_platform`, installs into `venv` and passes the sample's tests there."""
    project = copy_project(SAMPLES / SAMPLE, work / "src")
    out = work / "out"
    venv.pip("wheel", "--no-deps", "--no-index", "--find-links", WHEELS, "-w", out, project, env=pip_env)
    (built,) = out.glob("%s-*.whl" % SAMPLE)
    assert re.search(r"-abi3-%s\.whl$" % expected_platform, built.name), built.name
    if "musllinux" in built.name:
        # auditwheel judges musl wheels on a musl system only (here it resolves libc.so to
        # glibc's linker script). The module must need musl's libc, never glibc's.
        needed = needed_libraries(built, work / "unpacked")
        assert "libc.so.6" not in needed and any(n == "libc.so" or n.startswith("libc.musl-") for n in needed), needed
    else:
        verdict = auditwheel_show(built)["overall_tag"]
        assert verdict in built.name[:-len(".whl")].split("-")[-1].split("."), (built.name, verdict)
    venv.pip("install", "--find-links", out, SAMPLE, env=pip_env)
    run_sample_tests(venv, SAMPLE, work / "tests", expected=load_samples()[SAMPLE]["tests"])
    return built


# --- manylinux2014 x86_64 ---------------------------------------------------------------

def test_manylinux2014_x86_64_wheel_passes_auditwheel_with_a_glibc_2_17_floor(scratch):
    wheel = release_wheel("manylinux_2_17_x86_64")
    assert "manylinux2014_x86_64" in wheel.name, wheel.name
    assert auditwheel_show(wheel)["overall_tag"] == MANYLINUX2014["x86_64"]
    floor = glibc_floor(extract_binary(wheel, scratch / "release-wheels" / "x86_64"))
    print("glibc floor of the x86_64 manylinux2014 binary: GLIBC_%d.%d" % floor)
    assert floor is not None and floor <= GLIBC_FLOOR, floor


@pytest.mark.parametrize("version", OLDEST_NEWEST)
def test_manylinux2014_wheel_installs_and_builds_a_sample(version, venvs, scratch):
    wheel = release_wheel("manylinux_2_17_x86_64")
    venv = venvs.get(version, name="release-wheels-py" + version)
    venv.pip("install", "--no-index", "--find-links", WHEELS, "cffi-forge")
    assert installed_tags(venv) == {"py3-none-manylinux2014_x86_64", "py3-none-manylinux_2_17_x86_64"}, wheel.name
    out = run([venv.script("cffi-forge"), "--version"], env=clean_env())
    assert forge_version() in out.text, out.text
    build_and_test_sample(venv, scratch / "release-wheels" / ("manylinux-py" + version),
                          r"manylinux_2_\d+_x86_64(\.manylinux\w+_x86_64)*", clean_env())


# --- musllinux_1_2 x86_64 ---------------------------------------------------------------

def test_musllinux_wheel_passes_auditwheel():
    wheel = release_wheel("musllinux_1_2_x86_64")
    verdict = auditwheel_show(wheel)["overall_tag"]
    assert verdict.startswith("musllinux_1_") and verdict.endswith("_x86_64"), verdict


def test_musllinux_binary_builds_a_sample_on_glibc(scratch):
    """The static musl binary runs anywhere: here it builds for this glibc Python."""
    wheel = release_wheel("musllinux_1_2_x86_64")
    work = scratch / "release-wheels" / "musl-on-glibc"
    binary = extract_binary(wheel, work)
    project = copy_project(SAMPLES / SAMPLE, work / "src")
    run([binary, "build", project, "-i", sys.executable, "-o", work / "out"], env=clean_env())
    (built,) = (work / "out").glob("%s-*.whl" % SAMPLE)
    assert "-manylinux_" in built.name, built.name


@pytest.fixture(scope="module")
def musl_python() -> Path:
    """A musl CPython (built once into the test cache by tests/provision/python-musl.sh)."""
    proc = subprocess.run(
        ["bash", str(REPO / "tests" / "provision" / "python-musl.sh"), str(cache_dir())],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=3600)
    if proc.returncode != 0:
        not_run("tests/provision/python-musl.sh failed (exit %d):\n%s"
                % (proc.returncode, proc.stderr.decode("utf-8", "replace")[-3000:]), fail=ASKED)
    return Path(proc.stdout.decode().split()[-1])


@pytest.fixture(scope="module")
def musl_deps(musl_python) -> Path:
    """The sample's runtime and test dependencies as musllinux wheels: the musl Python has
    no ssl module, so the tools venv's pip downloads them (pinned) and the musl venv installs
    from this folder alone."""
    version = run([musl_python, "-c", "import sys; print('%d%d' % sys.version_info[:2])"]).text.strip()
    dest = cache_dir() / "release-wheels" / ("musl-deps-cp" + version)
    run([sys.executable, "-m", "pip", "download", "-q", "--only-binary", ":all:",
         "--platform", "musllinux_1_2_x86_64", "--implementation", "cp", "--python-version", version,
         "-c", CONSTRAINTS, "-d", dest, "cffi", "pytest"], env=clean_env(PIP_CONSTRAINT=""))
    return dest


def test_musllinux_wheel_installs_in_a_musl_python_and_builds_a_sample(musl_python, musl_deps, scratch):
    release_wheel("musllinux_1_2_x86_64")
    work = scratch / "release-wheels" / "musl"
    venv = Venv.create(musl_python, work / "venv")
    # Nothing from an index: pip cannot reach one without ssl, and must not need to.
    pip_env = clean_env(PIP_NO_INDEX="1", PIP_FIND_LINKS="%s %s" % (WHEELS, musl_deps))
    venv.pip("install", "cffi-forge", "pytest", env=pip_env)
    assert installed_tags(venv) == {"py3-none-musllinux_1_2_x86_64"}
    out = run([venv.script("cffi-forge"), "--version"], env=clean_env())
    assert forge_version() in out.text, out.text
    # No CC: cffi-forge sees a musl interpreter on a glibc machine and compiles with
    # musl-gcc (on a musl system, the native cc).
    build_and_test_sample(venv, work, r"musllinux_1_\d+_x86_64", pip_env)


# --- manylinux2014 aarch64 --------------------------------------------------------------

def test_aarch64_wheel_passes_auditwheel_and_runs_under_qemu(scratch):
    wheel = release_wheel("manylinux_2_17_aarch64")
    assert "manylinux2014_aarch64" in wheel.name, wheel.name
    assert auditwheel_show(wheel)["overall_tag"] == MANYLINUX2014["aarch64"]
    binary = extract_binary(wheel, scratch / "release-wheels" / "aarch64")
    floor = glibc_floor(binary)
    print("glibc floor of the aarch64 manylinux2014 binary: GLIBC_%d.%d" % floor)
    assert floor is not None and floor <= GLIBC_FLOOR, floor
    qemu = shutil.which("qemu-aarch64")
    sysroot = Path("/usr/aarch64-linux-gnu")
    if qemu is None or not (sysroot / "lib").is_dir():
        not_run("no qemu-aarch64 (Debian: qemu-user) or no aarch64 C library in %s "
                "(libc6-arm64-cross): the aarch64 binary was audited, not run" % sysroot, fail=ASKED)
    out = run([qemu, "-L", sysroot, binary, "--version"], env=clean_env())
    assert forge_version() in out.text, out.text
