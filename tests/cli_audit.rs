//! The manylinux/musllinux audit in `cffi-forge build`: Linux wheels are tagged with the
//! most compatible policy their modules satisfy, the build names what limits it, a
//! requested policy the build does not meet fails naming the module and symbol, and
//! every module records its libc (`DT_NEEDED libc.so.6`) for external auditors.
#![cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]

mod cli_support;

use std::path::{Path, PathBuf};

use cffi_forge::audit::ElfFile;
use cli_support::*;

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
