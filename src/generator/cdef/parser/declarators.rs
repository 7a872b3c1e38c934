//! Declarators: the name being declared and the pointer, array and function
//! constructors around it, with the parameters of functions; abstract declarators
//! (no name) in parameters and type names.

use super::types::TypeSpecPart;
use super::{PResult, Parser, SyntaxError, MAX_DEPTH};
use crate::generator::cdef::ast::*;
use crate::generator::cdef::lexer::{Kw, Punct, TokenKind};

/// A declarator before the base type is known: the name and the type constructors
/// from the name outwards (`*p[3]` → array of pointers).
#[derive(Clone, Debug)]
pub(super) struct Declarator<'a> {
    pub(super) name: Option<(&'a str, Span)>,
    pub(super) derivs: Derivs<'a>,
    pub(super) span: Span,
}

pub(super) type Derivs<'a> = Vec<Deriv<'a>>;

#[derive(Clone, Debug)]
pub(super) enum Deriv<'a> {
    Ptr(QualList),
    Array(Option<Expr<'a>>),
    Func(Option<Vec<Param<'a>>>, Span),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum DeclaratorKind {
    /// The name must be an ordinary identifier.
    Id,
    /// The name is a typedef name being redeclared.
    TypeId,
}

impl<'a: 'n, 'n> Parser<'a, 'n> {
    pub(super) fn starts_declarator(&self, id_only: bool) -> bool {
        let Some(t) = self.peek() else { return false };
        if t.is_punct(Punct::Star) || t.is_punct(Punct::LParen) {
            return true;
        }
        if t.kind != TokenKind::Ident {
            return false;
        }
        !id_only || self.is_id(t)
    }

    /// Look ahead through `*`, qualifiers and `(` for the declarator's name: is it an
    /// identifier, a type name, or absent (abstract)? Also: was it inside parens?
    pub(super) fn peek_declarator_name(&self) -> (Option<bool>, bool) {
        let mut k = 0;
        let mut saw_paren = false;
        loop {
            while self.is_punct(k, Punct::Star) {
                k += 1;
                while self
                    .peek_at(k)
                    .is_some_and(|t| matches!(t.kind, TokenKind::Kw(q) if q.is_type_qualifier()))
                {
                    k += 1;
                }
            }
            match self.peek_at(k) {
                Some(t) if t.kind == TokenKind::Ident => return (Some(self.is_typeid(t)), saw_paren),
                Some(t) if t.is_punct(Punct::LParen) => {
                    saw_paren = true;
                    k += 1;
                }
                _ => return (None, saw_paren),
            }
        }
    }

    /// pycparser's `_parse_any_declarator`.
    pub(super) fn any_declarator(
        &mut self,
        allow_abstract: bool,
        typeid_paren_as_abstract: bool,
    ) -> PResult<Declarator<'a>> {
        let (name_kind, saw_paren) = self.peek_declarator_name();
        let abstract_ = match name_kind {
            None => true,
            Some(is_type) => typeid_paren_as_abstract && is_type && saw_paren,
        };
        if abstract_ {
            if !allow_abstract {
                return Err(self.error_here("expected a name in this declarator"));
            }
            return self.abstract_declarator_opt();
        }
        match name_kind {
            Some(true) if typeid_paren_as_abstract => self.declarator(DeclaratorKind::TypeId, false),
            Some(true) => self.declarator(DeclaratorKind::TypeId, true),
            _ => self.declarator(DeclaratorKind::Id, true),
        }
    }

    fn pointer(&mut self) -> Derivs<'a> {
        // Stars left to right; the last star is the outermost constructor.
        let mut stars = Derivs::new();
        while self.accept(Punct::Star).is_some() {
            let mut quals = QualList::new();
            while let Some(q) = self.peek().and_then(|t| match t.kind {
                TokenKind::Kw(Kw::Const) => Some(Qual::Const),
                TokenKind::Kw(Kw::Volatile) => Some(Qual::Volatile),
                TokenKind::Kw(Kw::Restrict) => Some(Qual::Restrict),
                TokenKind::Kw(Kw::Atomic) => Some(Qual::Atomic),
                _ => None,
            }) {
                self.pos += 1;
                quals.push(q);
            }
            stars.push(Deriv::Ptr(quals));
        }
        stars.reverse();
        stars
    }

    // test_ok declarators
    // char (*(*x(void))[3])(void);
    // int (*fp)(int, char);
    // extern int (((y)));
    // test_err unbalanced_declarator class-only
    // int (*fp(int);
    pub(super) fn declarator(&mut self, kind: DeclaratorKind, allow_paren: bool) -> PResult<Declarator<'a>> {
        self.enter()?;
        let start = self.peek().map_or(self.end_offset(), |t| t.span.start);
        let stars = self.pointer();
        let mut d = if allow_paren && self.accept(Punct::LParen).is_some() {
            let inner = self.declarator(kind, true)?;
            self.expect(Punct::RParen)?;
            inner
        } else {
            let ok = match self.peek() {
                Some(t) => match kind {
                    DeclaratorKind::Id => self.is_id(t),
                    DeclaratorKind::TypeId => self.is_typeid(t),
                },
                None => false,
            };
            if !ok {
                return Err(self.error_here("expected a name"));
            }
            let t = self.advance()?;
            Declarator {
                name: Some((self.text(t), t.span.clone())),
                derivs: Derivs::new(),
                span: t.span.clone(),
            }
        };
        self.suffixes(&mut d.derivs)?;
        d.derivs.extend(stars);
        d.span = start..self.toks[self.pos - 1].span.end;
        self.check_derivs(&d)?;
        self.leave();
        Ok(d)
    }

    fn check_derivs(&self, d: &Declarator<'a>) -> PResult<()> {
        if d.derivs.len() > MAX_DEPTH {
            return Err(Box::new(SyntaxError {
                message: format!("declarator with more than {MAX_DEPTH} pointer, array or function levels"),
                span: d.span.clone(),
                help: Some("simplify the declaration; cffi-forge limits nesting to keep parsing safe".into()),
                before: None,
                pycparser: None,
            }));
        }
        Ok(())
    }

    fn suffixes(&mut self, derivs: &mut Derivs<'a>) -> PResult<()> {
        loop {
            if self.is_punct(0, Punct::LBracket) {
                derivs.push(self.array_suffix()?);
            } else if self.is_punct(0, Punct::LParen) {
                derivs.push(self.function_suffix()?);
            } else {
                return Ok(());
            }
        }
    }

    // test_ok array_sizes
    // #define N 4
    // extern int a[N], b[N * 2 + 1], c[0x10], d[010], e[], f[...], g[2][3];
    // void h(int x[static 3], int y[const]);
    // test_err array_size_not_constant
    // extern int n;
    // extern int a[n];
    // test_err array_size_float
    // extern int a[1.5];
    fn array_suffix(&mut self) -> PResult<Deriv<'a>> {
        self.expect(Punct::LBracket)?;
        let mut saw_static = self.peek().is_some_and(|t| t.is_kw(Kw::Static));
        if saw_static {
            self.pos += 1;
        }
        while self.peek().is_some_and(|t| matches!(t.kind, TokenKind::Kw(k) if k.is_type_qualifier())) {
            self.pos += 1;
        }
        if !saw_static && self.peek().is_some_and(|t| t.is_kw(Kw::Static)) {
            self.pos += 1;
            saw_static = true;
        }
        let dim = if saw_static {
            Some(self.assignment_expression()?)
        } else if self.is_punct(0, Punct::Star) && self.is_punct(1, Punct::RBracket) {
            let t = self.advance()?;
            Some(Expr::Id { name: "*", span: t.span.clone() })
        } else if self.starts_expression() {
            Some(self.assignment_expression()?)
        } else {
            None
        };
        self.expect(Punct::RBracket)?;
        Ok(Deriv::Array(dim))
    }

    // test_ok function_parameters
    // int f(void);
    // int g();
    // int h(int, char *, ...);
    // int k(int (*)(int), int [3], int cb(int));
    // test_err only_ellipsis
    // int f(...);
    fn function_suffix(&mut self) -> PResult<Deriv<'a>> {
        let open = self.expect(Punct::LParen)?.span.clone();
        self.enter()?;
        let params = if self.is_punct(0, Punct::RParen) {
            None
        } else if self.starts_declaration() {
            Some(self.parameter_list()?)
        } else {
            Some(self.identifier_list()?)
        };
        let close = self.expect(Punct::RParen)?.span.clone();
        self.leave();
        Ok(Deriv::Func(params, open.start..close.end))
    }

    fn identifier_list(&mut self) -> PResult<Vec<Param<'a>>> {
        let mut list = Vec::new();
        loop {
            if self.looks_like_unknown_type(0) {
                return Err(self.unknown_type_error(0));
            }
            let t = match self.peek() {
                Some(t) if self.is_id(t) => self.advance()?,
                _ => return Err(self.error_here("expected a parameter")),
            };
            list.push(Param::Ident { name: self.text(t), span: t.span.clone() });
            if self.accept(Punct::Comma).is_none() {
                return Ok(list);
            }
        }
    }

    fn parameter_list(&mut self) -> PResult<Vec<Param<'a>>> {
        let mut list = vec![self.parameter()?];
        while self.accept(Punct::Comma).is_some() {
            list.push(self.parameter()?);
        }
        Ok(list)
    }

    // test_ok parameter_forms
    // typedef int T;
    // void f(register int x, const y, int (T), int T, unsigned long (*)[3]);
    // test_err parameter_of_unknown_type class-only
    // void f(foo_t x);
    fn parameter(&mut self) -> PResult<Param<'a>> {
        let start = self.peek().map_or(self.end_offset(), |t| t.span.start);
        let (mut spec, _) = self.declaration_specifiers(true)?;
        if spec.types.is_empty() {
            spec.types.push(TypeSpecPart::Name("int", start..start));
        }
        let d = if self.starts_declarator(false) {
            self.any_declarator(true, true)?
        } else {
            self.abstract_declarator_opt()?
        };
        let span = start..self.toks[self.pos - 1].span.end;
        let is_function = matches!(d.derivs.first(), Some(Deriv::Func(..)));
        let base = self.base_type(&spec, is_function, &span)?;
        Ok(Param::Typed { ty: apply_derivs(base, d.derivs) })
    }

    /// Optional abstract declarator (`*`, `(*)(int)`, `[3]`, ...).
    // test_ok abstract_declarators
    // void f(int *, char **, int (*)[3], int (*)(void), int (*[2])(int));
    pub(super) fn abstract_declarator_opt(&mut self) -> PResult<Declarator<'a>> {
        self.enter()?;
        let start = self.peek().map_or(self.end_offset(), |t| t.span.start);
        let stars = self.pointer();
        let mut derivs = Derivs::new();
        if self.is_punct(0, Punct::LParen) || self.is_punct(0, Punct::LBracket) {
            if self.is_punct(0, Punct::LParen) {
                let followed_by_params = self.peek_at(1).is_some_and(|t| self.starts_declaration_tok(t))
                    || self.is_punct(1, Punct::RParen);
                if followed_by_params {
                    derivs.push(self.function_suffix()?);
                } else {
                    self.pos += 1;
                    let inner = self.abstract_declarator_opt()?;
                    if inner.derivs.is_empty() {
                        return Err(self.error_here("expected a declarator"));
                    }
                    self.expect(Punct::RParen)?;
                    derivs = inner.derivs;
                }
            } else {
                derivs.push(self.array_suffix()?);
            }
            self.suffixes(&mut derivs)?;
        }
        derivs.extend(stars);
        let end = if self.pos > 0 { self.toks[self.pos - 1].span.end } else { start };
        self.leave();
        let d = Declarator { name: None, derivs, span: start..end.max(start) };
        self.check_derivs(&d)?;
        Ok(d)
    }
}

/// Wrap `base` in the constructors of a declarator, innermost first.
pub(super) fn apply_derivs<'a>(base: TypeNode<'a>, derivs: Derivs<'a>) -> TypeNode<'a> {
    let mut node = base;
    for d in derivs.into_iter().rev() {
        node = match d {
            Deriv::Ptr(quals) => TypeNode::Ptr { quals, to: Box::new(node) },
            Deriv::Array(dim) => TypeNode::Array { dim, item: Box::new(node) },
            Deriv::Func(params, span) => TypeNode::Func { params, result: Box::new(node), span },
        };
    }
    node
}

/// A valid and an invalid example of each rule above, as the parser sees them.
#[cfg(test)]
mod tests {
    use super::super::testing::{err, ok};

    #[test]
    fn declarator() {
        assert_eq!(
            ok("char (*(*x(void))[3])(void);"),
            "x: fn(void) -> ptr to array[3] of ptr to fn(void) -> char"
        );
        assert_eq!(ok("extern int (((y)));"), "extern y: int");
        assert_eq!(err("int (*fp(int);"), "expected `)`, found `;` (at `;`)");
        assert_eq!(err("int *;"), "expected a name in this declarator, found `*` (at `*`)");
    }

    #[test]
    fn pointer() {
        assert_eq!(ok("int *const *volatile p;"), "p: volatile ptr to const ptr to int");
        assert_eq!(err("int * const;"), "expected a name in this declarator, found `*` (at `*`)");
    }

    #[test]
    fn array_suffix() {
        assert_eq!(
            ok("extern int a[4], b[], c[2][3], d[...];"),
            "extern a: array[4] of int\nextern b: array[] of int\nextern c: array[2] of array[3] of int\n\
             extern d: array[__dotdotdotarray__] of int"
        );
        assert_eq!(
            ok("void h(int x[static 3], int y[const], int z[*]);"),
            "h: fn(array[3] of int, array[] of int, array[*] of int) -> void"
        );
        assert_eq!(err("int a[1;"), "expected `]`, found `;` (at `;`)");
        assert_eq!(err("void f(int x[static]);"), "expected an expression, found `]` (at `]`)");
    }

    #[test]
    fn function_suffix() {
        assert_eq!(ok("int g();"), "g: fn() -> int");
        assert_eq!(ok("int h(int, char *, ...);"), "h: fn(int, ptr to char, __dotdotdot__) -> int");
        assert_eq!(err("void f(int (*)(int);"), "expected `)`, found `;` (at `;`)");
    }

    #[test]
    fn identifier_list() {
        assert_eq!(ok("int old(a, b);"), "old: fn(a?, b?) -> int");
        assert_eq!(err("int f(a, 3);"), "expected a parameter, found `3` (at `3`)");
        assert_eq!(err("int f(a, foo_t b);"), "unknown type name `foo_t` (at `foo_t`)");
    }

    #[test]
    fn parameter() {
        // `int (T)` is a function taking a `T`, `int T` redeclares the name.
        assert_eq!(
            ok("typedef int T; void f(register int x, const y, int (T), int T, unsigned long (*)[3]);"),
            "typedef T: int\nf: fn(int, const int, fn(T) -> int, int, ptr to array[3] of unsigned long) -> void"
        );
        assert_eq!(err("void f(foo_t x);"), "unknown type name `foo_t` (at `foo_t`)");
        assert_eq!(err("int f(;"), "expected a parameter, found `;` (at `;`)");
    }

    #[test]
    fn abstract_declarator() {
        assert_eq!(
            ok("void f(int *, char **, int (*)[3], int (*)(void), int (*[2])(int));"),
            "f: fn(ptr to int, ptr to ptr to char, ptr to array[3] of int, ptr to fn(void) -> int, \
             array[2] of ptr to fn(int) -> int) -> void"
        );
        assert_eq!(err("int a = (int (3));"), "expected a declarator, found `3` (at `3`)");
    }

    #[test]
    fn declarator_levels_are_bounded() {
        let levels = |n: usize| format!("int {}p;", "*".repeat(n));
        assert_eq!(ok(&levels(200)).matches("ptr to").count(), 200);
        assert!(
            err(&levels(201)).starts_with("declarator with more than 200 pointer, array or function levels"),
            "{}",
            err(&levels(201))
        );
    }
}
