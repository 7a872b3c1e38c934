"""Build real CFFI projects from their PyPI sdists with cffi-forge and run their own tests.

Each project is downloaded with `pip download --no-binary :all: --no-deps`, unpacked, and
only its pyproject.toml is patched: `[build-system]` points at cffi-forge, a dynamic version
becomes the static one the sdist's PKG-INFO records, and a `[tool.cffi-forge]` table says
what setup.py used to say. Nothing else in the project is touched; its setup.py stays (and
is never executed). The wheel is built with an isolated `pip wheel` offered the local
cffi-forge wheel, installed into a fresh venv, and the project's own test suite runs
against the installed package.

    python tests/real_projects/real_projects.py [--python 3.12] [--variant all] [NAME ...]

The same functions serve the end-to-end tests (tests/py/e2e/test_real_projects.py) and the
benchmark (bench/pip_wheel), which also builds the unpatched sdists with setuptools.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


class Project:
    def __init__(self, name, version, tool, build_requires=(), test_requires=("pytest",),
                 test_paths=("tests",), notes="", declarative=None):
        self.name = name
        self.version = version
        self.tool = tool  # the [tool.cffi-forge] table to add
        self.build_requires = list(build_requires)  # what the build script imports
        self.test_requires = list(test_requires)
        self.test_paths = list(test_paths)
        self.notes = notes
        # TOML replacing the build script with declarative modules (no cffi at build time),
        # or None when the project is only built through its build script.
        self.declarative = declarative

    @property
    def requirement(self):
        return "%s==%s" % (self.name, self.version)


PROJECTS = {
    p.name: p
    for p in [
        Project(
            "argon2-cffi-bindings",
            "25.1.0",
            tool={
                "cffi-modules": ["src/_argon2_cffi_bindings/_ffi_build.py:ffi"],
                # setup.py's ext_package: the script says set_source("_ffi", ...).
                "ext-package": "_argon2_cffi_bindings",
            },
            notes="setup.py: bdist_wheel subclass for the cp3X abi3 tag (off on free-threaded "
            "builds), ext_package, setuptools-scm version; the build script reads "
            "ARGON2_CFFI_USE_SYSTEM / ARGON2_CFFI_USE_SSE2 / ARCHFLAGS and passes "
            "py_limited_api; tests/test_build.py imports the build script from the "
            "installed package.",
        ),
        Project(
            "cmarkgfm",
            "2025.10.22",
            # setup.py holds a literal cffi_modules list: cffi-forge reads it statically.
            tool={},
            # The build script imports distutils.ccompiler and distutils.dist; on Python
            # 3.12+ only setuptools provides them.
            build_requires=["setuptools"],
            notes="setup.py: only cffi_modules (a literal). The build script imports "
            "distutils (setuptools' copy on 3.12+) to pick -std=c99 vs /TP, reads "
            "setup.cfg, and uses absolute include dirs and project-relative sources.",
        ),
        Project(
            "xattr",
            "1.3.0",
            tool={
                "cffi-modules": ["xattr/lib_build.py:ffi"],
                # setup.py's ext_package: the script says set_source("_lib", ...).
                "ext-package": "xattr",
            },
            notes="setup.py: ext_package='xattr', platforms=[...], cffi_modules; "
            "packages=['xattr'] comes from [tool.setuptools]; a console script; the build "
            "script reads lib_build.c/.h next to __file__.",
            # What xattr/lib_build.py does (cdef from lib_build.h, source from lib_build.c,
            # set_source("_lib") under ext_package "xattr"), said in TOML.
            declarative="""\
[tool.cffi-forge]
# setup.py's cffi_modules names the build script these tables replace.
cffi-modules = []

[[tool.cffi-forge.module]]
name = "xattr._lib"
cdef-file = "xattr/lib_build.h"
source-file = "xattr/lib_build.c"
""",
        ),
    ]
}


def default_cache():
    explicit = os.environ.get("CFFI_FORGE_TEST_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cffi-forge-tests"


def _env():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CFFI_FORGE_", "PIP_"))}
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(name, None)
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1",
               PYTHONDONTWRITEBYTECODE="1")
    return env


class Failed(AssertionError):
    pass


def run(cmd, cwd=None, timeout=1800, **extra_env):
    cmd = [str(c) for c in cmd]
    env = dict(_env(), **{k: str(v) for k, v in extra_env.items()})
    proc = subprocess.run(cmd, cwd=str(cwd) if cwd else None, env=env, timeout=timeout,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    text = proc.stdout.decode("utf-8", "replace")
    if proc.returncode:
        tail = text if len(text) < 8000 else "[...]\n" + text[-8000:]
        raise Failed("exit status %d (cwd %s): %s\n%s" % (proc.returncode, cwd, " ".join(cmd), tail))
    return text


def fetch(project, cache=None, pip=None):
    """Download (once) and unpack the sdist; returns the pristine source folder."""
    cache = Path(cache or default_cache()) / "real-projects"
    downloads = cache / "sdists"
    downloads.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[-_.]+", "_", project.name).lower() + "-" + project.version
    archives = [p for p in downloads.glob("*.tar.gz") if p.name.lower() == stem + ".tar.gz"]
    if not archives:
        run([pip or sys.executable, "-m", "pip", "download", "--no-binary", ":all:",
             "--no-deps", "-d", downloads, project.requirement])
        archives = [p for p in downloads.glob("*.tar.gz") if p.name.lower() == stem + ".tar.gz"]
    assert len(archives) == 1, "sdist of %s not found in %s" % (project.requirement, downloads)
    unpacked = cache / "unpacked"
    source = unpacked / archives[0].name[: -len(".tar.gz")]
    if not source.exists():
        unpacked.mkdir(exist_ok=True)
        with tarfile.open(archives[0]) as tar:
            try:
                tar.extractall(unpacked, filter="data")
            except TypeError:  # Python without extraction filters
                tar.extractall(unpacked)
    return source


def _toml_value(value):
    if isinstance(value, str):
        return '"%s"' % value.replace("\\", "\\\\").replace('"', '\\"')
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(value)


# How the patched project is built: through its build script with cffi-forge's generator
# (the default) or with cffi's emitter, or from declarative modules (no build script).
VARIANTS = ("native", "cffi", "declarative")


def variants(project):
    return [v for v in VARIANTS if v != "declarative" or project.declarative]


def patch_pyproject(text, project, variant="native"):
    """The project's pyproject.toml, switched to cffi-forge. Text edits keep the rest as is."""
    assert variant in variants(project), (project.name, variant)
    declarative = variant == "declarative"
    requires = ["cffi-forge"] + ([] if declarative else project.build_requires)
    lines, section, out = text.splitlines(), None, []
    for line in lines:
        header = re.match(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?", line)
        if header:
            section = header.group(1)
            if section == "build-system":
                out += ["[build-system]", "requires = %s" % _toml_value(requires),
                        'build-backend = "cffi_forge"', ""]
                continue
        if section == "build-system":
            continue
        out.append(line)
    text = "\n".join(out) + "\n"

    config = tomllib.loads(text)
    dynamic = config["project"].get("dynamic", [])
    if "version" in dynamic:
        # setuptools-scm computed it; the sdist's PKG-INFO has the result.
        rest = [d for d in dynamic if d != "version"]
        text = re.sub(r"(?m)^dynamic\s*=\s*\[[^\]]*\]\s*$",
                      "version = %s" % _toml_value(project.version)
                      + ("\ndynamic = %s" % _toml_value(rest) if rest else ""), text, count=1)
    if declarative:
        text += "\n" + project.declarative
    else:
        tool = dict(project.tool, **({"generator": "cffi"} if variant == "cffi" else {}))
        if tool:
            text += "\n[tool.cffi-forge]\n" + "".join(
                "%s = %s\n" % (k, _toml_value(v)) for k, v in tool.items())

    patched = tomllib.loads(text)  # must still be valid TOML
    assert patched["project"]["version"] == project.version
    assert patched["build-system"]["build-backend"] == "cffi_forge"
    return text


def prepare(project, dest, patched=True, cache=None, variant="native"):
    """A fresh copy of the sdist's tree at `dest`, patched for cffi-forge (as `variant`)
    unless told not to."""
    source = fetch(project, cache)
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source, dest)
    if patched:
        path = dest / "pyproject.toml"
        text = patch_pyproject(path.read_text(encoding="utf-8"), project, variant)
        path.write_text(text, encoding="utf-8")
    return dest


def venv_python(venv):
    return Path(venv) / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def forge_bin():
    """The cffi-forge binary that runs `migrate`: CFFI_FORGE_BIN, else the release build."""
    path = os.environ.get("CFFI_FORGE_BIN") or str(REPO / "target" / "release" / "cffi-forge")
    assert Path(path).is_file(), "no cffi-forge binary at %s: build it or set CFFI_FORGE_BIN" % path
    return path


def prepare_migrated(project, dest, cache=None):
    """The `migrate` variant: a fresh copy of the sdist's tree converted by `cffi-forge
    migrate --write` alone, then without its setup.py (the pyproject.toml it wrote must
    say everything). Its todo/note lines are saved beside the tree in migrate.txt."""
    source = fetch(project, cache)
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source, dest)
    output = run([forge_bin(), "migrate", "--write", dest])
    (dest.parent / "migrate.txt").write_text(output, encoding="utf-8")
    if (dest / "setup.py").exists():
        (dest / "setup.py").unlink()
    return dest


def build_and_test(project, python, wheelhouse, work, cache=None, log=print, patched=True,
                   variant="native"):
    """Patch (as `variant`), `pip wheel` with cffi-forge (isolated), install into a fresh
    venv, run the project's tests. Returns (wheel path, test output, build output); raises
    Failed with the output on failure. With patched=False the untouched sdist is built by
    its own backend (setuptools): the reference the cffi-forge build is measured against.
    The declarative variant is built with the wheelhouse as the only index: its build
    environment can hold nothing but cffi-forge."""
    work = Path(work)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    if variant == "migrate":
        tree = prepare_migrated(project, work / "src", cache=cache)
    else:
        tree = prepare(project, work / "src", patched=patched, cache=cache, variant=variant)
    backend = "cffi-forge, %s" % variant if patched else "its own backend"
    log("%s: creating a venv with %s" % (project.name, python))
    venv = work / "venv"
    run([python, "-m", "venv", venv])
    py = venv_python(venv)
    log("%s: pip wheel (%s, isolated build)" % (project.name, backend))
    out = work / "wheels"
    no_index = ["--no-index"] if patched and variant == "declarative" else []
    build = run([py, "-m", "pip", "wheel", "-v", "--no-deps", *no_index, "--find-links", wheelhouse,
                 "-w", out, tree], cwd=work, CFFI_FORGE_VERBOSE=1)
    (wheel,) = out.glob("*.whl")
    log("%s: built %s; installing" % (project.name, wheel.name))
    run([py, "-m", "pip", "install", wheel, *project.test_requires])
    # The tests run from a folder holding only the tests and the project's configuration,
    # so they import the installed package, not the source tree.
    tests = work / "run"
    tests.mkdir()
    for name in ("pyproject.toml", "setup.cfg", "tox.ini", "pytest.ini", "conftest.py"):
        if (tree / name).is_file():
            shutil.copy2(tree / name, tests / name)
    for path in project.test_paths:
        shutil.copytree(tree / path, tests / path)
    log("%s: running its tests" % project.name)
    output = run([py, "-m", "pytest", "-p", "no:cacheprovider", *project.test_paths], cwd=tests)
    summary = [l for l in output.splitlines() if re.match(r"^=+ .*(passed|failed|error)", l)]
    log("%s: %s" % (project.name, summary[-1].strip("= ") if summary else "tests ran"))
    return wheel, output, build


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", default=sorted(PROJECTS))
    parser.add_argument("--python", default="python3.12", help="interpreter to build and test with")
    parser.add_argument("--wheelhouse", default=os.environ.get("CFFI_FORGE_WHEELHOUSE")
                        or str(REPO / "target" / "wheelhouse"))
    parser.add_argument("--work", default=None, help="scratch folder (default: in the test cache)")
    parser.add_argument("--setuptools", action="store_true",
                        help="build the unpatched sdists with setuptools instead (reference)")
    parser.add_argument("--variant", choices=VARIANTS + ("all",), default="native",
                        help="native: the build script, cffi-forge's generator (default); cffi: "
                        "the build script with generator = \"cffi\"; declarative: the modules "
                        "as [[tool.cffi-forge.module]] tables (projects converted so far); "
                        "all: every variant of each project")
    args = parser.parse_args(argv)
    python = shutil.which(args.python) or args.python
    work = Path(args.work) if args.work else default_cache() / "real-projects" / "work"
    runs = []
    for name in args.names:
        project = PROJECTS[name]
        if args.setuptools:
            runs.append((project, "setuptools"))
        elif args.variant == "all":
            runs += [(project, v) for v in variants(project)]
        elif args.variant in variants(project):
            runs.append((project, args.variant))
        else:
            print("%s: no %s variant, skipped" % (name, args.variant), file=sys.stderr)
    failed = []
    for project, variant in runs:
        label = "%s (%s)" % (project.name, variant)
        try:
            build_and_test(project, python, args.wheelhouse, work / project.name / variant,
                           patched=variant != "setuptools",
                           variant="native" if variant == "setuptools" else variant)
        except Failed as e:
            failed.append(label)
            print("%s: FAILED\n%s" % (label, e), file=sys.stderr)
    print("real projects: %d passed, %d failed %s" % (len(runs) - len(failed), len(failed),
                                                      failed or ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
