"""macOS embedding libraries, cross-built on Linux and checked for structure (no Mach-O
can run here): `cffi-forge embed --target` for `aarch64-apple-darwin`,
`x86_64-apple-darwin` and `universal2-apple-darwin`, with the clang-16 + ld64.lld + SDK
setup of test_macos.py (whose fixtures and helpers these tests import).

A cross build has no macOS libpython to link: cffi-forge links a stub it writes
(`libpython3.X.tbd`) naming python.org's framework, or CFFI_FORGE_TARGET_LIBPYTHON. Each
library of tests/data/embedding/declarative (`times`) and tests/data/embedding/plugins
(build scripts) is checked with lief, in every slice:
- an `MH_DYLIB` (programs link it; not a bundle) named `@rpath/<file>`;
- its API functions exported;
- libpython loaded by its install name (LC_LOAD_DYLIB, compatibility version 3.X), and
  every undefined Python symbol bound to it (two-level namespace), none by flat lookup;
- the minimum macOS of the wheels (11.0 arm64, 10.12 x86_64; MACOSX_DEPLOYMENT_TARGET).
The C programs of tests/data/embedding (but threads.c: macOS has no pthread barriers)
are linked against the plugins for each slice by
clang-16 + ld64.lld (every symbol must resolve); each records `@rpath/<plugin>` and binds
the plugin's functions to it. `cffi-forge build --target` of the embedding-demo sample
gives a macOS wheel whose plugin is an `MH_DYLIB` at its package path, linked with no
libpython (the program loading it brings libpython: flat lookup, as for modules).

What is not checked: that dyld loads these files and Python starts (no Mac here).
When clang-16, ld64.lld, llvm-lipo or lief are missing, the tests are NOT RUN, loudly,
and fail under CI=true.
"""

import os
import sys
import zipfile
from pathlib import Path

import pytest

from . import interpreters
from .support import REPO, copy_project, forge_bin, run
from .test_embedding import DATA, PROGRAMS
from .test_macos import TARGETS, build_env, lief, min_macos, sdk, slices_of  # noqa: F401 (fixtures)

VERSION = sys.version_info[:2]
FRAMEWORK = "/Library/Frameworks/Python.framework/Versions/%d.%d/Python" % VERSION
# The functions each plugin of tests/data/embedding/plugins exports (its embedding_api).
EXPORTS = {
    "_add1_cffi": ["add1"],
    "_add2_cffi": ["add2", "add2_started"],
    "_threads_cffi": ["twice", "init_runs"],
    "_tlocal_cffi": ["add_tl"],
    "_initerror_cffi": ["broken", "broken_double"],
}
# clang's target for the programs of each slice, at that slice's minimum macOS.
PROGRAM_TRIPLE = {"arm64": "arm64-apple-macosx%s", "x86_64": "x86_64-apple-macosx%s"}


def embed(project: Path, target: str, tmp: Path, env: dict, python=sys.executable) -> Path:
    copy = copy_project(project, tmp / project.name)
    out = tmp / "out"
    proc = run([forge_bin(), "embed", copy, "-o", out, "-i", python, "--target", target], env=env, timeout=600)
    written = sorted(Path(line).name for line in proc.text.splitlines() if line.startswith(str(out)))
    assert written == sorted(p.name for p in out.iterdir()), proc.text
    return out


def slices(lief, path: Path):
    """(the parsed file, {"arm64" | "x86_64": its slice}): hold the file while using its
    slices, which die with it."""
    fat = lief.MachO.parse(str(path))
    assert fat is not None, "%s is no Mach-O file" % path
    cpu = {lief.MachO.Header.CPU_TYPE.ARM64: "arm64", lief.MachO.Header.CPU_TYPE.X86_64: "x86_64"}
    return fat, {cpu[binary.header.cpu_type]: binary for binary in fat}


def undefined(lief, binary) -> list:
    return [s for s in binary.symbols if s.category == lief.MachO.Symbol.CATEGORY.UNDEFINED]


def check_library(lief, path: Path, exports, expected_slices: dict, libpython):
    """`libpython`: the install name the library must load libpython by, every Python
    symbol bound to it; `None` (a wheel's library): no libpython, Python symbols found by
    flat lookup in the loading program."""
    fat, found = slices(lief, path)
    assert sorted(found) == sorted(expected_slices), (path.name, sorted(found))
    load = lief.MachO.LoadCommand.TYPE
    for arch, binary in found.items():
        what = "%s (%s slice)" % (path.name, arch)
        assert binary.header.file_type == lief.MachO.Header.FILE_TYPE.DYLIB, (what, binary.header.file_type)
        assert lief.MachO.Header.FLAGS.TWOLEVEL in binary.header.flags_list, (what, binary.header.flags_list)
        ids = [lib.name for lib in binary.libraries if lib.command == load.ID_DYLIB]
        assert ids == ["@rpath/" + path.name], (what, ids)
        exported = {s.name for s in binary.exported_symbols}
        missing = sorted("_" + name for name in exports if "_" + name not in exported)
        assert not missing, (what, missing, sorted(exported))
        loaded = [lib for lib in binary.libraries if lib.command == load.LOAD_DYLIB]
        pythons = [lib for lib in loaded if "python" in lib.name.lower()]
        python_symbols = [s for s in undefined(lief, binary) if s.name.startswith(("_Py", "__Py"))]
        assert python_symbols, (what, "no undefined Python symbols: nothing was checked")
        if libpython is None:
            assert not pythons, (what, [lib.name for lib in pythons])
            for symbol in python_symbols:
                # -2: BIND_SPECIAL_DYLIB_FLAT_LOOKUP
                assert symbol.has_binding_info and symbol.binding_info.library_ordinal == -2, (what, symbol.name)
        else:
            assert [lib.name for lib in pythons] == [libpython], (what, [lib.name for lib in loaded])
            assert list(pythons[0].compatibility_version[:2]) == list(VERSION), (what, pythons[0].compatibility_version)
            for symbol in python_symbols:
                assert symbol.has_binding_info and symbol.binding_info.library is not None, (what, symbol.name)
                bound_to = symbol.binding_info.library.name
                assert bound_to == libpython, (what, symbol.name, bound_to)
            flat = [s.name for s in undefined(lief, binary)
                    if s.has_binding_info and s.binding_info.library_ordinal == -2]
            assert not flat, (what, "bound by flat lookup", flat)
        assert min_macos(binary) == expected_slices[arch], (what, min_macos(binary), expected_slices[arch])


def link_program(source: Path, libraries, arch: str, minimum: str, out: Path, sdk: Path) -> Path:
    """A C program for one slice, linked against `libraries` (the files) by ld64.lld:
    an unresolved symbol fails the link."""
    out.mkdir(parents=True, exist_ok=True)
    exe = out / ("%s-%s" % (source.stem, arch))
    run(["clang-16", "--target=" + PROGRAM_TRIPLE[arch] % minimum, "-isysroot", sdk, "-fuse-ld=lld",
         source, *libraries, "-o", exe, "-Wl,-rpath,@executable_path"], env=build_env())
    return exe


def check_program(lief, exe: Path, imports: dict):
    """`imports`: {symbol: the install name of the plugin it must be bound to}."""
    fat, found = slices(lief, exe)
    (binary,) = found.values()
    assert binary.header.file_type == lief.MachO.Header.FILE_TYPE.EXECUTE, binary.header.file_type
    loaded = [lib.name for lib in binary.libraries if lib.command == lief.MachO.LoadCommand.TYPE.LOAD_DYLIB]
    assert sorted(set(imports.values())) == sorted(n for n in loaded if n.startswith("@rpath/")), (exe.name, loaded)
    assert not [n for n in loaded if "python" in n.lower()], (exe.name, loaded)
    bound = {s.name: s.binding_info.library.name for s in undefined(lief, binary)
             if s.has_binding_info and s.binding_info.library is not None}
    for symbol, library in imports.items():
        assert bound.get(symbol) == library, (exe.name, symbol, bound.get(symbol), library)


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_declarative_plugin_and_a_program_using_it(lief, sdk, target, tmp_path):
    out = embed(DATA / "declarative", target, tmp_path, build_env(SDKROOT=sdk))
    assert sorted(p.name for p in out.iterdir()) == ["times-1.0.dylib"]
    expected = slices_of(TARGETS[target])
    plugin = out / "times-1.0.dylib"
    check_library(lief, plugin, ["times"], expected, FRAMEWORK)
    for arch, minimum in expected.items():
        exe = link_program(DATA / "times.c", [plugin], arch, minimum, tmp_path / "bin", sdk)
        check_program(lief, exe, {"_times": "@rpath/times-1.0.dylib"})


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_build_script_plugins_and_the_programs_using_them(lief, sdk, target, tmp_path):
    out = embed(DATA / "plugins", target, tmp_path, build_env(SDKROOT=sdk))
    assert sorted(p.name for p in out.iterdir()) == sorted(name + ".dylib" for name in EXPORTS)
    expected = slices_of(TARGETS[target])
    for name, exports in EXPORTS.items():
        check_library(lief, out / (name + ".dylib"), exports, expected, FRAMEWORK)
    # (threads.c needs pthread barriers, which macOS lacks; its plugin is checked above)
    for program, libraries in sorted((p, libs) for p, libs in PROGRAMS.items() if p != "threads"):
        # What the program calls, from the plugin that exports it.
        used = (DATA / (program + ".c")).read_text()
        imports = {"_" + function: "@rpath/%s.dylib" % library
                   for library in libraries for function in EXPORTS[library] if function + "(" in used}
        assert imports, program
        for arch, minimum in expected.items():
            files = [out / (library + ".dylib") for library in libraries]
            exe = link_program(DATA / (program + ".c"), files, arch, minimum, tmp_path / "bin", sdk)
            check_program(lief, exe, imports)


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_sample_wheel_holds_the_plugin_dylib(lief, sdk, target, tmp_path):
    demo = copy_project(REPO / "sample-projects" / "embedding" / "embedding-demo", tmp_path / "embedding-demo")
    dist = tmp_path / "dist"
    run([forge_bin(), "build", demo, "-o", dist, "-i", sys.executable, "--target", target],
        env=build_env(SDKROOT=sdk), timeout=600)
    (wheel,) = dist.glob("*.whl")
    cp = "cp%d%d" % VERSION
    assert wheel.name.endswith("-%s-%s-%s.whl" % (cp, cp, TARGETS[target])), wheel.name
    member = "greeter/libgreeter-1.0.dylib"
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        assert member in names, names
        assert not [n for n in names if n.endswith((".so", ".pyi"))], names
        plugin = Path(z.extract(member, tmp_path / "unzipped"))
    check_library(lief, plugin, ["greet", "word_count"], slices_of(TARGETS[target]), None)


def test_macosx_deployment_target_is_honoured(lief, sdk, tmp_path):
    env = build_env(SDKROOT=sdk, MACOSX_DEPLOYMENT_TARGET="10.14")
    out = embed(DATA / "declarative", "universal2-apple-darwin", tmp_path, env)
    # arm64 starts at macOS 11 whatever the Intel slice asks.
    check_library(lief, out / "times-1.0.dylib", ["times"], {"arm64": "11.0", "x86_64": "10.14"}, FRAMEWORK)


def test_libpython_install_name_is_a_setting(lief, sdk, tmp_path):
    """uv's standalone builds and others name libpython `@rpath/libpython3.X.dylib`."""
    name = "@rpath/libpython%d.%d.dylib" % VERSION
    env = build_env(SDKROOT=sdk, CFFI_FORGE_TARGET_LIBPYTHON=name)
    out = embed(DATA / "declarative", "aarch64-apple-darwin", tmp_path, env)
    check_library(lief, out / "times-1.0.dylib", ["times"], {"arm64": "11.0"}, name)


def test_a_libpython_setting_that_is_no_install_name_is_a_clear_error(sdk, tmp_path):
    project = copy_project(DATA / "declarative", tmp_path / "declarative")
    out = tmp_path / "out"
    env = build_env(SDKROOT=sdk, CFFI_FORGE_TARGET_LIBPYTHON="libpython3.dylib")
    proc = run([forge_bin(), "embed", project, "-o", out, "-i", sys.executable, "--target", "aarch64-apple-darwin"],
               env=env, check=False)
    assert proc.returncode == 1, proc.text
    assert "CFFI_FORGE_TARGET_LIBPYTHON is `libpython3.dylib`, which is no install name" in proc.text, proc.text
    assert not out.exists() or not list(out.iterdir())


@pytest.mark.parametrize("version", interpreters.PROVISIONED)
def test_a_static_cpython_exports_the_api_the_stub_lists(lief, sdk, version, pythons, tmp_path):
    """Debian's CPythons (no libpython3.X package here) link Python into the executable,
    which exports the C API: the stub lists that, and names the target's version."""
    out = embed(DATA / "declarative", "x86_64-apple-darwin", tmp_path, build_env(SDKROOT=sdk),
                python=pythons.path(version))
    library = out / "times-1.0.dylib"
    fat, found = slices(lief, library)
    loaded = [lib.name for lib in found["x86_64"].libraries if "python" in lib.name.lower()]
    assert loaded == ["/Library/Frameworks/Python.framework/Versions/%s/Python" % version], loaded
    bound = {s.binding_info.library.name for s in undefined(lief, found["x86_64"])
             if s.name.startswith("_Py") and s.has_binding_info and s.binding_info.library is not None}
    assert bound == set(loaded), bound
