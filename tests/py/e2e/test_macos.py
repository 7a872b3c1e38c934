"""macOS wheels, cross-built on Linux and checked for structure (no Mach-O can run here).

Samples: fasthash (a build script), b64kit (declarative modules) and textkit (two
modules, src layout), each built with `cffi-forge build --target` for
`aarch64-apple-darwin`, `x86_64-apple-darwin` and `universal2-apple-darwin` by clang-16
and ld64.lld with an SDK made from zig's bundled macOS headers and libSystem stubs
(tests/provision/macos-sdk.sh). Every module of every wheel is checked with lief:
- a Mach-O `MH_BUNDLE` for the right CPU (both arm64 and x86_64 slices in universal2);
- `PyInit_<name>` exported;
- every undefined `_Py*` symbol bound by flat lookup (`-undefined dynamic_lookup`: found
  in the loading interpreter), and no libpython among the linked libraries;
- the minimum macOS of each slice (`LC_BUILD_VERSION` or `LC_VERSION_MIN_MACOSX`) is the
  one the wheel tag names (the arm64 slice of universal2: 11.0, the first macOS on arm64);
- `MACOSX_DEPLOYMENT_TARGET` and `ARCHFLAGS` are honoured; zig is the fallback compiler.

When clang-16, ld64.lld, llvm-lipo, lief or zig are missing, the tests are NOT RUN,
loudly, and fail under CI=true.
"""

import os
import shutil
import sys
import zipfile
from pathlib import Path

import pytest

from .support import REPO, cache_dir, copy_project, forge_bin, load_samples, not_run, run

SAMPLES = ("fasthash", "b64kit", "textkit")
TARGETS = {
    "aarch64-apple-darwin": "macosx_11_0_arm64",
    "x86_64-apple-darwin": "macosx_10_12_x86_64",
    "universal2-apple-darwin": "macosx_10_12_universal2",
}
# The clang-16 / lld-16 / llvm-16 of tests/run.sh's system packages.
TOOLS = ("clang-16", "ld64.lld-16", "llvm-lipo-16")






@pytest.fixture(scope="module")
def lief():
    try:
        import lief
    except ImportError:
        not_run("lief is not importable (pip install -r tests/py/requirements-tools.txt)")
    return lief


@pytest.fixture(scope="module")
def sdk(lief) -> Path:
    """The SDK (SDKROOT) for clang; its tools must be there too."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        not_run("no %s (apt-get install clang-16 lld-16 llvm-16)" % ", ".join(missing))
    proc = run(["bash", REPO / "tests" / "provision" / "macos-sdk.sh", cache_dir(), sys.executable],
               env=dict(os.environ), check=False)
    if proc.returncode != 0:
        not_run("tests/provision/macos-sdk.sh failed (exit %d):\n%s" % (proc.returncode, proc.text))
    return Path(proc.text.strip().splitlines()[-1])


def build_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CFFI_FORGE_TARGET", "PIP_")) and k not in
           ("CC", "CXX", "CFLAGS", "LDFLAGS", "LDSHARED", "ARCHFLAGS", "MACOSX_DEPLOYMENT_TARGET",
            "SDKROOT", "ZIG_COMMAND", "LIPO")}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def build(sample: str, target: str, tmp: Path, env: dict) -> Path:
    project = copy_project(REPO / "sample-projects" / sample, tmp / sample)
    out = tmp / "dist"
    run([forge_bin(), "build", project, "-i", sys.executable, "--target", target, "-o", out],
        env=env, timeout=600)
    wheels = sorted(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def min_macos(binary) -> str:
    """`11.0`, `10.12`: the minimum macOS a slice names."""
    if binary.has_build_version:
        version = binary.build_version.minos
    else:
        assert binary.has_version_min, "no LC_BUILD_VERSION or LC_VERSION_MIN_MACOSX"
        version = binary.version_min.version
    return "%d.%d" % (version[0], version[1])


def check_module(lief, path: Path, module: str, slices: dict, file_type: str = "BUNDLE"):
    """`slices`: {"arm64" | "x86_64": the minimum macOS that slice must name}."""
    fat = lief.MachO.parse(str(path))
    assert fat is not None, "%s is no Mach-O file" % path
    cpu = {lief.MachO.Header.CPU_TYPE.ARM64: "arm64", lief.MachO.Header.CPU_TYPE.X86_64: "x86_64"}
    found = {}
    for binary in fat:
        arch = cpu.get(binary.header.cpu_type)
        assert arch, binary.header.cpu_type
        found[arch] = binary
    assert sorted(found) == sorted(slices), (path.name, sorted(found))
    init = "_PyInit_" + module.rsplit(".", 1)[-1]
    for arch, binary in found.items():
        what = "%s (%s slice)" % (path.name, arch)
        assert binary.header.file_type == getattr(lief.MachO.Header.FILE_TYPE, file_type), \
            (what, binary.header.file_type)
        exported = [s.name for s in binary.exported_symbols]
        assert init in exported, (what, exported)
        python = [s for s in binary.symbols
                  if s.name.startswith(("_Py", "__Py")) and s.category == lief.MachO.Symbol.CATEGORY.UNDEFINED]
        assert python, (what, "no undefined Python symbols: nothing was checked")
        for symbol in python:
            assert symbol.has_binding_info, (what, symbol.name)
            # -2: BIND_SPECIAL_DYLIB_FLAT_LOOKUP, resolved in whatever image defines it.
            assert symbol.binding_info.library_ordinal == -2, \
                (what, symbol.name, symbol.binding_info.library_ordinal)
        load = lief.MachO.LoadCommand.TYPE
        libraries = [lib.name for lib in binary.libraries if lib.command != load.ID_DYLIB]
        ids = [lib.name for lib in binary.libraries if lib.command == load.ID_DYLIB]
        # A dylib (zig) names itself as the module, not as the temporary file it was linked to.
        assert ids in ([], [path.name]), (what, ids)
        assert not [lib for lib in libraries if "python" in lib.lower()], (what, libraries)
        assert min_macos(binary) == slices[arch], (what, min_macos(binary), slices[arch])


def check_wheel(lief, wheel: Path, sample: str, tmp: Path, slices: dict, file_type: str = "BUNDLE"):
    modules = load_samples()[sample]["modules"]
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        layout = [n for n in names if n.endswith(".so")]
        assert len(layout) == len(modules), (layout, modules)
        for module in modules:
            member = module.replace(".", "/") + ".abi3.so"
            assert member in names, (member, names)
            check_module(lief, Path(z.extract(member, tmp / "unzipped")), module, slices, file_type)


def slices_of(tag: str) -> dict:
    version = ".".join(tag.split("_")[1:3])
    arch = tag.split("_", 3)[3]
    if arch == "universal2":
        return {"arm64": max(version, "11.0", key=lambda v: tuple(map(int, v.split(".")))),
                "x86_64": version}
    return {arch: version}


@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("sample", SAMPLES)
def test_cross_build_is_a_macos_bundle(lief, sdk, sample, target, tmp_path):
    wheel = build(sample, target, tmp_path, build_env(SDKROOT=sdk))
    tag = TARGETS[target]
    assert wheel.name.endswith("-cp38-abi3-%s.whl" % tag), wheel.name
    check_wheel(lief, wheel, sample, tmp_path, slices_of(tag))


@pytest.mark.parametrize("target, deployment, tag, slices", [
    ("x86_64-apple-darwin", "10.15", "macosx_10_15_x86_64", {"x86_64": "10.15"}),
    ("aarch64-apple-darwin", "12.3", "macosx_12_0_arm64", {"arm64": "12.3"}),
    # arm64 starts at macOS 11: the arm64 slice says so whatever the Intel one asks.
    ("universal2-apple-darwin", "10.14", "macosx_10_14_universal2", {"arm64": "11.0", "x86_64": "10.14"}),
])
def test_macosx_deployment_target_is_honoured(lief, sdk, target, deployment, tag, slices, tmp_path):
    env = build_env(SDKROOT=sdk, MACOSX_DEPLOYMENT_TARGET=deployment)
    wheel = build("b64kit", target, tmp_path, env)
    assert wheel.name.endswith("-cp38-abi3-%s.whl" % tag), wheel.name
    check_wheel(lief, wheel, "b64kit", tmp_path, slices)


def test_version_specific_module_is_named_for_darwin(lief, sdk, tmp_path):
    """Without the limited API the module gets macOS CPython's own suffix and the wheel
    the building interpreter's tag (headers from the building interpreter)."""
    project = copy_project(REPO / "sample-projects" / "b64kit", tmp_path / "b64kit")
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    assert "[[tool.cffi-forge.module]]\n" in text
    pyproject.write_text(text.replace("[[tool.cffi-forge.module]]\n",
                                      "[[tool.cffi-forge.module]]\npy-limited-api = false\n"))
    out = tmp_path / "dist"
    run([forge_bin(), "build", project, "-i", sys.executable, "--target", "aarch64-apple-darwin", "-o", out],
        env=build_env(SDKROOT=sdk))
    (wheel,) = out.glob("*.whl")
    cp = "cp%d%d" % sys.version_info[:2]
    assert wheel.name.endswith("-%s-%s-macosx_11_0_arm64.whl" % (cp, cp)), wheel.name
    member = "b64kit/_codec.cpython-%d%d-darwin.so" % sys.version_info[:2]
    with zipfile.ZipFile(wheel) as z:
        assert member in z.namelist(), z.namelist()
        check_module(lief, Path(z.extract(member, tmp_path / "unzipped")), "b64kit._codec", {"arm64": "11.0"})


def test_pep517_config_setting_target(lief, sdk, tmp_path):
    """A frontend's `-C target=universal2-apple-darwin` reaches the build: the shim's
    build_wheel hook, called as a frontend calls it, gives a universal2 wheel."""
    project = copy_project(REPO / "sample-projects" / "b64kit", tmp_path / "b64kit")
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import cffi_forge; "
            "print(cffi_forge.build_wheel(sys.argv[2], {'target': 'universal2-apple-darwin'}))")
    (tmp_path / "dist").mkdir()
    proc = run([sys.executable, "-c", code, REPO / "backend", tmp_path / "dist"], cwd=project,
               env=build_env(CFFI_FORGE_BIN=forge_bin(), SDKROOT=sdk), timeout=900)
    name = proc.text.strip().splitlines()[-1]
    assert name.endswith("-cp38-abi3-macosx_10_12_universal2.whl"), name
    check_wheel(lief, tmp_path / "dist" / name, "b64kit", tmp_path, {"arm64": "11.0", "x86_64": "10.12"})


def test_archflags_with_both_arches_builds_universal2(lief, sdk, tmp_path):
    """cibuildwheel's universal2 setting turns a single-arch target into universal2."""
    env = build_env(SDKROOT=sdk, ARCHFLAGS="-arch arm64 -arch x86_64")
    wheel = build("b64kit", "x86_64-apple-darwin", tmp_path, env)
    assert wheel.name.endswith("-cp38-abi3-macosx_10_12_universal2.whl"), wheel.name
    check_wheel(lief, wheel, "b64kit", tmp_path, {"arm64": "11.0", "x86_64": "10.12"})


def test_zig_is_the_fallback_compiler(lief, tmp_path):
    """No SDKROOT (so no usable clang), no CC: the building interpreter's ziglang links
    the module; zig cannot write bundles, so it is an MH_DYLIB, which CPython loads the
    same way."""
    try:
        import ziglang  # noqa: F401
    except ImportError:
        not_run("ziglang is not importable (pip install -r tests/py/requirements-tools.txt)")
    proc_env = build_env()
    wheel = build("fasthash", "aarch64-apple-darwin", tmp_path, proc_env)
    assert wheel.name.endswith("-cp38-abi3-macosx_11_0_arm64.whl"), wheel.name
    check_wheel(lief, wheel, "fasthash", tmp_path, {"arm64": "11.0"}, file_type="DYLIB")


def test_no_compiler_is_a_clear_error_listing_what_was_tried(tmp_path):
    """No clang on PATH, no SDK, an interpreter without ziglang: nothing half-written."""
    python = next((p for p in sorted(Path.home().glob(".pyenv/versions/3.1*/bin/python3"))
                   if run([p, "-c", "import ziglang"], check=False, env=build_env()).returncode != 0), None)
    if python is None:
        not_run("no interpreter without ziglang under ~/.pyenv")
    project = copy_project(REPO / "sample-projects" / "b64kit", tmp_path / "b64kit")
    empty = tmp_path / "bin"
    empty.mkdir()
    env = build_env(PATH=str(empty))
    out = tmp_path / "dist"
    proc = run([forge_bin(), "build", project, "-i", python, "--target", "aarch64-apple-darwin", "-o", out],
               env=env, check=False)
    assert proc.returncode != 0, proc.text
    assert "no C compiler for macOS target aarch64-apple-darwin" in proc.text, proc.text
    assert "tried SDKROOT: not set" in proc.text, proc.text
    assert "clang-14: not on PATH" in proc.text, proc.text
    assert "cannot import `ziglang`" in proc.text, proc.text
    assert "tests/provision/macos-sdk.sh" in proc.text, proc.text
    assert not out.exists() or not list(out.iterdir())


def test_pkg_config_searches_the_sdk_not_the_host(sdk, tmp_path):
    """zstream links zlib through pkg-config: the host's zlib.pc (a Linux library) must
    not be used for a macOS module; the SDK's folder is searched, and has none."""
    if shutil.which("pkg-config") is None:
        not_run("no pkg-config")
    project = copy_project(REPO / "sample-projects" / "zstream", tmp_path / "zstream")
    out = tmp_path / "dist"
    proc = run([forge_bin(), "build", project, "-i", sys.executable, "--target", "aarch64-apple-darwin",
                "-o", out], env=build_env(SDKROOT=sdk), check=False)
    assert proc.returncode != 0, proc.text
    assert "Package zlib was not found" in proc.text, proc.text
    assert "searched: %s/usr/lib/pkgconfig" % sdk in proc.text, proc.text
    assert not out.exists() or not list(out.iterdir())


LIBRARY_PROJECT = """\
[build-system]
requires = ["cffi-forge"]
build-backend = "cffi_forge"
[project]
name = "demo"
version = "1.0"
requires-python = ">=3.8"
[[tool.cffi-forge.library]]
name = "adder"
sources = ["lib/add.c"]
[[tool.cffi-forge.module]]
name = "demo._m"
cdef = "int add(int, int);"
source = "int add(int, int);"
libraries = ["adder"]
"""


@pytest.mark.parametrize("compiler", ["clang", "zig"])
def test_static_library_is_archived_for_the_mach_o_linker(lief, sdk, compiler, tmp_path):
    """A [[tool.cffi-forge.library]] is archived by llvm-ar (clang) or `zig ar`: GNU ar
    cannot index Mach-O objects, and ld64.lld refuses an archive without an index."""
    if compiler == "zig":
        try:
            import ziglang  # noqa: F401
        except ImportError:
            not_run("ziglang is not importable (pip install -r tests/py/requirements-tools.txt)")
    project = tmp_path / "demo"
    (project / "demo").mkdir(parents=True)
    (project / "lib").mkdir()
    (project / "pyproject.toml").write_text(LIBRARY_PROJECT)
    (project / "demo" / "__init__.py").write_text("")
    (project / "lib" / "add.c").write_text("int add(int a, int b) { return a + b; }\n")
    env = build_env(SDKROOT=sdk) if compiler == "clang" else build_env()
    target = "universal2-apple-darwin" if compiler == "clang" else "aarch64-apple-darwin"
    out = tmp_path / "dist"
    run([forge_bin(), "build", project, "-i", sys.executable, "--target", target, "-o", out], env=env)
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as z:
        module = Path(z.extract("demo/_m.abi3.so", tmp_path / "unzipped"))
    fat = lief.MachO.parse(str(module))  # held: its slices die with it
    assert fat is not None and fat.size == (2 if compiler == "clang" else 1), module
    for binary in fat:
        defined = [s.name for s in binary.symbols if s.name == "_add" and s.category != lief.MachO.Symbol.CATEGORY.UNDEFINED]
        assert defined, "the library's `add` is not linked into the %s slice" % binary.header.cpu_type
