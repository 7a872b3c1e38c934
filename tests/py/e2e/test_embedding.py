"""Embedding libraries (`ffi.embedding_api()`), built natively and run from C.

A declarative plugin is cross-built for Windows (`embed --target x86_64-pc-windows-gnu`)
and run by a MinGW-compiled program under Wine with the Windows CPythons of
tests/windows/provision.sh (3.8 and 3.13). The same plugins are built for every CPython 3.8-3.13 (each has its own start-up lock
word in libpython: tp_version_tag before 3.12, tp_as_buffer after) and run there. Also
the sample sample-projects/embedding/embedding-demo: its wheel, installed, ships a
plugin that a C program links and runs.

The plugins of tests/data/embedding/plugins are built twice: by `cffi-forge embed`, and
by cffi's own `ffi.compile()` (the oracle). The C programs of tests/data/embedding are
compiled against each build and run; their outputs must be the same, and right: one
plugin, two plugins in one process (also one of each builder), eight threads making the
first call at once, Python thread-local state per C thread, and init code that raises.

Runs with the interpreter running pytest (the tools venv: cffi 2.0.0 and setuptools for
the oracle, a shared libpython to link). The embedded interpreter starts from the
program, not from a venv, so the programs get the venv's site-packages (for
`_cffi_backend`) through PYTHONPATH, as cffi's docs say to do.
"""

import os
import shutil
import sys
import sysconfig
from pathlib import Path

import pytest

from .support import REPO, copy_project, forge_bin, run
from . import interpreters
from .test_windows import TRIPLE, VERSIONS as WINDOWS_VERSIONS, start_wine, win_path, windows  # noqa: F401 (fixture)

DATA = REPO / "tests" / "data" / "embedding"

# C program → the libraries it links.
PROGRAMS = {
    "add1": ["_add1_cffi"],
    "both": ["_add1_cffi", "_add2_cffi"],
    "threads": ["_threads_cffi"],
    "tlocal": ["_tlocal_cffi"],
    "initerror": ["_initerror_cffi"],
}

# Builds the plugins of a project with cffi itself: each script's FFI, compiled where
# cffi puts an embedding library by default (`<module>.so`).
CFFI_BUILD = r"""
import os, sys
project, out = sys.argv[1], sys.argv[2]
sys.path.insert(0, project)
for script in sorted(os.listdir(project)):
    if script.endswith("_build.py"):
        namespace = {"__name__": "__cffi__", "__file__": os.path.join(project, script)}
        with open(os.path.join(project, script)) as f:
            exec(compile(f.read(), script, "exec"), namespace)
        print(namespace["ffi"].compile(tmpdir=out, verbose=False))
"""




def libpython_dir() -> str:
    if not sysconfig.get_config_var("Py_ENABLE_SHARED"):
        pytest.fail("%s has no shared libpython: embedding needs one" % sys.executable, pytrace=False)
    return sysconfig.get_config_var("LIBDIR")


def program_env(extra_library_dir=None) -> dict:
    import _cffi_backend

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "LD_LIBRARY_PATH"))}
    env["PYTHONPATH"] = os.path.dirname(_cffi_backend.__file__)
    # cffi's libraries have no run path: they find libpython only through the loader's path.
    if extra_library_dir:
        env["LD_LIBRARY_PATH"] = extra_library_dir
    return env


@pytest.fixture(scope="module")
def builds(scratch):
    """{"forge": folder, "cffi": folder} holding every plugin library."""
    root = scratch / "embedding"
    project = copy_project(DATA / "plugins", root / "project")
    forge, cffi = root / "forge", root / "cffi"
    built = run([forge_bin(), "embed", project, "-o", forge, "-i", sys.executable], env=os.environ.copy())
    # (stdout, the paths written, comes mixed with the status lines of stderr)
    listed = sorted(Path(line).name for line in built.text.splitlines() if line.startswith(str(forge)))
    assert listed == sorted({lib + ".so" for libs in PROGRAMS.values() for lib in libs}), built.text
    cffi.mkdir(parents=True)
    run([sys.executable, "-c", CFFI_BUILD, project, root / "cffi-tmp"], env=os.environ.copy())
    for lib in (root / "cffi-tmp").glob("*.so"):
        shutil.copy(lib, cffi / lib.name)
    return {"forge": forge, "cffi": cffi}


def compile_and_run(program: str, libraries: dict, out: Path, runs: int = 1):
    """Compile `program` linking each library from its folder ({name: folder}), run it
    `runs` times; returns the last (stdout, stderr)."""
    import subprocess

    out.mkdir(parents=True, exist_ok=True)
    exe = out / program
    cmd = ["cc", str(DATA / (program + ".c")), "-o", str(exe), "-pthread"]
    for name, folder in libraries.items():
        cmd += ["-L%s" % folder, "-l:%s.so" % name, "-Wl,-rpath,%s" % folder]
    run(cmd, env=os.environ.copy())
    uses_cffi = any("cffi" == Path(folder).name for folder in libraries.values())
    env = program_env(libpython_dir() if uses_cffi else None)
    for _ in range(runs):
        proc = subprocess.run([str(exe)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        stdout, stderr = proc.stdout.decode(), proc.stderr.decode()
        assert proc.returncode == 0, "%s exited with %d\n%s\n%s" % (exe, proc.returncode, stdout, stderr)
    return stdout, stderr


def run_both(program: str, builds: dict, scratch: Path, runs: int = 1):
    outputs = {}
    for builder, folder in builds.items():
        libraries = {name: folder for name in PROGRAMS[program]}
        outputs[builder] = compile_and_run(program, libraries, scratch / "embedding" / "bin" / builder, runs)
    assert outputs["forge"][0] == outputs["cffi"][0], "stdout differs from cffi's build: %r" % outputs
    return outputs


def test_one_plugin_starts_python_on_the_first_call(builds, scratch):
    outputs = run_both("add1", builds, scratch)
    assert outputs["forge"][0].splitlines() == [
        "main: before the first call",
        "add1: init code running",
        "add1(40, 2)",
        "add1(100, -5)",
        "main: got 42 and 95",
    ]
    assert outputs["forge"][1] == ""


def test_two_plugins_in_one_process(builds, scratch):
    outputs = run_both("both", builds, scratch)
    lines = outputs["forge"][0].splitlines()
    assert lines[-1] == "main: add1 3, add2_started 0, add2 110.50, add1 again 7", lines
    assert lines.count("add1: init code running") == 1 and lines.count(
        "add2: init code running, lib has add2_started: True") == 1, lines


@pytest.mark.parametrize("forge_lib", ["_add1_cffi", "_add2_cffi"])
def test_one_plugin_of_each_builder_in_one_process(builds, scratch, forge_lib):
    """Our library and cffi's start Python under the same process-wide lock."""
    libraries = {name: builds["forge" if name == forge_lib else "cffi"] for name in PROGRAMS["both"]}
    stdout, _ = compile_and_run("both", libraries, scratch / "embedding" / "bin" / ("mixed" + forge_lib))
    assert stdout.splitlines()[-1] == "main: add1 3, add2_started 0, add2 110.50, add1 again 7", stdout


def test_threads_wait_for_the_init_code(builds, scratch):
    outputs = run_both("threads", builds, scratch, runs=10)
    assert outputs["forge"][0].strip() == "main: 8 threads, 0 wrong results, init code ran 1 time(s)"


def test_thread_local_state_lives_as_long_as_the_c_thread(builds, scratch):
    outputs = run_both("tlocal", builds, scratch)
    assert outputs["forge"][0].splitlines() == ["main: thread %d total %d" % (i, 100 * (i + 1)) for i in range(4)]


def test_init_code_error_is_reported_and_calls_return_zero(builds, scratch):
    outputs = run_both("initerror", builds, scratch)
    assert outputs["forge"][0].strip() == "main: got 0, 0.0, 0"
    for builder, (_, stderr) in outputs.items():
        assert "ValueError: plugin configuration is missing" in stderr, (builder, stderr)
        assert "File \"<init code for '_initerror_cffi'>\", line 7" in stderr, (builder, stderr)
    # The traceback once, then one line per call.
    stderr = outputs["forge"][1]
    assert stderr.count("Traceback") == 1, stderr
    assert stderr.count("_initerror_cffi.broken() called") == 2, stderr
    assert stderr.count("_initerror_cffi.broken_double() called") == 1, stderr


def test_sample_wheel_ships_a_plugin_a_c_program_runs(scratch):
    demo = copy_project(REPO / "sample-projects" / "embedding" / "embedding-demo", scratch / "embedding-demo")
    dist = scratch / "embedding-demo-dist"
    run([forge_bin(), "build", demo, "-o", dist, "-i", sys.executable], env=os.environ.copy())
    (wheel,) = dist.glob("*.whl")
    tag = "cp%d%d" % sys.version_info[:2]
    assert "-%s-%s-" % (tag, tag) in wheel.name, wheel.name
    site = scratch / "embedding-demo-site"
    run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", site, wheel],
        env=os.environ.copy())
    plugin_dir = site / "greeter"
    assert (plugin_dir / "libgreeter-1.0.so").is_file(), sorted(p.name for p in plugin_dir.iterdir())
    libdir = libpython_dir()
    version = "%d.%d%s" % (sys.version_info[0], sys.version_info[1], sys.abiflags)
    exe = scratch / "embedding-demo-bin"
    run(["cc", demo / "csrc" / "demo.c", "-o", exe, "-L%s" % plugin_dir, "-l:libgreeter-1.0.so",
         "-Wl,-rpath,%s" % plugin_dir, "-L%s" % libdir, "-lpython" + version, "-Wl,-rpath,%s" % libdir],
        env=os.environ.copy())
    env = program_env()
    env["PYTHONPATH"] = os.pathsep.join([str(site), env["PYTHONPATH"]])
    proc = run([exe, "Ada"], env=env)
    assert proc.text.splitlines() == ["Hello, Ada! (from Python)", "5 words"], proc.text


# The CPythons with a shared libpython here (pyenv / uv builds); the provisioned Debian sid
# 3.14 and 3.15 have none, which test_missing_libpython_is_a_clear_error checks.
SHARED_CPYTHONS = [v for v in interpreters.CPYTHONS if v not in interpreters.PROVISIONED]


@pytest.mark.parametrize("version", SHARED_CPYTHONS)
def test_plugins_on_each_cpython(version, venvs, scratch):
    venv = venvs.get(version, name="embedding-py" + version, with_pytest=False)
    venv.pip("install", "cffi")
    backend = run([venv.python, "-c", "import _cffi_backend, os; print(os.path.dirname(_cffi_backend.__file__))"])
    project = copy_project(DATA / "plugins", scratch / "embedding" / ("project-" + version))
    out = scratch / "embedding" / ("forge-" + version)
    run([forge_bin(), "embed", project, "-o", out, "-i", venv.python], env=os.environ.copy())
    bin_dir = scratch / "embedding" / ("bin-" + version)
    bin_dir.mkdir(parents=True, exist_ok=True)
    expected = {
        "add1": "main: got 42 and 95",
        "both": "main: add1 3, add2_started 0, add2 110.50, add1 again 7",
        "threads": "main: 8 threads, 0 wrong results, init code ran 1 time(s)",
    }
    import subprocess

    for program, last_line in expected.items():
        exe = bin_dir / program
        cmd = ["cc", str(DATA / (program + ".c")), "-o", str(exe), "-pthread"]
        for name in PROGRAMS[program]:
            cmd += ["-L%s" % out, "-l:%s.so" % name]
        run(cmd + ["-Wl,-rpath,%s" % out], env=os.environ.copy())
        env = program_env()
        env["PYTHONPATH"] = backend.text.strip()
        # Races at start-up show only sometimes: the threads program runs 10 times (a
        # shared-buffer race once crashed 3.12 in a third of the runs).
        for _ in range(10 if program == "threads" else 1):
            proc = subprocess.run([str(exe)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
            stdout = proc.stdout.decode()
            assert proc.returncode == 0 and stdout.splitlines()[-1:] == [last_line], (
                version, program, proc.returncode, stdout, proc.stderr.decode())


@pytest.mark.parametrize("version", interpreters.PROVISIONED)
def test_missing_libpython_is_a_clear_error(version, pythons, scratch):
    python = pythons.path(version)
    project = copy_project(DATA / "plugins", scratch / "embedding" / ("project-" + version))
    out = scratch / "embedding" / ("forge-" + version)
    proc = run([forge_bin(), "embed", project, "-o", out, "-i", python], env=os.environ.copy(), check=False)
    assert proc.returncode == 1, proc.text
    assert "its libpython" in proc.text and "is missing, and an embedding library links it" in proc.text, proc.text
    assert not any(out.glob("*.so")), "nothing written"


@pytest.mark.parametrize("version", WINDOWS_VERSIONS)
def test_declarative_plugin_cross_built_for_windows_runs_under_wine(version, windows, pythons, scratch):
    project = copy_project(DATA / "declarative", scratch / "embedding" / ("win-project-" + version))
    out = scratch / "embedding" / ("win-" + version)
    env = dict(os.environ, CFFI_FORGE_TARGET_INCLUDE=str(windows["include"]))
    built = run([forge_bin(), "embed", project, "-o", out, "--target", TRIPLE, "-i", pythons.path(version)], env=env)
    dll = out / "times-1.0.dll"
    assert dll.is_file(), built.text
    dump = run(["x86_64-w64-mingw32-objdump", "-p", dll]).text
    # Named as the file (programs linking it record that name) and linked with the
    # interpreter's own DLL.
    names = [line.split()[-1] for line in dump.splitlines() if line.startswith("Name ")]
    assert names == ["times-1.0.dll"], (names, dump[:2000])
    assert "DLL Name: python%s.dll" % version.replace(".", "") in dump, dump[:2000]
    exe = out / "times.exe"
    run(["x86_64-w64-mingw32-gcc", DATA / "times.c", "-o", exe, "-L%s" % out, "-l:times-1.0.dll"], env=env)
    python_dir = Path(windows["pythons"][version]).parent.parent / ("cp" + version.replace(".", ""))
    wine_env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_"))}
    wine_env.update(WINEPREFIX=str(python_dir.parent / "prefix"), WINEDEBUG="-all",
                    WINEDLLOVERRIDES="mscoree,mshtml=", WINEPATH=win_path(python_dir))
    start_wine(wine_env)
    proc = run(["wine", exe], cwd=out, env=wine_env, timeout=300)
    assert proc.text.split() == ("times: init code running on win32 %s main: 6 * 7 = 42, 3 * -4 = -12"
                                 % version).split(), proc.text
