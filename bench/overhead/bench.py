"""How much time cffi-forge itself adds to a build, and how fast the frontends get.

Three measurements, one run, medians of --reps:

  beyond the compiler   `cffi-forge build` of a declarative project in a fresh build
                        directory, minus the compiler: the compile and link commands it
                        ran (`-v` prints them) are replayed as it runs them (compiles in
                        parallel, then links) and timed on their own. Target: <= 20 ms.
  no-change rebuild     a second `cffi-forge build` of the same tree (the object cache
                        answers, nothing compiles), and the same through the PEP 517 hook
                        (`python -c "import cffi_forge; cffi_forge.build_wheel(...)"`).
                        Target: <= 60 ms for the CLI.
  uv build              `uv build --wheel` of small build-script sample projects with
                        cffi-forge against their setuptools + cffi twins (the `uv` mode of
                        bench/pip_wheel). Target: >= 3x.

Nothing is asserted; the ratios and the targets are printed.

    python bench/overhead/bench.py [--reps 7] [--bin target/release/cffi-forge]
        [--python python3.12] [--uv-projects fasthash,libmcall] [--no-uv]
        [--baseline /path/to/main/cffi-forge]

The uv part needs the cffi-forge wheel in target/wheelhouse (as bench/pip_wheel does).
"""

import argparse
import concurrent.futures
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

# Declarative samples: b64kit (API mode, bundled C), zdlopen (ABI mode: no compiler at all),
# and a one-function module (the smallest API-mode build).
TINY = """[build-system]
requires = ["cffi-forge"]
build-backend = "cffi_forge"

[project]
name = "tiny"
version = "1.0.0"

[[tool.cffi-forge.module]]
name = "_tiny"
cdef = "int seven(void);"
source = "static int seven(void) { return 7; }"
"""


def clean_env(cache):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CFFI_FORGE_")}
    env.update(NO_COLOR="1", CFFI_FORGE_CACHE_DIR=str(cache))
    env.pop("CC", None)
    return env


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd, cwd, env, cpu=None):
    """Wall seconds of `cmd` (and its stderr); with `cpu` (a list), appends the CPU seconds
    it and its children used: unlike wall time, not inflated by other jobs on the machine."""
    cpu_start = children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if cpu is not None:
        cpu.append(children_cpu() - cpu_start)
    if proc.returncode:
        sys.stderr.write(proc.stderr.decode("utf-8", "replace")[-4000:])
        raise SystemExit("command failed: %s" % " ".join(map(str, cmd)))
    return elapsed, proc.stderr.decode("utf-8", "replace")


def replay(commands, cwd, env, cpu):
    """Run the compiler commands as cffi-forge ran them: compiles together, then the rest.
    Appends their CPU seconds to `cpu`; returns the wall seconds."""
    cpu_start = children_cpu()
    compiles = [c for c in commands if "-c" in c]
    others = [c for c in commands if "-c" not in c]
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        for proc in pool.map(lambda c: subprocess.run(c, cwd=cwd, env=env, capture_output=True), compiles):
            if proc.returncode:
                raise SystemExit("replayed compile failed: %s" % proc.stderr.decode()[-2000:])
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        for proc in pool.map(lambda c: subprocess.run(c, cwd=cwd, env=env, capture_output=True), others):
            if proc.returncode:
                raise SystemExit("replayed command failed: %s" % proc.stderr.decode()[-2000:])
    elapsed = time.perf_counter() - start
    cpu.append(children_cpu() - cpu_start)
    return elapsed


def ran_commands(stderr):
    prefix = "Running "
    return [shlex.split(line.split(prefix, 1)[1]) for line in stderr.splitlines()
            if line.strip().startswith(prefix)]


def ms(seconds):
    return "%6.1f ms" % (seconds * 1000)


def verdict(ok):
    return "met" if ok else "NOT met"


def prepare_tree(work, name, source):
    tree = work / "trees" / name
    shutil.rmtree(tree, ignore_errors=True)
    if source is None:
        tree.mkdir(parents=True)
        (tree / "pyproject.toml").write_text(TINY)
    else:
        shutil.copytree(source, tree, ignore=shutil.ignore_patterns("build", "dist", "tests"))
    return tree


def beyond_the_compiler(binaries, python, work, reps):
    """Per project and binary: (wall, cpu) medians of the time beyond the compiler. The
    binaries take turns within each repetition, so load changes hit them alike."""
    print("\n== backend time beyond the compiler (cffi-forge build, fresh build directory) ==")
    print("wall: elapsed time; cpu: user+system time of cffi-forge and its children (steady\n"
          "under load, unlike wall time); compiler: the same commands replayed on their own")
    print("%-10s %-9s %10s %10s %10s   %10s %10s %10s" % ("project", "binary", "build", "compiler", "beyond",
                                                           "cpu build", "compiler", "beyond"))
    projects = {"tiny": None, "b64kit": REPO / "sample-projects" / "b64kit",
                "zdlopen": REPO / "sample-projects" / "zdlopen"}
    rows = {}
    for name, source in projects.items():
        tree = prepare_tree(work, name, source)
        build_dir = tree / "build"
        samples = {label: ([], [], [], []) for label in binaries}
        # One unmeasured build each: the interpreter's facts and the compiler's probe get
        # cached (in each binary's own user cache), as on any second build.
        for i in range(reps + 1):
            for label, binary in binaries.items():
                env = clean_env(work / ("user-cache-" + label))
                totals, compilers, cpu_totals, cpu_compilers = samples[label]
                shutil.rmtree(build_dir, ignore_errors=True)
                out = work / "out"
                shutil.rmtree(out, ignore_errors=True)
                cpu = []
                total, stderr = timed([binary, "build", "-v", str(tree), "-o", str(out), "-i", python],
                                      cwd=tree, env=env, cpu=cpu)
                compiler = replay(ran_commands(stderr), tree, env, cpu)
                if i:
                    totals.append(total)
                    compilers.append(compiler)
                    cpu_totals.append(cpu[0])
                    cpu_compilers.append(cpu[1])
        med = statistics.median
        for label in binaries:
            totals, compilers, cpu_totals, cpu_compilers = samples[label]
            beyond = med([t - c for t, c in zip(totals, compilers)])
            cpu_beyond = med([t - c for t, c in zip(cpu_totals, cpu_compilers)])
            rows[(name, label)] = (beyond, cpu_beyond)
            print("%-10s %-9s %10s %10s %10s   %10s %10s %10s" % (
                name, label, ms(med(totals)), ms(med(compilers)), ms(beyond),
                ms(med(cpu_totals)), ms(med(cpu_compilers)), ms(cpu_beyond)), flush=True)
        if "baseline" in binaries:
            print("%-10s %-9s %10s %10s %10s   %10s %10s %10s" % (
                "", "ratio", "", "", ratio(rows[(name, "baseline")][0], rows[(name, "this")][0]),
                "", "", ratio(rows[(name, "baseline")][1], rows[(name, "this")][1])), flush=True)
    return rows


def ratio(base, new):
    """baseline / this, as `4.1x` (above 1: this binary spends less)."""
    return "%.1fx" % (base / new) if new > 0 else "inf"


def compiler_probe(work, reps):
    """What the `cc` crate runs to learn the compiler's family (`cc -E` of a file testing
    __clang__/__GNUC__, then `cc -?`): once per compiler identity with the probe cache,
    before every build's first compile without it."""
    probe = work / "probe.c"
    probe.write_text("#ifdef __clang__\n\"clang\"\n#endif\n#ifdef __GNUC__\n\"gcc\"\n#endif\n")
    compiler = os.environ.get("CC", "cc").split()[-1]
    walls, cpus = [], []
    for _ in range(reps):
        cpu = children_cpu()
        start = time.perf_counter()
        subprocess.run([compiler, "-E", str(probe)], capture_output=True)
        subprocess.run([compiler, "-?"], capture_output=True, stdin=subprocess.DEVNULL)
        walls.append(time.perf_counter() - start)
        cpus.append(children_cpu() - cpu)
    print("cc's compiler-family probe alone (`%s -E` + `%s -?`): %s wall, %s cpu"
          % (compiler, compiler, ms(statistics.median(walls)).strip(), ms(statistics.median(cpus)).strip()))


def rebuild(binaries, python, work, reps):
    print("\n== no-change rebuild (object cache warm) ==")
    tree = prepare_tree(work, "b64kit-rebuild", REPO / "sample-projects" / "b64kit")
    out = work / "out"
    cli = {label: [] for label in binaries}
    cpu = {label: [] for label in binaries}
    hook = {label: [] for label in binaries}
    code = "import sys, cffi_forge; cffi_forge.build_wheel(sys.argv[1])"
    for label, binary in binaries.items():
        env = clean_env(work / ("user-cache-" + label))
        # Each binary its own build directory: a rebuild reuses what that binary built.
        timed([binary, "build", str(tree), "-o", str(out), "-i", python], cwd=tree,
              env=dict(env, CFFI_FORGE_BUILD_DIR=str(work / ("rebuild-dir-" + label))))
    for _ in range(reps):
        for label, binary in binaries.items():
            env = clean_env(work / ("user-cache-" + label))
            env["CFFI_FORGE_BUILD_DIR"] = str(work / ("rebuild-dir-" + label))
            cli[label].append(timed([binary, "build", str(tree), "-o", str(out), "-i", python],
                                    cwd=tree, env=env, cpu=cpu[label])[0])
            hook_env = dict(env, CFFI_FORGE_BIN=str(binary), PYTHONPATH=str(REPO / "backend"))
            hook[label].append(timed([python, "-c", code, str(out)], cwd=tree, env=hook_env)[0])
    start = [timed([python, "-c", "pass"], cwd=tree, env=clean_env(work))[0] for _ in range(reps)]
    med = statistics.median
    for label in binaries:
        print("%-44s %s  (cpu %s)" % ("cffi-forge build (b64kit), %s" % label, ms(med(cli[label])),
                                       ms(med(cpu[label])).strip()))
        print("%-44s %s" % ("build_wheel hook, python -c, %s" % label, ms(med(hook[label]))))
    if "baseline" in binaries:
        print("%-44s %s (cli wall), %s (cpu), %s (hook)" % (
            "ratio baseline / this", ratio(med(cli["baseline"]), med(cli["this"])),
            ratio(med(cpu["baseline"]), med(cpu["this"])), ratio(med(hook["baseline"]), med(hook["this"]))))
    print("%-44s %s" % ("  of which starting Python (python -c pass)", ms(med(start))))
    return med(cli["this"]), med(cpu["this"])


def uv_builds(python, work, reps, projects, wheelhouse):
    """`uv build --wheel` of each project's setuptools twin and cffi-forge tree, taking
    turns within each repetition (load that comes and goes hits both alike); the ratio is
    the median of the per-repetition ratios."""
    print("\n== uv build --wheel: setuptools + cffi against cffi-forge (build-script samples) ==")
    sys.path.insert(0, str(REPO / "bench" / "pip_wheel"))
    import bench as pip_bench  # noqa: E402 - bench/pip_wheel/bench.py

    bench = pip_bench.Bench(shutil.which(python) or python, pip_bench.wheelhouse_path(wheelhouse),
                            work / "uv", reps, True)
    print("%-12s %12s %12s %8s" % ("project", "setuptools", "cffi-forge", "ratio"))
    ratios = []
    for name in projects:
        trees = pip_bench.sample_trees(name)
        times = {b: [] for b in pip_bench.BACKENDS}
        for backend in pip_bench.BACKENDS:  # warms uv's cache, as after a first build
            bench.uv_build(trees[backend](bench.work / "tree"), bench.work / "out")
        for _ in range(reps):
            for backend in pip_bench.BACKENDS:
                tree = trees[backend](bench.work / "tree")
                times[backend].append(bench.uv_build(tree, bench.work / "out"))
        ratio = statistics.median([s / f for s, f in zip(times["setuptools"], times["cffi-forge"])])
        ratios.append(ratio)
        print("%-12s %11.2fs %11.2fs %7.2fx" % (name, statistics.median(times["setuptools"]),
                                                statistics.median(times["cffi-forge"]), ratio), flush=True)
    return statistics.geometric_mean(ratios)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--bin", default=os.environ.get("CFFI_FORGE_BIN")
                        or str(REPO / "target" / "release" / "cffi-forge"))
    parser.add_argument("--python", default="python3")
    parser.add_argument("--baseline", help="another cffi-forge binary (e.g. built from main), measured "
                        "in the same run, turn about with --bin; ratios are baseline / this")
    parser.add_argument("--uv-projects", default="fasthash,libmcall")
    parser.add_argument("--uv-reps", type=int, default=3)
    parser.add_argument("--no-uv", action="store_true")
    parser.add_argument("--wheelhouse", default=os.environ.get("CFFI_FORGE_WHEELHOUSE")
                        or str(REPO / "target" / "wheelhouse"))
    args = parser.parse_args(argv)
    binary = str(Path(args.bin).resolve())
    if not Path(binary).is_file():
        raise SystemExit("no cffi-forge binary at %s: cargo build --release, or pass --bin" % binary)
    python = subprocess.run([args.python, "-c", "import sys; print(sys.executable)"],
                            capture_output=True, text=True, check=True).stdout.strip()
    cache = Path(os.environ.get("CFFI_FORGE_TEST_CACHE") or Path.home() / ".cache" / "cffi-forge-tests")
    work = cache / "bench-overhead"
    work.mkdir(parents=True, exist_ok=True)
    version = subprocess.run([python, "--version"], capture_output=True, text=True).stdout.strip()
    print("backend overhead: %s, %s, %d cores, %d repetitions (median)"
          % (binary, version, os.cpu_count(), args.reps), flush=True)

    binaries = {"this": binary}
    if args.baseline:
        binaries["baseline"] = str(Path(args.baseline).resolve())
        print("baseline: %s (ratios below are baseline / this: above 1, this binary is faster)"
              % binaries["baseline"], flush=True)
    beyond = beyond_the_compiler(binaries, python, work, args.reps)
    compiler_probe(work, args.reps)
    rebuilt, rebuilt_cpu = rebuild(binaries, python, work, args.reps)
    uv = None
    if not args.no_uv:
        uv = uv_builds(args.python, work, args.uv_reps, args.uv_projects.split(","), args.wheelhouse)

    print("\n== targets ==")
    worst = max(beyond[("tiny", "this")][0], beyond[("b64kit", "this")][0])
    worst_cpu = max(beyond[("tiny", "this")][1], beyond[("b64kit", "this")][1])
    print("beyond the compiler, declarative (tiny, b64kit): %s wall, %s cpu  (<= 20 ms: %s wall, %s cpu)"
          % (ms(worst).strip(), ms(worst_cpu).strip(), verdict(worst <= 0.020), verdict(worst_cpu <= 0.020)))
    print("no-change rebuild (cffi-forge build):            %s wall, %s cpu  (<= 60 ms: %s)"
          % (ms(rebuilt).strip(), ms(rebuilt_cpu).strip(), verdict(rebuilt <= 0.060)))
    if uv is not None:
        print("uv build, build-script samples (geometric mean): %.2fx  (>= 3x: %s)" % (uv, verdict(uv >= 3)))


if __name__ == "__main__":
    main()
