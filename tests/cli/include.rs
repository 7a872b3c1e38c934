//! `ffi.include()`: `include = ["pkg._base"]` between declarative modules of one project
//! and `[[module.include]]` tables in generator specs. Errors name the key (and the
//! chain of a cycle); the generated source names the included modules the way cffi's
//! recompiler does, and the wheel's modules work together.

use std::path::PathBuf;

use crate::cli_support::{build, cffi_forge, project, pyproject, Run, Venv};

/// `pkg._a` includes `pkg._b` (API mode), with `extra` appended to the tool tables.
fn two_modules(b_include: &str) -> tempfile::TempDir {
    let tool = format!(
        "[[tool.cffi-forge.module]]\nname = \"pkg._a\"\ninclude = [\"pkg._b\"]\n\
         cdef = \"int area(pair_t *p);\"\n\
         source = \"typedef struct {{ int w, h; }} pair_t;\\nstatic int area(pair_t *p) {{ return p->w * p->h; }}\"\n\n\
         [[tool.cffi-forge.module]]\nname = \"pkg._b\"\n{b_include}\
         cdef = \"typedef struct {{ int w, h; }} pair_t;\\nint perimeter(pair_t *p);\"\n\
         source = \"typedef struct {{ int w, h; }} pair_t;\\nstatic int perimeter(pair_t *p) {{ return 2 * (p->w + p->h); }}\"\n"
    );
    project(&[("pyproject.toml", &pyproject("pkg", &tool)), ("pkg/__init__.py", "")])
}

fn build_fails(tree: &tempfile::TempDir) -> String {
    let out = tempfile::tempdir().unwrap();
    build(tree.path(), out.path(), &[]).failure().stderr
}

#[test]
fn an_included_module_is_built_first_and_shares_its_types() {
    let tree = two_modules("");
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &[]).success();
    let b = run.stderr.find("Compiling pkg._b").expect(&run.stderr);
    let a = run.stderr.find("Compiling pkg._a").expect(&run.stderr);
    assert!(b < a, "the included module first:\n{}", run.stderr);

    let venv = Venv::new();
    venv.install(&PathBuf::from(run.stdout.trim()));
    // A pair_t made by pkg._b's ffi, given to pkg._a's function, and the other way round.
    let got = venv.run(
        "from pkg import _a, _b\n\
         p = _b.ffi.new('pair_t *', [3, 4])\n\
         q = _a.ffi.new('pair_t *', [5, 6])\n\
         assert _a.ffi.typeof('pair_t') is _b.ffi.typeof('pair_t')\n\
         print(_a.lib.area(p), _b.lib.perimeter(q))",
    );
    assert_eq!(got, "12 22");
}

#[test]
fn an_unknown_include_names_the_key() {
    let tool = "[[tool.cffi-forge.module]]\nname = \"pkg._a\"\ninclude = [\"pkg._nope\"]\n\
                cdef = \"int f(void);\"\nsource = \"static int f(void) { return 1; }\"\n";
    let tree = project(&[("pyproject.toml", &pyproject("pkg", tool)), ("pkg/__init__.py", "")]);
    let err = build_fails(&tree);
    assert!(err.contains("tool.cffi-forge.module[0].include[0]"), "{err}");
    assert!(err.contains("no module of this project is named `pkg._nope`"), "{err}");
    assert!(err.contains("`pkg._a`"), "the modules there are listed: {err}");
    assert!(err.contains("pyproject.toml:"), "points into the file: {err}");
}

#[test]
fn a_cycle_is_an_error_naming_the_chain() {
    let tree = two_modules("include = [\"pkg._a\"]\n");
    let err = build_fails(&tree);
    assert!(err.contains("modules include each other in a cycle: pkg._a -> pkg._b -> pkg._a"), "{err}");
    assert!(err.contains("tool.cffi-forge.module[1].include[0]"), "{err}");
}

#[test]
fn a_module_including_itself_is_a_cycle() {
    let tool = "[[tool.cffi-forge.module]]\nname = \"pkg._a\"\ninclude = [\"pkg._a\"]\n\
                cdef = \"int f(void);\"\nsource = \"static int f(void) { return 1; }\"\n";
    let tree = project(&[("pyproject.toml", &pyproject("pkg", tool)), ("pkg/__init__.py", "")]);
    let err = build_fails(&tree);
    assert!(err.contains("cycle: pkg._a -> pkg._a"), "{err}");
}

fn generate(spec: &str, command: &str, module: &str) -> (Run, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("spec.toml"), spec).unwrap();
    let out = dir.path().join("out.txt");
    let run: Run = cffi_forge(&[command, "spec.toml", "--module", module, "-o", "out.txt"])
        .current_dir(dir.path())
        .output()
        .unwrap()
        .into();
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    (run, text)
}

const SPEC: &str = "[[module]]\nname = \"top\"\ncdef = \"struct foo_s *ff(struct foo_s *);\"\n\
                    source = \"struct foo_s { int x; };\"\n\n\
                    [[module.include]]\nname = \"mid\"\nmode = \"api\"\ncdef = \"typedef long mid_t;\"\n\n\
                    [[module.include.include]]\nname = \"base\"\ncdef = \"struct foo_s { int x; };\"\n";

#[test]
fn generated_c_lists_the_direct_includes_and_marks_included_structs_external() {
    let (run, c) = generate(SPEC, "generate-c", "top");
    run.success();
    assert!(c.contains("static const char * const _cffi_includes[] = {\n  \"mid\",\n  NULL\n};"), "{c}");
    assert!(c.contains("  _cffi_includes,\n"), "{c}");
    // External: no fields, size or alignment of its own (the figures are cffi's output
    // for this spec).
    assert!(
        c.contains("  { \"foo_s\", 4, _CFFI_F_EXTERNAL,\n    (size_t)-1, -1, -1, 0 /* external */ },"),
        "{c}"
    );
    // Included typedefs are known by name, as cffi's tables have them.
    assert!(c.contains("{ \"mid_t\", "), "{c}");
}

#[test]
fn abi_mode_imports_the_included_ffis() {
    let spec = "[[module]]\nname = \"pkg.top\"\ncdef = \"foo_t f(foo_t);\"\n\n\
                [[module.include]]\nname = \"pkg.base\"\nmode = \"abi\"\ncdef = \"typedef int foo_t;\"\n";
    let (run, py) = generate(spec, "generate-py", "pkg.top");
    run.success();
    assert!(
        py.starts_with("# auto-generated file\nimport _cffi_backend\nfrom pkg.base import ffi as _ffi0\n\n"),
        "{py}"
    );
    assert!(py.contains("    _includes = (_ffi0,),\n)"), "{py}");
}

#[test]
fn mixing_modes_or_an_unprepared_ffi_is_what_cffi_refuses() {
    let abi_in_api =
        "[[module]]\nname = \"top\"\ncdef = \"foo_t f(foo_t);\"\nsource = \"typedef int foo_t;\"\n\n\
                      [[module.include]]\nname = \"base\"\nmode = \"abi\"\ncdef = \"typedef int foo_t;\"\n";
    let (run, _) = generate(abi_in_api, "generate-c", "top");
    let err = run.failure().stderr;
    assert!(err.contains("ffi.include() of a Python-based ffi inside a C-based ffi"), "{err}");
    let nameless = "[[module]]\nname = \"top\"\ncdef = \"foo_t f(foo_t);\"\n\n\
                    [[module.include]]\ncdef = \"typedef int foo_t;\"\n";
    let (run, _) = generate(nameless, "generate-py", "top");
    let err = run.failure().stderr;
    assert!(err.contains("has not been prepared with set_source()"), "{err}");
}

#[test]
fn a_bad_include_mode_names_its_key() {
    let spec = "[[module]]\nname = \"top\"\ncdef = \"int f(void);\"\n\n\
                [[module.include]]\nname = \"base\"\nmode = \"python\"\ncdef = \"\"\n";
    let (run, _) = generate(spec, "generate-py", "top");
    let err = run.failure().stderr;
    assert!(err.contains("module[0].include[0].mode"), "{err}");
    assert!(err.contains("expected \"api\" or \"abi\""), "{err}");
}

#[test]
fn inspect_lists_a_modules_includes() {
    let tree = two_modules("");
    let run: Run = cffi_forge(&["inspect"]).arg(tree.path()).output().unwrap().into();
    let out = run.success().stdout;
    let a = out.find("pkg._a →").expect(&out);
    let section = &out[a..];
    assert!(section.contains("includes              pkg._b (api)"), "{out}");
}

#[test]
fn including_a_module_whose_when_marker_is_false_says_so() {
    let tree = two_modules("when = \"sys_platform == 'no-such-platform'\"\n");
    let err = build_fails(&tree);
    assert!(err.contains("tool.cffi-forge.module[0].include[0]"), "{err}");
    assert!(
        err.contains("`pkg._b` (tool.cffi-forge.module[1]) is not built for this interpreter: its `when` marker is false"),
        "{err}"
    );
}

#[test]
fn a_spec_file_module_may_include_another_module_of_the_file_by_name() {
    // A chain: top -> mid -> base; mid's typedef and base's struct are both known to top.
    let spec = "[[module]]\nname = \"top\"\ninclude = [\"mid\"]\ncdef = \"mid_t f(struct base_s *);\"\n\
                source = \"\"\n\n\
                [[module]]\nname = \"mid\"\ninclude = [\"base\"]\ncdef = \"typedef struct base_s *mid_t;\"\nsource = \"\"\n\n\
                [[module]]\nname = \"base\"\ncdef = \"struct base_s { int a; };\"\nsource = \"\"\n";
    let (run, c) = generate(spec, "generate-c", "top");
    run.success();
    assert!(c.contains("static const char * const _cffi_includes[] = {\n  \"mid\",\n  NULL\n};"), "{c}");
    assert!(c.contains("{ \"base_s\", ") && c.contains("/* external */"), "{c}");
}
