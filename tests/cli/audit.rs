//! The manylinux/musllinux audit in `cffi-forge build`: Linux wheels are tagged with the
//! most compatible policy their modules satisfy, the build names what limits it, a
//! requested policy the build does not meet fails naming the module and symbol, and
//! every module records its libc (`DT_NEEDED libc.so.6`) for external auditors.
#![cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]

use std::path::{Path, PathBuf};

use cffi_forge::audit::ElfFile;
use crate::cli_support::*;

/// A plain extension whose C is `body` plus a module `name` with one function `f`
/// returning `value` (a C expression).
fn extension_project(name: &str, body: &str, value: &str, tool: &str) -> tempfile::TempDir {
    let c = format!(
        "#include <Python.h>\n{body}\n\
         static PyObject *f(PyObject *self, PyObject *unused) {{ return PyLong_FromLong((long)({value})); }}\n\
         static PyMethodDef methods[] = {{{{\"f\", f, METH_NOARGS, NULL}}, {{NULL, NULL, 0, NULL}}}};\n\
         static struct PyModuleDef def = {{PyModuleDef_HEAD_INIT, \"{name}\", NULL, -1, methods}};\n\
         PyMODINIT_FUNC PyInit_{name}(void) {{ return PyModule_Create(&def); }}\n"
    );
    let table = format!(
        "{tool}\n[[tool.cffi-forge.extension]]\nname = \"demo.{name}\"\nsources = [\"csrc/{name}.c\"]\n"
    );
    project(&[
        ("pyproject.toml", &pyproject("demo", &table)),
        ("src/demo/__init__.py", ""),
        (&format!("csrc/{name}.c"), &c),
    ])
}

fn only_wheel(out: &Path) -> PathBuf {
    let wheels = listing(out);
    assert_eq!(wheels.len(), 1, "{wheels:?}");
    out.join(&wheels[0])
}

/// The ELF facts of a member of the wheel.
fn member_elf(wheel: &Path, suffix: &str) -> ElfFile {
    let dir = tempfile::tempdir().unwrap();
    let mut zip = zip::ZipArchive::new(std::fs::File::open(wheel).unwrap()).unwrap();
    zip.extract(dir.path()).unwrap();
    let member =
        zip_names(wheel).into_iter().find(|n| n.ends_with(suffix)).expect("the module is in the wheel");
    ElfFile::read(&dir.path().join(member)).unwrap()
}

#[test]
fn a_module_using_no_libc_symbol_still_needs_libc_and_is_manylinux_2_5() {
    // Only the Python API: with the `--as-needed` Debian's gcc defaults to, this module
    // would name no library at all, and no auditor could tell its libc.
    let tree = extension_project("_pure", "", "42", "");
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &[]).success();
    let wheel = only_wheel(out.path());
    let elf = member_elf(&wheel, ".so");
    assert!(elf.needed.iter().any(|n| n == "libc.so.6"), "DT_NEEDED: {:?}", elf.needed);
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.ends_with("-manylinux_2_5_x86_64.manylinux1_x86_64.whl"), "{name}");
    assert!(
        run.stderr.contains(
            "Auditing manylinux_2_5_x86_64.manylinux1_x86_64: the most compatible manylinux policy"
        ),
        "{}",
        run.stderr
    );
    let wheel_file = zip_read(&wheel, "demo-1.0.0.dist-info/WHEEL");
    assert!(
        wheel_file.contains("-manylinux_2_5_x86_64\nTag: ") && wheel_file.contains("-manylinux1_x86_64\n"),
        "{wheel_file}"
    );

    let venv = Venv::new();
    venv.install(&wheel);
    assert_eq!(venv.run("import demo._pure as m; print(m.f())"), "42");
}

/// `arc4random` is versioned GLIBC_2.36; `.symver` binds the reference to that version
/// explicitly, whatever the compiler does with the call.
const NEW_GLIBC: &str = "__asm__(\".symver forge_random, arc4random@GLIBC_2.36\");\n\
                         unsigned int forge_random(void);";

#[test]
fn a_too_new_glibc_symbol_sets_the_policy_and_is_named() {
    let tree = extension_project("_rand", NEW_GLIBC, "forge_random() >= 0", "");
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &[]).success();
    let wheel = only_wheel(out.path());
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.ends_with("-manylinux_2_36_x86_64.whl"), "{name}");
    let elf = member_elf(&wheel, ".so");
    assert!(
        elf.version_needs.contains(&("libc.so.6".into(), "GLIBC_2.36".into())),
        "{:?}",
        elf.version_needs
    );
    // What keeps it from the next older policy, by module and symbol.
    assert!(
        run.stderr.contains("not manylinux_2_35: `demo/_rand.")
            && run.stderr.contains("`arc4random@GLIBC_2.36`"),
        "{}",
        run.stderr
    );
    let venv = Venv::new();
    venv.install(&wheel);
    assert_eq!(venv.run("import demo._rand as m; print(m.f())"), "1");

    // Asking for manylinux2014 fails, naming the module, the symbol and who asked.
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &["--compatibility", "manylinux2014"]).failure();
    for expected in [
        "error: the wheel does not satisfy manylinux_2_17 (--compatibility)",
        "`demo/_rand.",
        "needs GLIBC_2.36 from `libc.so.6` (`arc4random@GLIBC_2.36`)",
    ] {
        assert!(run.stderr.contains(expected), "missing {expected:?} in\n{}", run.stderr);
    }
    assert_eq!(listing(out.path()), Vec::<String>::new(), "no wheel is written");

    // A newer policy than needed is granted as asked, alone.
    let out = tempfile::tempdir().unwrap();
    build(tree.path(), out.path(), &["--compatibility", "manylinux_2_39"]).success();
    let name = only_wheel(out.path()).file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.ends_with("-manylinux_2_39_x86_64.whl"), "{name}");
}

#[test]
fn zlib_through_pkg_config_is_manylinux_and_its_symbol_version_is_the_limit() {
    let tree = project(&[
        ("pyproject.toml", &pyproject("zdemo", "")),
        ("src/zdemo/__init__.py", ""),
        (
            "src/zdemo/_z_build.py",
            "from cffi import FFI\nffibuilder = FFI()\n\
             ffibuilder.cdef('unsigned long compressBound(unsigned long);')\n\
             ffibuilder.set_source_pkgconfig('zdemo._z', ['zlib'], '#include <zlib.h>')\n",
        ),
    ]);
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &[]).success();
    let wheel = only_wheel(out.path());
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.ends_with("-cp38-abi3-manylinux_2_12_x86_64.manylinux2010_x86_64.whl"), "{name}");
    assert!(
        run.stderr.contains(
            "(not manylinux_2_5: `zdemo/_z.abi3.so` needs ZLIB_1.2.0 from `libz.so.1` (`compressBound@ZLIB_1.2.0`))"
        ),
        "{}",
        run.stderr
    );
    let elf = member_elf(&wheel, ".so");
    assert!(elf.needed.contains(&"libz.so.1".to_string()), "{:?}", elf.needed);
}

#[test]
fn compatibility_comes_from_the_flag_then_pyproject_then_auditwheel_plat() {
    let tree = extension_project("_pure", "", "1", "[tool.cffi-forge]\ncompatibility = \"linux\"\n");
    let file_name = |extra: &[&str], plat: Option<&str>| -> String {
        let out = tempfile::tempdir().unwrap();
        let mut command = cffi_forge(&["build"]);
        command.arg(tree.path()).arg("-o").arg(out.path()).arg("-i").arg(python()).args(extra);
        match plat {
            Some(plat) => command.env("AUDITWHEEL_PLAT", plat),
            None => command.env_remove("AUDITWHEEL_PLAT"),
        };
        let run: Run = command.output().unwrap().into();
        run.success();
        only_wheel(out.path()).file_name().unwrap().to_string_lossy().into_owned()
    };
    // pyproject's "linux" beats AUDITWHEEL_PLAT; the flag beats pyproject.
    assert!(file_name(&[], Some("manylinux_2_28_x86_64")).ends_with("-linux_x86_64.whl"));
    assert!(file_name(&["--compatibility", "manylinux_2_17"], None)
        .ends_with("-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"));
    assert!(file_name(&["--compatibility", "auto"], Some("manylinux_2_28_x86_64"))
        .ends_with("-manylinux_2_5_x86_64.manylinux1_x86_64.whl"));

    // Without the pyproject key, AUDITWHEEL_PLAT (as cibuildwheel sets it) decides.
    let pyproject_path = tree.path().join("pyproject.toml");
    let text = std::fs::read_to_string(&pyproject_path).unwrap().replace("compatibility = \"linux\"\n", "");
    std::fs::write(&pyproject_path, text).unwrap();
    assert!(file_name(&[], Some("manylinux_2_28_x86_64")).ends_with("-manylinux_2_28_x86_64.whl"));

    // A musllinux policy for a glibc build fails, naming the libc.
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &["--compatibility", "musllinux_1_2"]).failure();
    assert!(
        run.stderr.contains("does not satisfy musllinux_1_2 (--compatibility): `demo/_pure.")
            && run.stderr.contains("is linked against glibc"),
        "{}",
        run.stderr
    );
    // A bad value in AUDITWHEEL_PLAT names the variable.
    let out = tempfile::tempdir().unwrap();
    let mut command = cffi_forge(&["build"]);
    command
        .arg(tree.path())
        .arg("-o")
        .arg(out.path())
        .arg("-i")
        .arg(python())
        .env("AUDITWHEEL_PLAT", "manylinux_9_9");
    let run: Run = command.output().unwrap().into();
    let run = run.failure();
    assert!(
        run.stderr.contains("AUDITWHEEL_PLAT=manylinux_9_9: unknown compatibility `manylinux_9_9`"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_bad_compatibility_in_pyproject_points_at_it() {
    let tree = extension_project("_pure", "", "1", "[tool.cffi-forge]\ncompatibility = \"manylinux_2_99\"\n");
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &[]).failure();
    for expected in
        ["compatibility", "unknown compatibility `manylinux_2_99`", "pyproject.toml:", "manylinux2014"]
    {
        assert!(run.stderr.contains(expected), "missing {expected:?} in\n{}", run.stderr);
    }
}

#[test]
fn inspect_explains_how_the_platform_tag_is_decided() {
    let tree = extension_project("_pure", "", "1", "");
    let inspect = |plat: Option<&str>| -> String {
        let mut command = cffi_forge(&["inspect", "-i"]);
        command.arg(python()).arg(tree.path());
        match plat {
            Some(plat) => command.env("AUDITWHEEL_PLAT", plat),
            None => command.env_remove("AUDITWHEEL_PLAT"),
        };
        let run: Run = command.output().unwrap().into();
        run.success().stdout
    };
    let text = inspect(None);
    assert!(
        text.contains(
            "platform: compatibility \"auto\" (the default): once compiled, the modules are audited"
        ),
        "{text}"
    );
    let text = inspect(Some("manylinux2014_x86_64"));
    assert!(
        text.contains(
            "platform: manylinux_2_17_x86_64.manylinux2014_x86_64 (AUDITWHEEL_PLAT=manylinux2014_x86_64): \
             the build fails if"
        ),
        "{text}"
    );
}

/// Whether `unshare -m` works here (root, or user namespaces): it hides a system library
/// from the loader by mounting `/dev/null` over it, for one command.
fn can_hide_files() -> bool {
    std::process::Command::new("unshare").args(["-m", "true"]).status().is_ok_and(|s| s.success())
}

/// `python -c code` with each of `hidden` replaced by an empty file, in a private mount
/// namespace: the loader cannot use them.
fn run_hiding(python: &Path, code: &str, hidden: &[&Path]) -> std::process::Output {
    let mut script = String::new();
    for file in hidden {
        script.push_str(&format!("mount --bind /dev/null '{}' && ", file.display()));
    }
    script.push_str("exec \"$0\" -c \"$1\"");
    std::process::Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .arg(python)
        .arg(code)
        .output()
        .unwrap()
}

const SODIUM_BUILD: &str = "from cffi import FFI\nffibuilder = FFI()\n\
    ffibuilder.cdef('int sodium_init(void); const char *sodium_version_string(void);')\n\
    ffibuilder.set_source_pkgconfig('sod._sod', ['libsodium'], '#include <sodium.h>')\n";

fn sodium_project(tool: &str) -> tempfile::TempDir {
    project(&[
        ("pyproject.toml", &pyproject("sod", tool)),
        ("src/sod/__init__.py", ""),
        ("src/sod/_sod_build.py", SODIUM_BUILD),
    ])
}

#[test]
fn a_system_library_outside_every_policy_is_shipped_and_imports_with_the_system_copy_hidden() {
    let tree = sodium_project("");
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &[]).success();
    let wheel = only_wheel(out.path());
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("sod-1.0.0-cp38-abi3-manylinux_") && name.ends_with("_x86_64.whl"), "{name}");
    assert!(run.stderr.contains("shipping `libsodium.so.23` in the wheel"), "{}", run.stderr);
    let names = zip_names(&wheel);
    let bundled: Vec<&String> = names.iter().filter(|n| n.starts_with("sod.libs/")).collect();
    assert_eq!(bundled.len(), 1, "{names:?}");
    let bundled_name = bundled[0].trim_start_matches("sod.libs/").to_string();
    assert!(bundled_name.starts_with("libsodium-") && bundled_name.ends_with(".so.23"), "{bundled_name}");

    // The module needs the bundled copy by its new name, found through $ORIGIN.
    let module = member_elf(&wheel, "_sod.abi3.so");
    assert!(module.needed.contains(&bundled_name), "{:?}", module.needed);
    assert!(!module.needed.iter().any(|n| n == "libsodium.so.23"), "{:?}", module.needed);
    assert_eq!(module.runpath, ["$ORIGIN/../sod.libs"]);
    let library = member_elf(&wheel, ".so.23");
    assert_eq!(library.soname.as_deref(), Some(bundled_name.as_str()));

    let venv = Venv::new();
    venv.install(&wheel);
    let code = "import sod._sod as m; print(m.lib.sodium_init(), m.ffi.string(m.lib.sodium_version_string()).decode())";
    let system = std::path::PathBuf::from("/usr/lib/x86_64-linux-gnu/libsodium.so.23");
    if !can_hide_files() || !system.exists() {
        eprintln!("NOTE: cannot hide {} here (unshare -m); imported with it present", system.display());
        assert!(venv.run(code).starts_with("0 "));
        return;
    }
    let hidden = run_hiding(&venv.python(), code, &[&system]);
    assert!(hidden.status.success(), "{}", String::from_utf8_lossy(&hidden.stderr));
    assert!(String::from_utf8_lossy(&hidden.stdout).starts_with("0 1."), "{hidden:?}");
    // The control: with the system copy hidden, loading it by its own name fails.
    let control = run_hiding(&venv.python(), "import ctypes; ctypes.CDLL('libsodium.so.23')", &[&system]);
    assert!(!control.status.success(), "the library was not hidden");
}

#[test]
fn an_excluded_library_stays_a_system_dependency() {
    let tree = sodium_project("[tool.cffi-forge]\nrepair-exclude = [\"libsodium.so.*\"]\n");
    let out = tempfile::tempdir().unwrap();
    build(tree.path(), out.path(), &[]).success();
    let wheel = only_wheel(out.path());
    assert!(!zip_names(&wheel).iter().any(|n| n.contains(".libs/")), "{:?}", zip_names(&wheel));
    let module = member_elf(&wheel, "_sod.abi3.so");
    assert!(module.needed.contains(&"libsodium.so.23".to_string()), "{:?}", module.needed);
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.contains("-manylinux_"), "{name}");
}

#[test]
fn a_bundled_library_with_symbol_versions_keeps_working_after_the_rename() {
    // A library with its own symbol version (FOO_1.0): the module's version need names
    // the library, which the repair renames; the loader checks that name.
    let tree = project(&[
        ("vendor/foo.c", "int foo_answer(void) { return 41; }\n"),
        ("vendor/foo.map", "FOO_1.0 { global: foo_answer; local: *; };\n"),
    ]);
    let vendor = tree.path().join("vendor");
    let cc = std::process::Command::new("cc")
        .current_dir(&vendor)
        .args([
            "-shared",
            "-fPIC",
            "-Wl,-soname,libfoo.so.1",
            "-Wl,--version-script=foo.map",
            "-o",
            "libfoo.so.1",
            "foo.c",
        ])
        .status()
        .unwrap();
    assert!(cc.success());
    std::os::unix::fs::symlink("libfoo.so.1", vendor.join("libfoo.so")).unwrap();
    let tool = format!(
        "[[tool.cffi-forge.extension]]\nname = \"demo._foo\"\nsources = [\"csrc/_foo.c\"]\nlibraries = [\"foo\"]\n\
         library-dirs = [\"vendor\"]\nruntime-library-dirs = [\"{}\"]\n",
        vendor.display()
    );
    let c = "#include <Python.h>\nint foo_answer(void);\n\
             static PyObject *f(PyObject *self, PyObject *unused) { return PyLong_FromLong(foo_answer() + 1); }\n\
             static PyMethodDef methods[] = {{\"f\", f, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};\n\
             static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, \"_foo\", NULL, -1, methods};\n\
             PyMODINIT_FUNC PyInit__foo(void) { return PyModule_Create(&def); }\n";
    write_files(
        tree.path(),
        &[("pyproject.toml", &pyproject("demo", &tool)), ("src/demo/__init__.py", ""), ("csrc/_foo.c", c)],
    );
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &[]).success();
    assert!(run.stderr.contains("shipping `libfoo.so.1` in the wheel"), "{}", run.stderr);
    let wheel = only_wheel(out.path());
    let module = member_elf(&wheel, ".so");
    let bundled = module.needed.iter().find(|n| n.starts_with("libfoo-")).expect("renamed").clone();
    assert!(
        module.version_needs.contains(&(bundled.clone(), "FOO_1.0".into())),
        "{:?}",
        module.version_needs
    );

    // The project's copy gone: only the bundled one can serve.
    std::fs::remove_dir_all(&vendor).unwrap();
    let venv = Venv::new();
    venv.install(&wheel);
    assert_eq!(venv.run("import demo._foo as m; print(m.f())"), "42");
}
