"""The tables we emit are cffi's, entry for entry: for every cdef of our corpus and of
the parser's corpus (tests/cdef_corpus) that cffi's parser accepts,

- ABI mode: our `.py` is byte-identical to `make_py_source`'s (or both refuse alike);
- API mode: the type table, globals, fields, struct/union, enum and typename tables in
  our C equal cffi's (comments and layout aside), or both refuse alike.

Cdefs that cffi's *parser* rejects are not generator cases; they are left out here
(the parser has its own differential tests)."""

import re
import subprocess
import tempfile
import warnings
from pathlib import Path

import cffi
import cffi.recompiler
import pytest

from corpus import REPO, cdef_options, forge_bin, load_cases, toml_str

PARSER_CORPUS = REPO / "tests" / "cdef_corpus"


def parser_corpus_cases():
    files = sorted(PARSER_CORPUS.glob("*.txt"))
    if not files:
        raise RuntimeError("the parser's cdef corpus is missing from %s" % PARSER_CORPUS)
    for f in files:
        name, lines = None, []
        for line in f.read_text().splitlines(True):
            if line.startswith("### "):
                if name:
                    yield name, "".join(lines).split("---\n"), {}
                name, lines = line[4:].split()[0], []
            else:
                lines.append(line)
        if name:
            yield name, "".join(lines).split("---\n"), {}


def all_cases():
    out = [("corpus-" + c["name"], [c["cdef"]], cdef_options(c)) for c in load_cases()]
    out += [("parser-" + n, cdefs, opts) for n, cdefs, opts in parser_corpus_cases()]
    return out


def cffi_parses(cdefs, opts):
    ffi = cffi.FFI()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for c in cdefs:
                ffi.cdef(c, **opts)
    except Exception:  # noqa: BLE001 - a parser case, not a generator case
        return None
    return ffi


CASES = [c for c in all_cases() if cffi_parses(c[1], c[2]) is not None]


def cffi_output(ffi, mode, tmp):
    out = tmp / ("cffi." + mode)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if mode == "py":
                cffi.recompiler.make_py_source(ffi, "_m", str(out))
            else:
                cffi.recompiler.make_c_source(ffi, "_m", "", str(out))
    except Exception as e:  # noqa: BLE001 - compared with our refusal
        msg = str(e).replace("\\", "\\\\").replace("\n", "\\n")
        return "refused %s: %s" % (type(e).__name__, msg)
    return out.read_text()


def our_output(cdefs, opts, mode, tmp):
    lines = ["[[module]]", 'name = "_m"']
    if mode == "c":
        lines.append('source = ""')
    for c in cdefs:
        lines += ["[[module.cdefs]]", "source = %s" % toml_str(c)]
        if opts.get("packed"):
            lines.append("packed = true")
        if opts.get("pack"):
            lines.append("pack = %d" % opts["pack"])
    spec = tmp / "spec.toml"
    spec.write_text("\n".join(lines) + "\n")
    out = tmp / ("ours." + mode)
    proc = subprocess.run([forge_bin(), "generate-" + mode, str(spec), "--module", "_m", "-o", str(out)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    if proc.returncode != 0:
        for line in proc.stderr.splitlines():
            if line.startswith("cffi-error: "):
                return "refused " + line[len("cffi-error: "):]
        raise AssertionError("generator failed without a cffi-error line:\n" + proc.stderr)
    return out.read_text()


TABLE = re.compile(r"^static (?:const struct _cffi_\w+_s _cffi_\w+|void \*_cffi_types)\[\] = \{\n(.*?)^\};",
                   re.S | re.M)


def c_tables(text):
    """The table initialisers of a generated C file, comments and layout removed."""
    if text.startswith("refused "):
        return text
    tables = []
    for body in TABLE.findall(text):
        body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
        body = re.sub(r"//[^\n]*", "", body)
        tables.append(" ".join(body.split()))
    return tables


@pytest.mark.parametrize("mode", ["py", "c"])
@pytest.mark.parametrize("name,cdefs,opts", CASES, ids=[c[0] for c in CASES])
def test_tables_match_cffi(name, cdefs, opts, mode):
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        theirs = cffi_output(cffi_parses(cdefs, opts), mode, tmp)
        ours = our_output(cdefs, opts, mode, tmp)
    if mode == "c":
        theirs, ours = c_tables(theirs), c_tables(ours)
    assert ours == theirs


def test_enough_generator_cases():
    assert len(CASES) >= 300, len(CASES)
