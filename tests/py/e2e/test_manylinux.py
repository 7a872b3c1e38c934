"""The manylinux audit built into `cffi-forge build`, checked against auditwheel itself.

Every sample with compiled modules is built with the development binary on this machine;
the wheel's platform tag must be the one `auditwheel show` computes for it (its policy, and
the policy's aliases in the compressed tag set), with nothing left to repair. A module bound to a too-new glibc symbol version (`.symver`) gets the policy auditwheel gives
it. auditwheel comes from the tools venv (tests/py/requirements-tools.txt).
"""

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

from .support import SAMPLES, copy_project, forge_bin, load_samples, run, sample_dirs
from .wheelcheck import Wheel

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="manylinux is Linux only")
pytest.importorskip("auditwheel", reason="auditwheel is not in the tools venv (tests/py/requirements-tools.txt)")

REPO = Path(__file__).resolve().parents[3]
EXPECT = load_samples()
COMPILED = [s for s in sample_dirs() if EXPECT[s]["wheel"] != "any"]




def build(project: Path, out: Path, *extra) -> Path:
    """`cffi-forge build` with the tools Python (it has cffi for the build scripts)."""
    env = dict(os.environ, NO_COLOR="1")
    for name in ("CFFI_FORGE_BUILD_DIR", "AUDITWHEEL_PLAT"):
        env.pop(name, None)
    run([forge_bin(), "build", "-i", sys.executable, project, "-o", out] + list(extra), env=env)
    (wheel,) = out.glob("*.whl")
    return wheel


def auditwheel_show(wheel: Path) -> dict:
    out = run([sys.executable, "-m", "auditwheel", "show", "--json", wheel], env=dict(os.environ))
    return json.loads(out.text[out.text.index("{"):])


def expected_platform(overall_tag: str) -> str:
    """The compressed tag set of auditwheel's verdict: the policy and its aliases."""
    import auditwheel.policy as policy_module

    data_dir = Path(policy_module.__file__).parent
    for data in ("manylinux-policy.json", "musllinux-policy.json"):
        for policy in json.loads((data_dir / data).read_text()):
            name = policy["name"]
            if overall_tag.startswith(name + "_"):
                arch = overall_tag[len(name) + 1:]
                return ".".join("%s_%s" % (n, arch) for n in [name] + policy["aliases"])
    raise AssertionError("auditwheel's verdict %s is no known policy" % overall_tag)


@pytest.mark.parametrize("sample", COMPILED)
def test_sample_wheel_carries_the_tag_auditwheel_show_agrees_with(sample, scratch):
    work = scratch / "manylinux" / sample
    project = copy_project(SAMPLES / sample, work / "src")
    wheel = build(project, work / "out")
    report = auditwheel_show(wheel)
    assert report["overall_tag"].startswith("manylinux_"), report
    assert Wheel(wheel).platform_tag == expected_platform(report["overall_tag"]), (wheel.name, report)
    assert not report["external_libs"], "nothing to repair: %s" % report["external_libs"]


NEW_SYMBOL = textwrap.dedent("""\
    #include <Python.h>
    /* arc4random is GLIBC_2.36: bind the reference to that version explicitly. */
    __asm__(".symver forge_random, arc4random@GLIBC_2.36");
    unsigned int forge_random(void);
    static PyObject *f(PyObject *self, PyObject *unused) { return PyLong_FromLong(forge_random() >= 0); }
    static PyMethodDef methods[] = {{"f", f, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
    static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "_rand", NULL, -1, methods};
    PyMODINIT_FUNC PyInit__rand(void) { return PyModule_Create(&def); }
""")


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the expected tag is x86_64's")
def test_a_too_new_glibc_symbol_gets_the_policy_auditwheel_gives(scratch):
    work = scratch / "manylinux" / "new-symbol"
    project = work / "src"
    (project / "csrc").mkdir(parents=True, exist_ok=True)
    (project / "demo").mkdir(exist_ok=True)
    (project / "demo" / "__init__.py").write_text("")
    (project / "csrc" / "_rand.c").write_text(NEW_SYMBOL)
    (project / "pyproject.toml").write_text(textwrap.dedent("""\
        [build-system]
        requires = ["cffi-forge"]
        build-backend = "cffi_forge"
        [project]
        name = "demo"
        version = "1.0"
        [[tool.cffi-forge.extension]]
        name = "demo._rand"
        sources = ["csrc/_rand.c"]
    """))
    wheel = build(project, work / "out")
    report = auditwheel_show(wheel)
    assert report["overall_tag"] == "manylinux_2_36_x86_64", report
    assert Wheel(wheel).platform_tag == "manylinux_2_36_x86_64"


SODIUM = "/usr/lib/x86_64-linux-gnu/libsodium.so.23"


@pytest.mark.skipif(not Path(SODIUM).exists(), reason="libsodium-dev is not installed")
def test_repaired_wheel_passes_auditwheel_and_imports_without_the_system_library(scratch):
    work = scratch / "manylinux" / "sodium"
    project = work / "src"
    (project / "sod").mkdir(parents=True, exist_ok=True)
    (project / "sod" / "__init__.py").write_text("")
    (project / "sod" / "_sod_build.py").write_text(textwrap.dedent("""\
        from cffi import FFI
        ffibuilder = FFI()
        ffibuilder.cdef("int sodium_init(void); const char *sodium_version_string(void);")
        ffibuilder.set_source_pkgconfig("sod._sod", ["libsodium"], "#include <sodium.h>")
    """))
    (project / "pyproject.toml").write_text(textwrap.dedent("""\
        [build-system]
        requires = ["cffi-forge"]
        build-backend = "cffi_forge"
        [project]
        name = "sod"
        version = "1.0"
        requires-python = ">=3.8"
        dependencies = ["cffi"]
    """))
    wheel = build(project, work / "out")
    report = auditwheel_show(wheel)
    # Already repaired: auditwheel finds nothing left to ship and the same policy.
    assert not report["external_libs"], report["external_libs"]
    assert Wheel(wheel).platform_tag == expected_platform(report["overall_tag"]), (wheel.name, report)
    assert any(n.startswith("sod.libs/libsodium-") for n in Wheel(wheel).files)

    # A fresh venv (seeing the tools Python's cffi); the system's libsodium hidden from the
    # loader by a bind mount of /dev/null over it, in a private mount namespace.
    venv = work / "venv"
    run([sys.executable, "-m", "venv", "--system-site-packages", venv], env=dict(os.environ))
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel], env=dict(os.environ))
    code = "import sod._sod as m; print(m.lib.sodium_init())"
    script = "mount --bind /dev/null %s && exec \"$0\" -c \"$1\"" % SODIUM
    hidden = run(["unshare", "-m", "sh", "-c", script, python, code], check=False, env=dict(os.environ))
    if hidden.returncode != 0 and "unshare" in hidden.text and "Operation not permitted" in hidden.text:
        pytest.skip("no mount namespace here: %s" % hidden.text)
    assert hidden.returncode == 0 and hidden.text.strip() == "0", hidden.text
