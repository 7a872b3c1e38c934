//! Types: declaration specifiers and specifier-qualifier lists, `_Alignas`,
//! struct/union/enum specifiers with their members and enumerators, and type names
//! (`(int *)` in casts, `sizeof`, `_Alignas`).

use smallvec::{smallvec, SmallVec};

use super::declarators::{Declarator, Derivs};
use super::{PResult, Parser};
use crate::generator::cdef::ast::*;
use crate::generator::cdef::lexer::{Kw, Punct, TokenKind};

/// What a specifier list collected (pycparser's `_DeclSpec`).
#[derive(Clone, Debug, Default)]
pub(super) struct DeclSpec<'a> {
    pub(super) quals: QualList,
    pub(super) storage: SmallVec<[&'a str; 2]>,
    /// Type specifiers: names (keywords, typedef names) or one struct/union/enum.
    pub(super) types: SmallVec<[TypeSpecPart<'a>; 2]>,
    pub(super) start: Option<usize>,
}

#[derive(Clone, Debug)]
pub(super) enum TypeSpecPart<'a> {
    Name(&'a str, Span),
    Sue(SueId, Span),
}

impl<'a: 'n, 'n> Parser<'a, 'n> {
    pub(super) fn declaration_specifiers(&mut self, allow_no_type: bool) -> PResult<(DeclSpec<'a>, bool)> {
        self.specifiers(true, allow_no_type)
    }

    /// Declaration specifiers (`storage = true`) or a specifier-qualifier list.
    // test_ok specifiers_in_any_order
    // long unsigned int a(void);
    // const static unsigned short b;
    // extern _Atomic int c;
    // inline int d(int);
    // test_err two_kinds_of_type class-only
    // int struct s x;
    // test_err qualifier_without_type class-only
    // const x;
    fn specifiers(&mut self, storage: bool, allow_no_type: bool) -> PResult<(DeclSpec<'a>, bool)> {
        let mut spec = DeclSpec::default();
        let mut saw_type = false;
        let mut saw_any = false;
        let mut saw_alignment = false;
        while let Some(t) = self.peek() {
            if spec.start.is_none() {
                spec.start = Some(t.span.start);
            }
            match t.kind {
                TokenKind::Kw(Kw::Alignas) => {
                    self.alignas()?;
                    saw_alignment = true;
                }
                TokenKind::Kw(Kw::Atomic) if self.is_punct(1, Punct::LParen) => {
                    // `_Atomic(T)`: cffi ignores `_Atomic`; keep the inner type.
                    self.pos += 2;
                    let (inner, _) = self.specifiers(false, false)?;
                    let d = self.abstract_declarator_opt()?;
                    self.expect(Punct::RParen)?;
                    if !d.derivs.is_empty() {
                        return Err(
                            self.error_at("`_Atomic(...)` of a derived type is not supported", d.span)
                        );
                    }
                    spec.quals.extend(inner.quals);
                    spec.types.extend(inner.types);
                    saw_type = true;
                }
                TokenKind::Kw(k) if k.is_type_qualifier() => {
                    self.pos += 1;
                    spec.quals.push(match k {
                        Kw::Const => Qual::Const,
                        Kw::Volatile => Qual::Volatile,
                        Kw::Restrict => Qual::Restrict,
                        _ => Qual::Atomic,
                    });
                }
                TokenKind::Kw(k) if storage && (k.is_storage_class() || k.is_function_spec()) => {
                    self.pos += 1;
                    if k.is_storage_class() {
                        spec.storage.push(self.text(t));
                    }
                }
                TokenKind::Kw(k) if k.is_simple_type_spec() => {
                    self.pos += 1;
                    spec.types.push(TypeSpecPart::Name(self.text(t), t.span.clone()));
                    saw_type = true;
                }
                TokenKind::Ident if self.is_typeid(t) => {
                    if saw_type {
                        break;
                    }
                    self.pos += 1;
                    spec.types.push(TypeSpecPart::Name(self.text(t), t.span.clone()));
                    saw_type = true;
                }
                TokenKind::Kw(Kw::Struct | Kw::Union | Kw::Enum) => {
                    let (id, span) = self.sue_specifier()?;
                    spec.types.push(TypeSpecPart::Sue(id, span));
                    saw_type = true;
                }
                _ => break,
            }
            saw_any = true;
        }
        if !saw_any {
            if self.looks_like_unknown_type(0) {
                return Err(self.unknown_type_error(0));
            }
            return Err(if storage {
                self.error_here("expected a declaration")
            } else {
                self.error_here("expected a type")
            });
        }
        let type_ok = saw_type || allow_no_type || (!storage && saw_alignment);
        if !type_ok {
            if self.looks_like_unknown_type(0) {
                return Err(self.unknown_type_error(0));
            }
            return Err(self.error_here("missing type in declaration"));
        }
        Ok((spec, saw_type))
    }

    fn alignas(&mut self) -> PResult<()> {
        self.pos += 1;
        self.expect(Punct::LParen)?;
        if self.starts_declaration() {
            self.type_name()?;
        } else {
            self.conditional_expression()?;
        }
        self.expect(Punct::RParen)?;
        Ok(())
    }

    // test_ok struct_union_enum_specifiers
    // struct s;
    // struct s { int a; };
    // union u { int i; float f; };
    // enum e { A, B = 5, C };
    // struct { int x; } anonymous_variable;
    // test_err struct_without_name_or_body class-only
    // struct;
    fn sue_specifier(&mut self) -> PResult<(SueId, Span)> {
        let kw = self.advance()?;
        let kind = match kw.kind {
            TokenKind::Kw(Kw::Struct) => SueKind::Struct,
            TokenKind::Kw(Kw::Union) => SueKind::Union,
            _ => SueKind::Enum,
        };
        self.enter()?;
        let mut name = None;
        let mut span = kw.span.clone();
        if let Some(t) = self.peek().filter(|t| t.kind == TokenKind::Ident) {
            self.pos += 1;
            name = Some(self.text(t));
            if kind != SueKind::Enum {
                span = t.span.clone();
            }
        }
        let body = if self.is_punct(0, Punct::LBrace) {
            let brace = self.lbrace()?.span.clone();
            if name.is_none() && kind != SueKind::Enum {
                span = brace;
            }
            let body = match kind {
                SueKind::Enum => SueBody::Enumerators(self.enumerator_list()?),
                _ => SueBody::Fields(self.struct_declaration_list()?),
            };
            self.rbrace()?;
            body
        } else if name.is_none() {
            let what = if kind == SueKind::Enum { "enum" } else { "struct/union" };
            return Err(self.error_here(format!("expected a name or `{{` after `{what}`")));
        } else {
            SueBody::None
        };
        self.leave();
        let id = SueId(self.unit.sues.len());
        self.unit.sues.push(SueNode { kind, name, span: span.clone(), body });
        Ok((id, span))
    }

    // test_ok struct_members
    // struct s {
    //     int a, *b, c[3];
    //     unsigned flags : 3, : 0;
    //     union { int i; float f; };
    //     struct { int x, y; } point;
    // };
    // struct partial { int a; ...; };
    // test_err struct_member_without_name
    // struct s { int; };
    // test_err struct_pragma both-refuse
    // struct s {
    // #pragma pack(1)
    //     int a;
    // };
    fn struct_declaration_list(&mut self) -> PResult<Vec<Field<'a>>> {
        let mut fields = Vec::new();
        while !self.is_punct(0, Punct::RBrace) {
            let Some(t) = self.peek() else {
                return Err(self.error_at_end("expected `}` before the end of input"));
            };
            if t.is_punct(Punct::Semi) {
                self.pos += 1;
                continue;
            }
            if t.kind == TokenKind::Pragma {
                self.pos += 1;
                fields.push(Field::Pragma(t.span.clone()));
                continue;
            }
            if t.is_kw(Kw::Pragma) {
                let span = self.pragma_operator()?;
                fields.push(Field::Pragma(span));
                continue;
            }
            let (spec, _) = self.specifiers(false, false)?;
            if self.starts_declarator(false) || self.is_punct(0, Punct::Colon) {
                let mut list: SmallVec<[_; 1]> = smallvec![self.struct_declarator()?];
                while self.accept(Punct::Comma).is_some() {
                    list.push(self.struct_declarator()?);
                }
                self.expect(Punct::Semi)?;
                for (d, bits) in list {
                    fields.push(Field::Decl(self.make_decl(&spec, d, None, bits, false)?));
                }
                continue;
            }
            if spec.types.len() == 1 {
                // No declarator: `struct { ... };` (anonymous member), `...;`, `int;`.
                let node = match &spec.types[0] {
                    TypeSpecPart::Name(n, s) => Spec::Names(smallvec![(*n, s.clone())]),
                    TypeSpecPart::Sue(id, s) => Spec::Sue(*id, s.clone()),
                };
                let span = node.span();
                self.expect(Punct::Semi)?;
                fields.push(Field::Decl(Decl {
                    name: None,
                    span,
                    is_typedef: false,
                    storage: SmallVec::new(),
                    ty: TypeNode::Bare(node),
                    init: None,
                    bitsize: None,
                }));
                continue;
            }
            let span = spec.start.unwrap_or(0)..t.span.end;
            return Err(self.error_at("expected a member name", span));
        }
        Ok(fields)
    }

    fn struct_declarator(&mut self) -> PResult<(Declarator<'a>, Option<Expr<'a>>)> {
        if let Some(colon) = self.accept(Punct::Colon) {
            let bits = self.conditional_expression()?;
            let d = Declarator { name: None, derivs: Derivs::new(), span: colon.span.clone() };
            return Ok((d, Some(bits)));
        }
        let d = self.any_declarator(false, false)?;
        let bits =
            if self.accept(Punct::Colon).is_some() { Some(self.conditional_expression()?) } else { None };
        Ok((d, bits))
    }

    // test_ok enumerators
    // enum e { A, B = 2, C = B * 2, D = 'x', E = -1, F = 1 << 4, };
    // enum partial { X, Y = ..., ... };
    // test_err enum_without_enumerators class-only
    // enum e { };
    fn enumerator_list(&mut self) -> PResult<Vec<Enumerator<'a>>> {
        let mut list = vec![self.enumerator()?];
        while self.accept(Punct::Comma).is_some() {
            if self.is_punct(0, Punct::RBrace) {
                break;
            }
            list.push(self.enumerator()?);
        }
        Ok(list)
    }

    // test_err enumerator_is_a_type_name class-only
    // typedef int T;
    // enum e { T };
    fn enumerator(&mut self) -> PResult<Enumerator<'a>> {
        let t = match self.peek() {
            Some(t) if self.is_id(t) => self.advance()?,
            _ => return Err(self.error_here("expected an enumerator name")),
        };
        let name = self.text(t);
        let value =
            if self.accept(Punct::Eq).is_some() { Some(self.conditional_expression()?) } else { None };
        self.add_identifier(name, &t.span)?;
        Ok(Enumerator { name, value, span: t.span.clone() })
    }

    pub(super) fn type_name(&mut self) -> PResult<()> {
        let (_, _) = self.specifiers(false, false)?;
        self.abstract_declarator_opt()?;
        Ok(())
    }
}

/// A valid and an invalid example of each rule above, as the parser sees them.
#[cfg(test)]
mod tests {
    use super::super::testing::{err, ok};

    #[test]
    fn specifiers() {
        assert_eq!(ok("long unsigned int a(void);"), "a: fn(void) -> long unsigned int");
        assert_eq!(ok("const static unsigned short b;"), "static b: const unsigned short");
        // cffi ignores `_Atomic`: the inner type is kept.
        assert_eq!(ok("extern _Atomic(int) c;"), "extern c: int");
        assert_eq!(err("struct s { const; };"), "missing type in declaration, found `;` (at `;`)");
        assert_eq!(
            err("extern _Atomic(int *) c;"),
            "`_Atomic(...)` of a derived type is not supported (at `*`)"
        );
    }

    #[test]
    fn alignas() {
        assert_eq!(
            ok("struct t { _Alignas(int) char c; _Alignas(8) int d; };"),
            "struct t { c: char; d: int }"
        );
        assert_eq!(ok("_Alignas(8) int x;"), "x: int");
        assert_eq!(err("extern int _Alignas x;"), "expected `(`, found `x` (at `x`)");
    }

    #[test]
    fn sue_specifier() {
        assert_eq!(ok("union u { int i; float f; };"), "union u { i: int; f: float }");
        assert_eq!(ok("struct { int x; } anon;"), "anon: struct { x: int }");
        assert_eq!(err("struct;"), "expected a name or `{` after `struct/union`, found `;` (at `;`)");
        assert_eq!(err("enum;"), "expected a name or `{` after `enum`, found `;` (at `;`)");
    }

    #[test]
    fn struct_declaration_list() {
        assert_eq!(
            ok("struct s { int a, *b, c[3]; union { int i; float f; }; };"),
            "struct s { a: int; b: ptr to int; c: array[3] of int; union { i: int; f: float } }"
        );
        assert_eq!(ok("struct partial { int a; ...; };"), "struct partial { a: int; __dotdotdot__ }");
        assert_eq!(err("struct s { int a b; };"), "expected `;`, found `b` (at `b`)");
        assert_eq!(err("struct s { _Alignas(8) ; };"), "expected a member name (at `_Alignas`)");
        assert_eq!(err("struct s { int a"), "expected `;` before the end of input (at the end)");
    }

    #[test]
    fn struct_declarator() {
        assert_eq!(
            ok("struct s { unsigned flags : 3, : 0; };"),
            "struct s { flags: unsigned : 3; unsigned : 0 }"
        );
        assert_eq!(err("struct s { int a : ; };"), "expected an expression, found `;` (at `;`)");
    }

    #[test]
    fn enumerator_list() {
        assert_eq!(ok("enum e { A, B = 2, C = B * 2, };"), "enum e { A, B = 2, C = (B * 2) }");
        assert_eq!(
            ok("enum partial { X, Y = ..., ... };"),
            "enum partial { X, Y, __dotdotdot0__, __dotdotdot0__ }"
        );
        assert_eq!(err("enum { };"), "expected an enumerator name, found `}` (at `}`)");
    }

    #[test]
    fn enumerator() {
        assert_eq!(ok("enum e { A = -1 };"), "enum e { A = -1 }");
        assert_eq!(err("typedef int T; enum e { T };"), "expected an enumerator name, found `T` (at `T`)");
        assert_eq!(err("enum e { A = };"), "expected an expression, found `}` (at `}`)");
    }

    #[test]
    fn type_name() {
        assert_eq!(
            ok("int x = sizeof(int), z = _Alignof(long);"),
            "x: int = {sizeof(int)}\nz: int = {_Alignof(long)}"
        );
        assert_eq!(err("int x = _Alignof(1);"), "expected a type, found `1` (at `1`)");
    }
}
