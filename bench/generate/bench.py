"""Generator benchmarks: cffi-forge against cffi, measured in the same run.

1. generation of a large cdef (> 5,000 lines): parse + emit, ABI mode (`.py`) against
   cffi's `make_py_source`, API mode (C) against cffi's `make_c_source`;
2. gcc -O2 time compiling our generated C against cffi's for the same modules (a
   library-shaped module and the API-mode cases of tests/module_cases).

Prints one ratio per benchmark (no assertion on timings). See README.md.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import sysconfig
import tempfile
import time
import warnings
from pathlib import Path

import cffi
import cffi.recompiler

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests" / "py" / "differential"))

import bigcdef  # noqa: E402


def toml_text(s):
    """A multi-line literal string when possible (as users write them), else JSON."""
    quotes = "'" * 3
    if quotes not in s and not s.endswith("'") and all(c in "\n\t" or c >= " " for c in s):
        return quotes + "\n" + s + quotes
    return json.dumps(s)


def spec(module, cdef, source=None):
    lines = ["[[module]]", "name = %s" % json.dumps(module), "cdef = %s" % toml_text(cdef)]
    if source is not None:
        lines.append("source = %s" % toml_text(source))
    return "\n".join(lines) + "\n"


def cpu_now():
    """CPU time (user + system) of this process and its finished children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def best_of(n, fn):
    """Best wall time and best CPU time over n runs. On a shared machine CPU time is
    the steadier measure of work; both are reported."""
    walls, cpus = [], []
    for _ in range(n):
        c0, t0 = cpu_now(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(cpu_now() - c0)
    return min(walls), min(cpus)


def run_ours(binary, command, spec_path, module, out):
    subprocess.run([binary, command, str(spec_path), "--module", module, "-o", str(out)], check=True)


def cffi_generate(cdef, module, source, out):
    ffi = cffi.FFI()
    ffi.cdef(cdef)
    if source is None:
        cffi.recompiler.make_py_source(ffi, module, str(out))
    else:
        cffi.recompiler.make_c_source(ffi, module, source, str(out))


def bench_generation(binary, tmp, repeat):
    cdef, source = bigcdef.build(1.25)
    lines = cdef.count("\n")
    print("generation: cdef of %d lines, %d bytes" % (lines, len(cdef)))
    results = {}
    for mode, command, src in (("py", "generate-py", None), ("c", "generate-c", source)):
        module = "_bench_big"
        spec_path = tmp / ("big-%s.toml" % mode)
        spec_path.write_text(spec(module, cdef, src))
        ours_out = tmp / ("ours.%s" % mode)
        cffi_out = tmp / ("cffi.%s" % mode)
        ours_wall, ours_cpu = best_of(repeat, lambda: run_ours(binary, command, spec_path, module, ours_out))
        theirs_wall, theirs_cpu = best_of(max(1, repeat // 2),
                                          lambda: cffi_generate(cdef, module, src, cffi_out))
        results[mode] = (theirs_cpu / ours_cpu, theirs_wall / ours_wall)
        name = "make_py_source" if mode == "py" else "make_c_source"
        print("  %-14s cpu:  cffi %.3f s, cffi-forge %.4f s, ratio %.1fx"
              % (name, theirs_cpu, ours_cpu, theirs_cpu / ours_cpu))
        print("  %-14s wall: cffi %.3f s, cffi-forge %.4f s, ratio %.1fx"
              % ("", theirs_wall, ours_wall, theirs_wall / ours_wall))
        print("  %-14s output size: cffi %d bytes, cffi-forge %d bytes"
              % ("", cffi_out.stat().st_size, ours_out.stat().st_size))
    return results


def gcc_time(c_file, obj):
    """CPU time (user + system) of one `gcc -O2 -c` (steadier than wall time on a
    shared machine)."""
    include = sysconfig.get_paths()["include"]
    before = cpu_now()
    subprocess.run(["gcc", "-O2", "-fPIC", "-c", "-I" + include, str(c_file), "-o", str(obj)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cpu_now() - before


def bench_gcc(binary, tmp, corpus_limit):
    from corpus import load_cases  # the differential corpus

    modules = []
    cdef, source = bigcdef.build(0.2)
    modules.append(("big_0_2", cdef, source))
    for case in load_cases():
        if "api" in case["modes"] and not case.get("refused") and not case.get("packed") \
                and not case.get("pack"):
            modules.append((case["name"], case["cdef"], case["source"]))
    modules = modules[:corpus_limit + 1]
    ours_total = cffi_total = 0.0
    big = None
    for name, cdef, source in modules:
        module = "_bench_" + name
        spec_path = tmp / (module + ".toml")
        spec_path.write_text(spec(module, cdef, source))
        ours_c = tmp / (module + "_ours.c")
        cffi_c = tmp / (module + "_cffi.c")
        try:
            run_ours(binary, "generate-c", spec_path, module, ours_c)
        except subprocess.CalledProcessError:
            print("  (skipping %s: cffi-forge refuses it)" % name)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cffi_generate(cdef, module, source, cffi_c)
        # Alternate the order so drift in machine load hits both sides alike; the big
        # module is compiled three times (best kept).
        t_ours = t_cffi = float("inf")
        for i in range(3 if big is None else 1):
            if (len(name) + i) % 2:
                t_cffi = min(t_cffi, gcc_time(cffi_c, tmp / "cffi.o"))
                t_ours = min(t_ours, gcc_time(ours_c, tmp / "ours.o"))
            else:
                t_ours = min(t_ours, gcc_time(ours_c, tmp / "ours.o"))
                t_cffi = min(t_cffi, gcc_time(cffi_c, tmp / "cffi.o"))
        ours_total += t_ours
        cffi_total += t_cffi
        if big is None:
            big = (t_cffi, t_ours)
    print("gcc -O2 (CPU time of gcc): %d modules" % len(modules))
    print("  library-shaped module (878-line cdef): cffi %.2f s, cffi-forge %.2f s, ratio %.2fx"
          % (big[0], big[1], big[1] / big[0]))
    ratio = ours_total / cffi_total
    print("  all modules: cffi %.2f s, cffi-forge %.2f s, ratio (ours / cffi) %.2fx"
          % (cffi_total, ours_total, ratio))
    return ratio


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("CFFI_FORGE_BIN", str(REPO / "target/release/cffi-forge")))
    ap.add_argument("--only", choices=["generation", "gcc"])
    ap.add_argument("--repeat", type=int, default=5, help="runs of each generator (best is kept)")
    ap.add_argument("--corpus-limit", type=int, default=1000, help="at most this many corpus modules for gcc")
    args = ap.parse_args()
    if not os.path.exists(args.bin):
        sys.exit("no cffi-forge binary at %s (cargo build --release)" % args.bin)
    print("cffi %s, Python %s" % (cffi.__version__, sys.version.split()[0]))
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if args.only in (None, "generation"):
            r = bench_generation(args.bin, tmp, args.repeat)
            for mode, name in (("py", "make_py_source"), ("c", "make_c_source")):
                print("RATIO generation vs %s: %.1fx CPU time, %.1fx wall time (target >= 50x)"
                      % (name, r[mode][0], r[mode][1]))
        if args.only in (None, "gcc"):
            r = bench_gcc(args.bin, tmp, args.corpus_limit)
            print("RATIO gcc -O2 time, ours / cffi: %.2fx (target <= 1.0x)" % r)


if __name__ == "__main__":
    main()
