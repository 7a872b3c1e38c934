"""cibuildwheel's own logic against cffi-forge's tags, offline.

The configuration of docs/cibuildwheel.md goes into a sample project; cibuildwheel
(`--print-build-identifiers`) lists what it would build. For each identifier, in its order,
cibuildwheel's wheel-reuse helper (`find_compatible_wheel`) is asked whether a wheel built
earlier serves it; if not, the wheel cffi-forge would build there is named by
`cffi-forge inspect` on that interpreter (a real one for CPython with the GIL, a stand-in
with the recorded/derived facts for 3.14t and 3.15t), with `auditwheel repair`'s manylinux
platform tag. The outcome must be docs/cibuildwheel.md's table: one cp38-abi3 wheel reused
from cp39 to cp315, cp314-cp314t and cp315-abi3.abi3t built, PyPy built per version. A tag
change that would break reuse (or claim abi3 on a free-threaded 3.14) fails here.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import PurePath, Path

import pytest

from .support import SAMPLES, copy_project, forge_bin, run

cibuildwheel = pytest.importorskip(
    "cibuildwheel", reason="cibuildwheel is not in the tools venv (tests/py/requirements-tools.txt)")
from cibuildwheel.util.packaging import find_compatible_wheel  # noqa: E402

REPO = Path(__file__).resolve().parents[3]
FACTS = REPO / "tests" / "data" / "interpreter-facts"
DOC = REPO / "docs" / "cibuildwheel.md"
SAMPLE = "b64kit"  # declarative: `inspect` needs no build script, so no cffi on the target




def documented_config() -> str:
    blocks = re.findall(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    (config,) = [b for b in blocks if b.startswith("[tool.cibuildwheel]")]
    return config


def stand_in(facts_name: str, workdir: Path) -> Path:
    script = workdir / ("python-" + facts_name)
    script.write_text("#!/bin/sh\nexec cat '%s'\n" % (FACTS / (facts_name + ".json")))
    script.chmod(0o755)
    return script


def wheel_for(python: Path, project: Path) -> str:
    """The file name of the wheel cffi-forge builds on `python`, as auditwheel renames it."""
    out = run([forge_bin(), "inspect", "--json", "-i", python, project])
    name = json.loads(out.text)["wheel"]["file_name"]
    return name.replace("-linux_x86_64.whl", "-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the table is for Linux x86_64")
def test_cibuildwheel_builds_what_the_docs_say(pythons, scratch):
    work = scratch / "cibuildwheel"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    project = copy_project(SAMPLES / SAMPLE, work / "src")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8") + "\n" + documented_config(), encoding="utf-8")

    env = {k: v for k, v in os.environ.items() if not k.startswith("CIBW_")}
    out = subprocess.run(
        [sys.executable, "-m", "cibuildwheel", "--print-build-identifiers", "--platform", "linux",
         "--archs", "x86_64", str(project)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=str(work))
    assert out.returncode == 0, out.stdout.decode()
    identifiers = [i for i in out.stdout.decode().split() if i.endswith("-manylinux_x86_64")]
    pythons_listed = [i.split("-")[0] for i in identifiers]
    assert pythons_listed == [
        "cp39", "cp310", "cp311", "cp312", "cp313", "cp314", "cp314t", "cp315", "cp315t",
        "pp311", "pp312",
    ], pythons_listed

    built, outcome = [], {}
    for identifier in identifiers:
        reused = find_compatible_wheel(built, identifier)
        tag = identifier.split("-")[0]
        if reused is not None:
            outcome[tag] = "reused " + reused.name
            continue
        if tag.startswith("pp"):
            # PyPy: cffi-forge's tags are per PyPy version (checked on the real pypy3 by
            # test_samples); nothing built before may serve it, and nothing did.
            outcome[tag] = "built"
            continue
        minor = tag[3:].rstrip("t")
        if tag.endswith("t"):
            python = stand_in("cpython-3.%st" % minor, work)
        else:
            python = pythons.path("3." + minor)
        name = wheel_for(python, project)
        built.append(PurePath(name))
        outcome[tag] = "built " + name

    abi3 = "b64kit-1.1.0-cp38-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    expected = {"cp39": "built " + abi3}
    expected.update({"cp3%d" % m: "reused " + abi3 for m in range(10, 16)})
    expected["cp314t"] = "built b64kit-1.1.0-cp314-cp314t-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    expected["cp315t"] = "built b64kit-1.1.0-cp315-abi3.abi3t-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    expected["pp311"] = expected["pp312"] = "built"
    assert outcome == expected
