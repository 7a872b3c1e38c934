//! Typed stubs (`.pyi`) of CFFI modules: what `generate-pyi` writes for each kind of
//! declaration (snapshots), where wheels ship them (beside the module; a stub-only
//! package for a top-level module), `stubs = false` at each level, a project's own stub
//! winning, none in editable wheels, and a bad `stubs` value reported at its line.
//! Type checkers run on them in tests/py/e2e/test_stubs.py.

use std::path::Path;

use crate::cli_support::*;

/// Every row of the mapping table of docs/stubs.md, in one cdef.
const MAPPING_CDEF: &str = r#"
typedef struct { int x, y; } point_t;
typedef int (*visit_fn)(point_t *p, void *userdata);
enum mode { MODE_FAST, MODE_SAFE = 4 };
#define LIMIT 0x10
#define BUILD_FLAGS ...
static const double SCALE;
static char *const BANNER;
extern int counter;
extern _Bool verbose;
extern long double precise;
extern point_t origin;
extern int history[4];
extern char *name;
int add(int a, long long b);
unsigned long long hash(const unsigned char *data, size_t len);
double scale(float x);
long double precise_scale(long double x);
double _Complex rotate(double _Complex z);
_Bool is_ready(void);
char first_char(const char *text);
wchar_t widen(char c);
size_t wide_length(const wchar_t *text);
void reset(void);
point_t midpoint(point_t a, point_t b);
point_t *find(point_t *points, int count, enum mode mode);
int walk(point_t *points, int count, visit_fn visit, void *userdata);
int sum(int *values, int count);
int format(char *out, size_t size, const char *fmt, ...);
extern "Python" int on_point(point_t *, void *);
"#;

fn spec_file(dir: &Path, source: Option<&str>) -> std::path::PathBuf {
    let source = source.map(|s| format!("source = '''{s}'''\n")).unwrap_or_default();
    let spec = format!("[[module]]\nname = \"geo._geo\"\ncdef = '''{MAPPING_CDEF}'''\n{source}");
    let path = dir.join("spec.toml");
    std::fs::write(&path, spec).unwrap();
    path
}

fn generate_pyi(spec: &Path, out: &Path) -> Run {
    let mut command = cffi_forge(&["generate-pyi"]);
    command.arg(spec).args(["--module", "geo._geo", "-o"]).arg(out);
    command.output().unwrap().into()
}

#[test]
fn api_mode_stub_maps_every_kind_of_declaration() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spec_file(dir.path(), Some("/* the C is not compiled */"));
    let out = dir.path().join("_geo.pyi");
    generate_pyi(&spec, &out).success();
    insta::assert_snapshot!(std::fs::read_to_string(out).unwrap());
}

#[test]
fn abi_mode_stub_types_what_dlopen_returns() {
    let dir = tempfile::tempdir().unwrap();
    // ABI mode refuses `extern "Python"` and `#define X ...`: leave them out.
    let cdef = MAPPING_CDEF
        .lines()
        .filter(|l| !l.contains("extern \"Python\"") && !l.contains("..."))
        .chain(["int format(char *out, size_t size, const char *fmt, ...);"])
        .collect::<Vec<_>>()
        .join("\n");
    let spec = dir.path().join("spec.toml");
    std::fs::write(&spec, format!("[[module]]\nname = \"geo._geo\"\ncdef = '''{cdef}'''\n")).unwrap();
    let out = dir.path().join("_geo.pyi");
    generate_pyi(&spec, &out).success();
    let stub = std::fs::read_to_string(out).unwrap();
    assert!(
        stub.contains(
            "    def dlopen(self, libpath: str | _CData | None = ..., flags: int = ..., /) -> _Lib: ...  # type: ignore[override]"
        ),
        "{stub}"
    );
    assert!(!stub.lines().any(|l| l == "lib: _Lib"), "ABI-mode modules have no lib:\n{stub}");
    assert!(
        stub.contains(
            "def format(self, out: bytes | _CData, size: int, fmt: bytes | _CData, /, *args: _CData) -> int:"
        ),
        "{stub}"
    );
}

#[test]
fn a_cdef_error_fails_generate_pyi_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.toml");
    std::fs::write(&spec, "[[module]]\nname = \"geo._geo\"\ncdef = '''\nint ok(int);\nint broken(;\n'''\n")
        .unwrap();
    let out = dir.path().join("_geo.pyi");
    let run = generate_pyi(&spec, &out).failure();
    assert!(run.stderr.contains("spec.toml:5:"), "{}", run.stderr);
    assert!(!out.exists(), "nothing written on failure");
}

/// A declarative project (nothing but cffi-forge at build time): an API-mode module in a
/// package, an ABI-mode one, and a top-level API-mode one.
fn three_module_project(tool_extra: &str, module_extra: [&str; 3]) -> tempfile::TempDir {
    let tool = format!(
        "[tool.cffi-forge]\n{tool_extra}\n\
         [[tool.cffi-forge.module]]\nname = \"pkg._api\"\ncdef = \"int twice(int x);\"\n\
         source = \"static int twice(int x) {{ return 2 * x; }}\"\n{}\n\
         [[tool.cffi-forge.module]]\nname = \"pkg._abi\"\ncdef = \"double cos(double);\"\n{}\n\
         [[tool.cffi-forge.module]]\nname = \"_top\"\ncdef = \"int half(int x);\"\n\
         source = \"static int half(int x) {{ return x / 2; }}\"\n{}\n",
        module_extra[0], module_extra[1], module_extra[2]
    );
    project(&[("pyproject.toml", &pyproject("pkg", &tool)), ("pkg/__init__.py", "")])
}

/// The wheel built from `tree`, in a folder that lives as long as the returned guard.
fn wheel_of(tree: &Path, extra: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let out = tempfile::tempdir().unwrap();
    let run = build(tree, out.path(), extra).success();
    let wheel = std::path::PathBuf::from(run.stdout.trim());
    (out, wheel)
}

fn stubs_in(built: &(tempfile::TempDir, std::path::PathBuf)) -> Vec<String> {
    zip_names(&built.1).into_iter().filter(|n| n.ends_with(".pyi")).collect()
}

#[test]
fn wheels_ship_a_stub_beside_each_module_and_a_stub_package_for_top_level_ones() {
    let tree = three_module_project("", ["", "", ""]);
    let built = wheel_of(tree.path(), &[]);
    assert_eq!(stubs_in(&built), ["_top-stubs/__init__.pyi", "pkg/_abi.pyi", "pkg/_api.pyi"]);
    let wheel = &built.1;
    let api = zip_read(wheel, "pkg/_api.pyi");
    assert!(
        api.contains("    def twice(self, x: int, /) -> int:\n        \"\"\"int twice(int)\"\"\""),
        "{api}"
    );
    assert!(api.contains("\nlib: _Lib\n"), "{api}");
    assert!(zip_read(wheel, "pkg/_abi.pyi").contains("    def cos(self, arg0: float, /) -> float:"));
    assert!(zip_read(wheel, "_top-stubs/__init__.pyi").contains("    def half(self, x: int, /) -> int:"));
    // The stubs are in RECORD like every other file.
    let record = zip_read(wheel, "pkg-1.0.0.dist-info/RECORD");
    assert!(record.contains("pkg/_api.pyi,sha256="), "{record}");
}

#[test]
fn stubs_false_turns_them_off_per_project_and_per_module() {
    let off = three_module_project("stubs = false", ["", "", ""]);
    assert_eq!(stubs_in(&wheel_of(off.path(), &[])), Vec::<String>::new());

    // A module's own table wins over the project's default, either way.
    let mixed = three_module_project("stubs = false", ["stubs = true", "", ""]);
    assert_eq!(stubs_in(&wheel_of(mixed.path(), &[])), ["pkg/_api.pyi"]);
    let one_off = three_module_project("", ["", "stubs = false", ""]);
    assert_eq!(stubs_in(&wheel_of(one_off.path(), &[])), ["_top-stubs/__init__.pyi", "pkg/_api.pyi"]);

    // So does a `module-options` table (how build-script modules are reached).
    let options =
        three_module_project("[tool.cffi-forge.module-options.\"_top\"]\nstubs = false\n", ["", "", ""]);
    assert_eq!(stubs_in(&wheel_of(options.path(), &[])), ["pkg/_abi.pyi", "pkg/_api.pyi"]);
}

#[test]
fn a_stub_the_project_writes_wins_and_editable_wheels_get_none() {
    let tree = three_module_project("", ["", "", ""]);
    write_files(tree.path(), &[("pkg/_api.pyi", "def twice(x: int) -> int: ...\n")]);
    let (_out, wheel) = wheel_of(tree.path(), &[]);
    assert_eq!(zip_read(&wheel, "pkg/_api.pyi"), "def twice(x: int) -> int: ...\n");
    assert!(zip_read(&wheel, "pkg/_abi.pyi").contains("generated by cffi-forge"));

    let editable = wheel_of(tree.path(), &["--editable"]);
    assert_eq!(stubs_in(&editable), Vec::<String>::new());
}

#[test]
fn a_stubs_value_that_is_not_a_boolean_is_an_error_at_its_line() {
    let tree = three_module_project("stubs = \"no\"", ["", "", ""]);
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &[]).failure();
    assert!(run.stderr.contains("pyproject.toml:"), "{}", run.stderr);
    assert!(run.stderr.contains("stubs = \"no\""), "the line is shown:\n{}", run.stderr);
    assert!(run.stderr.contains("bool"), "{}", run.stderr);
    assert_eq!(listing(out.path()), Vec::<String>::new(), "no wheel");
}

#[test]
fn installed_stubs_sit_beside_the_modules_they_describe() {
    let tree = three_module_project("", ["", "", ""]);
    let (_out, wheel) = wheel_of(tree.path(), &[]);
    let venv = Venv::new();
    venv.install(&wheel);
    let found = venv.run(
        "import os, pkg._api, _top\n\
         api = os.path.join(os.path.dirname(pkg._api.__file__), '_api.pyi')\n\
         print(os.path.exists(api), pkg._api.lib.twice(21))\n\
         site = os.path.dirname(os.path.dirname(pkg._api.__file__))\n\
         print(os.path.exists(os.path.join(site, '_top-stubs', '__init__.pyi')), _top.lib.half(9))",
    );
    assert_eq!(found, "True 42\nTrue 4");
}
