"""The typed stubs (.pyi) cffi-forge ships, under the type checkers users run.

Each sample is built with `cffi-forge build` (the development binary, CFFI_FORGE_BIN) after
adding an empty `py.typed` to its package, as a typed project has (PEP 561: mypy reads a
package's stubs only then), and installed into one venv that also has cffi and types-cffi
(typeshed's stubs of cffi, pinned in tests/py/constraints.txt). Then, per sample:

- a usage file written against the sample's C API passes `mypy --strict` and pyright in
  strict mode, and runs (so what the stubs accept is what cffi accepts);
- a usage file with four mistakes (a wrong argument type, a missing argument, a function
  the cdef does not declare, a result used as the wrong type) fails both checkers, each
  mistake reported at its line;
- the stubs themselves pass both checkers.

Without `py.typed`, mypy ignores the package (the documented rule) while pyright still
reads the stub; a top-level module's stub-only package is read by both.
"""

import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from .support import REPO, SAMPLES, Venv, copy_project, load_samples, run

pytest.importorskip("mypy", reason="mypy is not in the tools venv (tests/py/requirements-tools.txt)")
pytest.importorskip("pyright", reason="pyright is not in the tools venv (tests/py/requirements-tools.txt)")

EXPECT = load_samples()


def forge_bin() -> Path:
    path = Path(os.environ.get("CFFI_FORGE_BIN") or REPO / "target" / "release" / "cffi-forge")
    assert path.exists(), "cffi-forge binary not found at %s: set CFFI_FORGE_BIN" % path
    return path


# Per sample: how the code gets its `lib`, correct code using it (checked and run), and
# one function with arguments of the right types and of a wrong type.
ABI_LIBS = {
    "libmcall": "lib = ffi.dlopen(None)\n",
    "zdlopen": "import ctypes.util\nlib = ffi.dlopen(ctypes.util.find_library('z') or 'libz.so.1')\n",
}
USAGE = {
    "fasthash": (
        "fasthash._native",
        "h: int = lib.fh_fnv1a_32(b'abc', 3)\n"
        "out = ffi.new('uint32_t[]', 2)\n"
        "lib.fh_fnv1a_32_many(b'abcdef', 3, 2, out)\n"
        "assert lib.fh_murmur3_32(b'abc', 3, 0) >= 0 and out[1] != 0 and h != 0\n"
        "major: int = lib.FH_VERSION_MAJOR\n",
        ("fh_fnv1a_32", "b'abc', 3", "'abc', 3"),
    ),
    "zcheck": (
        "zcheck._zlib",
        "crc: int = lib.crc32(0, b'hello', 5)\n"
        "bound: int = lib.compressBound(5)\n"
        "dest = ffi.new('unsigned char[]', bound)\n"
        "size = ffi.new('unsigned long *', bound)\n"
        "assert lib.compress2(dest, size, b'hello', 5, 9) == lib.Z_OK\n"
        "version: bytes | str = ffi.string(lib.zlibVersion())\n"
        "assert crc == 0x3610A686 and version\n",
        ("crc32", "0, b'x', 1", "0, 'x', 1"),
    ),
    "libmcall": (
        "libmcall._ffi",
        "n: int = lib.strlen(b'four')\n"
        "c: float = lib.cos(0.0) + lib.hypot(3, 4)\n"
        "exponent = ffi.new('int *')\n"
        "mantissa: float = lib.frexp(8.0, exponent)\n"
        "assert (n, c, mantissa, exponent[0]) == (4, 6.0, 0.5, 4)\n"
        "assert lib.LIBMCALL_ABI_VERSION == 3 and lib.ROUND_UP == 1\n",
        ("hypot", "3.0, 4.0", "3.0, '4'"),
    ),
    "textkit": (
        "textkit._rle",
        "src = b'aaab'\n"
        "size: int = lib.rle_encoded_size(src, len(src))\n"
        "dst = ffi.new('unsigned char[]', size)\n"
        "assert lib.rle_encode(src, len(src), dst) == size\n",
        ("rle_encoded_size", "b'ab', 2", "b'ab', b'2'"),
    ),
    "statkit": (
        "statkit._stats",
        "median = ffi.new('double *')\n"
        "assert lib.sk_median([3.0, 1.0, 2.0], 3, median) == 0 and median[0] == 2.0\n"
        "assert lib.sk_unique_count([1, 1, 2], 3) == 2\n",
        ("sk_unique_count", "[1, 2], 2", "'12', 2"),
    ),
    "zdlopen": (
        "zdlopen._zlib",
        "crc: int = lib.crc32(0, b'hello', 5)\n"
        "assert crc == 0x3610A686\n",
        ("adler32", "1, b'x', 1", "1, 'x', 1"),
    ),
    "zstream": (
        "zstream._zlib",
        "stream = ffi.new('z_stream *')\n"
        "status: int = lib.deflateInit2(stream, lib.Z_DEFAULT_COMPRESSION, lib.Z_DEFLATED, lib.MAX_WBITS, 8, lib.Z_DEFAULT_STRATEGY)\n"
        "assert status == lib.Z_OK and lib.deflateEnd(stream) == lib.Z_OK\n"
        "assert ffi.string(lib.zstream_version())\n",
        ("deflate", "ffi.new('z_stream *'), 0", "ffi.new('z_stream *'), 0.5"),
    ),
    "b64kit": (
        "b64kit._codec",
        "need: int = lib.b64kit_encoded_len(3)\n"
        "out = ffi.new('char[]', need + 1)\n"
        "assert lib.b64kit_encode(b'abc', 3, out, need + 1) >= 0\n"
        "assert ffi.string(out) == b'YWJj'\n",
        ("b64kit_encoded_len", "3", "b'3'"),
    ),
}


def header(sample):
    module, _, _ = USAGE[sample]
    if sample in ABI_LIBS:
        return "from %s import ffi\n%s" % (module, ABI_LIBS[sample])
    return "from %s import ffi, lib\n" % module


def good_usage(sample):
    return header(sample) + USAGE[sample][1]


# The mistakes, one a line, with what each checker calls them.
MISTAKES = [
    ("lib.{fn}({wrong})\n", "arg-type", "reportArgumentType"),
    ("lib.{fn}()\n", "call-arg", "reportCallIssue"),
    ("lib.{fn}_not_in_the_cdef({good})\n", "attr-defined", "reportAttributeAccessIssue"),
    ("wrong_result: list[str] = lib.{fn}({good})\n", "assignment", "reportAssignmentType"),
]


def bad_usage(sample):
    """The file and {line: (mypy code, pyright rule)} of its mistakes."""
    _, _, (fn, good, wrong) = USAGE[sample]
    text = header(sample) + ("" if sample in ABI_LIBS else "assert ffi is not None\n")
    expected = {}
    for template, mypy_code, pyright_rule in MISTAKES:
        expected[text.count("\n") + 1] = (mypy_code, pyright_rule)
        text += template.format(fn=fn, good=good, wrong=wrong)
    return text, expected


def test_every_sample_has_usage():
    assert sorted(USAGE) == sorted(EXPECT), "test_stubs.USAGE must cover every sample"


class TypedSamples:
    """Each sample built (with py.typed added) and installed into one venv with cffi and
    types-cffi, once per session."""

    def __init__(self, root: Path):
        self.root = root
        self.venv = Venv.create(Path(sys.executable), root / "venv")
        self.venv.pip("install", "cffi", "types-cffi")
        self.stubs = {}
        for sample in sorted(EXPECT):
            project = copy_project(SAMPLES / sample, root / "src" / sample)
            package = EXPECT[sample]["modules"][0].split(".")[0]
            package_dir = next(p for p in (project / package, project / "src" / package) if p.is_dir())
            (package_dir / "py.typed").write_text("")
            wheel = build(project, root / "wheels" / sample)
            self.venv.pip("install", "--no-deps", wheel)
            self.stubs[sample] = [
                (module, read_zip(wheel, module.replace(".", "/") + ".pyi")) for module in EXPECT[sample]["modules"]
            ]


def build(project: Path, out: Path) -> Path:
    env = dict(os.environ, NO_COLOR="1")
    env.pop("CFFI_FORGE_BUILD_DIR", None)
    run([forge_bin(), "build", "-q", "-i", sys.executable, project, "-o", out], env=env)
    (wheel,) = out.glob("*.whl")
    return wheel


def read_zip(wheel: Path, name: str) -> str:
    import zipfile

    with zipfile.ZipFile(wheel) as z:
        return z.read(name).decode("utf-8")


@pytest.fixture(scope="session")
def typed(scratch):
    return TypedSamples(scratch / "stubs")


def mypy(python: Path, path: Path, check=False):
    cache = path.parent / ".mypy_cache"
    return run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--show-error-codes",
                "--cache-dir", cache, "--python-executable", python, path],
               cwd=path.parent, env=dict(os.environ), check=check)


def pyright(python: Path, path: Path, check=False):
    (path.parent / "pyrightconfig.json").write_text('{"typeCheckingMode": "strict"}\n')
    return run([sys.executable, "-m", "pyright", "--pythonpath", python, path],
               cwd=path.parent, env=dict(os.environ), check=check)


def write(dir: Path, name: str, text: str) -> Path:
    dir.mkdir(parents=True, exist_ok=True)
    path = dir / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("sample", sorted(USAGE))
def test_correct_code_passes_both_checkers_and_runs(typed, sample):
    path = write(typed.root / "good" / sample, "use_%s.py" % sample, good_usage(sample))
    out = mypy(typed.venv.python, path)
    assert out.returncode == 0, "mypy --strict:\n%s\n%s" % (out.text, path.read_text())
    out = pyright(typed.venv.python, path)
    assert out.returncode == 0 and "0 errors" in out.text, "pyright:\n%s\n%s" % (out.text, path.read_text())
    run([typed.venv.python, path], cwd=path.parent)


@pytest.mark.parametrize("sample", sorted(USAGE))
def test_each_mistake_is_reported_at_its_line(typed, sample):
    text, expected = bad_usage(sample)
    path = write(typed.root / "bad" / sample, "use_%s.py" % sample, text)
    out = mypy(typed.venv.python, path)
    assert out.returncode == 1, out.text
    check_reported(out.text, r":(\d+): error: .*\[([a-z-]+)\]", {n: c[0] for n, c in expected.items()}, text)
    out = pyright(typed.venv.python, path)
    assert out.returncode == 1, out.text
    check_reported(out.text, r":(\d+):\d+ - error: (?:.|\n)*?\((report\w+)\)",
                   {n: c[1] for n, c in expected.items()}, text)


def check_reported(output, pattern, expected, text):
    """Errors on exactly the lines of `expected`, each line's among them of its kind (pyright
    adds reportUnknownMemberType to an unknown attribute)."""
    found = {}
    for m in re.finditer(pattern, output):
        found.setdefault(int(m.group(1)), set()).add(m.group(2))
    assert set(found) == set(expected) and all(expected[n] in found[n] for n in expected), (
        "expected %s, got %s:\n%s\n%s" % (expected, found, output, text))


@pytest.mark.parametrize("sample", sorted(USAGE))
def test_the_stubs_pass_both_checkers(typed, sample):
    for module, stub in typed.stubs[sample]:
        path = write(typed.root / "stubs" / module, module.rsplit(".", 1)[1] + ".pyi", stub)
        out = mypy(typed.venv.python, path)
        assert out.returncode == 0, "mypy --strict on the stub of %s:\n%s" % (module, out.text)
        out = pyright(typed.venv.python, path)
        assert out.returncode == 0 and "0 errors" in out.text, "pyright on the stub of %s:\n%s" % (module, out.text)


def test_mypy_needs_py_typed_pyright_does_not_and_top_level_stub_packages_serve_both(scratch):
    root = scratch / "stubs-untyped"
    venv = Venv.create(Path(sys.executable), root / "venv")
    venv.pip("install", "types-cffi")
    # b64kit as it is (no py.typed), and a top-level module.
    venv.pip("install", "--no-deps", build(copy_project(SAMPLES / "b64kit", root / "b64kit"), root / "w1"))
    top = root / "top"
    write(top, "pyproject.toml",
          '[build-system]\nrequires = ["cffi-forge"]\nbuild-backend = "cffi_forge"\n'
          '[project]\nname = "top"\nversion = "1.0"\n'
          '[[tool.cffi-forge.module]]\nname = "_top"\ncdef = "int half(int x);"\n'
          'source = "static int half(int x) { return x / 2; }"\n')
    venv.pip("install", "--no-deps", build(top, root / "w2"))
    path = write(root / "use", "use.py",
                 "from b64kit._codec import lib\nfrom _top import lib as top\n"
                 "reveal_type(lib.b64kit_encoded_len(3))\nreveal_type(top.half(4))\n")
    out = mypy(venv.python, path)
    assert 'Skipping analyzing "b64kit._codec": module is installed, but missing library stubs or py.typed' \
        in out.text, out.text
    assert ':3: note: Revealed type is "Any"' in out.text, out.text
    assert re.search(r':4: note: Revealed type is "(builtins\.)?int"', out.text), out.text
    out = pyright(venv.python, path)
    assert 'Type of "lib.b64kit_encoded_len(3)" is "int"' in out.text, out.text
    assert 'Type of "top.half(4)" is "int"' in out.text, out.text
