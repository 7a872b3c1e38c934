"""The differential harness: generate each corpus case with cffi and with cffi-forge,
build/load both in an interpreter (through worker.py) and return what each exposes."""

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

import cffi
import cffi.recompiler

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
CORPUS = REPO / "tests" / "module_cases"
WORKER = HERE / "worker.py"


def forge_bin():
    path = os.environ.get("CFFI_FORGE_BIN") or str(REPO / "target" / "release" / "cffi-forge")
    if not os.path.exists(path):
        raise RuntimeError(
            "cffi-forge binary not found at %s: run `cargo build --release` or set CFFI_FORGE_BIN" % path
        )
    return path


def load_cases():
    cases = []
    for f in sorted(CORPUS.glob("*.toml")):
        with open(f, "rb") as fh:
            for case in tomllib.load(fh)["case"]:
                case.setdefault("modes", ["abi", "api"])
                case.setdefault("calls", [])
                case["file"] = f.name
                cases.append(case)
    return cases


def cdef_options(case):
    opts = {}
    if case.get("packed"):
        opts["packed"] = True
    if case.get("pack"):
        opts["pack"] = case["pack"]
    return opts


def cffi_ffi(case):
    ffi = cffi.FFI()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ffi.cdef(case["cdef"], **cdef_options(case))
    return ffi


def type_names(case):
    """Every type the cdef names, from cffi's own parser (the oracle)."""
    ffi = cffi_ffi(case)
    names = []
    for key in sorted(ffi._parser._declarations):
        kind, name = key.split(" ", 1)
        if kind in ("struct", "union", "enum"):
            names += [key, key + " *"]
        elif kind in ("typedef", "anonymous") and not name.startswith("$"):
            names += [name, name + " *"]
    return names


def toml_str(s):
    # A JSON string is a valid TOML basic string.
    return json.dumps(s)


def spec_text(case, module, mode):
    lines = ["[[module]]", "name = %s" % toml_str(module)]
    opts = cdef_options(case)
    if not opts:
        lines.append("cdef = %s" % toml_str(case["cdef"]))
    if mode == "api":
        lines.append("source = %s" % toml_str(case["source"]))
    if opts:
        lines += ["", "[[module.cdefs]]", "source = %s" % toml_str(case["cdef"])]
        if opts.get("packed"):
            lines.append("packed = true")
        if opts.get("pack"):
            lines.append("pack = %d" % opts["pack"])
    return "\n".join(lines) + "\n"


def generate_ours(case, mode, outdir):
    """Returns (module, output path or None, refusal "Class: message" or None)."""
    module = "_forge_%s" % case["name"]
    spec = outdir / ("%s.toml" % module)
    spec.write_text(spec_text(case, module, mode))
    out = outdir / (module + (".py" if mode == "abi" else ".c"))
    cmd = "generate-py" if mode == "abi" else "generate-c"
    proc = subprocess.run(
        [forge_bin(), cmd, str(spec), "--module", module, "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
    )
    if proc.returncode != 0:
        for line in proc.stderr.splitlines():
            if line.startswith("cffi-error: "):
                return module, None, line[len("cffi-error: "):].replace(module, "MODULE")
        return module, None, "exit %d without a cffi-error line:\n%s" % (proc.returncode, proc.stderr)
    return module, out, None


def generate_cffi(case, mode, outdir):
    """Returns (module, output path or None, refusal "Class: message" or None)."""
    module = "_cffi_%s" % case["name"]
    try:
        ffi = cffi_ffi(case)
        if mode == "abi":
            out = outdir / (module + ".py")
            cffi.recompiler.make_py_source(ffi, module, str(out))
        else:
            out = outdir / (module + ".c")
            cffi.recompiler.make_c_source(ffi, module, case["source"], str(out))
    except Exception as e:  # noqa: BLE001 - what cffi refuses, we must refuse alike
        message = str(e).replace("\\", "\\\\").replace("\n", "\\n").replace(module, "MODULE")
        return module, None, "%s: %s" % (type(e).__name__, message)
    return module, out, None


def build_library(case, outdir):
    """The shared library an ABI-mode case dlopens."""
    src = outdir / ("lib_%s.c" % case["name"])
    src.write_text(case["source"] + "\n")
    lib = outdir / ("lib_%s.so" % case["name"])
    proc = subprocess.run(
        ["gcc", "-shared", "-fPIC", "-O0", "-o", str(lib), str(src)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
    )
    if proc.returncode != 0:
        raise RuntimeError("corpus case %s: library does not build:\n%s" % (case["name"], proc.stdout))
    return lib


class Run:
    """Results of one interpreter over a set of cases in one mode."""

    def __init__(self, python, cases, mode, workdir):
        self.python = python
        self.mode = mode
        self.workdir = Path(workdir)
        self.refusals = {}  # case -> (cffi's refusal, ours)
        self.results = {}
        self.cases = {c["name"]: c for c in cases}
        self._run(cases)

    def _run(self, cases):
        gen = self.workdir / "gen"
        gen.mkdir(parents=True, exist_ok=True)
        modules = []
        for case in cases:
            names = type_names(case)
            ours_mod, ours_out, ours_err = generate_ours(case, self.mode, gen)
            cffi_mod, cffi_out, cffi_err = generate_cffi(case, self.mode, gen)
            if ours_err is not None or cffi_err is not None:
                self.refusals[case["name"]] = (cffi_err, ours_err)
                continue
            lib = build_library(case, gen) if self.mode == "abi" else None
            for side, module, path in (("cffi", cffi_mod, cffi_out), ("ours", ours_mod, ours_out)):
                side_lib = None
                if lib is not None:
                    # One copy per side: globals must not be shared between the two.
                    side_lib = str(lib.with_name("%s_%s.so" % (lib.stem, side)))
                    shutil.copyfile(str(lib), side_lib)
                modules.append({
                    "case": case["name"], "side": side, "mode": self.mode, "module": module,
                    "path": str(path), "lib": side_lib, "werror": side == "ours",
                    "types": names, "calls": case["calls"],
                })
        job = {"tmp": str(self.workdir / "build"), "modules": modules, "jobs": 2}
        job_path = self.workdir / "job.json"
        job_path.write_text(json.dumps(job))
        out_path = self.workdir / "facts.json"
        proc = subprocess.run(
            [self.python, str(WORKER), str(job_path), str(out_path)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
        )
        if proc.returncode != 0:
            raise RuntimeError("worker failed under %s:\n%s" % (self.python, proc.stdout[-4000:]))
        self.results = json.loads(out_path.read_text())

    def interpreter(self):
        return self.results["_interpreter"]

    def compare(self, name):
        """Assert that our module exposes exactly what cffi's does for case `name`."""
        if name in self.refusals:
            theirs, ours = self.refusals[name]
            if theirs is not None and not self.cases[name].get("refused"):
                raise AssertionError("corpus case %s is broken: cffi refuses it: %s" % (name, theirs))
            assert ours == theirs, "refusals differ for %s" % name
            return
        if self.cases[name].get("refused"):
            raise AssertionError("corpus case %s should be refused, but cffi accepts it" % name)
        theirs = self.results["%s/cffi" % name]
        ours = self.results["%s/ours" % name]
        if "load-error" in theirs:
            raise AssertionError("corpus case %s is broken (cffi's own module fails):\n%s"
                                 % (name, theirs["load-error"]))
        if "load-error" in ours:
            raise AssertionError("our module for %s fails to load:\n%s" % (name, ours["load-error"]))
        for section in ("dir", "types", "lib", "calls"):
            assert ours[section] == theirs[section], "%s differs for %s" % (section, name)


def cache_root():
    base = os.environ.get("CFFI_FORGE_TEST_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(str(Path.home()), ".cache"), "cffi-forge-tests"
    )
    root = Path(base) / "gen-emit"
    root.mkdir(parents=True, exist_ok=True)
    return root


def ensure_venv(python, requirement):
    """A venv under the cache dir for `python` with `requirement` (e.g. cffi==1.15.1)."""
    ver = subprocess.check_output(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], universal_newlines=True
    ).strip()
    venv = cache_root() / ("venv-%s-%s" % (ver, requirement.replace("=", "").replace(">", "")))
    py = venv / "bin" / "python"
    stamp = venv / ".ready"
    if not stamp.exists():
        if venv.exists():
            shutil.rmtree(str(venv))
        subprocess.check_call([python, "-m", "venv", str(venv)])
        subprocess.check_call([str(py), "-m", "pip", "install", "-q", requirement])
        stamp.write_text(requirement)
    return str(py)


def python_path(version):
    """The CPython of a given minor version, or None: found as the end-to-end tests find
    it (tests/py/e2e/interpreters.py: CFFI_FORGE_TEST_PYTHONS from run.sh, pyenv, PATH,
    uv), not through pyenv alone, since run.sh installs missing ones with uv."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e2e"))
    try:
        import interpreters
    finally:
        sys.path.pop(0)
    return interpreters.find(version)


def test_python():
    return os.environ.get("CFFI_FORGE_TEST_PYTHON") or sys.executable
