//! `cffi-forge generate`: the generated source, `<module>.json` with the resolved build
//! inputs and the meson / CMake snippets. The JSON is checked by using it: a plain `cc`
//! command made from nothing but its lists builds the module, which Python imports and
//! calls through cffi's runtime. Errors name the module or file and write nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli_support::*;

const HEADER: &str =
    "#include <stddef.h>\nint gen_add(int a, int b);\nint gen_scale(void);\ndouble gen_root(double x);\n";
const C_SOURCE: &str = "#include <math.h>\n#include \"gen.h\"\n#ifndef GEN_SCALE\n#error \"define-macros not passed\"\n#endif\nint gen_add(int a, int b) { return a + b; }\nint gen_scale(void) { return GEN_SCALE; }\ndouble gen_root(double x) { return sqrt(x); }\n";
const CDEF: &str = "int gen_add(int a, int b);\nint gen_scale(void);\ndouble gen_root(double x);";

/// A project with the package `pkg` and the C helpers of `HEADER` in `csrc/`.
fn c_project(extra: &str) -> tempfile::TempDir {
    let tree = project(&[("pkg/__init__.py", ""), ("csrc/gen.h", HEADER), ("csrc/gen.c", C_SOURCE)]);
    write_files(tree.path(), &[("pyproject.toml", &pyproject("gen", extra))]);
    tree
}

fn declarative(name: &str) -> String {
    format!(
        "[[tool.cffi-forge.module]]\nname = \"{name}\"\ncdef = \"\"\"\n{CDEF}\n\"\"\"\n\
         source = '#include \"gen.h\"'\nsources = [\"csrc/gen.c\"]\ninclude-dirs = [\"csrc\"]\n\
         define-macros = [[\"GEN_SCALE\", \"7\"]]\nlibraries = [\"m\"]\nextra-compile-args = [\"-O1\"]\n"
    )
}

fn generate(root: &Path, out: &Path, extra: &[&str]) -> Run {
    let mut command = cffi_forge(&["generate"]);
    command.arg(root).arg("-o").arg(out).arg("-i").arg(python()).args(extra);
    command.output().unwrap().into()
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn strings(value: &serde_json::Value) -> Vec<String> {
    value.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

/// Compile and link the module with `cc` from the JSON's lists alone, into `dest/<package
/// path>/<file name>`; returns the file.
fn compile_from_json(json: &serde_json::Value, dest: &Path) -> PathBuf {
    let package = dest.join(json["package_path"].as_str().unwrap());
    std::fs::create_dir_all(&package).unwrap();
    let output = package.join(json["file_name"].as_str().unwrap());
    let mut cc = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()));
    cc.args(["-shared", "-fPIC", "-o"]).arg(&output);
    cc.args(strings(&json["sources"]));
    for dir in strings(&json["include_dirs"]).iter().chain(&strings(&json["python_include_dirs"])) {
        cc.arg(format!("-I{dir}"));
    }
    for pair in json["define_macros"].as_array().unwrap() {
        match pair[1].as_str() {
            Some(value) => cc.arg(format!("-D{}={value}", pair[0].as_str().unwrap())),
            None => cc.arg(format!("-D{}", pair[0].as_str().unwrap())),
        };
    }
    cc.args(strings(&json["extra_compile_args"]));
    for dir in strings(&json["library_dirs"]) {
        cc.arg(format!("-L{dir}"));
    }
    for lib in strings(&json["libraries"]) {
        cc.arg(format!("-l{lib}"));
    }
    cc.args(strings(&json["extra_link_args"])).args(strings(&json["platform_link_args"]));
    let out = cc.output().unwrap();
    assert!(out.status.success(), "cc from the JSON failed:\n{}", String::from_utf8_lossy(&out.stderr));
    output
}

#[test]
fn generate_writes_a_module_json_and_snippets_that_build_it() {
    let tree = c_project(&declarative("pkg._gen"));
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("gen");
    let run = generate(tree.path(), &dir, &[]).success();
    let json_path = dir.join("pkg._gen.json");
    assert_eq!(run.stdout.trim(), json_path.display().to_string());
    assert_eq!(
        listing(&dir),
        [
            "cffi-forge.cmake",
            "meson.build",
            "pkg._gen.c",
            "pkg._gen.cmake",
            "pkg._gen.json",
            "pkg._gen.meson",
            "pkg._gen.pyi"
        ]
    );
    let json = read_json(&json_path);
    let root = tree.path().canonicalize().unwrap();
    assert_eq!(json["module"], "pkg._gen");
    assert_eq!(json["mode"], "api");
    assert_eq!(json["origin"], "tool.cffi-forge.module[0]");
    // The test Python is a CPython ≥ 3.8 and requires-python says >=3.8: abi3, floor 3.8.
    assert_eq!(json["file_name"], "_gen.abi3.so");
    assert_eq!(json["package_path"], "pkg");
    assert_eq!(json["install_path"], "pkg/_gen.abi3.so");
    assert_eq!(json["limited_api"], true);
    assert_eq!(strings(&json["limited_api_macros"]), ["Py_LIMITED_API=0x03080000"]);
    assert_eq!(
        json["define_macros"],
        serde_json::json!([["Py_LIMITED_API", "0x03080000"], ["GEN_SCALE", "7"]])
    );
    let generated = dir.join("pkg._gen.c");
    assert_eq!(
        strings(&json["sources"]),
        [generated.display().to_string(), root.join("csrc/gen.c").display().to_string()]
    );
    assert_eq!(strings(&json["include_dirs"]), [root.join("csrc").display().to_string()]);
    assert_eq!(strings(&json["libraries"]), ["m"]);
    assert_eq!(strings(&json["extra_compile_args"]), ["-O1"]);
    let include = python_output(&python(), "import sysconfig; print(sysconfig.get_paths()['include'])");
    assert!(strings(&json["python_include_dirs"]).contains(&include), "{}", json["python_include_dirs"]);
    assert!(std::fs::read_to_string(&generated).unwrap().contains("PyInit__gen"));

    // The JSON is all a build needs: cc builds the module from it, cffi imports it.
    let site = out.path().join("site");
    compile_from_json(&json, &site);
    std::fs::write(site.join("pkg/__init__.py"), "").unwrap();
    let code = "from pkg._gen import lib; print(lib.gen_add(40, 2), lib.gen_scale(), lib.gen_root(81.0))";
    let cmd = format!("import sys; sys.path.insert(0, {:?}); {code}", site.display().to_string());
    assert_eq!(python_output(&python(), &cmd), "42 7 9.0");

    // The snippets name the same file, inputs and install folder.
    let meson = std::fs::read_to_string(dir.join("pkg._gen.meson")).unwrap();
    for expected in [
        "shared_module('_gen',",
        "name_prefix: '',",
        "name_suffix: 'abi3.so',",
        "'-DPy_LIMITED_API=0x03080000', '-DGEN_SCALE=7', '-O1'",
        "link_args: ['-lm'],",
        "install_dir: py.get_install_dir() / 'pkg',",
        "rename: '_gen.pyi', install_dir: py.get_install_dir() / 'pkg')",
    ] {
        assert!(meson.contains(expected), "{expected:?} missing from:\n{meson}");
    }
    // Outside the project: absolute paths (meson wants relative ones only inside it).
    assert!(meson.contains(&format!("'{}'", root.join("csrc").display())), "{meson}");
    let cmake = std::fs::read_to_string(dir.join("pkg._gen.cmake")).unwrap();
    for expected in [
        "add_library(\"pkg._gen\" MODULE",
        "PREFIX \"\" OUTPUT_NAME \"_gen\" SUFFIX \".abi3.so\"",
        "target_compile_definitions(\"pkg._gen\" PRIVATE \"Py_LIMITED_API=0x03080000\" \"GEN_SCALE=7\")",
        "target_link_libraries(\"pkg._gen\" PRIVATE \"m\")",
        "install(TARGETS \"pkg._gen\" LIBRARY DESTINATION \"pkg\")",
    ] {
        assert!(cmake.contains(expected), "{expected:?} missing from:\n{cmake}");
    }
    let aggregate = std::fs::read_to_string(dir.join("meson.build")).unwrap();
    assert!(aggregate.contains(&meson), "meson.build holds every module's snippet");
    assert!(std::fs::read_to_string(dir.join("cffi-forge.cmake")).unwrap().contains(&cmake));
}

#[test]
fn generate_inside_the_project_gives_meson_relative_paths() {
    let tree = c_project(&declarative("pkg._gen"));
    generate(tree.path(), &tree.path().join("_cffi_forge"), &[]).success();
    let meson = std::fs::read_to_string(tree.path().join("_cffi_forge/pkg._gen.meson")).unwrap();
    assert!(meson.contains("['pkg._gen.c', '../csrc/gen.c'],"), "{meson}");
    assert!(meson.contains("include_directories('../csrc', '/"), "{meson}");
}

#[test]
fn generate_reads_set_source_keywords_from_a_build_script() {
    let script = format!(
        "from cffi import FFI\nffibuilder = FFI()\nffibuilder.cdef({CDEF:?})\n\
         ffibuilder.set_source('pkg._scripted', '#include \"gen.h\"', sources=['csrc/gen.c'],\n\
         include_dirs=['csrc'], define_macros=[('GEN_SCALE', '5'), ('GEN_FLAG', None)], libraries=['m'],\n\
         extra_link_args=['-Wl,--as-needed'])\n"
    );
    let tree = c_project("");
    write_files(tree.path(), &[("gen_build.py", &script)]);
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("gen");
    generate(tree.path(), &dir, &["--module", "pkg._scripted"]).success();
    let json = read_json(&dir.join("pkg._scripted.json"));
    assert!(json["origin"].as_str().unwrap().starts_with("build script `"), "{}", json["origin"]);
    assert_eq!(
        json["define_macros"],
        serde_json::json!([["Py_LIMITED_API", "0x03080000"], ["GEN_SCALE", "5"], ["GEN_FLAG", null]])
    );
    assert_eq!(strings(&json["extra_link_args"]), ["-Wl,--as-needed"]);
    let site = out.path().join("site");
    compile_from_json(&json, &site);
    let cmd = format!(
        "import sys; sys.path.insert(0, {:?}); from pkg._scripted import lib; print(lib.gen_add(1, 2), lib.gen_scale())",
        site.display().to_string()
    );
    assert_eq!(python_output(&python(), &cmd), "3 5");
}

#[test]
fn generate_writes_an_abi_mode_module_as_python_to_install() {
    let extra = "[[tool.cffi-forge.module]]\nname = \"pkg._abi\"\ncdef = \"int abs(int);\"\n";
    let tree = c_project(extra);
    let out = tempfile::tempdir().unwrap();
    generate(tree.path(), out.path(), &[]).success();
    let json = read_json(&out.path().join("pkg._abi.json"));
    assert_eq!(json["mode"], "abi");
    assert_eq!(json["file_name"], "_abi.py");
    assert_eq!(json["sources"], serde_json::json!([]));
    let generated = out.path().join("pkg._abi.py");
    assert_eq!(json["generated"], generated.display().to_string());
    let meson = std::fs::read_to_string(out.path().join("pkg._abi.meson")).unwrap();
    assert!(meson.contains("rename: '_abi.py', install_dir: py.get_install_dir() / 'pkg')"), "{meson}");
    let cmake = std::fs::read_to_string(out.path().join("pkg._abi.cmake")).unwrap();
    assert!(cmake.contains("DESTINATION \"pkg\" RENAME \"_abi.py\")"), "{cmake}");
    // The generated module works as installed under that name.
    let site = out.path().join("site/pkg");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::copy(&generated, site.join("_abi.py")).unwrap();
    std::fs::write(site.join("__init__.py"), "").unwrap();
    let cmd = format!(
        "import sys; sys.path.insert(0, {:?}); from pkg._abi import ffi; print(ffi.dlopen(None).abs(-5))",
        out.path().join("site").display().to_string()
    );
    assert_eq!(python_output(&python(), &cmd), "5");
}

#[test]
fn generate_merges_pkg_config_flags_and_reports_them() {
    let pc_dir = tempfile::tempdir().unwrap();
    let pc = "prefix=/opt/gendemo\nName: gendemo\nDescription: d\nVersion: 1.0\n\
              Cflags: -I${prefix}/include -DGENDEMO_PC=1\nLibs: -L${prefix}/lib -lgendemo\n";
    write_files(pc_dir.path(), &[("gendemo.pc", pc)]);
    let tree = c_project(&format!("{}pkg-config = [\"gendemo\"]\n", declarative("pkg._gen")));
    let out = tempfile::tempdir().unwrap();
    let mut command = cffi_forge(&["generate"]);
    command.arg(tree.path()).arg("-o").arg(out.path()).arg("-i").arg(python());
    command.env("PKG_CONFIG_PATH", pc_dir.path());
    let run: Run = command.output().unwrap().into();
    run.success();
    let json = read_json(&out.path().join("pkg._gen.json"));
    let report = &json["pkg_config"];
    assert_eq!(strings(&report["packages"]), ["gendemo"]);
    assert_eq!(strings(&report["include_dirs"]), ["/opt/gendemo/include"]);
    assert_eq!(strings(&report["libraries"]), ["gendemo"]);
    // Merged after the user's own values, as cffi merges them.
    assert_eq!(strings(&json["libraries"]), ["m", "gendemo"]);
    assert_eq!(strings(&json["library_dirs"]), ["/opt/gendemo/lib"]);
    assert_eq!(json["define_macros"][2], serde_json::json!(["GENDEMO_PC", "1"]));
    assert!(strings(&json["include_dirs"]).contains(&"/opt/gendemo/include".to_string()));
}

#[test]
fn an_unknown_module_is_an_error_that_lists_the_modules_and_writes_nothing() {
    let tree = c_project(&declarative("pkg._gen"));
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("gen");
    let run = generate(tree.path(), &dir, &["--module", "pkg._gne"]).failure();
    assert!(run.stderr.contains("declares no CFFI module named `pkg._gne`"), "{}", run.stderr);
    assert!(run.stderr.contains("pyproject.toml"), "{}", run.stderr);
    assert!(run.stderr.contains("did you mean `pkg._gen`?"), "{}", run.stderr);
    assert!(!dir.exists(), "nothing written: {:?}", listing(&dir));
    let run = generate(tree.path(), &dir, &["--module", "other"]).failure();
    assert!(run.stderr.contains("its modules are `pkg._gen`"), "{}", run.stderr);
}

#[test]
fn a_failing_module_leaves_no_file_of_any_module_and_reruns_keep_timestamps() {
    let broken = "[[tool.cffi-forge.module]]\nname = \"pkg._bad\"\ncdef = \"int broken(;\"\nsource = \"\"\n";
    let tree = c_project(&format!("{}{broken}", declarative("pkg._gen")));
    let out = tempfile::tempdir().unwrap();
    let run = generate(tree.path(), out.path(), &[]).failure();
    assert!(run.stderr.contains("pkg._bad"), "{}", run.stderr);
    assert_eq!(listing(out.path()), Vec::<String>::new(), "the good module's files are not written either");

    // Fixed: written; a second run rewrites nothing (meson and CMake see no change).
    write_files(tree.path(), &[("pyproject.toml", &pyproject("gen", &declarative("pkg._gen")))]);
    generate(tree.path(), out.path(), &[]).success();
    let stamp = |name: &str| std::fs::metadata(out.path().join(name)).unwrap().modified().unwrap();
    let before = (stamp("pkg._gen.c"), stamp("pkg._gen.json"), stamp("meson.build"));
    std::thread::sleep(std::time::Duration::from_millis(20));
    generate(tree.path(), out.path(), &[]).success();
    assert_eq!(before, (stamp("pkg._gen.c"), stamp("pkg._gen.json"), stamp("meson.build")));
    let leftovers: Vec<String> = listing(out.path()).into_iter().filter(|n| n.starts_with('.')).collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn a_build_script_source_that_does_not_exist_is_named_with_its_script() {
    let script = format!(
        "from cffi import FFI\nffibuilder = FFI()\nffibuilder.cdef({CDEF:?})\n\
         ffibuilder.set_source('pkg._scripted', '#include \"gen.h\"', sources=['csrc/missing.c'], include_dirs=['csrc'])\n"
    );
    let tree = c_project("");
    write_files(tree.path(), &[("gen_build.py", &script)]);
    let out = tempfile::tempdir().unwrap();
    let run = generate(tree.path(), out.path(), &[]).failure();
    for expected in ["module `pkg._scripted`", "gen_build.py:ffibuilder", "csrc/missing.c", "does not exist"]
    {
        assert!(run.stderr.contains(expected), "{expected:?} missing from:\n{}", run.stderr);
    }
    assert_eq!(listing(out.path()), Vec::<String>::new());
}

#[test]
fn a_cxx_module_is_written_as_cpp_for_both_build_systems() {
    let extra = "[[tool.cffi-forge.module]]\nname = \"pkg._cxx\"\ncdef = \"int twice(int x);\"\n\
                 source = \"static int twice(int x) { return 2 * x; }\"\nsource-extension = \".cpp\"\n";
    let tree = c_project(extra);
    let out = tempfile::tempdir().unwrap();
    generate(tree.path(), out.path(), &[]).success();
    let json = read_json(&out.path().join("pkg._cxx.json"));
    assert_eq!(json["language"], "c++");
    let generated = out.path().join("pkg._cxx.cpp");
    assert_eq!(strings(&json["sources"]), [generated.display().to_string()]);
    let meson = std::fs::read_to_string(out.path().join("pkg._cxx.meson")).unwrap();
    assert!(
        meson.contains("  cpp_args: ['-DPy_LIMITED_API=0x03080000'],\n  c_args: ['-DPy_LIMITED_API"),
        "{meson}"
    );
    let cmake = std::fs::read_to_string(out.path().join("pkg._cxx.cmake")).unwrap();
    assert!(cmake.contains("LINKER_LANGUAGE CXX"), "{cmake}");
    // Built by c++ from the JSON's lists, it imports and runs.
    let site = out.path().join("site");
    let package = site.join("pkg");
    std::fs::create_dir_all(&package).unwrap();
    std::fs::write(package.join("__init__.py"), "").unwrap();
    let mut cxx = Command::new(std::env::var("CXX").unwrap_or_else(|_| "c++".into()));
    cxx.args(["-shared", "-fPIC", "-o"]).arg(package.join(json["file_name"].as_str().unwrap()));
    cxx.args(strings(&json["sources"]));
    cxx.args(strings(&json["python_include_dirs"]).iter().map(|d| format!("-I{d}")));
    cxx.args(strings(&json["limited_api_macros"]).iter().map(|m| format!("-D{m}")));
    let built = cxx.output().unwrap();
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let cmd = format!(
        "import sys; sys.path.insert(0, {:?}); from pkg._cxx import lib; print(lib.twice(21))",
        site.display().to_string()
    );
    assert_eq!(python_output(&python(), &cmd), "42");
}
