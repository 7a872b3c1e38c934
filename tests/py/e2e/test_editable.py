"""Editable installs rebuild on import (issue 13): `pip install -e` a project, then edit
its C source, a header, the cdef (in pyproject.toml, and in a build script) and a plain
extension; a new process importing the module gets the new code and one line on stderr.
A broken edit is an ImportError with the compiler's message; CFFI_FORGE_EDITABLE_REBUILD=0
loads the last good build; nothing changed means no process is spawned."""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .support import clean_env, run

# The oldest and the newest CPython the project supports.
VERSIONS = ["3.8", "3.13"]

DECLARATIVE = {
    "pyproject.toml": """\
        [build-system]
        requires = ["cffi-forge"]
        build-backend = "cffi_forge"

        [project]
        name = "calc"
        version = "1.0"
        dependencies = ["cffi"]

        [[tool.cffi-forge.module]]
        name = "calc._calc"
        cdef = "int add(int a, int b);"
        source = '#include "calc.h"'
        sources = ["csrc/calc.c"]
        include-dirs = ["csrc"]

        [[tool.cffi-forge.extension]]
        name = "calc._plain"
        sources = ["csrc/plain.c"]
        """,
    "src/calc/__init__.py": "from calc._calc import ffi, lib\n",
    "csrc/calc.h": "#define SCALE 1\nint add(int a, int b);\n",
    "csrc/calc.c": '#include "calc.h"\nint add(int a, int b) { return (a + b) * SCALE; }\n',
    "csrc/plain.c": """\
        #include <Python.h>
        static PyObject *answer(PyObject *self, PyObject *args) { return PyLong_FromLong(1); }
        static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
        static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_plain", NULL, -1, methods};
        PyMODINIT_FUNC PyInit__plain(void) { return PyModule_Create(&module); }
        """,
}

# A flat layout: the package next to pyproject.toml and the build script.
SCRIPTED = {
    "pyproject.toml": """\
        [build-system]
        requires = ["cffi-forge"]
        build-backend = "cffi_forge"

        [project]
        name = "scalc"
        version = "1.0"
        dependencies = ["cffi"]

        [tool.cffi-forge]
        cffi-modules = ["scalc_build.py:ffibuilder"]
        """,
    "scalc/__init__.py": "from scalc._s import ffi, lib\n",
    "scalc/s.h": "#define FACTOR 1\nint mul(int a, int b);\nint twice(int a);\n",
    "scalc/s.c": '#include "s.h"\nint mul(int a, int b) { return a * b * FACTOR; }\nint twice(int a) { return 2 * a; }\n',
    "scalc/extra.cdef": "int twice(int a);\n",
    "scalc_build.py": """\
        from cffi import FFI
        ffibuilder = FFI()
        ffibuilder.cdef("int mul(int a, int b);")
        with open("scalc/extra.cdef") as f:  # a cdef file the script reads itself
            ffibuilder.cdef(f.read())
        ffibuilder.set_source("scalc._s", '#include "s.h"', sources=["scalc/s.c"], include_dirs=["scalc"])
        """,
}

REBUILT = re.compile(r"^cffi-forge: rebuilt (\S+) \((.+) changed\) in \d+\.\d s$")


def write(root: Path, files: dict):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def edit(path: Path, old: str, new: str):
    text = path.read_text()
    assert old in text, "%r not in %s" % (old, path)
    # Every edit changes the size, so no file system's mtime granularity can hide it.
    assert len(new) != len(old)
    path.write_text(text.replace(old, new))


class Project:
    def __init__(self, venv, root, work):
        self.venv, self.root, self.work = venv, root, work

    def run(self, code, check=True, **env):
        """Run `code` in a new process of the venv; (stdout, stderr, exit status)."""
        proc = subprocess.run(
            [str(self.venv.python), "-c", code],
            cwd=str(self.work),
            env=clean_env(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=600,
        )
        out = proc.stdout.decode("utf-8", "replace").strip()
        err = proc.stderr.decode("utf-8", "replace").strip()
        if check:
            assert proc.returncode == 0, "exit status %d\nstdout: %s\nstderr: %s" % (proc.returncode, out, err)
        return out, err, proc.returncode

    def rebuilt(self, code, module, changed):
        """Run `code`; it must print exactly the one rebuilt line, for `module`."""
        out, err, _ = self.run(code)
        lines = err.splitlines()
        assert len(lines) == 1, "expected one line on stderr, got:\n%s" % err
        match = REBUILT.match(lines[0])
        assert match, lines[0]
        assert match.groups() == (module, changed), lines[0]
        return out


def install(venvs, scratch, forge_wheelhouse, version, name, files):
    work = scratch / ("editable-%s-%s" % (name, version))
    root = work / name
    write(root, files)
    venv = venvs.get(version, name="editable-%s-%s" % (name, version), with_pytest=False)
    venv.pip("install", "--find-links", forge_wheelhouse, "-e", root, cwd=work)
    return Project(venv, root, work)


# Counts the processes the import starts (CPython's audit events, 3.8+).
NO_SPAWN = """\
import sys
spawned = []
def hook(event, args):
    if event in ("subprocess.Popen", "os.posix_spawn", "os.exec", "os.fork", "os.system", "os.spawn"):
        spawned.append(event)
sys.addaudithook(hook)
import %s
print(%s, len(spawned))
"""


@pytest.mark.parametrize("version", VERSIONS)
def test_declarative_project_rebuilds_on_import(venvs, scratch, forge_wheelhouse, version):
    p = install(venvs, scratch, forge_wheelhouse, version, "calc", DECLARATIVE)
    call = "import calc._plain as p; from calc import lib; print(lib.add(2, 3), p.answer())"
    out, err, _ = p.run(call)
    assert (out, err) == ("5 1", "")
    where = "import calc, calc._calc as c; print(calc.__file__); print(c.__file__)"
    package, compiled = p.run(where)[0].splitlines()
    assert Path(package).resolve() == (p.root / "src/calc/__init__.py").resolve()
    assert Path(compiled).resolve().is_relative_to((p.root / "build/cffi-forge").resolve()), compiled

    # Nothing changed: the check is a few stat calls, no process is started.
    out, err, _ = p.run(NO_SPAWN % ("calc, calc._plain", "calc.lib.add(1, 1)"))
    assert (out, err) == ("2 0", "")

    edit(p.root / "csrc/calc.c", "(a + b) * SCALE", "(a + b) * SCALE + 100")
    assert p.rebuilt(call, "calc._calc", "csrc/calc.c") == "105 1"
    # Rebuilt once: the next process loads it silently.
    assert p.run(call)[:2] == ("105 1", "")

    edit(p.root / "csrc/calc.h", "#define SCALE 1\n", "#define SCALE 10\n")
    assert p.rebuilt(call, "calc._calc", "csrc/calc.h") == "150 1"

    # The cdef, in pyproject.toml: a new function.
    edit(p.root / "pyproject.toml", 'cdef = "int add(int a, int b);"', 'cdef = "int add(int a, int b); int sub(int a, int b);"')
    with open(p.root / "csrc/calc.c", "a") as f:
        f.write("int sub(int a, int b) { return a - b; }\n")
    with open(p.root / "csrc/calc.h", "a") as f:
        f.write("int sub(int a, int b);\n")
    assert p.rebuilt("from calc import lib; print(lib.sub(7, 2))", "calc._calc", "pyproject.toml") == "5"

    # A plain extension.
    edit(p.root / "csrc/plain.c", "PyLong_FromLong(1)", "PyLong_FromLong(42)")
    assert p.rebuilt("import calc._plain as p; print(p.answer())", "calc._plain", "csrc/plain.c") == "42"

    # A broken edit: ImportError with the compiler's message, for every import of it.
    edit(p.root / "csrc/calc.c", "return a - b;", "return a - b +;")
    for _ in range(2):
        out, err, status = p.run(call, check=False)
        assert status != 0
        assert "ImportError: cffi-forge: rebuilding calc._calc (csrc/calc.c changed) failed" in err, err
        assert re.search(r"csrc/calc\.c:\d+:\d+: error: expected expression", err), err

    # Turned off, the last good build loads.
    out, err, _ = p.run(call, CFFI_FORGE_EDITABLE_REBUILD="0")
    assert (out, err) == ("150 42", "")

    # Fixed: two processes importing at once rebuild once, and both get the new module.
    edit(p.root / "csrc/calc.c", "return a - b +;", "return b - a;")
    command = [str(p.venv.python), "-c", "from calc import lib; print(lib.sub(2, 7))"]
    procs = [
        subprocess.Popen(command, cwd=str(p.work), env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    results = [(proc.communicate(timeout=600), proc.returncode) for proc in procs]
    assert [(out.decode().strip(), status) for (out, _), status in results] == [("5", 0), ("5", 0)], results
    messages = [err.decode().strip() for (_, err), _ in results]
    assert sorted(bool(m) for m in messages) == [False, True], messages
    assert REBUILT.match("".join(messages)), messages


@pytest.mark.parametrize("version", VERSIONS)
def test_build_script_project_rebuilds_on_import(venvs, scratch, forge_wheelhouse, version):
    p = install(venvs, scratch, forge_wheelhouse, version, "scalc", SCRIPTED)
    call = "from scalc import lib; print(lib.mul(6, 7))"
    assert p.run(call)[:2] == ("42", "")
    out, err, _ = p.run(NO_SPAWN % ("scalc", "scalc.lib.mul(2, 2)"))
    assert (out, err) == ("4 0", "")

    edit(p.root / "scalc/s.c", "return a * b * FACTOR;", "return a * b * FACTOR + 1;")
    assert p.rebuilt(call, "scalc._s", "scalc/s.c") == "43"

    edit(p.root / "scalc/s.h", "#define FACTOR 1\n", "#define FACTOR 10\n")
    assert p.rebuilt(call, "scalc._s", "scalc/s.h") == "421"

    # The cdef, in the build script.
    edit(p.root / "scalc_build.py", 'cdef("int mul(int a, int b);")', 'cdef("int mul(int a, int b); int neg(int a);")')
    with open(p.root / "scalc/s.c", "a") as f:
        f.write("int neg(int a) { return -a; }\n")
    with open(p.root / "scalc/s.h", "a") as f:
        f.write("int neg(int a);\n")
    assert p.rebuilt("from scalc import lib; print(lib.neg(5))", "scalc._s", "scalc_build.py") == "-5"

    # The cdef, in a file the build script reads.
    edit(p.root / "scalc/extra.cdef", "int twice(int a);\n", "int twice(int a);\nint half(int a);\n")
    with open(p.root / "scalc/s.c", "a") as f:
        f.write("int half(int a) { return a / 2; }\n")
    with open(p.root / "scalc/s.h", "a") as f:
        f.write("int half(int a);\n")
    assert p.rebuilt("from scalc import lib; print(lib.half(8), lib.twice(8))", "scalc._s", "scalc/extra.cdef") == "4 16"

    # A build script that fails: ImportError with its traceback's message.
    edit(p.root / "scalc_build.py", "ffibuilder = FFI()\n", "ffibuilder = FFI()\nraise ValueError('boom from the script')\n")
    out, err, status = p.run(call, check=False)
    assert status != 0 and "ImportError" in err and "boom from the script" in err, err
    assert p.run(call, CFFI_FORGE_EDITABLE_REBUILD="0")[:2] == ("421", "")


# The hook's own logic, on a hand-written manifest (no install, no build).
def load_runtime(manifest: Path, modules):
    import importlib.util

    path = Path(__file__).resolve().parents[3] / "backend" / "cffi_forge" / "_editable.py"
    spec = importlib.util.spec_from_file_location("_editable_under_test", path)
    runtime = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runtime)
    return runtime._BuiltModuleFinder(str(manifest), frozenset(modules)), runtime


def fake_install(tmp_path: Path, binary: str):
    import hashlib
    import json

    source = tmp_path / "proj" / "m.c"
    source.parent.mkdir()
    source.write_text("int x;\n")
    built = tmp_path / "build" / "editable" / "_m.py"
    built.parent.mkdir(parents=True)
    built.write_text("VALUE = 1\n")
    st = source.stat()
    record = {
        "path": str(source),
        "size": st.st_size,
        "mtime_ns": str(st.st_mtime_ns),
        "sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
    }
    manifest = built.parent / "manifest.json"
    manifest.write_text(json.dumps({
        "format": 1,
        "project": str(source.parent),
        "binary": binary,
        "python": sys.executable,
        "ext_suffix": "",
        "build_dir": str(tmp_path / "build"),
        "common": [],
        "modules": {"_m": {"file": str(built), "inputs": [record]}},
    }))
    return manifest, source, built


def test_a_touched_input_with_the_same_content_is_not_stale(tmp_path):
    manifest, source, built = fake_install(tmp_path, "/nonexistent/cffi-forge")
    finder, _ = load_runtime(manifest, ["_m"])
    assert finder.find_spec("other") is None
    assert finder.find_spec("_m").origin == str(built)
    os.utime(source, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns + 5 * 10**9))
    # Only the hash tells: still fresh, no rebuild attempted (the binary does not exist).
    assert finder.find_spec("_m").origin == str(built)


def test_a_stale_module_whose_binary_is_gone_asks_for_a_reinstall(tmp_path, monkeypatch):
    manifest, source, _ = fake_install(tmp_path, str(tmp_path / "gone" / "cffi-forge"))
    finder, _ = load_runtime(manifest, ["_m"])
    source.write_text("int x, y;\n")
    with pytest.raises(ImportError) as raised:
        finder.find_spec("_m")
    message = str(raised.value)
    assert "cannot rebuild _m (m.c changed)" in message and "reinstall the project" in message, message
    # Turned off, the last build is used.
    monkeypatch.setenv("CFFI_FORGE_EDITABLE_REBUILD", "0")
    assert finder.find_spec("_m") is not None
