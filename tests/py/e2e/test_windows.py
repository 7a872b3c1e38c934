"""Windows wheels, built on Linux and tested inside real Windows CPython 3.8 and 3.13
under Wine (tests/windows/provision.sh sets them up, cached and pinned).

Two samples: fasthash (a build script) and b64kit (declarative modules). Each is built
- natively: `cffi-forge build -i <Windows Python 3.8>`; the facts come from the
  Windows interpreter and the build script runs in it, under Wine; MinGW-w64 compiles;
- cross: `cffi-forge build --target x86_64-pc-windows-gnu` with the Linux interpreter
  running the tests (no Windows interpreter involved at all),
- by the Windows interpreters' own PEP 517 hooks: cffi-forge built for Windows
  (tests/windows/build-exe.sh: cffi-forge.exe in a win_amd64 wheel) is installed into
  Windows Python 3.8 and 3.13, and `python -m pip wheel --no-build-isolation` there runs
  the `cffi_forge` backend, which runs cffi-forge.exe, all under Wine. There is no MSVC:
  cffi-forge.exe finds MinGW-w64 on PATH as a Windows user (MSYS2) has it, no CC set;
  under Wine that is provision.sh's hostbin/, Windows programs that run the host's MinGW-w64
  (hostcc.c: zig's Windows build, the Windows-native compiler PyPI has, cannot run under
  Wine 8, whose NtLockFile lacks what zig's cache locking asks for);
and each wheel is checked (tag `cp38-abi3-win_amd64`, `.pyd` modules importing
python3.dll), installed by the Windows pip into 3.8 and 3.13, and the sample's own tests
run there.

When the Windows interpreters cannot be provisioned (no Wine, no network) the tests are
NOT RUN, loudly, and fail under CI=true.
"""

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from .support import REPO, cache_dir, check_outcomes, copy_project, forge_bin, load_samples, not_run, run

WINDOWS = REPO / "tests" / "windows"
VERSIONS = ("3.8", "3.13")
SAMPLES = ("fasthash", "b64kit")
TRIPLE = "x86_64-pc-windows-gnu"






@pytest.fixture(scope="module")
def windows():
    """{version: the wrapper running that Windows Python}, plus the headers directory."""
    if shutil.which("bash") is None:
        not_run("no bash")
    import sys

    env = dict(os.environ, CFFI_FORGE_TEST_CACHE=str(cache_dir()))
    # A Python with pip for provision.sh's `pip download`: the one running the tests.
    env.setdefault("CFFI_FORGE_TEST_PYTHON", sys.executable)
    proc = subprocess.run(
        ["bash", str(WINDOWS / "provision.sh"), str(cache_dir())],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=1800,
    )
    if proc.returncode != 0:
        not_run("tests/windows/provision.sh failed (exit %d):\n%s"
                % (proc.returncode, proc.stderr.decode("utf-8", "replace")[-3000:]))
    pythons = dict(line.split(" ", 1) for line in proc.stdout.decode().splitlines() if " " in line)
    missing = [v for v in VERSIONS if v not in pythons]
    if missing:
        not_run("provision.sh gave no Windows Python %s" % ", ".join(missing))
    return {"pythons": pythons, "include": cache_dir() / "windows" / "include",
            "hostbin": Path(pythons["hostbin"])}


@pytest.fixture(scope="module")
def windows_forge(windows):
    """cffi-forge built for Windows (tests/windows/build-exe.sh) and installed into each
    Windows Python, as a user's `pip install cffi-forge` would."""
    import sys

    out = cache_dir() / "windows" / "forge-wheel"
    env = dict(os.environ)
    env.setdefault("CFFI_FORGE_TEST_PYTHON", sys.executable)
    proc = subprocess.run(["bash", str(WINDOWS / "build-exe.sh"), str(out)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env, timeout=3600)
    if proc.returncode != 0:
        pytest.fail("tests/windows/build-exe.sh failed (exit %d):\n%s"
                    % (proc.returncode, proc.stderr.decode("utf-8", "replace")[-3000:]), pytrace=False)
    wheel = Path(proc.stdout.decode().strip().splitlines()[-1])
    for version in VERSIONS:
        run([windows["pythons"][version], "-m", "pip", "install", "-q", "--no-index", "--no-deps",
             "--force-reinstall", "--disable-pip-version-check", "--no-warn-script-location",
             win_path(wheel)], cwd=out, timeout=600)
    return wheel


def start_wine(env: dict) -> None:
    """Start the prefix's wineserver (kept 30 s after its last client) and Wine's background
    services with no stdio of ours, as tests/windows/python.sh does: started by the program
    under test they would inherit its stdout pipe, and a reader would wait for their end
    (the program's own output complete, the run hanging until the timeout)."""
    quiet = dict(env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["wineserver", "-p", "30"], **quiet)
    subprocess.run(["wine", "cmd", "/c", "exit"], timeout=600, **quiet)


def win_path(path: Path) -> str:
    """The path as the Windows interpreter sees it: Wine maps the Unix root to Z:."""
    return "Z:" + str(path).replace("/", "\\")


def check_wheel(wheel: Path, modules: list, tmp: Path):
    """The tag, the modules' names, and each module imports the stable-ABI python3.dll."""
    assert wheel.name.endswith("-cp38-abi3-win_amd64.whl"), wheel.name
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        for module in modules:
            member = module.replace(".", "/") + ".pyd"
            assert member in names, (member, names)
            extracted = Path(z.extract(member, tmp / "unzipped"))
            dump = run(["x86_64-w64-mingw32-objdump", "-p", extracted]).text
            dlls = [l.split(":", 1)[1].strip() for l in dump.splitlines() if "DLL Name:" in l]
            assert "python3.dll" in dlls, (member, dlls)
            assert not any(d.startswith("python3") and d != "python3.dll" for d in dlls), dlls


def install_and_test(windows, sample: str, wheel: Path, tmp: Path, versions=VERSIONS):
    """Install `wheel` with the Windows pip into each Windows Python of `versions`, then
    run the sample's own tests there (from a copy, so the sources cannot stand in)."""
    expected = load_samples()[sample]["tests"]
    work = tmp / "tests-run"
    shutil.copytree(REPO / "sample-projects" / sample / "tests", work / "tests")
    (work / "pytest.ini").write_text("[pytest]\n")
    for version in versions:
        python = windows["pythons"][version]
        site = tmp / ("site-" + version)
        # The Windows pip checks the wheel's tags against the interpreter's own.
        run([python, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--target",
             win_path(site), win_path(wheel)], cwd=tmp, timeout=600)
        code = ("import sys; sys.path.insert(0, sys.argv[1]); import pytest; "
                "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', 'tests']))")
        proc = run([python, "-c", code, win_path(site)], cwd=work, timeout=600)
        check_outcomes(proc.text, "the tests of %s in Windows Python %s" % (sample, version), expected)


def build_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CFFI_FORGE_TARGET", "PIP_"))}
    for name in ("CC", "CXX", "CFLAGS", "LDFLAGS", "LDSHARED"):
        env.pop(name, None)
    env["CFFI_FORGE_TEST_CACHE"] = str(cache_dir())
    # The Windows interpreter's paths (Z:\\...) map to the host's through this prefix.
    env["WINEPREFIX"] = str(cache_dir() / "windows" / "prefix")
    env.update({k: str(v) for k, v in extra.items()})
    return env


@pytest.mark.parametrize("sample", SAMPLES)
def test_native_build_with_the_windows_interpreter(windows, sample, tmp_path):
    project = copy_project(REPO / "sample-projects" / sample, tmp_path / sample)
    # The interpreter reports its headers as `Z:\\...\\Include` (provision.sh put them
    # there); cffi-forge maps that through the Wine prefix to the host path.
    proc = run([forge_bin(), "build", project, "-i", windows["pythons"]["3.8"], "-o", tmp_path / "dist"],
               env=build_env(), timeout=900)
    wheel = Path(proc.text.strip().splitlines()[-1])
    check_wheel(wheel, load_samples()[sample]["modules"], tmp_path)
    install_and_test(windows, sample, wheel, tmp_path)


@pytest.mark.parametrize("sample", SAMPLES)
def test_cross_build_with_target(windows, sample, tmp_path):
    project = copy_project(REPO / "sample-projects" / sample, tmp_path / sample)
    import sys

    proc = run([forge_bin(), "build", project, "-i", sys.executable, "--target", TRIPLE,
                "-o", tmp_path / "dist"],
               env=build_env(CFFI_FORGE_TARGET_INCLUDE=windows["include"]), timeout=900)
    wheel = Path(proc.text.strip().splitlines()[-1])
    check_wheel(wheel, load_samples()[sample]["modules"], tmp_path)
    install_and_test(windows, sample, wheel, tmp_path)


def test_pep517_config_setting_target(windows, tmp_path):
    """A frontend's `-C target=x86_64-pc-windows-gnu` reaches the build: the shim's
    build_wheel hook, called as a frontend calls it, gives a win_amd64 wheel."""
    import sys

    project = copy_project(REPO / "sample-projects" / "b64kit", tmp_path / "b64kit")
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import cffi_forge; "
            "print(cffi_forge.build_wheel(sys.argv[2], {'target': 'x86_64-pc-windows-gnu'}))")
    (tmp_path / "dist").mkdir()
    proc = run([sys.executable, "-c", code, REPO / "backend", tmp_path / "dist"], cwd=project,
               env=build_env(CFFI_FORGE_BIN=forge_bin(), CFFI_FORGE_TARGET_INCLUDE=windows["include"]),
               timeout=900)
    name = proc.text.strip().splitlines()[-1]
    check_wheel(tmp_path / "dist" / name, load_samples()["b64kit"]["modules"], tmp_path)


@pytest.mark.parametrize("builder", VERSIONS)
@pytest.mark.parametrize("sample", SAMPLES)
def test_pep517_hooks_run_by_the_windows_interpreter(windows, windows_forge, sample, builder, tmp_path):
    """`pip wheel` inside Windows Python `builder` builds the sample through cffi_forge's
    hooks and cffi-forge.exe (no Linux cffi-forge involved: CFFI_FORGE_BIN is unset),
    compiling with the MinGW-w64 it finds on PATH when there is no MSVC."""
    project = copy_project(REPO / "sample-projects" / sample, tmp_path / sample)
    dist = tmp_path / "dist"
    dist.mkdir()
    env = build_env(WINEPATH=win_path(windows["hostbin"]))
    env.pop("CFFI_FORGE_BIN", None)
    proc = run([windows["pythons"][builder], "-m", "pip", "wheel", "-v", "--no-build-isolation",
                "--no-deps", "--no-index", "--disable-pip-version-check", "-w", win_path(dist),
                "--config-settings", "verbose=1", win_path(project)], cwd=tmp_path, env=env, timeout=900)
    # The backend's binary reported its work through the Windows pip.
    assert "Writing wheel" in proc.text and "-cp38-abi3-win_amd64.whl" in proc.text, proc.text[-3000:]
    assert "x86_64-w64-mingw32-gcc (found on PATH)" in proc.text, proc.text[-3000:]
    wheels = sorted(dist.glob("*.whl"))
    assert len(wheels) == 1, wheels
    check_wheel(wheels[0], load_samples()[sample]["modules"], tmp_path)
    # In the interpreter that built it (the other one loads the same cp38-abi3 wheels in
    # the tests above; each run under Wine costs half a minute).
    install_and_test(windows, sample, wheels[0], tmp_path, versions=(builder,))


def test_pep517_hooks_without_any_compiler_say_what_was_tried(windows, windows_forge, tmp_path):
    """No MSVC, no MinGW-w64 on PATH, no `ziglang`: the Windows pip reports cffi-forge.exe's
    error naming each compiler it looked for, and no wheel is written."""
    project = copy_project(REPO / "sample-projects" / "b64kit", tmp_path / "b64kit")
    dist = tmp_path / "dist"
    dist.mkdir()
    env = build_env()
    env.pop("CFFI_FORGE_BIN", None)
    env.pop("WINEPATH", None)
    proc = run([windows["pythons"]["3.13"], "-m", "pip", "wheel", "--no-build-isolation", "--no-deps",
                "--no-index", "--disable-pip-version-check", "-w", win_path(dist), win_path(project)],
               cwd=tmp_path, env=env, timeout=900, check=False)
    assert proc.returncode != 0, proc.text[-3000:]
    # (This cffi-forge.exe is built for MinGW-w64, so its usual compiler is `gcc.exe`; one
    # built by MSVC tries `cl.exe` first.)
    for expected in ("no C compiler for x86_64-pc-windows-", "MinGW-w64 `x86_64-w64-mingw32-gcc` on PATH: not found",
                     "MinGW-w64 `x86_64-w64-mingw32-clang` on PATH: not found", "cannot import `ziglang`"):
        assert expected in proc.text, (expected, proc.text[-3000:])
    assert list(dist.iterdir()) == []
