//! Module spec → generated source. The single entry point the build pipeline and the
//! `generate-c` / `generate-py` commands use: parse the cdefs, build cffi's tables,
//! emit C (API mode) or Python (ABI mode).

use crate::generator::cdef::{self, CdefError};
use std::ops::Range;

use crate::diagnostic::{Diagnostic, SourceFile, ToDiagnostic};
use crate::generator::emit_c::{self, COptions};
use crate::generator::emit_py;
use crate::generator::include;
use crate::generator::model;
use crate::generator::recompiler::{Recompiler, Refusal};
use crate::generator::stubs;
use crate::spec::{FfiMode, ModuleSpec};

/// Generated source of one module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Generated {
    /// API mode: C (or C++, per the spec's source extension) of an extension module.
    C { code: String },
    /// ABI mode: a Python module.
    Python { code: String },
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The cdef does not parse (or declares something cffi rejects while parsing).
    #[error(transparent)]
    Cdef(#[from] CdefError),
    /// Something cffi's recompiler would refuse, with cffi's exception class and message.
    #[error("{class}: {message}")]
    Refused { module: String, class: &'static str, message: String, at: Option<(SourceFile, Range<usize>)> },
}

impl GenerateError {
    fn refused(module: &str, model: &model::Ffi, r: Refusal) -> Self {
        // Point at the declaration cffi names in its message, when there is one.
        let at = r.decl.and_then(|id| {
            let (file, range) = model.span_location(model.decl(id).span)?;
            Some((file.clone(), range))
        });
        GenerateError::Refused { module: module.to_string(), class: r.class, message: r.message, at }
    }

    /// The cffi exception class this corresponds to (`CDefError`, `VerificationError`, ...).
    pub fn cffi_class(&self) -> &'static str {
        match self {
            GenerateError::Cdef(e) => e.cffi_class(),
            GenerateError::Refused { class, .. } => class,
        }
    }

    /// The message cffi would give.
    pub fn cffi_message(&self) -> String {
        match self {
            GenerateError::Cdef(e) => e.cffi_message(),
            GenerateError::Refused { message, .. } => message.clone(),
        }
    }
}

impl ToDiagnostic for GenerateError {
    fn to_diagnostic(&self) -> Diagnostic {
        match self {
            GenerateError::Cdef(e) => e.to_diagnostic(),
            GenerateError::Refused { module, class, message, at } => {
                let (message, help) = user_message(message);
                let mut d = Diagnostic::error(format!("cannot generate module `{module}`: {message}"));
                if let Some((file, range)) = at {
                    d = d.with_label(file, range.clone(), "declared here");
                }
                if let Some(help) = help {
                    d = d.with_help(help);
                }
                d.with_note(format!("cffi would raise {class} here"))
            }
        }
    }
}

/// A refusal in the user's terms. cffi's messages (kept as they are for
/// [`GenerateError::cffi_message`]) can name the C expressions its generated code uses:
/// `_cffi_array_len(*(t *)0)` for `typedef int t[...]`, `_cffi_prim_int(sizeof(t), ...)`
/// for `typedef int... t`; users wrote `[...]` and `int...`.
fn user_message(message: &str) -> (String, Option<String>) {
    let message = cdef::user_spelling(message);
    let Some(expr) = message.strip_prefix("cannot emit to Python: ") else { return (message, None) };
    let expr = expr.trim_matches(|c| c == '\'' || c == '"');
    let abi_help = "ABI mode (`set_source(name, None)`, or a module table without `source`) has no C \
                    compiler to ask: give the exact size in the cdef, or build the module in API mode";
    if let Some(inner) = balanced_argument(expr, "_cffi_array_len(") {
        let what = array_name(inner);
        return (
            format!("the length of {what} is written `[...]`, which only the C compiler knows"),
            Some(abi_help.to_string()),
        );
    }
    if let Some(inner) = balanced_argument(expr, "sizeof(") {
        return (
            format!("`{inner}` is declared with `...` (`typedef int... {inner};`), so only the C compiler knows its size"),
            Some(abi_help.to_string()),
        );
    }
    (message.clone(), None)
}

/// The text between `open` (ending in `(`) and its matching `)` in `text`.
fn balanced_argument<'a>(text: &'a str, open: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let mut depth = 1usize;
    for (i, c) in text[start..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&text[start..start + i]);
                }
            }
            _ => {}
        }
    }
    None
}

/// What an array-length expression of cffi's measures, in the user's words:
/// `*(t *)0` → type `t`, `(((struct s *)0)->f)` → field `f` of `struct s`, `x` → `x`.
fn array_name(expr: &str) -> String {
    let expr = expr.trim();
    if let Some((base, field)) = expr.rsplit_once(")->") {
        let ty = base.trim_start_matches('(').trim_end_matches(" *)0").trim_end_matches("*)0");
        return format!("field `{}` of `{}`", field.trim_end_matches(')'), ty.trim());
    }
    let stripped = expr.trim_start_matches(['*', '(']);
    if let Some(ty) = stripped.strip_suffix(" *)0").or_else(|| stripped.strip_suffix(" *)0)")) {
        return format!("type `{}`", ty.trim_end_matches(" *)0").trim());
    }
    format!("`{}`", expr.trim_end_matches(')'))
}

/// Generate the module's source with the native generator (API mode: C; ABI mode: Python).
pub fn generate(spec: &ModuleSpec) -> Result<Generated, GenerateError> {
    let mut clock = PhaseClock::from_env();
    let mut model = cdef::parse_with_includes(&spec.cdefs, &spec.includes)?;
    clock.lap("parse");
    // What cffi would `warnings.warn()` while parsing (e.g. a global without `extern`).
    for warning in &model.warnings {
        crate::ui::block(warning.render(crate::ui::stderr_is_styled()));
    }
    let generated = tables_and_emit(spec, &mut model, &mut clock)
        .map_err(|r| GenerateError::refused(&spec.name, &model, r))?;
    clock.lap("emit");
    Ok(generated)
}

/// The module's typed stub (`.pyi`, see [`stubs`]). Parses the cdefs again,
/// silently: [`generate`] has shown their warnings.
pub fn typed_stub(spec: &ModuleSpec) -> Result<String, GenerateError> {
    let model = cdef::parse_with_includes(&spec.cdefs, &spec.includes)?;
    let target = stubs::StubTarget { module: &spec.name, api_mode: spec.is_api_mode() };
    Ok(stubs::emit(&model, &target))
}

/// The recompiler's tables and the emitter's output, from the parsed model.
fn tables_and_emit(
    spec: &ModuleSpec,
    model: &mut model::Ffi,
    clock: &mut PhaseClock,
) -> Result<Generated, Refusal> {
    Ok(match &spec.source {
        Some(source) => {
            let mut rec = Recompiler::new(model, &spec.name, false)?;
            clock.lap("tables");
            rec.includes = include::module_names(&spec.includes, FfiMode::Api)?;
            let options = COptions {
                no_limited_api: spec.options.py_limited_api == Some(false),
                embedding: spec.embedding.as_ref().map(|e| e.init_code.clone()),
            };
            Generated::C { code: emit_c::emit(&mut rec, &source.text, &options)? }
        }
        None => {
            let mut rec = Recompiler::new(model, &spec.name, true)?;
            clock.lap("tables");
            rec.includes = include::module_names(&spec.includes, FfiMode::Abi)?;
            Generated::Python { code: emit_py::emit(&rec)? }
        }
    })
}

/// `CFFI_FORGE_GENERATE_TIMINGS=1` prints how long each phase took (for benchmarks).
struct PhaseClock(Option<std::time::Instant>);

impl PhaseClock {
    fn from_env() -> Self {
        PhaseClock(std::env::var_os("CFFI_FORGE_GENERATE_TIMINGS").map(|_| std::time::Instant::now()))
    }

    fn lap(&mut self, phase: &str) {
        if let Some(start) = self.0 {
            eprintln!("generate: {phase}: {:.2} ms", start.elapsed().as_secs_f64() * 1e3);
            self.0 = Some(std::time::Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{CSource, CdefSource, FfiMode, ModuleOrigin};

    fn spec(cdef: &str, source: Option<&str>) -> ModuleSpec {
        ModuleSpec {
            name: "pkg._m".into(),
            origin: ModuleOrigin::Declarative { table: crate::spec::TableRef::Module(0) },
            cdefs: vec![CdefSource::standalone("m.cdef", cdef)],
            source: source.map(|s| CSource { text: s.into(), extension: ".c".into(), at: None }),
            options: Default::default(),
            pregenerated: None,
            reads: Vec::new(),
            includes: Vec::new(),
            embedding: None,
        }
    }

    fn include(name: &str, cdef: &str, after_cdefs: usize) -> crate::spec::IncludeSpec {
        crate::spec::IncludeSpec {
            name: Some(name.into()),
            mode: FfiMode::Api,
            cdefs: vec![CdefSource::standalone("base.cdef", cdef)],
            after_cdefs,
            includes: Vec::new(),
        }
    }

    #[test]
    fn included_declarations_are_known_but_only_types_are_this_modules() {
        let mut s = spec("t f(struct s *);", Some(""));
        s.includes.push(include(
            "pkg._base",
            "#define N 3\ntypedef int t; struct s { int a[N]; }; int g(int); extern int v;",
            0,
        ));
        let Generated::C { code } = generate(&s).unwrap() else { panic!() };
        assert!(code.contains("_cffi_d_f(") && !code.contains("_cffi_d_g("), "{code}");
        assert!(
            !code.contains("\"v\"") && !code.contains("\"N\""),
            "no globals or macros of the base: {code}"
        );
        assert!(code.contains("{ \"t\", "), "typedefs are listed: {code}");
        assert!(code.contains("_CFFI_F_EXTERNAL"), "{code}");
    }

    #[test]
    fn an_include_after_a_cdef_sees_what_came_before() {
        // The module's first cdef comes before the include; its second uses the include.
        let mut s = spec("int twice(int);", Some(""));
        s.cdefs.push(CdefSource::standalone("m2.cdef", "t half(t);"));
        s.includes.push(include("pkg._base", "typedef long t;", 1));
        assert!(generate(&s).is_ok());
        // Before everything (after 0 cdefs) works too; after both it cannot: `t` is unknown then.
        s.includes[0].after_cdefs = 2;
        assert_eq!(generate(&s).unwrap_err().cffi_class(), "CDefError");
    }

    // The messages are cffi's own (test_dlopen.py, test_recompiler.py).
    #[test]
    fn abi_mode_refuses_dotdotdot_macros_and_points_at_them() {
        let err = generate(&spec("int f(int);\n#define FOOBAR ...\n", None)).unwrap_err();
        assert_eq!(err.cffi_class(), "VerificationError");
        assert_eq!(
            err.cffi_message(),
            "macro FOOBAR: cannot use the syntax '...' in '#define FOOBAR ...' when using the ABI mode"
        );
        assert_eq!(err.to_diagnostic().location().as_deref(), Some("m.cdef:2:1"));
    }

    #[test]
    fn api_mode_refuses_opaque_struct_results() {
        let err = generate(&spec("struct a; struct a foo(void);", Some(""))).unwrap_err();
        assert_eq!(err.cffi_class(), "TypeError");
        assert_eq!(err.cffi_message(), "function foo: 'struct a' is used as result type, but is opaque");
    }

    #[test]
    fn api_mode_refuses_pack_above_one() {
        let mut s = spec("struct p { char a; int b; };", Some(""));
        s.cdefs[0].options.pack = Some(2);
        let err = generate(&s).unwrap_err();
        assert_eq!(err.cffi_class(), "NotImplementedError");
        assert!(
            err.cffi_message().starts_with("struct p: <struct p> is declared with 'pack=2'"),
            "{}",
            err.cffi_message()
        );
    }

    #[test]
    fn abi_output_names_the_module_and_version() {
        let Generated::Python { code } = generate(&spec("int f(int);", None)).unwrap() else { panic!() };
        assert!(code.contains("ffi = _cffi_backend.FFI('pkg._m',\n    _version = 0x2601,"), "{code}");
        let Generated::C { code } =
            generate(&spec("int f(int);", Some("int f(int x) { return x; }"))).unwrap()
        else {
            panic!()
        };
        assert!(
            code.contains("PyInit__m(void)") && code.contains("_cffi_init(\"pkg._m\", 0x2601,"),
            "{code}"
        );
    }
}
