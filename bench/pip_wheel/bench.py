"""`pip wheel` with cffi-forge against setuptools + cffi, on the same sources.

Projects: every sample project (its setuptools twin is generated: a setup.py with
`cffi_modules`) and the three real projects (their unpatched sdist with setuptools vs the
sdist with only pyproject.toml patched for cffi-forge). Modes:

  isolated      pip wheel with build isolation (what users get by default)
  no-isolation  pip wheel --no-build-isolation, build requirements preinstalled
  rebuild       a second --no-build-isolation pip wheel of the same, unchanged tree
  hook          the backend alone: `python -c "import <backend>; <backend>.build_wheel(out)"`
                in a fresh tree, no pip (shows how much of the rest is the frontend's)
  uv            `uv build --wheel` of a fresh tree (isolated, uv's cache warm)

Each (project, backend, mode) runs --reps times; the table shows medians and the ratio
setuptools / cffi-forge (above 1 means cffi-forge is faster). Nothing is asserted.

By default every build requirement of both backends is downloaded once into a local folder
and pip gets `--no-index --find-links <folder>`, so index round trips to PyPI (jittery, and
no part of either backend) stay out of the numbers; `--pypi` measures with the live index.

    python bench/pip_wheel/bench.py [--reps 3] [--python python3.12] [--only a,b] [--no-real]
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests" / "real_projects"))
import real_projects  # noqa: E402
import setuptools_variant  # noqa: E402

MODES = ["isolated", "no-isolation", "rebuild", "hook", "uv"]
HOOKS = {"setuptools": "setuptools.build_meta", "cffi-forge": "cffi_forge"}
BACKENDS = ["setuptools", "cffi-forge"]
# Build requirements preinstalled for the no-isolation modes: the union of what both
# backends need for every project (setuptools-scm: argon2-cffi-bindings; wheel: xattr).
NO_ISOLATION_REQUIREMENTS = ["cffi", "pycparser", "setuptools>=77", "setuptools-scm", "wheel"]


UV_CACHE = None  # set by Bench: uv's cache in the work folder, warm after the first build


def env():
    e = {k: v for k, v in os.environ.items() if not k.startswith(("CFFI_FORGE_", "PIP_", "UV_"))}
    e.pop("PYTHONPATH", None)
    e.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    if UV_CACHE:
        e.update(UV_CACHE_DIR=str(UV_CACHE), UV_NO_CONFIG="1", UV_PYTHON_DOWNLOADS="never")
    return e


def run(cmd, cwd=None):
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env(), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    if proc.returncode:
        sys.stderr.write(proc.stdout.decode("utf-8", "replace")[-6000:])
        raise SystemExit("command failed: %s" % " ".join(map(str, cmd)))
    return proc


def wheelhouse_path(arg):
    path = Path(arg)
    if not list(path.glob("cffi_forge-*.whl")):
        raise SystemExit(
            "no cffi-forge wheel in %s: run tests/run.sh first, or "
            "`maturin build --release -o %s`" % (path, path))
    return path


class Bench:
    def __init__(self, python, wheelhouse, work, reps, local_index):
        self.wheelhouse = wheelhouse
        self.work = work
        self.reps = reps
        venv = work / "venv"
        if venv.exists():
            shutil.rmtree(venv)
        run([python, "-m", "venv", venv])
        self.py = venv / "bin" / "python"
        run([self.py, "-m", "pip", "install", "-q", "-U", "pip"])
        forge = next(wheelhouse.glob("cffi_forge-*.whl"))
        run([self.py, "-m", "pip", "install", "-q", forge, *NO_ISOLATION_REQUIREMENTS])
        self.python_version = run([self.py, "--version"]).stdout.decode().strip()
        self.index = ["--find-links", wheelhouse]
        global UV_CACHE
        UV_CACHE = work / "uv-cache"
        self.uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
        if local_index:
            # Everything any isolated build below installs, fetched once.
            local = work / "index"
            shutil.rmtree(local, ignore_errors=True)
            run([self.py, "-m", "pip", "download", "-q", "-d", local, "--only-binary", ":all:",
                 "setuptools>=77", "setuptools>=80.9", "setuptools-scm[toml]>=6.2", "wheel",
                 "cffi>=2.0.0", "pycparser>=2.06"])
            shutil.copy2(forge, local / forge.name)
            self.index = ["--no-index", "--find-links", local]

    def pip_wheel(self, tree, out, isolated):
        cmd = [self.py, "-m", "pip", "wheel", "-q", "--no-deps", "-w", out, *self.index]
        if not isolated:
            cmd.append("--no-build-isolation")
        start = time.perf_counter()
        run(cmd + [tree], cwd=tree.parent)
        return time.perf_counter() - start

    def uv_build(self, tree, out):
        if not Path(self.uv).is_file():
            raise SystemExit("the uv mode needs uv (`pip install uv`, or the tools venv's)")
        cmd = [self.uv, "build", "--wheel", "-q", "--python", self.py, "-o", out, *self.index, tree]
        start = time.perf_counter()
        run(cmd, cwd=tree.parent)
        return time.perf_counter() - start

    def hook(self, tree, out, backend):
        code = "import sys, %s as b; b.build_wheel(sys.argv[1])" % HOOKS[backend]
        out.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        run([self.py, "-c", code, out], cwd=tree)
        return time.perf_counter() - start

    def measure(self, make_tree, mode, backend):
        """Median seconds of `reps` builds of fresh trees (or rebuilds of one tree)."""
        times = []
        if mode == "hook":
            for _ in range(self.reps):
                tree = make_tree(self.work / "tree")
                times.append(self.hook(tree, self.work / "out", backend))
        elif mode == "uv":
            self.uv_build(make_tree(self.work / "tree"), self.work / "out")  # warms uv's cache
            for _ in range(self.reps):
                tree = make_tree(self.work / "tree")
                times.append(self.uv_build(tree, self.work / "out"))
        elif mode == "rebuild":
            tree = make_tree(self.work / "tree")
            self.pip_wheel(tree, self.work / "out", isolated=False)  # the first build
            for _ in range(self.reps):
                times.append(self.pip_wheel(tree, self.work / "out", isolated=False))
        else:
            for _ in range(self.reps):
                tree = make_tree(self.work / "tree")
                times.append(self.pip_wheel(tree, self.work / "out", isolated=mode == "isolated"))
        shutil.rmtree(self.work / "out", ignore_errors=True)
        return statistics.median(times), times


def sample_trees(name):
    source = REPO / "sample-projects" / name

    def forge(dest):
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(source, dest, ignore=setuptools_variant.IGNORED)
        return dest

    def setuptools(dest):
        return Path(setuptools_variant.make_variant(str(source), str(dest)))

    return {"cffi-forge": forge, "setuptools": setuptools}


def real_trees(name):
    project = real_projects.PROJECTS[name]
    return {
        "cffi-forge": lambda dest: real_projects.prepare(project, dest, patched=True),
        "setuptools": lambda dest: real_projects.prepare(project, dest, patched=False),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--python", default="python3.12")
    parser.add_argument("--only", default="", help="comma-separated project names")
    parser.add_argument("--no-real", action="store_true", help="only the sample projects")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--pypi", action="store_true",
                        help="isolated builds fetch build requirements from PyPI (default: a local folder)")
    parser.add_argument("--wheelhouse", default=os.environ.get("CFFI_FORGE_WHEELHOUSE")
                        or str(REPO / "target" / "wheelhouse"))
    parser.add_argument("--json", default=str(REPO / "target" / "bench" / "pip_wheel.json"))
    args = parser.parse_args(argv)

    samples = sorted(p.parent.name for p in (REPO / "sample-projects").glob("*/pyproject.toml"))
    samples = [s for s in samples if _has_build_scripts(s)]
    projects = [(s, "sample", sample_trees(s)) for s in samples]
    if not args.no_real:
        projects += [(n, "real", real_trees(n)) for n in sorted(real_projects.PROJECTS)]
    if args.only:
        wanted = set(args.only.split(","))
        projects = [p for p in projects if p[0] in wanted]
    modes = args.modes.split(",")

    work = real_projects.default_cache() / "bench"
    work.mkdir(parents=True, exist_ok=True)
    python = shutil.which(args.python) or args.python
    bench = Bench(python, wheelhouse_path(args.wheelhouse), work, args.reps, not args.pypi)
    print("pip wheel benchmark: %s, %d cores, %s, %d repetitions (median), build requirements from %s"
          % (bench.python_version, os.cpu_count(), platform.machine(), args.reps,
             "PyPI" if args.pypi else "a local folder (--no-index)"), flush=True)
    header = "%-22s %-13s %12s %12s %8s" % ("project", "mode", "setuptools", "cffi-forge", "ratio")
    print(header + "\n" + "-" * len(header), flush=True)

    results = []
    for name, kind, trees in projects:
        for mode in modes:
            row = {"project": name, "kind": kind, "mode": mode}
            for backend in BACKENDS:
                median, times = bench.measure(trees[backend], mode, backend)
                row[backend] = median
                row[backend + "-runs"] = times
            row["ratio"] = row["setuptools"] / row["cffi-forge"]
            results.append(row)
            print("%-22s %-13s %11.2fs %11.2fs %7.1fx" % (
                name, mode, row["setuptools"], row["cffi-forge"], row["ratio"]), flush=True)

    print("\ngeometric mean of the ratios:")
    for kind, label in (("sample", "samples"), ("real", "real projects")):
        for mode in modes:
            ratios = [r["ratio"] for r in results if r["kind"] == kind and r["mode"] == mode]
            if ratios:
                print("  %-14s %-13s %5.1fx  (%d projects)"
                      % (label, mode, statistics.geometric_mean(ratios), len(ratios)))
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"python": bench.python_version, "reps": args.reps,
                               "index": "pypi" if args.pypi else "local",
                               "results": results}, indent=2))
    print("\nraw timings: %s" % out)


def _has_build_scripts(sample):
    """Declarative samples have no setuptools twin to compare with."""
    try:
        setuptools_variant.cffi_modules(str(REPO / "sample-projects" / sample),
                                        _load(REPO / "sample-projects" / sample / "pyproject.toml"))
        return True
    except SystemExit:
        return False


def _load(path):
    with open(path, "rb") as f:
        return setuptools_variant.tomllib.load(f)


if __name__ == "__main__":
    main()
