"""The generated C of every sample, compiled with `-Werror` against CPython 3.15's real
headers (Debian sid's 3.15.2, provisioned by `tests/provision/python-sid.sh`), uses only
the stable ABI it claims:

- `abi3`: built by the real 3.15 with the samples' 3.8 floor (`Py_LIMITED_API=0x03080000`);
- `abi3t`: built for a free-threaded 3.15 (`Py_LIMITED_API` and `Py_TARGET_ABI3T` set to
  3.15). No free-threaded 3.15 can be had here, so a stand-in interpreter answers
  cffi-forge's facts query with `tests/data/interpreter-facts/cpython-3.15t.json` (pointing
  at the real 3.15 headers) and runs everything else, the build scripts, on the real 3.15.
  `Py_TARGET_ABI3T` makes those headers take the abi3t layout (opaque `PyObject`, and
  `Py_GIL_DISABLED` defined), so this is the compile a 3.15t build does.

- `full`: `py-limited-api = false` on the real 3.15 (`_CFFI_NO_LIMITED_API`), the full C
  API of the version-specific build, which must compile without warnings too (cffi 2.1.1
  had to stop using CPython internals for 3.15; the generated C uses none).

For abi3 and abi3t, every undefined symbol a module takes from Python must be a function or data item of the
stable ABI added no later than the floor. The list is CPython's `Misc/stable_abi.toml`, as
abi3info (the data package abi3audit, and so cibuildwheel, checks wheels with) carries it.
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .support import SAMPLES, copy_project, forge_bin, run
from .test_samples import EXPECT, NAMES

REPO = Path(__file__).resolve().parents[3]
FACTS = REPO / "tests" / "data" / "interpreter-facts"
COMPILED = [s for s in NAMES if EXPECT[s]["wheel"] == "abi3"]




def stable_abi():
    """{symbol name: (3, added minor)} of every function and data item of the stable ABI."""
    abi3info = pytest.importorskip("abi3info", reason="abi3info comes with abi3audit (tools venv)")
    out = {}
    for table in (abi3info.FUNCTIONS, abi3info.DATAS):
        for symbol, item in table.items():
            out[symbol.name] = (item.added.major, item.added.minor)
    return out


def sid_315(pythons) -> Path:
    """The real 3.15's venv python; its headers are in the provisioned tree next to it."""
    return Path(pythons.path("3.15"))


def headers_of(python: Path) -> str:
    out = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['include'])"])
    return out.text.strip()


def free_threaded_stand_in(real: Path, workdir: Path) -> Path:
    facts = json.loads((FACTS / "cpython-3.15t.json").read_text())
    facts["include"] = facts["platinclude"] = headers_of(real)
    facts_file = workdir / "facts-3.15t.json"
    facts_file.write_text(json.dumps(facts))
    script = workdir / "python3.15t"
    script.write_text(
        "#!/bin/sh\n"
        "# cffi-forge's facts query gets the 3.15t facts; anything else runs on the real 3.15.\n"
        'if [ "$1" = -I ] && [ "$2" = -c ]; then\n'
        '  case "$3" in *"def facts("*) exec cat \'%s\' ;; esac\n'
        "fi\n"
        "exec '%s' \"$@\"\n" % (facts_file, real)
    )
    script.chmod(0o755)
    return script


def set_tool_option(pyproject: Path, setting: str):
    """Add `setting` to the `[tool.cffi-forge]` table (made if absent)."""
    lines = pyproject.read_text(encoding="utf-8").splitlines()
    if "[tool.cffi-forge]" in lines:
        lines.insert(lines.index("[tool.cffi-forge]") + 1, setting)
    else:
        lines += ["", "[tool.cffi-forge]", setting]
    pyproject.write_text("\n".join(lines) + "\n", encoding="utf-8")


def python_symbols(module: Path):
    out = subprocess.run(["nm", "-D", "--undefined-only", str(module)], stdout=subprocess.PIPE, check=True)
    names = [line.split()[-1] for line in out.stdout.decode().splitlines() if line.strip()]
    return sorted(n for n in names if n.startswith(("Py", "_Py")))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="nm and sid's headers: Linux only")
@pytest.mark.parametrize("abi", ["abi3", "abi3t", "full"])
@pytest.mark.parametrize("sample", COMPILED)
def test_generated_c_uses_only_the_stable_abi(sample, abi, pythons, scratch):
    symbols = stable_abi()
    real = sid_315(pythons)
    work = scratch / "stable-abi" / ("%s-%s" % (sample, abi))
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    project = copy_project(SAMPLES / sample, work / "src")
    python = free_threaded_stand_in(real, work) if abi == "abi3t" else real
    if abi == "full":
        set_tool_option(project / "pyproject.toml", "py-limited-api = false")
    # -Werror, except for the field-type checks of a cdef that differs from the real header
    # (zstream declares zlib's `char *msg` as `const char *`): a property of the sample's
    # cdef, not of the Python headers, reported as a warning by cffi's own C as well.
    cflags = "-Werror -Wno-error=incompatible-pointer-types"
    env = dict(os.environ, CFLAGS=cflags, NO_COLOR="1")
    env.pop("CFFI_FORGE_BUILD_DIR", None)
    run([forge_bin(), "build", "-i", python, project, "-o", work / "wheels"], env=env)
    (wheel,) = (work / "wheels").glob("*.whl")
    floor = (3, 15) if abi == "abi3t" else (3, 8)
    tag, suffix = {
        "abi3": ("cp38-abi3", ".abi3.so"),
        "abi3t": ("cp315-abi3.abi3t", ".abi3t.so"),
        "full": ("cp315-cp315", ".cpython-315-x86_64-linux-gnu.so"),
    }[abi]
    # The build audits the module: a manylinux tag (see test_manylinux.py).
    assert wheel.name.split("-", 2)[2].startswith(tag + "-manylinux_"), wheel.name

    unpacked = work / "unpacked"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(unpacked)
    for module in EXPECT[sample]["modules"]:
        path = unpacked / (module.replace(".", "/") + suffix)
        assert path.exists(), "%s missing from %s" % (path.name, wheel.name)
        used = python_symbols(path)
        assert used, "%s takes nothing from Python? %s" % (module, used)
        if abi == "full":
            continue
        outside = [s for s in used if s not in symbols]
        assert not outside, "%s (%s) uses symbols outside the stable ABI: %s" % (module, abi, outside)
        too_new = ["%s (3.%d)" % (s, symbols[s][1]) for s in used if symbols[s] > floor]
        assert not too_new, "%s (%s, floor 3.%d) uses newer stable-ABI symbols: %s" % (
            module, abi, floor[1], too_new)
