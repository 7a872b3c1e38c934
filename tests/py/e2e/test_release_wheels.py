"""cffi-forge's own release wheels (scripts/release-wheels.sh): the x86_64 manylinux2014
wheel installs into a fresh venv and builds a sample through pip's isolated PEP 517 build,
auditwheel agrees with its tag, and the binary of the x86_64 musllinux wheel (static) builds
the same sample.

The wheels are built by the script, not here (a release build of every target takes long):
the tests skip when target/release-wheels (or CFFI_FORGE_RELEASE_WHEELS) holds none.
"""

import json
import os
import sys
import zipfile
from pathlib import Path

import pytest

from .support import SAMPLES, copy_project, run

REPO = Path(__file__).resolve().parents[3]
WHEELS = Path(os.environ.get("CFFI_FORGE_RELEASE_WHEELS") or REPO / "target" / "release-wheels")
SAMPLE = "b64kit"  # declarative: builds with nothing but cffi-forge

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.uname().machine != "x86_64",
    reason="the release wheels checked here are x86_64 Linux ones")


def release_wheel(platform_part: str) -> Path:
    wheels = sorted(WHEELS.glob("cffi_forge-*%s*.whl" % platform_part))
    if not wheels:
        pytest.skip("no %s wheel in %s: run scripts/release-wheels.sh" % (platform_part, WHEELS))
    return wheels[-1]


def env():
    e = {k: v for k, v in os.environ.items() if not k.startswith(("CFFI_FORGE_", "PIP_", "AUDITWHEEL_"))}
    e.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_CONFIG_FILE=os.devnull, NO_COLOR="1")
    return e


def test_manylinux2014_wheel_installs_and_builds_a_sample(scratch):
    wheel = release_wheel("manylinux_2_17_x86_64")
    assert "manylinux2014_x86_64" in wheel.name, wheel.name
    pytest.importorskip("auditwheel")
    out = run([sys.executable, "-m", "auditwheel", "show", "--json", wheel], env=env())
    verdict = json.loads(out.text[out.text.index("{"):])["overall_tag"]
    assert verdict in ("manylinux_2_5_x86_64", "manylinux_2_12_x86_64", "manylinux_2_17_x86_64"), verdict

    work = scratch / "release-wheels" / "manylinux"
    project = copy_project(SAMPLES / SAMPLE, work / "src")
    # pip's isolated build takes cffi-forge from the folder of release wheels, nothing else.
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index", "--find-links", WHEELS, "-w", work / "out",
         project], env=env())
    (built,) = (work / "out").glob("b64kit-*.whl")
    assert "-manylinux_" in built.name, built.name


def test_musllinux_binary_builds_a_sample(scratch):
    wheel = release_wheel("musllinux_1_2_x86_64")
    work = scratch / "release-wheels" / "musllinux"
    with zipfile.ZipFile(wheel) as z:
        (member,) = [n for n in z.namelist() if n.endswith("/scripts/cffi-forge")]
        z.extract(member, work)
    binary = work / member
    binary.chmod(0o755)
    project = copy_project(SAMPLES / SAMPLE, work / "src")
    run([binary, "build", project, "-i", sys.executable, "-o", work / "out"], env=env())
    (built,) = (work / "out").glob("b64kit-*.whl")
    assert "-manylinux_" in built.name, built.name
