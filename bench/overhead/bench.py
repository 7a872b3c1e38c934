"""How much time cffi-forge itself adds to a build, and how fast the frontends get.

Three measurements, one run, medians of --reps:

  beyond the compiler   `cffi-forge build` of a declarative project in a fresh build
                        directory, measured directly: cffi-forge writes where its time
                        went (CFFI_FORGE_TIMINGS=FILE: phases, the spans it waited for
                        compile/link/ar children, its own getrusage), so "beyond" is the
                        build's wall time minus those spans, and the CPU time of the
                        cffi-forge process alone; plus callgrind's instruction count of
                        that process (noise-free). The earlier estimate, the compile and
                        link commands replayed on their own and subtracted, is printed
                        beside it. Target: <= 20 ms.
  no-change rebuild     a second `cffi-forge build` of the same tree (the object cache
                        answers, nothing compiles), and the same through the PEP 517 hook
                        (`python -c "import cffi_forge; cffi_forge.build_wheel(...)"`).
                        Target: <= 60 ms for the CLI.
  uv build              `uv build --wheel` of small build-script sample projects with
                        cffi-forge against their setuptools + cffi twins (the `uv` mode of
                        bench/pip_wheel). Target: >= 3x.

Nothing is asserted; the ratios and the targets are printed.

    python bench/overhead/bench.py [--reps 7] [--bin target/release/cffi-forge]
        [--python python3.12] [--uv-projects fasthash,libmcall] [--no-uv] [--no-callgrind]
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
    return "%6.1f ms" % (seconds * 1000) if seconds is not None else "-"


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


COMPILER_SPANS = ("compile", "link", "ar")


def read_timings(path):
    """cffi-forge's CFFI_FORGE_TIMINGS file, or None (a binary from before it existed)."""
    import json

    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        return None
    cpu = lambda usage: (usage["user_ms"] + usage["system_ms"]) / 1000 if usage else None  # noqa: E731
    data["cpu_self_s"] = cpu(data.get("cpu_self"))
    data["cpu_children_s"] = cpu(data.get("cpu_children"))
    return data


def phase_totals(data):
    """Seconds per phase and per kind of child of one run (parallel spans of one name
    add up), from cffi-forge's CFFI_FORGE_TIMINGS file."""
    totals = {}
    for span in data["spans"]:
        name = span["name"] if span["kind"] == "phase" else "wait:" + span["name"]
        totals[name] = totals.get(name, 0) + (span["end_ms"] - span["start_ms"]) / 1000
    return totals


def callgrind_instructions(binary, args, cwd, env, work):
    """Instructions the cffi-forge process itself executed (valgrind's callgrind; the
    compiler and linker run natively and are not counted): a figure of its own work
    that no other job on the machine changes. None when valgrind is missing or fails."""
    valgrind = shutil.which("valgrind")
    if not valgrind:
        return None
    out = work / "callgrind.out"
    proc = subprocess.run([valgrind, "--tool=callgrind", "--trace-children=no", "--callgrind-out-file=%s" % out,
                           binary] + args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode:
        sys.stderr.write("callgrind failed: %s\n" % proc.stderr.decode("utf-8", "replace")[-2000:])
        return None
    total = None
    for line in out.read_text(errors="replace").splitlines():
        if line.startswith("totals:") or line.startswith("summary:"):
            total = int(line.split()[1])
    return total


def beyond_the_compiler(binaries, python, work, reps, callgrind):
    """Per project and binary: medians of the time beyond the compiler, measured directly:
    `wall` = the build's elapsed time minus the time cffi-forge waited for its compile,
    link and ar children (its CFFI_FORGE_TIMINGS file records those spans; parallel
    ones counted once); `cpu` = the user + system time of the cffi-forge process itself,
    its children excluded (the bench's RUSAGE_CHILDREN across the build, minus the
    children's time cffi-forge reports). The binaries take turns within each repetition,
    so load changes hit them alike. The replayed-compiler difference of earlier rounds is
    printed too, as a cross-check."""
    print("\n== backend time beyond the compiler (cffi-forge build, fresh build directory) ==")
    print("direct: wall = elapsed minus the spans cffi-forge waited for compile/link/ar children;\n"
          "        cpu = user+system time of the cffi-forge process alone (children excluded);\n"
          "        Ir = instructions of the cffi-forge process (callgrind), noise-free\n"
          "replay: the compile and link commands replayed on their own, subtracted (noisy:\n"
          "        the difference of two compiler times)")
    print("%-8s %-9s %9s %9s | %9s %9s %8s | %9s %9s %9s" % (
        "project", "binary", "build", "compiler", "beyond", "cpu self", "Ir (M)",
        "replayed", "beyond", "cpu bynd"))
    projects = {"tiny": None, "b64kit": REPO / "sample-projects" / "b64kit",
                "zdlopen": REPO / "sample-projects" / "zdlopen"}
    rows = {}
    med = statistics.median
    for name, source in projects.items():
        tree = prepare_tree(work, name, source)
        build_dir = tree / "build"
        keys = ("total", "waiting", "direct", "cpu_self", "cpu_self_inside", "replayed", "replay_beyond",
                "replay_cpu_beyond", "phases", "other_children")
        samples = {label: {k: [] for k in keys} for label in binaries}
        out = work / "out"
        # One unmeasured build each: the interpreter's facts and the compiler's probe get
        # cached (in each binary's own user cache), as on any second build.
        for i in range(reps + 1):
            for label, binary in binaries.items():
                env = clean_env(work / ("user-cache-" + label))
                timings_file = work / ("timings-%s.json" % label)
                env["CFFI_FORGE_TIMINGS"] = str(timings_file)
                if timings_file.exists():
                    timings_file.unlink()
                shutil.rmtree(build_dir, ignore_errors=True)
                shutil.rmtree(out, ignore_errors=True)
                cpu = []
                total, stderr = timed([binary, "build", "-v", str(tree), "-o", str(out), "-i", python],
                                      cwd=tree, env=env, cpu=cpu)
                data = read_timings(timings_file)
                replay_cpu = []
                replayed = replay(ran_commands(stderr), tree, env, replay_cpu)
                if not i:
                    continue
                s = samples[label]
                s["total"].append(total)
                s["replayed"].append(replayed)
                s["replay_beyond"].append(total - replayed)
                s["replay_cpu_beyond"].append(cpu[0] - replay_cpu[0])
                if data is None:
                    continue
                s["waiting"].append(data["waiting_compiler_ms"] / 1000)
                s["direct"].append(total - data["waiting_compiler_ms"] / 1000)
                s["cpu_self"].append(cpu[0] - data["cpu_children_s"])
                s["cpu_self_inside"].append(data["cpu_self_s"])
                phases = phase_totals(data)
                # Process start-up before main, exit, and the bench's own spawn and wait.
                phases["outside main"] = total - data["wall_ms"] / 1000
                phases["main"] = data["wall_ms"] / 1000
                s["phases"].append(phases)
                # Children that are not the compiler (an interpreter query, pkg-config):
                # their time is the backend's, but the cpu figure above leaves it out.
                other = sum(span["end_ms"] - span["start_ms"] for span in data["spans"]
                            if span["kind"] == "child" and span["name"] not in COMPILER_SPANS)
                s["other_children"].append(other / 1000)
        for label, binary in binaries.items():
            s = samples[label]
            instructions = None
            if callgrind:
                env = clean_env(work / ("user-cache-" + label))
                shutil.rmtree(build_dir, ignore_errors=True)
                shutil.rmtree(out, ignore_errors=True)
                instructions = callgrind_instructions(binary, ["build", str(tree), "-o", str(out), "-i", python],
                                                      tree, env, work)
            row = {k: med(v) if v else None for k, v in s.items() if k != "phases"}
            # Load only ever adds time: the best repetition is the steadiest estimate of the
            # process's own cost, printed beside the median.
            row["direct_min"] = min(s["direct"]) if s["direct"] else None
            row["cpu_self_min"] = min(s["cpu_self"]) if s["cpu_self"] else None
            row["instructions"] = instructions
            row["phases"] = {p: med([run.get(p, 0) for run in s["phases"]])
                             for p in sorted({p for run in s["phases"] for p in run})}
            rows[(name, label)] = row
            print("%-8s %-9s %9s %9s | %9s %9s %8s | %9s %9s %9s" % (
                name, label, ms(row["total"]), ms(row["waiting"]), ms(row["direct"]), ms(row["cpu_self"]),
                "%.1f" % (instructions / 1e6) if instructions else "-",
                ms(row["replayed"]), ms(row["replay_beyond"]), ms(row["replay_cpu_beyond"])), flush=True)
            if row["direct_min"] is not None:
                print("%-18s best of %d: %s beyond, %s cpu self" % (
                    "", len(s["direct"]), ms(row["direct_min"]).strip(), ms(row["cpu_self_min"]).strip()))
            if row["other_children"]:
                print("%-18s note: %s waiting for children other than the compiler (in wall, not in cpu)"
                      % ("", ms(row["other_children"]).strip()))
        if "baseline" in binaries:
            this, base = rows[(name, "this")], rows[(name, "baseline")]
            print("%-8s %-9s %9s %9s | %9s %9s %8s | %9s %9s %9s" % (
                "", "ratio", "", "", ratio(base["direct"], this["direct"]), ratio(base["cpu_self"], this["cpu_self"]),
                ratio(base["instructions"], this["instructions"]) if this["instructions"] and base["instructions"]
                else "-", "", ratio(base["replay_beyond"], this["replay_beyond"]),
                ratio(base["replay_cpu_beyond"], this["replay_cpu_beyond"])), flush=True)
        for label in binaries:
            phases = rows[(name, label)]["phases"]
            inside = ", ".join("%s %.1f" % (p, v * 1000) for p, v in phases.items() if v >= 0.0001)
            if inside:
                print("%-8s %-9s phases (ms, medians; wait:* = children): %s" % ("", label, inside))
    return rows


def ratio(base, new):
    """baseline / this, as `4.1x` (above 1: this binary spends less)."""
    if base is None or new is None:
        return "-"
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


def rebuild(binaries, python, work, reps, backends):
    print("\n== no-change rebuild (object cache warm) ==")
    tree = prepare_tree(work, "b64kit-rebuild", REPO / "sample-projects" / "b64kit")
    out = work / "out"
    cli = {label: [] for label in binaries}
    cpu = {label: [] for label in binaries}
    hook = {label: [] for label in binaries}
    hook_cpu = {label: [] for label in binaries}
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
            hook_env = dict(env, CFFI_FORGE_BIN=str(binary), PYTHONPATH=str(backends[label]))
            hook[label].append(timed([python, "-c", code, str(out)], cwd=tree, env=hook_env,
                                     cpu=hook_cpu[label])[0])
    start_cpu = []
    start = [timed([python, "-c", "pass"], cwd=tree, env=clean_env(work), cpu=start_cpu)[0] for _ in range(reps)]
    med = statistics.median
    for label in binaries:
        print("%-44s %s  (cpu %s)" % ("cffi-forge build (b64kit), %s" % label, ms(med(cli[label])),
                                       ms(med(cpu[label])).strip()))
        print("%-44s %s  (cpu %s)" % ("build_wheel hook, python -c, %s" % label, ms(med(hook[label])),
                                       ms(med(hook_cpu[label])).strip()))
    if "baseline" in binaries:
        print("%-44s %s (cli wall), %s (cpu), %s (hook wall), %s (hook cpu)" % (
            "ratio baseline / this", ratio(med(cli["baseline"]), med(cli["this"])),
            ratio(med(cpu["baseline"]), med(cpu["this"])), ratio(med(hook["baseline"]), med(hook["this"])),
            ratio(med(hook_cpu["baseline"]), med(hook_cpu["this"]))))
    print("%-44s %s  (cpu %s)" % ("  of which starting Python (python -c pass)", ms(med(start)),
                                   ms(med(start_cpu)).strip()))
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
    parser.add_argument("--baseline-backend", help="the Python shim (a `backend` folder) the baseline's hook "
                        "runs with [default: this checkout's]")
    parser.add_argument("--uv-projects", default="fasthash,libmcall")
    parser.add_argument("--uv-reps", type=int, default=3)
    parser.add_argument("--no-uv", action="store_true")
    parser.add_argument("--no-callgrind", action="store_true",
                        help="skip the instruction counts (valgrind: one slow build per project and binary)")
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
    beyond = beyond_the_compiler(binaries, python, work, args.reps, not args.no_callgrind)
    compiler_probe(work, args.reps)
    backends = {"this": REPO / "backend", "baseline": Path(args.baseline_backend or REPO / "backend").resolve()}
    rebuilt, rebuilt_cpu = rebuild(binaries, python, work, args.reps, backends)
    uv = None
    if not args.no_uv:
        uv = uv_builds(args.python, work, args.uv_reps, args.uv_projects.split(","), args.wheelhouse)

    print("\n== targets ==")
    figures = [beyond[(p, "this")] for p in ("tiny", "b64kit")]
    if all(f["direct"] is not None for f in figures):
        for what, wall_key, cpu_key in (("median", "direct", "cpu_self"), ("best rep", "direct_min", "cpu_self_min")):
            worst = max(f[wall_key] for f in figures)
            worst_cpu = max(f[cpu_key] for f in figures)
            print("beyond the compiler, declarative (tiny, b64kit), direct, %-8s: %s wall, %s cpu  "
                  "(<= 20 ms: %s wall, %s cpu)" % (what, ms(worst).strip(), ms(worst_cpu).strip(),
                                                    verdict(worst <= 0.020), verdict(worst_cpu <= 0.020)))
    else:
        print("beyond the compiler: NOT measured directly (the binary writes no CFFI_FORGE_TIMINGS file)")
    worst = max(f["replay_beyond"] for f in figures)
    print("  (replayed-compiler difference, for comparison: %s wall)" % ms(worst).strip())
    counts = ["%s %.1f M" % (p, beyond[(p, "this")]["instructions"] / 1e6)
              for p in ("tiny", "b64kit") if beyond[(p, "this")]["instructions"]]
    if counts:
        print("  instructions of the cffi-forge process (callgrind): %s" % ", ".join(counts))
    print("no-change rebuild (cffi-forge build):            %s wall, %s cpu  (<= 60 ms: %s)"
          % (ms(rebuilt).strip(), ms(rebuilt_cpu).strip(), verdict(rebuilt <= 0.060)))
    if uv is not None:
        print("uv build, build-script samples (geometric mean): %.2fx  (>= 3x: %s)" % (uv, verdict(uv >= 3)))


if __name__ == "__main__":
    main()
