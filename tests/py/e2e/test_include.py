"""ffi.include() end to end: wheels whose modules include one another, built by the
cffi-forge binary, installed into a fresh venv and called, passing structs made by one
module's ffi to the other's functions.

- the declarative sample (sample-projects/shapes: `include = ["shapes._geom"]`), built
  with nothing but cffi-forge, against its own tests;
- build scripts calling `ffibuilder.include()`, in API and ABI mode, generated natively
  (no fallback to cffi's emitter) and by cffi's own emitter (`generator = "cffi"`, the
  oracle): both wheels must behave the same.
"""

import shutil
import sys
import zipfile
from pathlib import Path

import pytest

from .support import SAMPLES, Venv, copy_project, forge_bin, run, run_sample_tests




@pytest.fixture(scope="module")
def venv(scratch):
    """A fresh venv with cffi (the wheels' only run-time requirement) and pytest."""
    v = Venv.create(sys.executable, scratch / "venvs" / "include")
    v.pip("install", "cffi", "pytest")
    return v


def build(project: Path, out: Path, *extra) -> (Path, str):
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    proc = run([forge_bin(), "build", project, "-o", out, "-i", sys.executable, "-v", *extra], cwd=out)
    (wheel,) = out.glob("*.whl")
    return wheel, proc.text


def install(venv: Venv, wheel: Path):
    venv.pip("install", "--no-deps", "--force-reinstall", "--no-index", wheel)


def test_declarative_shapes_builds_without_cffi_and_passes_its_tests(venv, scratch):
    work = scratch / "include" / "shapes"
    project = copy_project(SAMPLES / "shapes", work / "src")
    wheel, log = build(project, work / "out")
    # The included module is generated and compiled before the module including it,
    # though the pyproject lists it second.
    assert log.index("Compiling shapes._geom") < log.index("Compiling shapes._draw"), log
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    assert any(n.startswith("shapes/_geom.") and n.endswith(".so") for n in names), names
    assert any(n.startswith("shapes/_draw.") and n.endswith(".so") for n in names), names
    install(venv, wheel)
    run_sample_tests(venv, "shapes", work / "run")
    # Loading shapes._draw alone imports shapes._geom first (_cffi_includes), as
    # cffi's own output does, so the shared struct has one ctype.
    out = run([venv.python, "-c",
               "import sys\nfrom shapes._draw import ffi, lib\n"
               "print('shapes._geom' in sys.modules)\n"
               "p = lib.centroid(ffi.new('point_t[]', [[0, 0], [4, 0], [2, 6]]), 3)\n"
               "print(p.x, p.y)"], cwd=work).text.split()
    assert out == ["True", "2.0", "2.0"]


BASE_BUILD = '''\
from cffi import FFI

ffibuilder = FFI()
ffibuilder.cdef("""
    #define RING_MAX 8
    struct ring { int n; int items[RING_MAX]; };
    typedef struct ring ring_t;
    enum color { RED, GREEN = 5, BLUE };
    int ring_push(ring_t *r, int value);
""")
ffibuilder.set_source("incs._base", """
    #define RING_MAX 8
    struct ring { int n; int items[RING_MAX]; };
    typedef struct ring ring_t;
    enum color { RED, GREEN = 5, BLUE };
    static int ring_push(ring_t *r, int value) {
        if (r->n >= RING_MAX) return -1;
        r->items[r->n++] = value;
        return r->n;
    }
""")
'''

USER_BUILD = '''\
from cffi import FFI
import base_build

ffibuilder = FFI()
ffibuilder.cdef("int twice(int);")  # before include(): after-cdefs = 1
ffibuilder.include(base_build.ffibuilder)
ffibuilder.cdef("int ring_sum(const ring_t *r);")
ffibuilder.cdef("struct ring ring_of(int n); enum color next_color(enum color c);")
ffibuilder.set_source("incs._user", """
    #define RING_MAX 8
    struct ring { int n; int items[RING_MAX]; };
    typedef struct ring ring_t;
    enum color { RED, GREEN = 5, BLUE };
    static int twice(int x) { return 2 * x; }
    static int ring_sum(const ring_t *r) {
        int s = 0;
        for (int i = 0; i < r->n; i++) s += r->items[i];
        return s;
    }
    static struct ring ring_of(int n) {
        struct ring r = { 0 };
        for (int i = 0; i < n && i < RING_MAX; i++) r.items[r.n++] = i * i;
        return r;
    }
    static enum color next_color(enum color c) { return c == RED ? GREEN : c == GREEN ? BLUE : RED; }
""")
'''

# ABI mode (like cairocffi): libc's div() returns a struct the base module declares.
ABI_BASE_BUILD = '''\
from cffi import FFI

ffibuilder = FFI()
ffibuilder.cdef("typedef struct { int quot; int rem; } div_t; typedef long my_long;")
ffibuilder.set_source("incs._abibase", None)
'''

ABI_USER_BUILD = '''\
from cffi import FFI
import abibase_build

ffibuilder = FFI()
ffibuilder.include(abibase_build.ffibuilder)
ffibuilder.cdef("div_t div(int, int); my_long labs(my_long);")
ffibuilder.set_source("incs._abiuser", None)
'''

USE = '''\
from incs import _base, _user, _abibase, _abiuser
r = _base.ffi.new("ring_t *")
for v in (3, 4, 5):
    _base.lib.ring_push(r, v)
print(_user.lib.ring_sum(r))
s = _user.lib.ring_of(4)
print(_user.ffi.typeof(s) is _base.ffi.typeof("struct ring"), s.n, list(s.items)[:4])
print(_base.lib.ring_push(_user.ffi.addressof(s), 7), _user.lib.ring_sum(_user.ffi.addressof(s)))
print(_user.lib.next_color(_user.lib.RED), _user.lib.next_color(_base.lib.GREEN), _user.lib.twice(4))
libc = _abiuser.ffi.dlopen(None)
d = libc.div(17, 5)
print(d.quot, d.rem, _abiuser.ffi.typeof(d) is _abibase.ffi.typeof("div_t"), libc.labs(-42))
'''


def script_project(root: Path, generator: str) -> Path:
    shutil.rmtree(root, ignore_errors=True)
    files = {
        "pyproject.toml": (
            '[build-system]\nrequires = ["cffi-forge"]\nbuild-backend = "cffi_forge"\n\n'
            '[project]\nname = "incs"\nversion = "1.0.0"\nrequires-python = ">=3.8"\n\n'
            '[tool.cffi-forge]\ngenerator = "%s"\ncffi-modules = ["ffi/base_build.py:ffibuilder", '
            '"ffi/user_build.py:ffibuilder", "ffi/abibase_build.py:ffibuilder", '
            '"ffi/abiuser_build.py:ffibuilder"]\n' % generator
        ),
        "incs/__init__.py": "",
        "ffi/base_build.py": BASE_BUILD,
        "ffi/user_build.py": USER_BUILD,
        "ffi/abibase_build.py": ABI_BASE_BUILD,
        "ffi/abiuser_build.py": ABI_USER_BUILD,
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_build_scripts_using_include_are_generated_natively_like_cffi(venv, scratch):
    work = scratch / "include" / "scripts"
    outputs = {}
    for generator in ("native", "cffi"):
        project = script_project(work / generator / "src", generator)
        wheel, log = build(project, work / generator / "out")
        if generator == "native":
            assert "Falling back" not in log, log
            for module in ("incs._base", "incs._user", "incs._abibase", "incs._abiuser"):
                assert "Generating %s (native generator)" % module in log, log
        install(venv, wheel)
        outputs[generator] = run([venv.python, "-c", USE], cwd=work).text.splitlines()
    assert outputs["native"] == outputs["cffi"]
    assert outputs["native"] == [
        "12",
        "True 4 [0, 1, 4, 9]",
        "5 21",
        "5 6 8",  # the included enum's constants are the including module's too
        "3 2 True 42",
    ]
