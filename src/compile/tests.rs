//! Building real modules with the host compiler and importing them, the graph's
//! scheduling, and the target triple.

use std::ffi::OsStr;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use fs_err as fs;

use super::graph::parallel;
use super::*;
use crate::diagnostic::ToDiagnostic;
use crate::interpreter::Interpreter;
use crate::spec::Define;

fn python() -> PathBuf {
    PathBuf::from(std::env::var_os("CFFI_FORGE_TEST_PYTHON").unwrap_or_else(|| "python3".into()))
}

const MODULE: &str = r#"
#include <Python.h>
#include "val.h"
int helper(int);
static PyObject *f(PyObject *self, PyObject *arg) { return PyLong_FromLong(helper(VAL) + EXTRA); }
static PyMethodDef methods[] = {{"f", f, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "tmod", NULL, -1, methods};
PyMODINIT_FUNC PyInit_tmod(void) { return PyModule_Create(&def); }
"#;

struct Fixture {
    dir: tempfile::TempDir,
    interp: Interpreter,
    log: PathBuf,
}

impl Fixture {
    fn new(generated_name: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("include")).unwrap();
        fs::write(root.join("include/val.h"), "#define VAL 40\n").unwrap();
        fs::write(root.join("helper.c"), "int helper(int x) { return x + 1; }\n").unwrap();
        fs::write(root.join(generated_name), MODULE).unwrap();
        // A compiler wrapper that logs each call, to see what the cache saves.
        let log = root.join("cc.log");
        let wrapper = root.join("logcc");
        fs::write(&wrapper, format!("#!/bin/sh\necho \"$@\" >> '{}'\nexec cc \"$@\"\n", log.display()))
            .unwrap();
        std::fs::set_permissions(&wrapper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let interp = Interpreter::query(&python()).expect("a Python to build against");
        Fixture { dir, interp, log }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn env(&self) -> Env {
        let mut env = process_env();
        env.insert("CC".into(), self.root().join("logcc").into());
        env
    }

    fn job(&self, generated: &str) -> CompileJob {
        CompileJob {
            module: "tmod".into(),
            generated: Some(self.root().join(generated)),
            options: BuildOptions {
                sources: vec!["helper.c".into()],
                include_dirs: vec!["include".into()],
                define_macros: vec![Define { name: "EXTRA".into(), value: Some("1".into()) }],
                ..Default::default()
            },
            limited_api: LimitedApi::Abi3 { major: 3, minor: 8 },
            file_name: "tmod.abi3.so".into(),
            cxx_link: false,
            output: Output::Module,
        }
    }

    fn build(&self, env: Env, job: &CompileJob) -> Result<PathBuf, CompileError> {
        let toolchain = Toolchain::new(&self.interp, self.root(), &self.root().join("build"), env)?;
        Ok(toolchain.build(std::slice::from_ref(job), &[])?.remove(0))
    }

    fn compiles(&self) -> usize {
        fs::read_to_string(&self.log).map(|t| t.lines().filter(|l| l.contains(" -c ")).count()).unwrap_or(0)
    }

    fn call(&self, module: &Path) -> String {
        let out = Command::new(python())
            .args(["-c", "import sys; sys.path.insert(0, sys.argv[1]); import tmod; print(tmod.f())"])
            .arg(module.parent().unwrap())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }
}

#[test]
fn builds_an_importable_module_and_rebuilds_only_what_changed() {
    let fx = Fixture::new("tmod.c");
    let job = fx.job("tmod.c");
    let module = fx.build(fx.env(), &job).unwrap();
    assert_eq!(module.file_name().unwrap(), "tmod.abi3.so");
    assert_eq!(fx.call(&module), "42");
    assert_eq!(fx.compiles(), 2);

    // No change: nothing is compiled, the same module comes back.
    assert_eq!(fx.build(fx.env(), &job).unwrap(), module);
    assert_eq!(fx.compiles(), 2);

    // A header only the module file includes: that file alone is recompiled.
    fs::write(fx.root().join("include/val.h"), "#define VAL 100\n").unwrap();
    let module = fx.build(fx.env(), &job).unwrap();
    assert_eq!(fx.compiles(), 3);
    assert_eq!(fx.call(&module), "102");

    // Py_LIMITED_API carries the floor version.
    let log = fs::read_to_string(&fx.log).unwrap();
    assert!(log.contains("-DPy_LIMITED_API=0x03080000"), "{log}");
    assert!(log.contains("-DEXTRA=1"), "{log}");
}

#[test]
fn one_toolchain_building_twice_hashes_a_header_edited_in_between_anew() {
    // Header hashes are taken once per build (`cache::HashMemo`), not once per toolchain.
    let fx = Fixture::new("tmod.c");
    let job = fx.job("tmod.c");
    let toolchain = Toolchain::new(&fx.interp, fx.root(), &fx.root().join("build"), fx.env()).unwrap();
    let first = toolchain.build(std::slice::from_ref(&job), &[]).unwrap().remove(0);
    assert_eq!(fx.call(&first), "42");
    let compiles = fx.compiles();
    fs::write(fx.root().join("include/val.h"), "#define VAL 100\n").unwrap();
    let second = toolchain.build(std::slice::from_ref(&job), &[]).unwrap().remove(0);
    assert_eq!(fx.compiles(), compiles + 1, "the module file is compiled again");
    assert_eq!(fx.call(&second), "102");
}

#[test]
fn the_interpreters_ndebug_reaches_every_unit_as_with_setuptools() {
    let mut fx = Fixture::new("tmod.c");
    // VAL is 40 only when NDEBUG is defined, as in a release build of CPython.
    fs::write(
        fx.root().join("include/val.h"),
        "#ifdef NDEBUG\n#define VAL 40\n#else\n#define VAL 0\n#endif\n",
    )
    .unwrap();
    fs::write(
        fx.root().join("helper.c"),
        "#include <assert.h>\nint helper(int x) { assert(x < 0); return x + 1; }\n",
    )
    .unwrap();
    let job = fx.job("tmod.c");
    fx.interp.cflags = Some("-g -DNDEBUG -O3 -Wall -fwrapv".into());
    let module = fx.build(fx.env(), &job).unwrap();
    // The assert in the plain source file is compiled out too (it would abort otherwise).
    assert_eq!(fx.call(&module), "42");
    let log = fs::read_to_string(&fx.log).unwrap();
    assert!(
        log.lines().all(|l| !l.contains(" -c ") || (l.contains("-DNDEBUG") && l.contains("-fwrapv"))),
        "{log}"
    );
    assert!(!log.contains("-O3") && !log.contains(" -g "), "{log}");

    // An interpreter built without NDEBUG (a debug build) leaves it out.
    fx.interp.cflags = Some("-g -O0".into());
    fs::write(fx.root().join("helper.c"), "int helper(int x) { return x + 1; }\n").unwrap();
    let module = fx.build(fx.env(), &job).unwrap();
    assert_eq!(fx.call(&module), "2");
}

#[test]
fn a_static_library_compiles_once_and_links_into_every_module_naming_it() {
    let fx = Fixture::new("tmod.c");
    // `helper` moves from the module's sources into a library both modules link.
    let library = LibraryJob {
        name: "helpers".into(),
        options: BuildOptions { sources: vec!["helper.c".into()], ..Default::default() },
    };
    let mut first = fx.job("tmod.c");
    first.options.sources.clear();
    first.options.libraries = vec!["helpers".into(), "m".into()];
    let text = fs::read_to_string(fx.root().join("tmod.c")).unwrap().replace("tmod", "tmod2");
    fs::write(fx.root().join("tmod2.c"), text).unwrap();
    let mut second = first.clone();
    second.module = "tmod2".into();
    second.generated = Some(fx.root().join("tmod2.c"));
    second.file_name = "tmod2.abi3.so".into();

    let toolchain = Toolchain::new(&fx.interp, fx.root(), &fx.root().join("build"), fx.env()).unwrap();
    let built = toolchain.build(&[first.clone(), second], std::slice::from_ref(&library)).unwrap();
    assert_eq!(fx.call(&built[0]), "42");
    let log = fs::read_to_string(&fx.log).unwrap();
    let helper_compiles: Vec<&str> = log.lines().filter(|l| l.contains("-c helper.c")).collect();
    assert_eq!(helper_compiles.len(), 1, "{log}");
    // No Python headers or macros for the library; `-lhelpers` never reaches the linker.
    assert!(!helper_compiles[0].contains("Py_LIMITED_API") && !helper_compiles[0].contains("python"));
    assert!(!log.contains("-lhelpers") && log.contains("-lm"), "{log}");
    assert_eq!(log.lines().filter(|l| l.contains("libhelpers.a")).count(), 2, "linked into both: {log}");

    let mut broken = library.clone();
    broken.options.sources.push("gone.c".into());
    let err = toolchain.build(&[first], &[broken]).unwrap_err();
    assert_eq!(err.to_string(), "library `helpers`: source file `gone.c` does not exist");
}

#[test]
fn cxx_source_extension_compiles_as_cxx() {
    let fx = Fixture::new("tmod.cpp");
    let mut job = fx.job("tmod.cpp");
    // Valid C++ only: a C compiler would reject it.
    fs::write(
        fx.root().join("include/val.h"),
        "template <int N> struct V { enum { v = N }; };\n#define VAL V<40>::v\n",
    )
    .unwrap();
    fs::write(fx.root().join("helper.c"), "int helper(int x) { return x + 1; }\n").unwrap();
    job.limited_api = LimitedApi::Off;
    // `helper` has C linkage from a .c file; the module declares it in C++.
    let text = fs::read_to_string(fx.root().join("tmod.cpp"))
        .unwrap()
        .replace("int helper(int);", "extern \"C\" int helper(int);");
    fs::write(fx.root().join("tmod.cpp"), text).unwrap();
    let module = fx.build(fx.env(), &job).unwrap();
    assert_eq!(fx.call(&module), "42");
}

#[test]
fn compile_error_shows_compiler_output_module_and_file() {
    let fx = Fixture::new("tmod.c");
    fs::write(fx.root().join("helper.c"), "int helper(int x) { return x + ; }\n").unwrap();
    let err = fx.build(fx.env(), &fx.job("tmod.c")).unwrap_err();
    let text = err.to_diagnostic().render(false);
    assert!(text.contains("failed to compile `helper.c` of module `tmod`"), "{text}");
    assert!(text.contains("helper.c:1:"), "the compiler's own message: {text}");
    assert!(!fx.root().join("build/modules").exists(), "nothing linked");
}

#[test]
fn missing_compiler_and_missing_source() {
    let fx = Fixture::new("tmod.c");
    let mut env = fx.env();
    env.insert("CC".into(), "/nonexistent/cc".into());
    let err = fx.build(env, &fx.job("tmod.c")).unwrap_err();
    assert!(matches!(err, CompileError::NoCompiler { from_env: Some("CC"), .. }), "{err:?}");
    assert!(err.to_string().contains("/nonexistent/cc"), "{err}");

    let mut job = fx.job("tmod.c");
    job.options.sources.push("nope.c".into());
    let err = fx.build(fx.env(), &job).unwrap_err();
    assert_eq!(err.to_string(), "module `tmod`: source file `nope.c` does not exist");
}

#[test]
fn parallel_runs_items_at_the_same_time_and_reports_the_first_failure() {
    // Each item waits until both have started: only concurrent execution passes.
    let started = AtomicUsize::new(0);
    let together = parallel(&[0, 1], 2, |_| {
        started.fetch_add(1, Ordering::SeqCst);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while started.load(Ordering::SeqCst) < 2 && std::time::Instant::now() < deadline {
            std::thread::yield_now();
        }
        Ok::<_, ()>(started.load(Ordering::SeqCst) == 2)
    })
    .unwrap();
    assert_eq!(together, [true, true]);

    // One thread: the first failure stops the rest.
    let ran = AtomicUsize::new(0);
    let result = parallel(&[1, 2, 3, 4], 1, |&i| {
        ran.fetch_add(1, Ordering::SeqCst);
        if i % 2 == 0 {
            Err(i)
        } else {
            Ok(i)
        }
    });
    assert_eq!((result, ran.load(Ordering::SeqCst)), (Err(2), 2));
    assert_eq!(parallel(&[1, 2, 3], 1, |&i| Ok::<_, ()>(i * 10)), Ok(vec![10, 20, 30]));
}

/// A CPython 3.12 for 64-bit Windows whose prefix is `prefix` (no `libs\\` there).
fn windows_cpython(prefix: &Path) -> Interpreter {
    let mut interp = crate::interpreter::tests::cpython(3, 12);
    interp.platform = "win-amd64".into();
    interp.machine = "AMD64".into();
    interp.ext_suffix = ".cp312-win_amd64.pyd".into();
    interp.extension_suffixes = vec![".cp312-win_amd64.pyd".into(), ".pyd".into()];
    interp.base_prefix = prefix.to_path_buf();
    interp
}

/// The DLLs a PE file imports, as MinGW's objdump lists them.
fn imported_dlls(pe: &Path) -> Vec<String> {
    let out = Command::new("x86_64-w64-mingw32-objdump").arg("-p").arg(pe).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("DLL Name: ").map(str::to_string))
        .collect()
}

#[test]
fn windows_without_msvc_defines_ms_win64_and_links_the_python_dll() {
    if which::which("x86_64-w64-mingw32-gcc").is_err() {
        eprintln!(
            "NOT RUN: windows_without_msvc (no x86_64-w64-mingw32-gcc; apt-get install gcc-mingw-w64-x86-64)"
        );
        assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "NOT RUN is a failure under CI=true");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // What Windows' pyconfig.h needs from a non-MSVC compiler, and a call into the
    // Python DLL that only links when its import library is on the command line.
    fs::write(
        root.join("tmod.c"),
        "#ifndef MS_WIN64\n#error MS_WIN64 is not defined\n#endif\n\
         __declspec(dllimport) void Py_IncRef(void *);\n\
         __declspec(dllexport) void *PyInit_tmod(void) { Py_IncRef(0); return 0; }\n",
    )
    .unwrap();
    let interp = windows_cpython(&root.join("prefix"));
    assert_eq!(target_triple(&interp), "x86_64-pc-windows-gnu");
    let mut env = process_env();
    env.remove(OsStr::new("CC"));
    env.remove(OsStr::new("CFLAGS"));
    env.remove(OsStr::new("LDFLAGS"));
    let toolchain = Toolchain::new(&interp, root, &root.join("build"), env).unwrap();
    let job = |limited_api, file_name: &str| CompileJob {
        module: "tmod".into(),
        generated: Some(root.join("tmod.c")),
        options: BuildOptions::default(),
        limited_api,
        file_name: file_name.into(),
        cxx_link: false,
        output: Output::Module,
    };
    let built = toolchain.build(&[job(LimitedApi::Abi3 { major: 3, minor: 8 }, "tmod.pyd")], &[]).unwrap();
    assert_eq!(built[0].file_name().unwrap(), "tmod.pyd");
    let dlls = imported_dlls(&built[0]);
    assert!(dlls.contains(&"python3.dll".to_string()), "{dlls:?}");

    // Version-specific: python312.dll, never python3.dll.
    let built = toolchain.build(&[job(LimitedApi::Off, "tmod.cp312-win_amd64.pyd")], &[]).unwrap();
    let dlls = imported_dlls(&built[0]);
    assert!(
        dlls.contains(&"python312.dll".to_string()) && !dlls.contains(&"python3.dll".to_string()),
        "{dlls:?}"
    );
}

#[test]
fn a_windows_interpreter_under_wine_has_its_paths_mapped_to_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("prefix");
    let drive = dir.path().join("drive-d");
    fs::create_dir_all(prefix.join("dosdevices")).unwrap();
    fs::create_dir_all(drive.join("Py/libs")).unwrap();
    std::os::unix::fs::symlink(&drive, prefix.join("dosdevices/d:")).unwrap();
    fs::write(drive.join("Py/libs/python3.lib"), "").unwrap();
    let mut interp = windows_cpython(Path::new("D:\\Py"));
    interp.include = Some("D:\\Py\\Include".into());
    interp.platinclude = Some("Q:\\unmapped".into());
    let mut env = Env::new();
    env.insert("WINEPREFIX".into(), prefix.clone().into());
    windows::host_paths(&mut interp, &env);
    let drive = fs::canonicalize(&drive).unwrap();
    assert_eq!(interp.include, Some(drive.join("Py/Include")));
    assert_eq!(interp.base_prefix, drive.join("Py"));
    assert_eq!(interp.platinclude, Some(PathBuf::from("Q:\\unmapped")), "no such drive: left alone");
    // The interpreter's own import library is found there and preferred.
    let dll = windows::PythonDll::for_module(&interp, LimitedApi::Abi3 { major: 3, minor: 8 });
    let lib = windows::import_library(&interp, &dll, &dir.path().join("gen"), None).unwrap();
    assert_eq!(lib, drive.join("Py/libs/python3.lib"));
}

#[test]
fn target_follows_the_interpreter() {
    let mut interp = Interpreter::query(&python()).unwrap();
    assert_eq!(target_triple(&interp), host_triple());
    interp.platform = "macosx-11.0-arm64".into();
    assert_eq!(target_triple(&interp), "aarch64-apple-darwin");
    interp.platform = "win-amd64".into();
    assert_eq!(target_triple(&interp), "x86_64-pc-windows-gnu");
    interp.platform = "linux-aarch64".into();
    assert!(target_triple(&interp).starts_with("aarch64-unknown-linux-"));
}

#[test]
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn target_follows_the_interpreters_c_library() {
    let mut interp = Interpreter::query(&python()).unwrap();
    interp.platform = "linux-x86_64".into();
    interp.ext_suffix = ".cpython-313-x86_64-linux-musl.so".into();
    assert_eq!(target_triple(&interp), "x86_64-unknown-linux-musl");
    interp.ext_suffix = ".cpython-313-x86_64-linux-gnu.so".into();
    assert_eq!(target_triple(&interp), "x86_64-unknown-linux-gnu");
    // The machine's C library, whichever cffi-forge was built for.
    let machine = if libc::machine_uses_musl() { "musl" } else { "gnu" };
    assert_eq!(host_triple(), format!("x86_64-unknown-linux-{machine}"));
}
