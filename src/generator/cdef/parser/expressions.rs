//! C expressions, by precedence climbing as pycparser's grammar nests them. cffi
//! evaluates only integer arithmetic (array sizes, bitfield widths, enum values);
//! everything else C allows is parsed and kept as an opaque span.

use super::{PResult, Parser, SyntaxError, MAX_CHAIN};
use crate::generator::cdef::ast::*;
use crate::generator::cdef::lexer::{Kw, Punct, TokenKind};

impl<'a: 'n, 'n> Parser<'a, 'n> {
    pub(super) fn starts_expression(&self) -> bool {
        let Some(t) = self.peek() else { return false };
        match t.kind {
            TokenKind::Ident => self.is_id(t),
            TokenKind::Int | TokenKind::Float | TokenKind::Char | TokenKind::Str | TokenKind::WStr => true,
            TokenKind::Kw(k) => matches!(k, Kw::Sizeof | Kw::Alignof | Kw::Offsetof),
            TokenKind::Punct(p) => matches!(
                p,
                Punct::LParen
                    | Punct::PlusPlus
                    | Punct::MinusMinus
                    | Punct::Plus
                    | Punct::Minus
                    | Punct::Star
                    | Punct::Amp
                    | Punct::Tilde
                    | Punct::Bang
            ),
            TokenKind::Pragma => false,
        }
    }

    pub(super) fn expression(&mut self) -> PResult<Expr<'a>> {
        let first = self.assignment_expression()?;
        if !self.is_punct(0, Punct::Comma) {
            return Ok(first);
        }
        let mut end = first.span().end;
        while self.accept(Punct::Comma).is_some() {
            end = self.assignment_expression()?.span().end;
        }
        Ok(Expr::Other { span: first.span().start..end })
    }

    pub(super) fn assignment_expression(&mut self) -> PResult<Expr<'a>> {
        self.enter()?;
        let result = self.assignment_expression_inner();
        self.leave();
        result
    }

    fn assignment_expression_inner(&mut self) -> PResult<Expr<'a>> {
        if self.is_punct(0, Punct::LParen) && self.is_punct(1, Punct::LBrace) {
            // GNU statement expression `({ ... })`.
            let start = self.advance()?.span.start;
            self.compound_statement()?;
            let end = self.expect(Punct::RParen)?.span.end;
            return Ok(Expr::Other { span: start..end });
        }
        let e = self.conditional_expression()?;
        let is_assign = self.peek().is_some_and(|t| {
            matches!(
                t.kind,
                TokenKind::Punct(
                    Punct::Eq
                        | Punct::CaretEq
                        | Punct::StarEq
                        | Punct::SlashEq
                        | Punct::PercentEq
                        | Punct::PlusEq
                        | Punct::MinusEq
                        | Punct::LShiftEq
                        | Punct::RShiftEq
                        | Punct::AmpEq
                        | Punct::PipeEq
                )
            )
        });
        if is_assign {
            self.pos += 1;
            let rhs = self.assignment_expression()?;
            return Ok(Expr::Other { span: e.span().start..rhs.span().end });
        }
        Ok(e)
    }

    pub(super) fn conditional_expression(&mut self) -> PResult<Expr<'a>> {
        self.enter()?;
        let cond = self.binary_expression(0)?;
        let result = if self.accept(Punct::Question).is_some() {
            self.expression()?;
            self.expect(Punct::Colon)?;
            let no = self.conditional_expression()?;
            Ok(Expr::Other { span: cond.span().start..no.span().end })
        } else {
            Ok(cond)
        };
        self.leave();
        result
    }

    fn binary_op(&self) -> Option<(BinOp, u8)> {
        let TokenKind::Punct(p) = self.peek()?.kind else { return None };
        Some(match p {
            Punct::OrOr => (BinOp::Other, 0),
            Punct::AndAnd => (BinOp::Other, 1),
            Punct::Pipe => (BinOp::BitOr, 2),
            Punct::Caret => (BinOp::BitXor, 3),
            Punct::Amp => (BinOp::BitAnd, 4),
            Punct::EqEq | Punct::Ne => (BinOp::Other, 5),
            Punct::Gt | Punct::Ge | Punct::Lt | Punct::Le => (BinOp::Other, 6),
            Punct::RShift => (BinOp::Shr, 7),
            Punct::LShift => (BinOp::Shl, 7),
            Punct::Plus => (BinOp::Add, 8),
            Punct::Minus => (BinOp::Sub, 8),
            Punct::Star => (BinOp::Mul, 9),
            Punct::Slash => (BinOp::Div, 9),
            Punct::Percent => (BinOp::Mod, 9),
            _ => return None,
        })
    }

    /// Precedence climbing, left-associative, like pycparser's.
    // test_ok constant_expressions
    // enum e { A = 1 + 2 * 3, B = (A << 2) | 1, C = 7 / 2, D = -7 % 3, E = 0x0F & 6 ^ 3 };
    // test_err constant_expression_unsupported_operator
    // enum e { A = 1 == 1 };
    // test_err constant_expression_division_by_zero
    // enum e { A = 1 / 0 };
    fn binary_expression(&mut self, min_prec: u8) -> PResult<Expr<'a>> {
        self.enter()?;
        let mut lhs = self.cast_expression()?;
        let mut chain = 0;
        while let Some((op, prec)) = self.binary_op() {
            if prec < min_prec {
                break;
            }
            chain += 1;
            if chain > MAX_CHAIN {
                return Err(Box::new(SyntaxError {
                    message: format!("expression with more than {MAX_CHAIN} operators"),
                    span: lhs.span(),
                    help: Some(
                        "split the expression; cffi-forge limits its length to keep evaluation safe".into(),
                    ),
                    before: None,
                    pycparser: None,
                }));
            }
            self.pos += 1;
            let rhs = self.binary_expression(prec + 1)?;
            let span = lhs.span().start..rhs.span().end;
            lhs = Expr::Binary { op, left: Box::new(lhs), right: Box::new(rhs), span };
        }
        self.leave();
        Ok(lhs)
    }

    /// `( type-name )` if the tokens here are one; restores the position otherwise.
    fn try_paren_type_name(&mut self) -> PResult<Option<usize>> {
        if !self.is_punct(0, Punct::LParen)
            || !self.peek_at(1).is_some_and(|t| self.starts_declaration_tok(t))
        {
            return Ok(None);
        }
        let mark = self.pos;
        let scopes = self.scopes.len();
        self.pos += 1;
        self.type_name()?;
        if self.accept(Punct::RParen).is_none() {
            self.pos = mark;
            self.scopes.truncate(scopes);
            self.classified.set(None);
            return Ok(None);
        }
        Ok(Some(mark))
    }

    fn cast_expression(&mut self) -> PResult<Expr<'a>> {
        self.enter()?;
        let start = self.peek().map_or(self.end_offset(), |t| t.span.start);
        let result = match self.try_paren_type_name()? {
            Some(_) if !self.is_punct(0, Punct::LBrace) => {
                let e = self.cast_expression()?;
                Ok(Expr::Other { span: start..e.span().end })
            }
            Some(mark) => {
                self.pos = mark;
                self.unary_expression()
            }
            None => self.unary_expression(),
        };
        self.leave();
        result
    }

    fn unary_expression(&mut self) -> PResult<Expr<'a>> {
        self.enter()?;
        let t = self.peek().ok_or_else(|| self.error_at_end("expected an expression"))?;
        let start = t.span.start;
        let result = match t.kind {
            TokenKind::Punct(Punct::PlusPlus | Punct::MinusMinus) => {
                self.pos += 1;
                let e = self.unary_expression()?;
                Ok(Expr::Unary { op: UnOp::Other, span: start..e.span().end, expr: Box::new(e) })
            }
            TokenKind::Punct(
                p @ (Punct::Amp | Punct::Star | Punct::Plus | Punct::Minus | Punct::Tilde | Punct::Bang),
            ) => {
                self.pos += 1;
                let e = self.cast_expression()?;
                let op = match p {
                    Punct::Plus => UnOp::Plus,
                    Punct::Minus => UnOp::Minus,
                    _ => UnOp::Other,
                };
                Ok(Expr::Unary { op, span: start..e.span().end, expr: Box::new(e) })
            }
            TokenKind::Kw(Kw::Sizeof) => {
                self.pos += 1;
                if self.try_paren_type_name()?.is_some() {
                    Ok(Expr::Other { span: start..self.toks[self.pos - 1].span.end })
                } else {
                    let e = self.unary_expression()?;
                    Ok(Expr::Other { span: start..e.span().end })
                }
            }
            TokenKind::Kw(Kw::Alignof) => {
                self.pos += 1;
                self.expect(Punct::LParen)?;
                self.type_name()?;
                let end = self.expect(Punct::RParen)?.span.end;
                Ok(Expr::Other { span: start..end })
            }
            _ => self.postfix_expression(),
        };
        self.leave();
        result
    }

    fn postfix_expression(&mut self) -> PResult<Expr<'a>> {
        let start = self.peek().map_or(self.end_offset(), |t| t.span.start);
        if let Some(mark) = self.try_paren_type_name()? {
            if self.is_punct(0, Punct::LBrace) {
                let span = self.initializer_list()?;
                return Ok(Expr::Other { span: start..span.end });
            }
            self.pos = mark;
        }
        let mut e = self.primary_expression()?;
        loop {
            if self.accept(Punct::LBracket).is_some() {
                self.expression()?;
                let end = self.expect(Punct::RBracket)?.span.end;
                e = Expr::Other { span: start..end };
            } else if self.accept(Punct::LParen).is_some() {
                if self.accept(Punct::RParen).is_none() {
                    self.assignment_expression()?;
                    while self.accept(Punct::Comma).is_some() {
                        self.assignment_expression()?;
                    }
                    self.expect(Punct::RParen)?;
                }
                e = Expr::Other { span: start..self.toks[self.pos - 1].span.end };
            } else if self.is_punct(0, Punct::Period) || self.is_punct(0, Punct::Arrow) {
                self.pos += 1;
                let t = self.advance()?;
                if t.kind != TokenKind::Ident {
                    return Err(self.error_at("expected a member name", t.span.clone()));
                }
                e = Expr::Other { span: start..t.span.end };
            } else if self.is_punct(0, Punct::PlusPlus) || self.is_punct(0, Punct::MinusMinus) {
                let t = self.advance()?;
                e = Expr::Other { span: start..t.span.end };
            } else {
                return Ok(e);
            }
        }
    }

    // test_err expression_sizeof
    // extern int a[sizeof(int)];
    // test_err expression_unknown_name
    // enum e { A = UNKNOWN };
    fn primary_expression(&mut self) -> PResult<Expr<'a>> {
        let Some(t) = self.peek() else {
            return Err(self.error_at_end("expected an expression before the end of input"));
        };
        match t.kind {
            TokenKind::Ident if self.is_id(t) => {
                self.pos += 1;
                Ok(Expr::Id { name: self.text(t), span: t.span.clone() })
            }
            TokenKind::Int | TokenKind::Float | TokenKind::Char => {
                self.pos += 1;
                Ok(Expr::Const { text: self.text(t), span: t.span.clone() })
            }
            TokenKind::Str => {
                let span = self.string_literal()?;
                Ok(Expr::Const { text: &self.src[span.clone()], span })
            }
            TokenKind::WStr => {
                let start = t.span.start;
                while self.peek().is_some_and(|t| t.kind == TokenKind::WStr) {
                    self.pos += 1;
                }
                let span = start..self.toks[self.pos - 1].span.end;
                Ok(Expr::Const { text: &self.src[span.clone()], span })
            }
            TokenKind::Punct(Punct::LParen) => {
                self.pos += 1;
                let e = self.expression()?;
                self.expect(Punct::RParen)?;
                Ok(e)
            }
            TokenKind::Kw(Kw::Offsetof) => {
                let start = t.span.start;
                self.pos += 1;
                self.expect(Punct::LParen)?;
                self.type_name()?;
                self.expect(Punct::Comma)?;
                match self.peek() {
                    Some(t) if t.kind == TokenKind::Ident => self.pos += 1,
                    _ => return Err(self.error_here("expected a member name")),
                }
                loop {
                    if self.accept(Punct::Period).is_some() {
                        match self.peek() {
                            Some(t) if t.kind == TokenKind::Ident => self.pos += 1,
                            _ => return Err(self.error_here("expected a member name")),
                        }
                    } else if self.accept(Punct::LBracket).is_some() {
                        self.expression()?;
                        self.expect(Punct::RBracket)?;
                    } else {
                        break;
                    }
                }
                let end = self.expect(Punct::RParen)?.span.end;
                Ok(Expr::Other { span: start..end })
            }
            _ => Err(self.error_here("expected an expression")),
        }
    }
}

/// A valid and an invalid example of each rule above, as the parser sees them.
/// Expressions cffi cannot evaluate are shown as written, in braces.
#[cfg(test)]
mod tests {
    use super::super::testing::{err, ok};

    #[test]
    fn expression() {
        assert_eq!(ok("int x = (1, 2);"), "x: int = {1, 2}");
        assert_eq!(err("int x = (1, 2;"), "expected `)`, found `;` (at `;`)");
    }

    #[test]
    fn assignment_expression() {
        assert_eq!(ok("int x = a = 2;"), "x: int = {a = 2}");
        assert_eq!(ok("int v = ({ 1; });"), "v: int = {({ 1; })}");
        assert_eq!(err("int x = 1 = 2 +;"), "expected an expression, found `;` (at `;`)");
    }

    #[test]
    fn conditional_expression() {
        assert_eq!(ok("enum e { E = A ? 1 : 2 };"), "enum e { E = {A ? 1 : 2} }");
        assert_eq!(err("enum e { A = 1 ? 2 };"), "expected `:`, found `}` (at `}`)");
    }

    #[test]
    fn binary_expression() {
        // Left-associative, `*` above `+` above `<<` above `|`.
        assert_eq!(
            ok("enum e { A = 1 + 2 * 3, B = (A << 2) | 1, C = 7 / 2 - -1, D = A == 1 };"),
            "enum e { A = (1 + (2 * 3)), B = ((A << 2) | 1), C = ((7 / 2) - -1), D = {A == 1} }"
        );
        assert_eq!(err("enum e { A = 1 + };"), "expected an expression, found `}` (at `}`)");
        let chain = |n: usize| format!("enum e {{ A = {} }};", vec!["1"; n + 1].join("+"));
        assert!(ok(&chain(1000)).starts_with("enum e { A = "));
        assert!(err(&chain(1001)).starts_with("expression with more than 1000 operators"));
    }

    #[test]
    fn cast_expression() {
        assert_eq!(ok("int w = (int)(char)1;"), "w: int = {(int)(char)1}");
        assert_eq!(err("int a = (int;"), "expected an expression, found `int` (at `int`)");
    }

    #[test]
    fn unary_expression() {
        assert_eq!(ok("enum e { G = ~1, H = -+1 };"), "enum e { G = {~1}, H = -+1 }");
        assert_eq!(ok("int y = sizeof x;"), "y: int = {sizeof x}");
        assert_eq!(err("enum e { A = sizeof };"), "expected an expression, found `}` (at `}`)");
        assert_eq!(err("int x = _Alignof 1;"), "expected `(`, found `1` (at `1`)");
    }

    #[test]
    fn postfix_expression() {
        assert_eq!(ok("int a = b->c[1](2, 3)++;"), "a: int = {b->c[1](2, 3)++}");
        assert_eq!(ok("int w = (struct p){ 1 };"), "w: int = {(struct p){ 1 }}");
        assert_eq!(err("int a = b->;"), "expected a member name (at `;`)");
        // As in pycparser (checked against cffi 2.0), nothing may follow a compound literal.
        assert_eq!(err("int w = (struct p){ 1 }.x;"), "expected `;`, found `.` (at `.`)");
    }

    #[test]
    fn primary_expression() {
        assert_eq!(ok("int o = offsetof(struct p, x.y[2]);"), "o: int = {offsetof(struct p, x.y[2])}");
        assert_eq!(ok("enum e { A = 'x', B = 0x10 };"), "enum e { A = 'x', B = 0x10 }");
        assert_eq!(err("enum e { A = (1 };"), "expected `)`, found `}` (at `}`)");
        assert_eq!(err("int o = offsetof(struct p, 3);"), "expected a member name, found `3` (at `3`)");
    }

    #[test]
    fn nesting_is_bounded() {
        let parens = |n: usize| format!("int x[{}1{}];", "(".repeat(n), ")".repeat(n));
        assert_eq!(ok(&parens(10)), "x: array[1] of int");
        assert_eq!(err(&parens(250)), "nesting deeper than 200 levels (at `(`)");
    }
}
