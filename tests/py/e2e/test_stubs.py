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

from .support import REPO, SAMPLES, Venv, copy_project, forge_bin, load_samples, run

pytest.importorskip("mypy", reason="mypy is not in the tools venv (tests/py/requirements-tools.txt)")
pytest.importorskip("pyright", reason="pyright is not in the tools venv (tests/py/requirements-tools.txt)")

EXPECT = load_samples()




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
    "shapes": (
        # The including module: its stub types functions on the included struct.
        "shapes._draw",
        "pts = ffi.new('point_t[]', [[0, 0], [3, 0], [3, 4]])\n"
        "per: float = lib.polygon_perimeter(pts, 3)\n"
        "assert per == 12.0\n",
        ("polygon_perimeter", "ffi.new('point_t[]', 3), 3", "ffi.new('point_t[]', 3), 3.5"),
    ),
    "shapescript": (
        "shapescript._draw",
        "pts = ffi.new('struct point[]', [[0, 0], [2, 0], [2, 2], [0, 2]])\n"
        "i: int = lib.nearest(pts, 4, [1.9, 0.1])\n"
        "assert i == 1\n",
        ("nearest", "ffi.new('point_t[]', 2), 2, [0.0, 0.0]", "ffi.new('point_t[]', 2), 2, 0.5"),
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


# tests/module_cases: cdefs of every kind, each with calls the differential tests run against
# cffi's own modules. The stub of each case must accept every call cffi accepts (a stub that
# rejects correct code is worse than none) and refuse the ones cffi refuses with a TypeError
# for the argument's Python type: these, by case and call index.
MODULE_CASES = REPO / "tests" / "module_cases"
REFUSED_CALLS = {
    "fn_wrong_arg_count": {0, 1, 2, 3},
    "fn_wrong_arg_type": {1},  # needs_ptr(5); a `long *` for an `int *` is cdata either way
    "prim_int_overflow_errors": {3},  # take_uc('x'); 256 and -1 overflow at run time
    "prim_float_errors": {1, 2},  # id_d(None), id_d('1.0')
}
# Struct fields and items of cdata: cffi's own stubs (types-cffi) give `CData` no attributes,
# so `ffi.new("struct s *").x` is an error with or without these stubs (docs/stubs.md).
CDATA_SURFACE = re.compile(r'"_CDataBase" has no attribute|for class "(_CDataBase|_?CData)"')


def module_case_files():
    return sorted(p.name for p in MODULE_CASES.glob("*.toml"))


@pytest.fixture(scope="session")
def types_venv(scratch):
    """A venv with types-cffi only: what type checkers resolve `_cffi_backend` against."""
    venv = Venv.create(Path(sys.executable), scratch / "stubs-types-venv")
    venv.pip("install", "types-cffi")
    return venv


def toml_string(text):
    return "'''%s'''" % text if "'''" not in text and not text.endswith("'") else repr(text)


@pytest.mark.parametrize("case_file", module_case_files())
def test_stubs_accept_every_call_cffi_accepts(types_venv, scratch, case_file):
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        import tomli as tomllib
    with open(MODULE_CASES / case_file, "rb") as f:
        cases = [c for c in tomllib.load(f)["case"] if not c.get("refused") and c.get("calls")]
    work = scratch / "stubs-cases" / case_file.replace(".toml", "")
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    spec = []
    for case in cases:
        api = "api" in case.get("modes", ["abi", "api"])
        spec.append("[[module]]\nname = \"m_%s\"\ncdef = %s\n" % (case["name"], toml_string(case["cdef"])))
        if api:
            spec.append("source = %s\n" % toml_string(case.get("source", "")))
    (work / "spec.toml").write_text("".join(spec))
    uses = []
    expected_errors = set()
    for case in cases:
        module = "m_%s" % case["name"]
        run([forge_bin(), "generate-pyi", work / "spec.toml", "--module", module, "-o", work / (module + ".pyi")],
            env=dict(os.environ, NO_COLOR="1"))
        api = "api" in case.get("modes", ["abi", "api"])
        lines = ["from %s import ffi%s\n" % (module, ", lib" if api else "")]
        if not api:
            lines.append("lib = ffi.dlopen('lib%s.so')\n" % module)
        lines += ["%s\n" % call for call in case["calls"]]
        path = work / ("use_%s.py" % case["name"])
        path.write_text("".join(lines))
        uses.append(path.name)
        for index in REFUSED_CALLS.get(case["name"], ()):
            expected_errors.add((path.name, len(lines) - len(case["calls"]) + index + 1))
    # Default strictness: the calls are untyped expressions (lambdas); what matters is
    # that no argument cffi accepted is refused.
    # (The calls gather a void function's None into tuples: mypy's func-returns-value says so.)
    out = run([sys.executable, "-m", "mypy", "--no-error-summary", "--show-error-codes",
               "--disable-error-code", "func-returns-value", "--cache-dir",
               work / ".mypy_cache", "--python-executable", types_venv.python, *uses],
              cwd=work, env=dict(os.environ), check=False)
    errors = [line for line in out.text.splitlines() if ": error: " in line and not CDATA_SURFACE.search(line)]
    found = {(e.split(":")[0], int(e.split(":")[1])) for e in errors}
    assert found == expected_errors, "mypy: expected errors at %s only:\n%s" % (sorted(expected_errors), "\n".join(errors))
    (work / "pyrightconfig.json").write_text('{"typeCheckingMode": "standard"}\n')
    out = run([sys.executable, "-m", "pyright", "--pythonpath", types_venv.python, *uses],
              cwd=work, env=dict(os.environ), check=False)
    found = set()
    for m in re.finditer(r"/(use_\w+\.py):(\d+):\d+ - error: ([^\n]*)", out.text):
        if not CDATA_SURFACE.search(m.group(3)):
            found.add((m.group(1), int(m.group(2))))
    assert found == expected_errors, "pyright: expected errors at %s only:\n%s" % (sorted(expected_errors), out.text)


# Real projects (tests/real_projects), built as tests/py/e2e/test_real_projects.py converts
# them, with the tools Python (their build scripts need only cffi): their stubs pass both
# checkers, code using their C API passes, and mistakes in it are reported at their lines.
# bcrypt ships its own _bcrypt.pyi, which must win over the generated one.
REAL_USAGE = {
    "cmarkgfm": (
        "from cmarkgfm._cmark import ffi, lib\n",
        "html = lib.cmark_markdown_to_html(b'*hi*', 4, lib.CMARK_OPT_DEFAULT)\n"
        "text: bytes | str = ffi.string(html)\n"
        "version: bytes | str = ffi.string(lib.cmark_version_string())\n",
        ("cmark_markdown_to_html", "b'x', 1, 0", "'x', 1, 0"),
    ),
    "argon2-cffi-bindings": (
        "from _argon2_cffi_bindings._ffi import ffi, lib\n",
        "size: int = lib.argon2_encodedlen(1, 8, 1, 16, 32, lib.Argon2_id)\n"
        "out = ffi.new('char[]', size)\n"
        "status: int = lib.argon2_hash(1, 8, 1, b'pw', 2, b's' * 16, 16, ffi.NULL, 32, out, size,\n"
        "                              lib.Argon2_id, 0x13)\n"
        "assert status == lib.ARGON2_OK or ffi.string(lib.argon2_error_message(status))\n",
        ("argon2_encodedlen", "1, 8, 1, 16, 32, 2", "1, 8, 1, 16, 32, '2'"),
    ),
    "soundfile": (
        "from _soundfile import ffi\nlib = ffi.dlopen('libsndfile.so.1')\n",
        "version: bytes | str = ffi.string(lib.sf_version_string())\n"
        "info = ffi.new('SF_INFO *')\n"
        "handle = lib.sf_open(b'missing.wav', lib.SFM_READ, info)\n"
        "message = lib.sf_strerror(handle)\n",
        ("sf_open", "b'x.wav', 16, ffi.new('SF_INFO *')", "'x.wav', 16, ffi.new('SF_INFO *')"),
    ),
    "misaka": (
        "from misaka._hoedown import ffi, lib\n",
        "renderer = lib.hoedown_html_renderer_new(0, 0)\n"
        "document = lib.hoedown_document_new(renderer, lib.HOEDOWN_EXT_TABLES, 16)\n"
        "buffer = lib.hoedown_buffer_new(64)\n"
        "lib.hoedown_buffer_puts(buffer, b'text')\n"
        "assert ffi.sizeof('hoedown_buffer') > 0 and document\n",
        ("hoedown_buffer_new", "64", "64.5"),
    ),
}
REAL_BUILT = ("cmarkgfm", "argon2-cffi-bindings", "soundfile", "misaka", "bcrypt", "xattr", "brotlipy")


class RealProjects:
    """The REAL_BUILT projects built once, installed into one venv with types-cffi."""

    def __init__(self, root: Path, cache: Path):
        sys.path.insert(0, str(REPO / "tests" / "real_projects"))
        import real_projects

        self.root = root
        self.venv = Venv.create(Path(sys.executable), root / "venv")
        self.venv.pip("install", "types-cffi")
        self.stubs = {}
        for name in REAL_BUILT:
            project = real_projects.PROJECTS[name]
            tree = real_projects.prepare(project, root / "src" / name, cache=cache)
            wheel = build(tree, root / "wheels" / name)
            self.venv.pip("install", "--no-deps", wheel)
            import zipfile

            with zipfile.ZipFile(wheel) as z:
                self.stubs[name] = {n: z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".pyi")}


@pytest.fixture(scope="session")
def real(scratch, cache):
    return RealProjects(scratch / "stubs-real", cache)


def test_real_projects_stubs_pass_both_checkers_and_a_projects_own_stub_wins(real):
    for name, stubs in real.stubs.items():
        assert stubs, "%s: no stub in the wheel" % name
        for member, text in stubs.items():
            if name == "bcrypt":
                assert "generated by cffi-forge" not in text, "bcrypt's own %s must win:\n%s" % (member, text)
                continue
            assert "generated by cffi-forge" in text, (name, member)
            path = write(real.root / "stubs" / name, member.replace("/", "_").replace("-", "_"), text)
            out = mypy(real.venv.python, path)
            assert out.returncode == 0, "mypy --strict on %s of %s:\n%s" % (member, name, out.text)
            out = pyright(real.venv.python, path)
            assert out.returncode == 0 and "0 errors" in out.text, "pyright on %s of %s:\n%s" % (member, name, out.text)
    assert "_soundfile-stubs/__init__.pyi" in real.stubs["soundfile"], "a top-level module gets a stub package"


@pytest.mark.parametrize("name", sorted(REAL_USAGE))
def test_real_project_code_checks_and_mistakes_are_reported(real, name):
    head, good, (fn, good_args, wrong) = REAL_USAGE[name]
    path = write(real.root / "good" / name, "use.py", head + good)
    # The packages have no py.typed (except bcrypt): mypy reads their stubs only then, so
    # the check adds one, as a typed project would ship it (PEP 561, docs/stubs.md).
    for site_dir in [real.venv.site_packages()]:
        for package in ("cmarkgfm", "_argon2_cffi_bindings", "misaka"):
            if (site_dir / package).is_dir():
                (site_dir / package / "py.typed").write_text("")
    out = mypy(real.venv.python, path)
    assert out.returncode == 0, "mypy --strict:\n%s\n%s" % (out.text, path.read_text())
    out = pyright(real.venv.python, path)
    assert out.returncode == 0 and "0 errors" in out.text, "pyright:\n%s\n%s" % (out.text, path.read_text())

    text = head + ("" if "dlopen" in head else "assert ffi is not None\n")
    expected = {}
    for template, mypy_code, pyright_rule in MISTAKES:
        expected[text.count("\n") + 1] = (mypy_code, pyright_rule)
        text += template.format(fn=fn, good=good_args, wrong=wrong)
    path = write(real.root / "bad" / name, "use.py", text)
    out = mypy(real.venv.python, path)
    check_reported(out.text, r":(\d+): error: .*\[([a-z-]+)\]", {n: c[0] for n, c in expected.items()}, text)
    out = pyright(real.venv.python, path)
    check_reported(out.text, r":(\d+):\d+ - error: (?:.|\n)*?\((report\w+)\)",
                   {n: c[1] for n, c in expected.items()}, text)
