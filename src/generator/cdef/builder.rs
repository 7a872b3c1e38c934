//! From syntax to meaning: the declarations of each cdef are entered into the
//! [`Ffi`] model exactly as cffi's `cparser.Parser` enters them into its
//! `_declarations` (same keys, same identity rules for redefinitions, same naming of
//! anonymous structs, same errors).

use rustc_hash::FxHashMap;
use std::borrow::Cow;

use smallvec::SmallVec;

use super::ast::{self, Decl, Init, Item, Param, Qual, SueBody, SueId, SueKind, TypeNode, Unit};
use super::constant::{self, ConstError};
use super::error::{CdefError, CffiClass};
use super::lexer::Define;
use super::rewrite::{
    DOTDOTDOT, DOTDOTDOT_ARRAY, DOTDOTDOT_FLOAT, DOTDOTDOT_INT, EXTERN_PYTHON_PLUS_C_START,
    EXTERN_PYTHON_START, EXTERN_PYTHON_STOP,
};
use super::wintypes;
use crate::diagnostic::{Diagnostic, SourceFile};
use crate::generator::model::{
    ArrayLength, DeclKey, DeclKind, DeclValue, Declaration, EnumType, Ffi, Field, FunctionType, Primitive,
    Quals, Span, StructId, StructKind, StructOrUnion, Type, TypeId,
};

/// Deepest type we build (pointer to pointer to ..., through typedefs); deeper types
/// would make every recursive walk of the model risky.
pub const MAX_TYPE_DEPTH: usize = 400;

/// One cdef being entered: its text and where errors point.
pub struct CdefContext<'a> {
    pub index: u32,
    pub src: &'a str,
    pub file: &'a SourceFile,
    pub offset: usize,
    pub defines: &'a [Define],
    /// 0, 1 (packed) or the `pack=` value.
    pub packed: u32,
    pub override_: bool,
    /// An `embedding_api()` cdef: its functions are `dllexport_python` declarations.
    pub dllexport: bool,
}

/// Which Python object cffi's parser would hold for a type, for its `prevobj is obj`
/// test on redeclarations. Primitives, `void`, `FILE`, structs, unions and enums are
/// one object per type; every pointer, array or function type cffi builds is a new
/// object, shared only through a typedef name or a cached Windows type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ident {
    Canonical,
    Fresh(u32),
}

/// A type as a declaration gets it: the type, its qualifiers, and which object it is.
type Typed = (TypeId, Quals, Ident);

/// State that lives across all cdefs of one FFI (cffi's `Parser` object).
pub struct Builder {
    pub ffi: Ffi,
    anonymous_counter: u32,
    /// The [`Ident`] of each declaration's value, by declaration index.
    decl_idents: Vec<Ident>,
    fresh_objects: u32,
    file_struct: Option<TypeId>,
    /// `Some(win64)` when cffi's Windows type names apply (on a Windows host, as in
    /// cffi).
    pub windows: Option<bool>,
    /// Resolved Windows type names (cffi caches them too; identity matters).
    windows_types: FxHashMap<String, Typed>,
    /// > 0 while the cdefs of an included FFI are entered (see [`Builder::begin_include`]).
    including: u32,
}

/// What [`Builder::begin_include`] saves and [`Builder::end_include`] restores.
pub struct IncludeMark {
    anonymous_counter: u32,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            ffi: Ffi::default(),
            anonymous_counter: 0,
            decl_idents: Vec::new(),
            fresh_objects: 0,
            file_struct: None,
            windows: cfg!(windows).then_some(cfg!(target_pointer_width = "64")),
            windows_types: FxHashMap::default(),
            including: 0,
        }
    }
}

/// Per-cdef state (cffi's `_options`, `_inside_extern_python`, the struct node cache).
struct Pass<'b, 'a> {
    b: &'b mut Builder,
    cx: &'b CdefContext<'a>,
    unit: &'b Unit<'a>,
    node_types: FxHashMap<SueId, TypeId>,
    /// cffi's `_inside_extern_python`: the name of the last marker declaration
    /// (`__cffi_extern_python_start`, `..._plus_c_start`, `..._stop`).
    extern_python: String,
    partial_length: bool,
    /// cffi attaches the current top-level declaration to CDefErrors (its line is
    /// computed from this offset only when an error needs it).
    current_item: Option<usize>,
}

type BResult<T> = Result<T, CdefError>;

fn quals_of(list: &[Qual]) -> Quals {
    let mut q = Quals::NONE;
    for x in list {
        q |= match x {
            Qual::Const => Quals::CONST,
            Qual::Volatile => Quals::VOLATILE,
            Qual::Restrict => Quals::RESTRICT,
            Qual::Atomic => Quals::NONE,
        };
    }
    q
}

/// How deep a type is, stopping early once beyond `limit`.
fn depth_exceeds(ffi: &Ffi, ty: TypeId, limit: usize) -> bool {
    if limit == 0 {
        return true;
    }
    match ffi.ty(ty) {
        Type::RawFunction(f) | Type::FunctionPtr(f) => {
            depth_exceeds(ffi, f.result, limit - 1)
                || f.args.iter().any(|&a| depth_exceeds(ffi, a, limit - 1))
        }
        Type::Pointer { to, .. } | Type::NamedPointer { to, .. } => depth_exceeds(ffi, *to, limit - 1),
        Type::Array { item, .. } => depth_exceeds(ffi, *item, limit - 1),
        _ => false,
    }
}

impl Builder {
    /// Enter one cdef's declarations (cffi's `Parser._internal_parse`).
    pub fn add_cdef<'a>(&mut self, cx: &CdefContext<'a>, unit: &Unit<'a>) -> BResult<()> {
        self.ffi
            .sources
            .push(crate::generator::model::SourceRef { file: cx.file.clone(), offset: cx.offset });
        let mut pass = Pass {
            b: self,
            cx,
            unit,
            node_types: FxHashMap::default(),
            extern_python: EXTERN_PYTHON_STOP.to_string(),
            partial_length: false,
            current_item: None,
        };
        pass.process_macros()?;
        for item in &unit.items {
            pass.item(item)?;
        }
        Ok(())
    }

    /// Start entering the cdefs of an included FFI (cffi's `Parser.include`). cffi
    /// parses them in a parser of their own and copies its structs, unions, enums and
    /// typedefs (and integer constants) into this one, marked as included; here they
    /// go through this builder, which keeps only those. The included parser numbers
    /// its anonymous structs from 1 again.
    pub fn begin_include(&mut self) -> IncludeMark {
        self.including += 1;
        IncludeMark { anonymous_counter: std::mem::take(&mut self.anonymous_counter) }
    }

    pub fn end_include(&mut self, mark: IncludeMark) {
        self.including -= 1;
        self.anonymous_counter = mark.anonymous_counter;
    }

    /// Warnings that depend on the whole FFI (after the last cdef).
    pub fn finish(mut self) -> Ffi {
        for id in self.ffi.enum_ids().collect::<Vec<_>>() {
            let e = self.ffi.enum_(id);
            if e.enumerators.is_empty() && !e.partial {
                let message = format!(
                    "{} has no values explicitly defined; guessing that it is equivalent to 'unsigned int'",
                    constant::py_repr(&e.c_name)
                );
                let mut d = Diagnostic::warning(message);
                if let Some(span) = e.span {
                    d = self.ffi.label(d, span, "declared here without values");
                }
                d = d.with_note("in API mode the C compiler supplies the real type; in ABI mode cffi assumes `unsigned int`");
                self.ffi.warnings.push(d);
            }
        }
        self.ffi.seal_names();
        self.ffi
    }

    /// A new struct or union, and its type.
    fn new_struct(&mut self, s: StructOrUnion) -> TypeId {
        let id = StructId(self.ffi.structs.len() as u32);
        self.ffi.structs.push(s);
        self.ffi.struct_type(id)
    }

    /// cffi's shared `FILE` type: an opaque `struct _IO_FILE` named `FILE`.
    fn file_type(&mut self) -> TypeId {
        if let Some(t) = self.file_struct {
            return t;
        }
        let mut s = StructOrUnion::new(StructKind::Struct, "_IO_FILE".into(), None);
        s.force_the_name(Some("FILE".into()));
        s.from_unknown_type = true;
        let t = self.new_struct(s);
        self.file_struct = Some(t);
        t
    }

    /// The object cffi would hold for a type it has just built.
    fn new_object(&mut self, ty: TypeId) -> Ident {
        match self.ffi.ty(ty) {
            Type::Void | Type::Primitive(_) | Type::StructOrUnion(_) | Type::Enum(_) => Ident::Canonical,
            _ => {
                self.fresh_objects += 1;
                Ident::Fresh(self.fresh_objects)
            }
        }
    }

    /// Is this the very object cffi would have stored (`prevobj is obj`)?
    fn same_object(a: (&DeclValue, Ident), b: (&DeclValue, Ident)) -> bool {
        match (a.0, b.0) {
            (DeclValue::Type(x), DeclValue::Type(y)) => x == y && a.1 == b.1,
            // CPython keeps one object per small integer, so only those compare `is`.
            (DeclValue::Integer(x), DeclValue::Integer(y)) => x == y && (-5..=256).contains(x),
            // `#define X ...` seen twice: a new string each time.
            _ => false,
        }
    }
}

impl Pass<'_, '_> {
    // ------------------------------------------------------------ errors

    fn span(&self, r: &ast::Span) -> Span {
        Span { cdef: self.cx.index, start: r.start as u32, end: r.end as u32 }
    }

    /// The line cffi would report for an offset: pycparser counts lines of the text
    /// after cffi removed `#define` lines (and blank lines before them).
    fn cffi_line(&self, offset: usize) -> usize {
        let offset = offset.min(self.cx.src.len());
        let real = self.cx.src[..offset].matches('\n').count() + 1;
        let removed: usize =
            self.cx.defines.iter().filter(|d| d.span.start < offset).map(|d| d.removed_lines).sum();
        real.saturating_sub(removed).max(1)
    }

    fn error(&self, class: CffiClass, message: String, at: &ast::Span, label: &str) -> CdefError {
        let message = match (class, self.current_item) {
            (CffiClass::CDefError, Some(at)) => {
                format!("<cdef source string>:{}: {message}", self.cffi_line(at))
            }
            _ => message,
        };
        let span = self.cx.offset + at.start..self.cx.offset + at.end;
        CdefError::new(class, message).at(self.cx.file, span, label)
    }

    fn const_error(&self, e: ConstError, at: &ast::Span) -> CdefError {
        match e {
            ConstError::Invalid(repr) => self
                .error(
                    CffiClass::CDefError,
                    format!("invalid constant {repr}"),
                    at,
                    "not an integer constant",
                )
                .with_summary(format!("invalid constant {repr}"))
                .with_help("cdef() evaluates only integer constants (decimal, hex, octal, binary, 'c')"),
            ConstError::Value(msg) => self
                .error(CffiClass::ValueError, msg, at, "Python's int() cannot read this")
                .with_help("write a decimal, 0x hexadecimal or 0 octal integer"),
            ConstError::ZeroDivision => self
                .error(
                    CffiClass::ZeroDivisionError,
                    "integer division or modulo by zero".into(),
                    at,
                    "divides by zero",
                )
                .with_summary("division by zero in a constant expression")
                .with_help("cdef() evaluates constant expressions as Python does, and cannot divide by zero"),
            ConstError::Overflow => {
                CdefError::new(CffiClass::ValueError, "integer constant does not fit in 128 bits".to_string())
                    .at(self.cx.file, self.cx.offset + at.start..self.cx.offset + at.end, "too large")
                    .with_help(
                        "cffi-forge computes constants in 128 bits; C types are at most 64 bits wide anyway",
                    )
            }
        }
    }

    // ------------------------------------------------------------ declarations table

    /// cffi's `_declare`.
    // test_ok identical_redeclarations
    // typedef int foo_t;
    // typedef int foo_t;
    // struct s;
    // struct s { int a; };
    // extern int x;
    // extern int x;
    // test_err redeclared_function
    // int f(int);
    // int f(long);
    // test_err redeclared_typedef_pointer
    // typedef int *int_p;
    // typedef int *int_p;
    fn declare(
        &mut self,
        kind: DeclKind,
        name: &str,
        value: DeclValue,
        quals: Quals,
        ident: Ident,
        at: &ast::Span,
    ) -> BResult<()> {
        if name.split(' ').any(|w| w == DOTDOTDOT) {
            // cffi trips an internal assertion here (`struct ... x;`).
            return Err(self
                .error(
                    CffiClass::CDefError,
                    format!("bad usage of \"...\" in the name of {kind} {name}"),
                    at,
                    "`...` used as a name",
                )
                .with_help("`...` cannot name a struct, union or enum"));
        }
        if self.b.including > 0 {
            // What cffi's `include()` copies: types, not functions, globals or macros
            // (whose integer values `add_constant` has kept), nor anonymous enums.
            let copied = matches!(
                kind,
                DeclKind::Struct | DeclKind::Union | DeclKind::Enum | DeclKind::Anonymous | DeclKind::Typedef
            );
            if !copied || name.starts_with("$enum_$") {
                return Ok(());
            }
        }
        let key = DeclKey::new(kind, name);
        if let Some((index, _, prev)) = self.b.ffi.declarations.get_full(&key) {
            if Builder::same_object((&prev.value, self.b.decl_idents[index]), (&value, ident))
                && prev.quals == quals
            {
                return Ok(());
            }
            if !self.cx.override_ {
                let previous = self.b.ffi.span_location(prev.span).map(|(f, r)| {
                    let (line, col) = f.line_col(r.start);
                    format!("previously declared at {}:{line}:{col}", f.name)
                });
                let mut e = self
                    .error(
                        CffiClass::FFIError,
                        format!("multiple declarations of {key} (for interactive usage, try cdef(xx, override=True))"),
                        at,
                        "declared again here",
                    )
                    .with_summary(format!("multiple declarations of {key}"))
                    .with_help(
                        "declare each name once; only the very same struct, enum or typedef may be repeated \
                         (or pass `override = true` for this cdef)",
                    );
                if let Some(p) = previous {
                    e = e.with_note(p);
                }
                return Err(e);
            }
        }
        let span = self.span(at);
        if self.b.including > 0 {
            if let DeclValue::Type(t) = &value {
                self.b.ffi.included.insert(*t);
            }
        }
        let (index, _) =
            self.b.ffi.declarations.insert_full(key.clone(), Declaration { key, value, quals, span });
        match self.b.decl_idents.get_mut(index) {
            Some(slot) => *slot = ident,
            None => self.b.decl_idents.push(ident),
        }
        Ok(())
    }

    /// cffi's `_add_constants`.
    // test_err conflicting_constants
    // #define X 1
    // enum e { X = 2 };
    fn add_constant(&mut self, name: &str, value: i128, at: &ast::Span) -> BResult<()> {
        if let Some(&prev) = self.b.ffi.int_constants.get(name) {
            if prev == value {
                return Ok(());
            }
            return Err(self
                .error(
                    CffiClass::FFIError,
                    format!("multiple declarations of constant: {name}"),
                    at,
                    "declared again here",
                )
                .with_help(format!("`{name}` is already an integer constant with the value {prev}")));
        }
        self.b.ffi.int_constants.insert(name.to_string(), value);
        Ok(())
    }

    /// cffi's `_add_integer_constant`: `#define X 42` / `static const int X = 42;`.
    fn add_integer_constant(&mut self, name: &str, text: &str, at: &ast::Span) -> BResult<()> {
        let value = constant::integer_constant_value(text).map_err(|e| self.const_error(e, at))?;
        self.add_constant(name, value, at)?;
        self.declare(DeclKind::Macro, name, DeclValue::Integer(value), Quals::NONE, Ident::Canonical, at)
    }

    /// cffi's `_process_macros` (runs before the declarations of the same cdef).
    fn process_macros(&mut self) -> BResult<()> {
        // A dict in cffi: first position, last value.
        let mut order: Vec<&str> = Vec::new();
        let mut last: FxHashMap<&str, &Define> = FxHashMap::default();
        for d in self.cx.defines {
            if last.insert(d.name.as_str(), d).is_none() {
                order.push(&d.name);
            }
        }
        for name in order {
            let d = last[name];
            let value = d.value.trim();
            if constant::is_int_literal(value) {
                self.add_integer_constant(name, value, &d.span)?;
            } else if value == "..." {
                self.declare(
                    DeclKind::Macro,
                    name,
                    DeclValue::DotDotDot,
                    Quals::NONE,
                    Ident::Canonical,
                    &d.span,
                )?;
            } else {
                let msg = format!(
                    "only supports one of the following syntax:\n  #define {name} ...     (literally dot-dot-dot)\n  \
                     #define {name} NUMBER  (with NUMBER an integer constant, decimal/hex/octal)\ngot:\n  #define {name} {value}"
                );
                return Err(self
                    .error(CffiClass::CDefError, msg, &d.span, "not an integer or `...`")
                    .with_summary(format!("unsupported value for `#define {name}`"))
                    .with_help(format!(
                        "cdef() takes `#define {name} <integer>` or `#define {name} ...` (value found by the C compiler)"
                    )));
            }
        }
        Ok(())
    }

    // ------------------------------------------------------------ items

    fn item(&mut self, item: &Item) -> BResult<()> {
        match item {
            Item::Decl(d) => {
                self.current_item = Some(d.span.start);
                if d.is_typedef {
                    self.typedef(d)
                } else {
                    self.decl(d)
                }
            }
            Item::FuncDef { span } | Item::StaticAssert { span } => {
                let what = if matches!(item, Item::FuncDef { .. }) { "FuncDef" } else { "StaticAssert" };
                self.current_item = Some(span.start);
                let summary = if what == "FuncDef" {
                    "function bodies are not allowed in cdef()"
                } else {
                    "`_Static_assert` is not allowed in cdef()"
                };
                Err(self
                    .error(
                        CffiClass::CDefError,
                        format!("unexpected <{what}>: this construct is valid C but not valid in cdef()"),
                        span,
                        "valid C, but not a declaration cdef() takes",
                    )
                    .with_summary(summary)
                    .with_help(
                        "cdef() takes declarations only; put definitions in the C source (set_source)",
                    ))
            }
            Item::Pragma { span } => {
                let (file, range) = (self.cx.file, self.cx.offset + span.start..self.cx.offset + span.end);
                self.b.ffi.warnings.push(
                    Diagnostic::warning(
                        "#pragma in cdef() are entirely ignored. They should be removed for now, otherwise your code \
                         might behave differently in a future version of CFFI if #pragma support gets added. Note \
                         that '#pragma pack' needs to be replaced with the 'packed' keyword argument to cdef().",
                    )
                    .with_label(file, range, "ignored")
                    .with_help("use `packed = true` or `pack = N` on the cdef instead of `#pragma pack`"),
                );
                Ok(())
            }
        }
    }

    // test_ok typedefs
    // typedef int int_t;
    // typedef const char *str_t;
    // typedef int arr_t[...];
    // typedef struct { int x; } point_t;
    // typedef int (*cb_t)(void *);
    fn typedef(&mut self, d: &Decl) -> BResult<()> {
        let Some(name) = d.name else {
            return Err(self.error(
                CffiClass::CDefError,
                "typedef does not declare any name".into(),
                &d.span,
                "here",
            ));
        };
        let placeholder = |node: &TypeNode| -> Option<String> {
            match node {
                TypeNode::TypeDecl { spec: ast::Spec::Names(names), .. } => names
                    .last()
                    .filter(|n| n.0.starts_with("__dotdotdot"))
                    .map(|_| names.iter().map(|n| n.0).collect::<Vec<_>>().join(" ")),
                _ => None,
            }
        };
        let (ty, quals, ident) = if let Some(names) = placeholder(&d.ty) {
            let ty = self.unknown_type(name, &names, &d.span)?;
            (ty, Quals::NONE, self.b.new_object(ty))
        } else if let Some(names) = match &d.ty {
            TypeNode::Ptr { to, .. } => placeholder(to),
            _ => None,
        } {
            if names != DOTDOTDOT {
                return Err(self.unsupported_dotdotdot_typedef(&d.span));
            }
            // `typedef ... *foo_p;`: a pointer to an unknown struct, named foo_p.
            let s = StructOrUnion::new(StructKind::Struct, format!("$${name}"), Some(self.span(&d.span)));
            let to = self.b.new_struct(s);
            let ty = self.b.ffi.intern(Type::NamedPointer { to, name: name.to_string() });
            (ty, Quals::NONE, self.b.new_object(ty))
        } else {
            let example = format!("*({name} *)0");
            self.type_and_quals(&d.ty, Some(name), true, Some(example))?
        };
        self.check_depth(ty, &d.span)?;
        self.declare(DeclKind::Typedef, name, DeclValue::Type(ty), quals, ident, &d.span)
    }

    fn unsupported_dotdotdot_typedef(&self, at: &ast::Span) -> CdefError {
        let line = self.cffi_line(at.start);
        self.error(
            CffiClass::FFIError,
            format!(":{line}: unsupported usage of \"...\" in typedef"),
            at,
            "`...` cannot be used like this",
        )
        .with_summary("unsupported usage of `...` in typedef")
        .with_help("cffi takes `typedef ... name;`, `typedef ... *name;`, `typedef int... name;` and `typedef float... name;`")
    }

    /// cffi's `_get_unknown_type`: `typedef ... foo;`, `typedef int... foo;`,
    /// `typedef float... foo;`.
    fn unknown_type(&mut self, name: &str, names: &str, at: &ast::Span) -> BResult<TypeId> {
        if names == DOTDOTDOT {
            let mut s = StructOrUnion::new(StructKind::Struct, format!("${name}"), Some(self.span(at)));
            s.force_the_name(Some(name.to_string()));
            s.from_unknown_type = true;
            return Ok(self.b.new_struct(s));
        }
        if names == DOTDOTDOT_INT {
            self.b.ffi.uses_new_feature.get_or_insert_with(|| format!("'typedef int... {name}'"));
            return Ok(self.b.ffi.intern(Type::UnknownInteger(name.to_string())));
        }
        if names == DOTDOTDOT_FLOAT {
            self.b.ffi.uses_new_feature.get_or_insert_with(|| format!("'typedef float... {name}'"));
            return Ok(self.b.ffi.intern(Type::UnknownFloat(name.to_string())));
        }
        Err(self.unsupported_dotdotdot_typedef(at))
    }

    fn check_depth(&self, ty: TypeId, at: &ast::Span) -> BResult<()> {
        if depth_exceeds(&self.b.ffi, ty, MAX_TYPE_DEPTH) {
            return Err(CdefError::new(
                CffiClass::CDefError,
                format!("type nested more than {MAX_TYPE_DEPTH} levels deep"),
            )
            .at(self.cx.file, self.cx.offset + at.start..self.cx.offset + at.end, "this type is too deep")
            .with_help("cffi-forge limits type nesting to keep every later step safe"));
        }
        Ok(())
    }

    /// cffi's `_parse_decl`.
    // test_ok variables_and_constants
    // extern int variable;
    // static const int CONSTANT;
    // extern const char *const NAME;
    // static const int KNOWN = 3;
    // test_ok bare_global_warns
    // int bare;
    // test_err void_variable_in_extern_python
    // extern "Python" { void v; }
    fn decl(&mut self, d: &Decl) -> BResult<()> {
        if let TypeNode::Func { .. } = &d.ty {
            let (tp, quals, _) = self.type_and_quals(&d.ty, d.name, false, None)?;
            return self.declare_function(tp, quals, d);
        }
        match &d.ty {
            TypeNode::Bare(ast::Spec::Sue(id, _)) => {
                let kind = self.unit.sues[id.0].kind;
                self.sue_type(kind, *id, None, false)?;
            }
            _ if d.name.is_none() => {
                return Err(self
                    .error(
                        CffiClass::CDefError,
                        "construct does not declare any variable".into(),
                        &d.span,
                        "nothing declared",
                    )
                    .with_help("give the declaration a name"));
            }
            _ => {}
        }
        let Some(name) = d.name else { return Ok(()) };
        let (tp, quals, ident) = self.type_and_quals(&d.ty, None, true, None)?;
        self.check_depth(tp, &d.span)?;
        if matches!(self.b.ffi.ty(tp), Type::RawFunction(_)) {
            return self.declare_function(tp, quals, d);
        }
        if self.b.ffi.ty(tp).is_integer_type() {
            let literal = match &d.init {
                Some(Init::Expr(ast::Expr::Const { text, span, .. })) if constant::is_int_literal(text) => {
                    Some((text.to_string(), span.clone()))
                }
                Some(Init::Expr(ast::Expr::Unary { op: ast::UnOp::Minus, expr, .. })) => match &**expr {
                    ast::Expr::Const { text, span, .. } if constant::is_int_literal(text) => {
                        Some((format!("-{text}"), span.clone()))
                    }
                    _ => None,
                },
                _ => None,
            };
            if let Some((text, _)) = literal {
                return self.add_integer_constant(name, &text, &d.span);
            }
        }
        if matches!(self.b.ffi.ty(tp), Type::Void) && name.starts_with("__cffi_extern_python_") {
            // The markers `extern "Python"` was rewritten into.
            self.extern_python = name.to_string();
            return Ok(());
        }
        if self.extern_python != EXTERN_PYTHON_STOP {
            return Err(self
                .error(
                    CffiClass::CDefError,
                    "cannot declare constants or variables with 'extern \"Python\"'".into(),
                    &d.span,
                    "not a function",
                )
                .with_help("an `extern \"Python\"` block may only declare functions"));
        }
        if quals.is_const() && !matches!(self.b.ffi.ty(tp), Type::Array { .. }) {
            return self.declare(DeclKind::Constant, name, DeclValue::Type(tp), quals, ident, &d.span);
        }
        if d.storage.is_empty() {
            let (file, range) = (self.cx.file, self.cx.offset + d.span.start..self.cx.offset + d.span.end);
            self.b.ffi.warnings.push(
                Diagnostic::warning(format!(
                    "Global variable '{name}' in cdef(): for consistency with C it should have a storage class \
                     specifier (usually 'extern')"
                ))
                .with_label(file, range, "no storage class")
                .with_help(format!("write `extern` before the declaration of `{name}`")),
            );
        }
        self.declare(DeclKind::Variable, name, DeclValue::Type(tp), quals, ident, &d.span)
    }

    /// cffi's `_declare_function`.
    fn declare_function(&mut self, tp: TypeId, quals: Quals, d: &Decl) -> BResult<()> {
        let tp = self.type_pointer(tp, quals, None);
        self.check_depth(tp, &d.span)?;
        let kind = match self.extern_python.as_str() {
            _ if self.cx.dllexport => DeclKind::DllexportPython,
            EXTERN_PYTHON_START => DeclKind::ExternPython,
            EXTERN_PYTHON_PLUS_C_START => DeclKind::ExternPythonPlusC,
            _ => DeclKind::Function,
        };
        let name = d.name.unwrap_or_default();
        let ident = self.b.new_object(tp);
        self.declare(kind, name, DeclValue::Type(tp), Quals::NONE, ident, &d.span)
    }

    // ------------------------------------------------------------ types

    /// cffi's `_get_type_pointer`.
    fn type_pointer(&mut self, tp: TypeId, quals: Quals, declname: Option<&str>) -> TypeId {
        if let Type::RawFunction(_) = self.b.ffi.ty(tp) {
            return self.b.ffi.as_function_pointer(tp);
        }
        if let Some(declname) = declname {
            let anonymous = |name: &str, forced: bool| {
                !forced
                    && name.len() > 1
                    && name.starts_with('$')
                    && name[1..].bytes().all(|b| b.is_ascii_digit())
            };
            let unnamed = match self.b.ffi.ty(tp) {
                Type::StructOrUnion(id) => {
                    let s = self.b.ffi.struct_(*id);
                    anonymous(&s.name, s.forcename.is_some())
                }
                Type::Enum(id) => {
                    let e = self.b.ffi.enum_(*id);
                    anonymous(&e.name, e.forcename.is_some())
                }
                _ => false,
            };
            if unnamed {
                return self.b.ffi.intern(Type::NamedPointer { to: tp, name: declname.to_string() });
            }
        }
        self.b.ffi.pointer(tp, quals)
    }

    /// cffi's `_get_type_and_quals`.
    fn type_and_quals(
        &mut self,
        node: &TypeNode,
        name: Option<&str>,
        partial_length_ok: bool,
        typedef_example: Option<String>,
    ) -> BResult<Typed> {
        // A typedef name refers to the declared type itself.
        if let TypeNode::TypeDecl { quals, spec: ast::Spec::Names(names), .. } = node {
            if let [(single, _)] = names.as_slice() {
                if let Some(id) = self.b.ffi.declaration_id(DeclKind::Typedef, single) {
                    let decl = self.b.ffi.decl(id);
                    let tp = decl.ty().expect("typedefs have types");
                    return Ok((tp, decl.quals | quals_of(quals), self.b.decl_idents[id.0 as usize]));
                }
            }
        }
        self.new_type_and_quals(node, name, partial_length_ok, typedef_example)
    }

    /// A type cffi has just built, as a declaration gets it.
    fn typed(&mut self, tp: TypeId, quals: Quals) -> Typed {
        (tp, quals, self.b.new_object(tp))
    }

    /// [`Pass::type_and_quals`] of anything but a typedef name.
    fn new_type_and_quals(
        &mut self,
        node: &TypeNode,
        name: Option<&str>,
        partial_length_ok: bool,
        typedef_example: Option<String>,
    ) -> BResult<Typed> {
        match node {
            TypeNode::Array { dim, item, .. } => {
                let mut length = match dim {
                    None => ArrayLength::Unspecified,
                    Some(e) => self.constant(e, partial_length_ok)?,
                };
                let mut example = typedef_example;
                if let Some(ex) = &example {
                    if length == ArrayLength::DotDotDot {
                        length = ArrayLength::CExpr(format!("_cffi_array_len({ex})"));
                    }
                    example = Some(format!("*{ex}"));
                }
                let (tp, quals, _) = self.type_and_quals(item, None, partial_length_ok, example)?;
                let tp = self.b.ffi.array(tp, length);
                Ok(self.typed(tp, quals))
            }
            TypeNode::Ptr { quals, to, .. } => {
                let (item, item_quals, _) = self.type_and_quals(to, None, false, None)?;
                let tp = self.type_pointer(item, item_quals, name);
                Ok(self.typed(tp, quals_of(quals)))
            }
            TypeNode::TypeDecl { quals, spec, span } => {
                let q = quals_of(quals);
                match spec {
                    ast::Spec::Names(names) => {
                        let words: SmallVec<[&str; 4]> = names.iter().map(|n| n.0).collect();
                        let ident = normalize_type_names(&words);
                        if ident == "void" {
                            let void = self.b.ffi.void();
                            return Ok(self.typed(void, q));
                        }
                        if ident == DOTDOTDOT {
                            let line = self.cffi_line(span.start);
                            return Err(self
                                .error(CffiClass::FFIError, format!(":{line}: bad usage of \"...\""), span, "`...` is not a type here")
                                .with_summary("bad usage of `...`")
                                .with_help(
                                    "`...` may end a parameter list, a struct (`...;`), an enum, an array size \
                                     (`[...]`), or stand for a type in `typedef ... name;`",
                                ));
                        }
                        let (tp, q0, ident) = self.resolve_common_type(&ident, &spec.span())?;
                        Ok((tp, q | q0, ident))
                    }
                    ast::Spec::Sue(id, _) => {
                        let kind = self.unit.sues[id.0].kind;
                        let tp = self.sue_type(kind, *id, name, false)?;
                        Ok(self.typed(tp, q))
                    }
                }
            }
            TypeNode::Func { .. } => {
                let tp = self.function_type(node, name)?;
                Ok(self.typed(tp, Quals::NONE))
            }
            TypeNode::Bare(ast::Spec::Sue(id, _)) if self.unit.sues[id.0].kind != SueKind::Enum => {
                let kind = self.unit.sues[id.0].kind;
                let tp = self.sue_type(kind, *id, name, true)?;
                Ok(self.typed(tp, Quals::NONE))
            }
            TypeNode::Bare(spec) => {
                let line = self.cffi_line(spec.span().start);
                Err(self
                    .error(
                        CffiClass::FFIError,
                        format!(":{line}: bad or unsupported type declaration"),
                        &spec.span(),
                        "declares nothing",
                    )
                    .with_summary("bad or unsupported type declaration")
                    .with_help(
                        "give the member a name, or use `...;` to leave the rest of a struct unspecified",
                    ))
            }
        }
    }

    /// cffi's `resolve_common_type`: primitives, `FILE`, `bool`, `float _Complex`.
    // test_ok standard_types
    // extern size_t a; extern ssize_t b; extern int64_t c; extern uintptr_t d; extern wchar_t e;
    // extern char16_t f; extern bool g; extern double _Complex h; extern FILE *i; extern long double j;
    // test_err unsupported_type_order
    // extern int long x;
    // test_err unsupported_int128
    // extern __int128 x;
    fn resolve_common_type(&mut self, ident: &str, at: &ast::Span) -> BResult<Typed> {
        let canonical = match ident {
            "bool" => "_Bool",
            "float _Complex" => "_cffi_float_complex_t",
            "double _Complex" => "_cffi_double_complex_t",
            other => other,
        };
        if canonical == "FILE" {
            return Ok((self.b.file_type(), Quals::NONE, Ident::Canonical));
        }
        if let Some(p) = Primitive::from_name(canonical) {
            return Ok((self.b.ffi.primitive(p), Quals::NONE, Ident::Canonical));
        }
        if let Some(win64) = self.b.windows {
            if let Some(found) = self.windows_type(ident, win64, at)? {
                return Ok(found);
            }
        }
        Err(self
            .error(
                CffiClass::FFIError,
                format!(
                    "Unsupported type: {}.  Please look at \
                     http://cffi.readthedocs.io/en/latest/cdef.html#ffi-cdef-limitations and file an issue if you \
                     think this type should really be supported.",
                    constant::py_repr(ident)
                ),
                at,
                "not a type cffi knows",
            )
            .with_summary(format!("unsupported type `{ident}`"))
            .with_help(
                "use one of C's primitive types (`unsigned long long`, `int32_t`, `size_t`, ...), or declare \
                 the type first (`typedef ... foo_t;`, `typedef int... foo_t;`)",
            ))
    }

    /// cffi's Windows common types: a table entry resolved through its C definition,
    /// `UNICODE_STRING`, or the names that need `ffi.set_unicode()`.
    fn windows_type(&mut self, ident: &str, win64: bool, at: &ast::Span) -> BResult<Option<Typed>> {
        if let Some(found) = self.b.windows_types.get(ident) {
            return Ok(Some(*found));
        }
        if wintypes::NEEDS_SET_UNICODE.contains(&ident) {
            return Err(self
                .error(
                    CffiClass::FFIError,
                    format!(
                        "The Windows type {} is only available after you call ffi.set_unicode()",
                        constant::py_repr(ident)
                    ),
                    at,
                    "depends on the UNICODE setting",
                )
                .with_help("use the explicit `...A` or `...W` type (e.g. `LPCWSTR` instead of `LPCTSTR`)"));
        }
        let found = if ident == wintypes::UNICODE_STRING {
            let ushort = self.b.ffi.primitive(Primitive::UnsignedShort);
            let wchar = self.b.ffi.primitive(Primitive::WcharT);
            let wchar_p = self.b.ffi.pointer(wchar, Quals::NONE);
            let mut s = StructOrUnion::new(StructKind::Struct, "_UNICODE_STRING".into(), None);
            s.fields = Some(vec![
                Field::new("Length", ushort),
                Field::new("MaximumLength", ushort),
                Field::new("Buffer", wchar_p),
            ]);
            (self.b.new_struct(s), Quals::NONE, Ident::Canonical)
        } else if let Some(def) = wintypes::definition(ident, win64) {
            let typedefs: Vec<String> = self
                .b
                .ffi
                .declarations
                .keys()
                .filter(|k| k.kind == DeclKind::Typedef)
                .map(|k| k.name.clone())
                .collect();
            let parsed = super::with_type_text(def, &typedefs, true, |node| {
                self.type_and_quals(node, None, false, None)
            });
            match parsed {
                Some(result) => result?,
                None => return Ok(None),
            }
        } else {
            return Ok(None);
        };
        self.b.windows_types.insert(ident.to_string(), found);
        Ok(Some(found))
    }

    /// cffi's `_parse_function_type`.
    // test_ok function_types
    // int variadic(const char *, ...);
    // void no_args(void);
    // int takes_array(int a[3]);
    // int takes_function(int cb(int));
    // int (*returns_pointer(void))(int);
    // test_err ellipsis_only
    // int f(...);
    fn function_type(&mut self, node: &TypeNode, funcname: Option<&str>) -> BResult<TypeId> {
        let TypeNode::Func { params, result, span } = node else { unreachable!("called on functions") };
        let what = funcname.unwrap_or("in expression");
        let params: &[Param] = params.as_deref().unwrap_or(&[]);
        for (i, p) in params.iter().enumerate() {
            if let Param::Ident { name, span } = p {
                return Err(self
                    .error(
                        CffiClass::CDefError,
                        format!(
                            "{what} arg {}: unknown type '{name}' (if you meant to use the old C syntax of giving \
                             untyped arguments, it is not supported)",
                            i + 1
                        ),
                        span,
                        "a name without a type",
                    )
                    .with_summary(format!("unknown type `{name}` for argument {}", i + 1))
                    .with_help("give every parameter a type; if it names a type, declare it first (`typedef ... name;`)"));
            }
        }
        let is_ellipsis = |p: &Param| {
            matches!(p, Param::Typed { ty: TypeNode::TypeDecl { spec: ast::Spec::Names(n), .. }, .. }
                if n.len() == 1 && n[0].0 == DOTDOTDOT)
        };
        let ellipsis = params.last().is_some_and(is_ellipsis);
        let params = if ellipsis { &params[..params.len() - 1] } else { params };
        if ellipsis && params.is_empty() {
            return Err(self
                .error(
                    CffiClass::CDefError,
                    format!("{what}: a function with only '(...)' as argument is not correct C"),
                    span,
                    "needs a named parameter before `...`",
                )
                .with_help("C requires at least one parameter before `...`"));
        }
        let mut args = Vec::with_capacity(params.len());
        for p in params {
            let Param::Typed { ty, .. } = p else { unreachable!("checked above") };
            let (t, q, _) = self.type_and_quals(ty, None, false, None)?;
            args.push(self.as_func_arg(t, q));
        }
        if !ellipsis && args.len() == 1 && matches!(self.b.ffi.ty(args[0]), Type::Void) {
            args.clear();
        }
        let (result_tp, _, _) = self.type_and_quals(result, None, false, None)?;
        // cffi's trick: `__stdcall` was turned into `volatile volatile const`.
        let abi = match result.quals() {
            Some(q) if q.len() >= 3 && q[q.len() - 3..] == [Qual::Volatile, Qual::Volatile, Qual::Const] => {
                Some(crate::generator::model::Abi::Stdcall)
            }
            _ => None,
        };
        Ok(self.b.ffi.intern(Type::RawFunction(FunctionType { args, result: result_tp, ellipsis, abi })))
    }

    /// cffi's `_as_func_arg`: arrays and functions decay to pointers.
    fn as_func_arg(&mut self, t: TypeId, quals: Quals) -> TypeId {
        match *self.b.ffi.ty(t) {
            Type::Array { item, .. } => self.b.ffi.pointer(item, quals),
            Type::RawFunction(_) => self.b.ffi.as_function_pointer(t),
            _ => t,
        }
    }

    /// cffi's `_parse_constant`.
    fn constant(&mut self, e: &ast::Expr, partial_length_ok: bool) -> BResult<ArrayLength> {
        if let ast::Expr::Id { name, span } = e {
            if *name == DOTDOTDOT_ARRAY {
                if partial_length_ok {
                    self.partial_length = true;
                    return Ok(ArrayLength::DotDotDot);
                }
                let line = self.cffi_line(span.start);
                return Err(self
                    .error(
                        CffiClass::FFIError,
                        format!(
                            ":{line}: unsupported '[...]' here, cannot derive the actual array length in this context"
                        ),
                        span,
                        "length unknown here",
                    )
                    .with_summary("unsupported `[...]` here")
                    .with_help(
                        "`[...]` is allowed in struct fields, global variables and typedefs, not in parameters or \
                         behind pointers",
                    ));
            }
        }
        Ok(ArrayLength::Known(self.int_value(e)?))
    }

    fn int_value(&mut self, e: &ast::Expr) -> BResult<i128> {
        use ast::{BinOp, Expr, UnOp};
        match e {
            Expr::Const { text, span, .. } => {
                constant::parse_constant_text(text).map_err(|x| self.const_error(x, span))
            }
            Expr::Unary { op: UnOp::Plus, expr, .. } => self.int_value(expr),
            Expr::Unary { op: UnOp::Minus, expr, span } => {
                let v = self.int_value(expr)?;
                v.checked_neg().ok_or_else(|| self.const_error(ConstError::Overflow, span))
            }
            Expr::Id { name, .. } if self.b.ffi.int_constants.contains_key(*name) => {
                Ok(self.b.ffi.int_constants[*name])
            }
            Expr::Id { name, span } if *name == DOTDOTDOT_ARRAY => {
                let line = self.cffi_line(span.start);
                Err(self
                    .error(
                        CffiClass::FFIError,
                        format!(
                            ":{line}: unsupported '[...]' here, cannot derive the actual array length in this context"
                        ),
                        span,
                        "length unknown here",
                    )
                    .with_summary("unsupported `[...]` here")
                    .with_help("`[...]` may only be the length of an array, not part of an expression"))
            }
            Expr::Binary { op, left, right, span } if *op != BinOp::Other => {
                let l = self.int_value(left)?;
                let r = self.int_value(right)?;
                let v = match op {
                    BinOp::Add => l.checked_add(r).ok_or(ConstError::Overflow),
                    BinOp::Sub => l.checked_sub(r).ok_or(ConstError::Overflow),
                    BinOp::Mul => l.checked_mul(r).ok_or(ConstError::Overflow),
                    BinOp::Div => constant::c_div(l, r),
                    BinOp::Mod => constant::c_div(l, r).and_then(|q| {
                        q.checked_mul(r).and_then(|m| l.checked_sub(m)).ok_or(ConstError::Overflow)
                    }),
                    BinOp::Shl => constant::shift_left(l, r),
                    BinOp::Shr => constant::shift_right(l, r),
                    BinOp::BitAnd => Ok(l & r),
                    BinOp::BitOr => Ok(l | r),
                    BinOp::BitXor => Ok(l ^ r),
                    BinOp::Other => unreachable!("guarded"),
                };
                v.map_err(|x| self.const_error(x, span))
            }
            _ => {
                if let Expr::Binary { left, right, .. } = e {
                    // cffi evaluates both sides before giving up on the operator.
                    self.int_value(left)?;
                    self.int_value(right)?;
                }
                let span = e.span();
                let line = self.cffi_line(span.start);
                let hint = match e {
                    Expr::Id { name, .. } => {
                        format!("`{name}` is not an integer constant declared before this point")
                    }
                    _ => "cdef() evaluates only integer constants combined with + - * / % << >> & | ^"
                        .to_string(),
                };
                Err(self
                    .error(
                        CffiClass::FFIError,
                        format!(":{line}: unsupported expression: expected a simple numeric constant"),
                        &span,
                        "cannot be evaluated here",
                    )
                    .with_summary("unsupported expression: expected a simple numeric constant")
                    .with_help(hint))
            }
        }
    }

    // ------------------------------------------------------------ struct / union / enum

    /// cffi's `_get_struct_union_enum_type`.
    // test_ok struct_naming
    // typedef struct foo foo_t;
    // struct foo { int a; };
    // typedef struct { int b; } anon_t;
    // typedef struct { int c; } *anon_p;
    // test_err struct_defined_twice
    // struct s { int a; };
    // struct s { int a; };
    // test_err enum_values_after_first_mention
    // enum e;
    // enum e { A };
    // test_err partial_struct_with_bitfields
    // struct s { int a : 1; ...; };
    fn sue_type(
        &mut self,
        kind: SueKind,
        id: SueId,
        force_name: Option<&str>,
        nested: bool,
    ) -> BResult<TypeId> {
        if let Some(&t) = self.node_types.get(&id) {
            return Ok(t);
        }
        let node = &self.unit.sues[id.0];
        let (explicit, existing) = match &node.name {
            None => {
                let explicit = match force_name {
                    Some(f) => format!("${f}"),
                    None => {
                        self.b.anonymous_counter += 1;
                        format!("${}", self.b.anonymous_counter)
                    }
                };
                (explicit, None)
            }
            Some(name) => {
                let kind = match kind {
                    SueKind::Struct => DeclKind::Struct,
                    SueKind::Union => DeclKind::Union,
                    SueKind::Enum => DeclKind::Enum,
                };
                let existing = self
                    .b
                    .ffi
                    .declaration(kind, name)
                    .map(|d| d.ty().expect("struct declarations have types"));
                (name.to_string(), existing)
            }
        };
        let span = self.span(&node.span);
        let tp = match existing {
            None => {
                let tp = match kind {
                    SueKind::Struct | SueKind::Union => {
                        let k = if kind == SueKind::Struct { StructKind::Struct } else { StructKind::Union };
                        self.b.new_struct(StructOrUnion::new(k, explicit.clone(), Some(span)))
                    }
                    SueKind::Enum => {
                        if explicit == DOTDOTDOT {
                            return Err(self
                                .error(
                                    CffiClass::CDefError,
                                    "Enums cannot be declared with ...".into(),
                                    &node.span,
                                    "here",
                                )
                                .with_help("give the enum a name, or list its values followed by `...`"));
                        }
                        self.enum_type(explicit.clone(), id)?
                    }
                };
                if let Some(name) = &node.name {
                    let dk = match kind {
                        SueKind::Struct => DeclKind::Struct,
                        SueKind::Union => DeclKind::Union,
                        SueKind::Enum => DeclKind::Enum,
                    };
                    let name = *name;
                    self.declare(dk, name, DeclValue::Type(tp), Quals::NONE, Ident::Canonical, &node.span)?;
                }
                tp
            }
            Some(tp) => {
                if kind == SueKind::Enum && matches!(node.body, SueBody::Enumerators(_)) {
                    return Err(self
                        .error(
                            CffiClass::NotImplementedError,
                            format!(
                                "enum {explicit}: the '{{}}' declaration should appear on the first time the enum is \
                                 mentioned, not later"
                            ),
                            &node.span,
                            "values given after the first mention",
                        )
                        .with_help(format!("move the `{{ ... }}` of `enum {explicit}` to its first mention")));
                }
                tp
            }
        };
        // Name it after the typedef that mentions it first, as cffi does.
        let (forced, name_has_dollar, forcename) = match *self.b.ffi.ty(tp) {
            Type::StructOrUnion(sid) => {
                if self.b.ffi.struct_(sid).forcename.is_none() {
                    self.b.ffi.struct_mut(sid).force_the_name(force_name.map(str::to_string));
                }
                let s = self.b.ffi.struct_(sid);
                (s.forcename.is_some(), s.name.contains('$'), s.forcename.clone())
            }
            Type::Enum(eid) => {
                if self.b.ffi.enum_(eid).forcename.is_none() {
                    self.b.ffi.enum_mut(eid).force_the_name(force_name.map(str::to_string));
                }
                let e = self.b.ffi.enum_(eid);
                (e.forcename.is_some(), e.name.contains('$'), e.forcename.clone())
            }
            _ => unreachable!("struct, union or enum"),
        };
        if forced && name_has_dollar {
            let forcename = forcename.expect("forced");
            self.declare(
                DeclKind::Anonymous,
                &forcename,
                DeclValue::Type(tp),
                Quals::NONE,
                Ident::Canonical,
                &node.span,
            )?;
        }
        self.node_types.insert(id, tp);
        let SueBody::Fields(fields) = &node.body else { return Ok(tp) };
        let sid = self.b.ffi.ty(tp).struct_id().expect("struct or union");
        if self.b.ffi.struct_(sid).fields.is_some() {
            let name = node.name.unwrap_or("None");
            return Err(self
                .error(
                    CffiClass::CDefError,
                    format!("duplicate declaration of struct {name}"),
                    &node.span,
                    "defined again here",
                )
                .with_help("define each struct once; other mentions must not repeat the `{ ... }`"));
        }
        let mut out = Vec::with_capacity(fields.len());
        for f in fields {
            let d = match f {
                ast::Field::Decl(d) => d,
                ast::Field::Pragma(span) => {
                    return Err(self
                        .error(
                            CffiClass::CDefError,
                            "#pragma inside a struct is not supported".into(),
                            span,
                            "here",
                        )
                        .with_help("remove it; use `packed = true` or `pack = N` on the cdef instead"));
                }
            };
            if let TypeNode::Bare(ast::Spec::Names(names)) = &d.ty {
                if names.iter().map(|n| n.0).collect::<String>() == DOTDOTDOT {
                    self.make_partial(sid, nested, &d.span)?;
                    continue;
                }
            }
            // cffi stores -1 for "not a bitfield", so a width of -1 is no bitfield.
            let bitsize = match &d.bitsize {
                None => None,
                Some(e) => Some(self.int_value(e)?).filter(|&w| w != -1),
            };
            self.partial_length = false;
            let (ftype, fquals, _) = self.type_and_quals(&d.ty, None, true, None)?;
            if self.partial_length {
                self.make_partial(sid, nested, &d.span)?;
            }
            if let Type::StructOrUnion(inner) = *self.b.ffi.ty(ftype) {
                let inner = self.b.ffi.struct_(inner);
                if inner.kind == StructKind::Struct && inner.partial {
                    self.make_partial(sid, nested, &d.span)?;
                }
            }
            out.push(Field {
                name: d.name.unwrap_or_default().to_string(),
                ty: ftype,
                bitsize,
                quals: fquals,
            });
        }
        let has_bitfields = out.iter().any(|f| f.bitsize.is_some());
        let s = self.b.ffi.struct_mut(sid);
        s.fields = Some(out);
        s.packed = self.cx.packed;
        if has_bitfields && s.kind == StructKind::Struct && s.partial {
            let repr = self.b.ffi.repr(tp);
            return Err(self
                .error(
                    CffiClass::NotImplementedError,
                    format!("{repr}: using both bitfields and '...;'"),
                    &node.span,
                    "bitfields in a partial struct",
                )
                .with_help("declare all fields of a struct with bitfields, without `...;`"));
        }
        Ok(tp)
    }

    /// cffi's `_make_partial`.
    // test_err partial_anonymous_struct
    // struct { int a; ...; } x;
    fn make_partial(&mut self, sid: StructId, nested: bool, at: &ast::Span) -> BResult<()> {
        let s = self.b.ffi.struct_(sid);
        if !s.has_c_name() && !nested {
            let repr = format!("<{}>", s.c_name);
            return Err(self
                .error(
                    CffiClass::NotImplementedError,
                    format!("{repr} is partial but has no C name"),
                    at,
                    "makes an anonymous struct partial",
                )
                .with_help("name the struct (`struct foo { ...; }`) or typedef it (`typedef struct { ...; } foo_t;`)"));
        }
        self.b.ffi.struct_mut(sid).partial = true;
        Ok(())
    }

    /// cffi's `_build_enum_type`.
    // test_err enum_named_dotdotdot class-only
    // enum ... { A };
    fn enum_type(&mut self, explicit: String, id: SueId) -> BResult<TypeId> {
        let node = &self.unit.sues[id.0];
        let span = self.span(&node.span);
        let mut e = EnumType::new(explicit, Vec::new(), Vec::new(), Some(span));
        if let SueBody::Enumerators(list) = &node.body {
            let mut next: i128 = 0;
            for en in list {
                if is_enum_placeholder(en.name) {
                    e.partial = true;
                    continue;
                }
                if let Some(v) = &en.value {
                    next = self.int_value(v)?;
                }
                e.enumerators.push(en.name.to_string());
                e.values.push(next);
                self.add_constant(en.name, next, &en.span)?;
                next = next.checked_add(1).ok_or_else(|| self.const_error(ConstError::Overflow, &en.span))?;
            }
        }
        let eid = crate::generator::model::EnumId(self.b.ffi.enums.len() as u32);
        self.b.ffi.enums.push(e);
        Ok(self.b.ffi.enum_type(eid))
    }
}

/// cffi's `_r_enum_dotdotdot`: `__dotdotdot<digits>__`.
fn is_enum_placeholder(name: &str) -> bool {
    name.strip_prefix("__dotdotdot")
        .and_then(|r| r.strip_suffix("__"))
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// cffi's spelling of a list of type keywords: `long unsigned int` → `unsigned long`,
/// `signed` dropped, `int` dropped after `short`/`long`; `signed char` kept.
fn normalize_type_names<'n>(names: &[&'n str]) -> Cow<'n, str> {
    if let [single] = names {
        if !matches!(*single, "short" | "long" | "signed" | "unsigned") {
            return Cow::Borrowed(single);
        }
    }
    if names == ["signed", "char"] {
        return Cow::Borrowed("signed char");
    }
    // Counts of the leading `unsigned`, `short`, `long` (`signed` is dropped).
    let mut counts = [0usize; 3];
    let mut saw_short_or_long = false;
    let mut rest = names;
    while let Some((first, tail)) = rest.split_first() {
        match *first {
            "unsigned" => counts[0] += 1,
            "short" => counts[1] += 1,
            "long" => counts[2] += 1,
            "signed" => {}
            _ => break,
        }
        saw_short_or_long |= matches!(*first, "short" | "long");
        rest = tail;
    }
    let mut out: Vec<&str> = Vec::new();
    for (word, n) in ["unsigned", "short", "long"].into_iter().zip(counts) {
        out.extend(std::iter::repeat_n(word, n));
    }
    match rest {
        [] if saw_short_or_long => {}
        [] => out.push("int"),
        ["int"] if saw_short_or_long => {}
        _ => out.extend_from_slice(rest),
    }
    Cow::Owned(out.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_keywords_are_normalized_like_cffi() {
        assert_eq!(normalize_type_names(&["long", "unsigned", "int"]), "unsigned long");
        assert_eq!(normalize_type_names(&["unsigned"]), "unsigned int");
        assert_eq!(normalize_type_names(&["signed"]), "int");
        assert_eq!(normalize_type_names(&["signed", "char"]), "signed char");
        assert_eq!(normalize_type_names(&["short", "signed"]), "short");
        assert_eq!(normalize_type_names(&["long", "long", "int"]), "long long");
        assert_eq!(
            normalize_type_names(&["int", "long"]),
            "int long",
            "cffi does not reorder after the base"
        );
        assert_eq!(normalize_type_names(&["long", "double"]), "long double");
    }

    #[test]
    fn enum_placeholders() {
        assert!(is_enum_placeholder("__dotdotdot0__"));
        assert!(is_enum_placeholder("__dotdotdot12__"));
        assert!(!is_enum_placeholder("__dotdotdot__"));
    }
}
