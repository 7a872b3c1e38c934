//! Declarations: the top level of a cdef (pycparser's `external_declaration`), the
//! init-declarators of one declaration, attaching the specifiers' base type to each
//! declarator, and initializers.

use smallvec::{smallvec, SmallVec};

use super::declarators::{apply_derivs, Declarator, DeclaratorKind, Deriv};
use super::types::{DeclSpec, TypeSpecPart};
use super::{PResult, Parser, SyntaxError};
use crate::generator::cdef::ast::*;
use crate::generator::cdef::lexer::{Kw, Punct, TokenKind};

/// The declarators of one declaration (usually one) and what they declare.
/// Inline for the usual single declarator: one heap allocation less per declaration.
type DeclaratorList<'a> = SmallVec<[(Declarator<'a>, Option<Init<'a>>); 1]>;
pub(super) type DeclList<'a> = SmallVec<[Decl<'a>; 1]>;

impl<'a: 'n, 'n> Parser<'a, 'n> {
    // test_ok top_level_declarations
    // int f(int);
    // extern int x;
    // typedef int foo_t;
    // struct s { int a; };
    // ;
    // test_err function_definition
    // int f(void) { return 0; }
    // test_err static_assert
    // _Static_assert(1, "never in a cdef");
    // test_err declaration_without_type class-only
    // foo_t f(void);
    // test_err old_style_parameters
    // int f(a, b);
    // test_err missing_semicolon_after_function
    // int f(int)
    // int g(int);
    // test_err missing_semicolon_after_variable
    // extern int x
    // int g(int);
    pub(super) fn external_declaration(&mut self) -> PResult<()> {
        let Some(t) = self.peek() else { return Ok(()) };
        match t.kind {
            TokenKind::Pragma => {
                self.pos += 1;
                self.unit.items.push(Item::Pragma { span: t.span.clone() });
                return Ok(());
            }
            TokenKind::Kw(Kw::Pragma) => {
                let span = self.pragma_operator()?;
                self.unit.items.push(Item::Pragma { span });
                return Ok(());
            }
            TokenKind::Punct(Punct::Semi) => {
                self.pos += 1;
                return Ok(());
            }
            TokenKind::Kw(Kw::StaticAssert) => {
                let span = self.static_assert()?;
                self.unit.items.push(Item::StaticAssert { span });
                return Ok(());
            }
            _ => {}
        }
        if !self.starts_declaration() {
            if self.looks_like_unknown_type(0) {
                return Err(self.unknown_type_error(0));
            }
            // pycparser tries an old-style function definition `foo() { ... }` here.
            let d = self.declarator(DeclaratorKind::Id, true)?;
            if !self.is_punct(0, Punct::LBrace) {
                return Err(Box::new(SyntaxError {
                    message: "expected a declaration".into(),
                    span: d.span.clone(),
                    help: Some(
                        "every declaration starts with a type; declare unknown types first, \
                         e.g. `typedef ... foo_t;` or `typedef struct foo foo_t;`"
                            .into(),
                    ),
                    before: None,
                    pycparser: None,
                }));
            }
            let start = d.span.start;
            let end = self.compound_statement()?;
            self.unit.items.push(Item::FuncDef { span: start..end });
            return Ok(());
        }
        let (spec, saw_type) = self.declaration_specifiers(true)?;
        let (name_kind, _) = self.peek_declarator_name();
        if name_kind != Some(false) {
            let decls = self.decl_body_with_spec(spec, saw_type)?;
            self.expect(Punct::Semi)?;
            self.push_decls(decls);
            return Ok(());
        }
        let first = self.declarator(DeclaratorKind::Id, true)?;
        if self.is_punct(0, Punct::LBrace) || self.starts_declaration() {
            // A function definition (possibly with K&R parameter declarations). Without
            // the body's `{` after them, those "parameter declarations" are the next
            // declarations and this one lacks its `;`: say so here, not at the next one.
            // Only a declarator with an identifier list (`f(a, b)`) can have them.
            let knr_params = first.derivs.iter().any(|d| {
                matches!(d, Deriv::Func(Some(params), _) if params.iter().any(|p| matches!(p, Param::Ident { .. })))
            });
            let next_declaration = self.starts_declaration() && !knr_params;
            if let Err(e) = self.knr_parameter_declarations() {
                return Err(if next_declaration { missing_semicolon(e.before, &first.span) } else { e });
            }
            let start = spec.start.unwrap_or(first.span.start);
            // pycparser checks the declaration part before the body.
            let mut spec = spec;
            if spec.storage.contains(&"typedef") {
                let mut e = self.error_at("a function definition cannot be a typedef", first.span.clone());
                e.help = Some("cdef() takes declarations only; drop the body".into());
                return Err(e);
            }
            if spec.types.is_empty() {
                spec.types.push(TypeSpecPart::Name("int", first.span.clone()));
            }
            self.build_declarations(&spec, smallvec![(first, None)], true)?;
            let end = self.compound_statement()?;
            self.unit.items.push(Item::FuncDef { span: start..end });
            return Ok(());
        }
        let init = if self.accept(Punct::Eq).is_some() { Some(self.initializer()?) } else { None };
        let mut list: DeclaratorList<'a> = smallvec![(first, init)];
        while self.accept(Punct::Comma).is_some() {
            list.push(self.init_declarator(false)?);
        }
        let decls = self.build_declarations(&spec, list, true)?;
        self.expect(Punct::Semi)?;
        self.push_decls(decls);
        Ok(())
    }

    /// K&R parameter declarations up to the body's `{`.
    fn knr_parameter_declarations(&mut self) -> PResult<()> {
        while self.starts_declaration() {
            let (s, t) = self.declaration_specifiers(true)?;
            let _ = self.decl_body_with_spec(s, t)?;
            self.expect(Punct::Semi)?;
        }
        if !self.is_punct(0, Punct::LBrace) {
            return Err(self.error_here("expected the body of a function definition"));
        }
        Ok(())
    }

    fn push_decls(&mut self, decls: DeclList<'a>) {
        self.unit.items.extend(decls.into_iter().map(Item::Decl));
    }

    // test_ok declarations_with_declarators
    // extern int a, *b, c[2], (*d)(void);
    // typedef struct { int x; } point_t, *point_p;
    // test_err declaration_without_name class-only
    // int;
    pub(super) fn decl_body_with_spec(
        &mut self,
        spec: DeclSpec<'a>,
        saw_type: bool,
    ) -> PResult<DeclList<'a>> {
        let mut list = None;
        if saw_type {
            if self.starts_declarator(false) {
                list = Some(self.init_declarator_list(false)?);
            }
        } else if self.starts_declarator(true) {
            list = Some(self.init_declarator_list(true)?);
        }
        match list {
            Some(list) => self.build_declarations(&spec, list, true),
            None => {
                if let [TypeSpecPart::Sue(id, span)] = spec.types.as_slice() {
                    // `struct foo { ... };` or `enum e;`: declares only the tag.
                    return Ok(smallvec![Decl {
                        name: None,
                        span: span.clone(),
                        // pycparser makes this a plain declaration, even with `typedef`.
                        is_typedef: false,
                        storage: spec.storage.iter().copied().collect(),
                        ty: TypeNode::Bare(Spec::Sue(*id, span.clone())),
                        init: None,
                        bitsize: None,
                    }]);
                }
                Err(match self.peek() {
                    Some(_) => self.error_here("expected a name to declare"),
                    None => self.error_at_end("expected a name to declare before the end of input"),
                })
            }
        }
    }

    fn init_declarator_list(&mut self, id_only: bool) -> PResult<DeclaratorList<'a>> {
        let mut list: DeclaratorList<'a> = smallvec![self.init_declarator(id_only)?];
        while self.accept(Punct::Comma).is_some() {
            list.push(self.init_declarator(id_only)?);
        }
        Ok(list)
    }

    fn init_declarator(&mut self, id_only: bool) -> PResult<(Declarator<'a>, Option<Init<'a>>)> {
        let d = if id_only {
            self.declarator(DeclaratorKind::Id, true)?
        } else {
            self.any_declarator(false, false)?
        };
        let init = if self.accept(Punct::Eq).is_some() { Some(self.initializer()?) } else { None };
        Ok((d, init))
    }

    /// Attach the base type to each declarator (pycparser's `_build_declarations`) and
    /// register declared names for the lexer hack when `file_scope_names`.
    // test_err typedef_name_reused_as_variable class-only
    // typedef int foo;
    // extern int foo;
    fn build_declarations(
        &mut self,
        spec: &DeclSpec<'a>,
        list: DeclaratorList<'a>,
        file_scope_names: bool,
    ) -> PResult<DeclList<'a>> {
        let is_typedef = spec.storage.contains(&"typedef");
        let mut out = DeclList::new();
        for (d, init) in list {
            let decl = self.make_decl(spec, d, init, None, is_typedef)?;
            if file_scope_names {
                if let Some(name) = &decl.name {
                    if is_typedef {
                        self.add_typedef_name(name, &decl.span)?;
                    } else {
                        self.add_identifier(name, &decl.span)?;
                    }
                }
            }
            out.push(decl);
        }
        Ok(out)
    }

    /// pycparser's `_fix_decl_name_type`: the base `TypeDecl` gets the specifiers.
    pub(super) fn base_type(
        &self,
        spec: &DeclSpec<'a>,
        is_function: bool,
        at: &Span,
    ) -> PResult<TypeNode<'a>> {
        let mut names = NameList::new();
        let mut sue = None;
        for part in &spec.types {
            match part {
                TypeSpecPart::Name(n, s) => names.push((*n, s.clone())),
                TypeSpecPart::Sue(id, s) => {
                    if spec.types.len() > 1 {
                        let mut e = self.error_at("more than one type given in a declaration", s.clone());
                        e.help = Some("give each declaration a single type".into());
                        return Err(e);
                    }
                    sue = Some(Spec::Sue(*id, s.clone()));
                }
            }
        }
        let spec_node = match sue {
            Some(s) => s,
            None if names.is_empty() => {
                if !is_function {
                    let mut e = self.error_at("missing type in declaration", at.clone());
                    e.help = Some("add a type, e.g. `const int x;`".into());
                    return Err(e);
                }
                Spec::Names(smallvec![("int", at.clone())])
            }
            None => Spec::Names(names),
        };
        let span = spec_node.span();
        Ok(TypeNode::TypeDecl { quals: spec.quals.clone(), spec: spec_node, span })
    }

    pub(super) fn make_decl(
        &mut self,
        spec: &DeclSpec<'a>,
        d: Declarator<'a>,
        init: Option<Init<'a>>,
        bitsize: Option<Expr<'a>>,
        is_typedef: bool,
    ) -> PResult<Decl<'a>> {
        let is_function = matches!(d.derivs.first(), Some(Deriv::Func(..)));
        let base = self.base_type(spec, is_function, &d.span)?;
        let ty = apply_derivs(base, d.derivs);
        let (name, span) = match d.name {
            Some((n, s)) => (Some(n), s),
            None => (None, d.span),
        };
        Ok(Decl {
            name,
            span,
            is_typedef,
            storage: spec.storage.iter().filter(|s| **s != "typedef").copied().collect(),
            ty,
            init,
            bitsize,
        })
    }

    // test_ok initializers
    // static const int A = 42;
    // static const int B = -0x10;
    // static const double C = 1.5;
    // static const int D[2] = { 1, 2 };
    // struct p { int x; };
    // static const struct p E = { .x = 1 };
    // test_err initializer_python_cannot_read
    // static const int X = 1e5;
    fn initializer(&mut self) -> PResult<Init<'a>> {
        if self.is_punct(0, Punct::LBrace) {
            self.initializer_list()?;
            return Ok(Init::List);
        }
        Ok(Init::Expr(self.assignment_expression()?))
    }

    pub(super) fn initializer_list(&mut self) -> PResult<Span> {
        self.enter()?;
        let open = self.lbrace()?.span.clone();
        if !self.is_punct(0, Punct::RBrace) {
            loop {
                while self.is_punct(0, Punct::LBracket) || self.is_punct(0, Punct::Period) {
                    if self.accept(Punct::LBracket).is_some() {
                        self.conditional_expression()?;
                        self.expect(Punct::RBracket)?;
                    } else {
                        self.pos += 1;
                        match self.peek() {
                            Some(t) if t.kind == TokenKind::Ident => self.pos += 1,
                            _ => return Err(self.error_here("expected a member name")),
                        }
                    }
                    if !(self.is_punct(0, Punct::LBracket) || self.is_punct(0, Punct::Period)) {
                        self.expect(Punct::Eq)?;
                    }
                }
                self.initializer()?;
                if self.accept(Punct::Comma).is_none() || self.is_punct(0, Punct::RBrace) {
                    break;
                }
            }
        }
        let close = self.rbrace()?.span.clone();
        self.leave();
        Ok(open.start..close.end)
    }
}

/// A valid and an invalid example of each rule above, as the parser sees them.
/// The error for a declaration (`declarator`) followed by another declaration without a
/// `;` between them (`before`: the token parsing on stopped at). pycparser takes it for a
/// K&R function definition and says so at the declarator, which is cffi's message too.
fn missing_semicolon(before: Option<String>, declarator: &Span) -> Box<SyntaxError> {
    Box::new(SyntaxError {
        message: "expected `;` after this declaration".into(),
        span: declarator.clone(),
        help: Some("end each declaration with `;`".into()),
        before,
        pycparser: Some("Invalid function definition"),
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{err, ok};

    #[test]
    fn external_declaration() {
        assert_eq!(
            ok("int f(int);\nextern int x, *y;"),
            "f: fn(int) -> int\nextern x: int\nextern y: ptr to int"
        );
        assert_eq!(ok("typedef int foo_t; foo_t v; ;"), "typedef foo_t: int\nv: foo_t");
        assert_eq!(err("foo_t f(void);"), "unknown type name `foo_t` (at `foo_t`)");
        assert_eq!(err("f(void);"), "expected a declaration (at `f(void)`)");
    }

    #[test]
    fn function_definition() {
        assert_eq!(ok("int f(void) { return 0; }"), "function definition");
        assert_eq!(ok("int f(a) int a; { return a; }"), "function definition");
        assert_eq!(
            err("typedef int f(void) { }"),
            "a function definition cannot be a typedef (at `f(void)`)"
        );
        assert_eq!(err("int f(a) int; { }"), "expected a name to declare, found `;` (at `;`)");
        // Two declarations in a row without their `;`: the first one is named.
        assert_eq!(
            err("int f(int)\nint g(int)\nint h(int);"),
            "expected `;` after this declaration (at `f(int)`)"
        );
    }

    #[test]
    fn decl_body_with_spec() {
        assert_eq!(ok("struct s { int a; };\nenum e;"), "struct s { a: int }\nenum e");
        assert_eq!(err("int;"), "expected a name to declare, found `;` (at `;`)");
    }

    #[test]
    fn init_declarator_list() {
        assert_eq!(
            ok("static const int A = 42, B = -0x10;"),
            "static A: const int = 42\nstatic B: const int = -0x10"
        );
        assert_eq!(err("int a, ;"), "expected a name in this declarator, found `;` (at `;`)");
        assert_eq!(err("int x"), "expected `;` before the end of input (at the end)");
    }

    #[test]
    fn build_declarations() {
        assert_eq!(ok("extern int x; extern int x;"), "extern x: int\nextern x: int");
        assert_eq!(
            err("typedef int foo; extern int foo;"),
            "`foo` was previously declared as a typedef name in this scope (at `foo`)"
        );
        assert_eq!(
            err("extern int foo; typedef int foo;"),
            "typedef `foo` was previously declared as a non-typedef in this scope (at `foo`)"
        );
    }

    #[test]
    fn base_type() {
        // A function without a type returns `int`; anything else needs one.
        assert_eq!(ok("static f(void);"), "static f: fn(void) -> int");
        assert_eq!(err("const x;"), "missing type in declaration (at `x`)");
        assert_eq!(err("int struct s x;"), "more than one type given in a declaration (at `s`)");
    }

    #[test]
    fn initializer() {
        assert_eq!(ok("static const int D[2] = { 1, [1] = 2 };"), "static D: array[2] of const int = {...}");
        assert_eq!(
            ok("static const struct p { int x; } E = { .x = 1, };"),
            "static E: const struct p { x: int } = {...}"
        );
        assert_eq!(err("int x = ;"), "expected an expression, found `;` (at `;`)");
        assert_eq!(
            err("static const int D[2] = { 1, . = 2 };"),
            "expected a member name, found `=` (at `=`)"
        );
    }
}
