"""The README's "build the tool and use it" command, scripts/demo.sh, works (here reusing
the wheelhouse the suite built instead of building cffi-forge a second time), and so does
the README's recipe for using that wheel before cffi-forge is on PyPI: the wheel folder
handed to pip, python -m build and uv through PIP_FIND_LINKS / UV_FIND_LINKS."""

import shutil
import sys
import zipfile
from pathlib import Path

from .support import REPO, SAMPLES, clean_env, copy_project, run


def fnv1a_32(data):
    h = 0x811C9DC5
    for byte in data:
        h = ((h ^ byte) * 0x01000193) % (1 << 32)
    return h


def test_demo_script(scratch, forge_wheelhouse):
    env = clean_env(CFFI_FORGE_WHEELHOUSE=forge_wheelhouse, CFFI_FORGE_TEST_CACHE=scratch)
    out = run(["bash", REPO / "scripts" / "demo.sh"], env=env, timeout=900).text
    assert "fasthash.fnv1a_32(b'hello') = %#010x" % fnv1a_32(b"hello") in out, out
    assert "fasthash.fnv1a_32(b'cffi-forge') = %#010x" % fnv1a_32(b"cffi-forge") in out, out
    assert ".abi3.so" in out, out
    # It ends by saying where the wheel is and how to hand it to each frontend.
    assert "the cffi-forge wheel: %s/cffi_forge-" % forge_wheelhouse in out, out
    for recipe in ("pip wheel --find-links %s " % forge_wheelhouse,
                   "PIP_FIND_LINKS=%s python -m build " % forge_wheelhouse,
                   "UV_FIND_LINKS=%s uv build " % forge_wheelhouse):
        assert recipe in out, out


def _module_files(wheel):
    with zipfile.ZipFile(wheel) as z:
        return [n for n in z.namelist() if n.startswith("b64kit/_codec")]


def test_find_links_recipes_from_the_readme(scratch, forge_wheelhouse):
    """b64kit needs nothing but cffi-forge to build: with the index switched off, the
    wheel folder is the only place the frontend can get the backend from."""
    readme = (REPO / "README.md").read_text()
    for recipe in ('PIP_FIND_LINKS="$WHEELS" pip install .', 'PIP_FIND_LINKS="$WHEELS" python -m build .',
                   'UV_FIND_LINKS="$WHEELS" uv build'):
        assert recipe in readme, recipe
    work = scratch / "find-links"
    shutil.rmtree(work, ignore_errors=True)
    project = copy_project(SAMPLES / "b64kit", work / "b64kit")
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    builds = {
        "pip": ([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", work / "pip", project],
                dict(PIP_FIND_LINKS=forge_wheelhouse, PIP_NO_INDEX="1")),
        "build": ([sys.executable, "-m", "build", "--wheel", "-o", work / "build", project],
                  dict(PIP_FIND_LINKS=forge_wheelhouse, PIP_NO_INDEX="1")),
        "uv": ([uv, "build", "--wheel", "-o", work / "uv", project],
               dict(UV_FIND_LINKS=forge_wheelhouse, UV_NO_INDEX="1", UV_NO_CONFIG="1",
                    UV_CACHE_DIR=work / "uv-cache", UV_PYTHON=sys.executable)),
    }
    for frontend, (cmd, extra) in builds.items():
        run(cmd, cwd=project, env=clean_env(**extra))
        wheels = list((work / frontend).glob("b64kit-*.whl"))
        assert len(wheels) == 1, (frontend, wheels)
        assert any(n.endswith(".so") for n in _module_files(wheels[0])), (frontend, _module_files(wheels[0]))
