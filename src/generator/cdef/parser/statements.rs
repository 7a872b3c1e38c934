//! Function bodies, `{ ... }`. cdef() refuses function definitions, but pycparser
//! parses the body first, so its syntax errors come first and are found here.

use super::{PResult, Parser};
use crate::generator::cdef::lexer::{Kw, Punct, TokenKind};

impl<'a: 'n, 'n> Parser<'a, 'n> {
    /// A function body, `{ ... }`: parsed (so syntax errors are found where
    /// pycparser finds them), then dropped, since cdef() refuses it anyway.
    // test_err function_body_syntax_error class-only
    // int f(void) { return (1; }
    pub(super) fn compound_statement(&mut self) -> PResult<usize> {
        self.enter()?;
        self.lbrace()?;
        while !self.is_punct(0, Punct::RBrace) {
            if self.peek().is_none() {
                return Err(self.error_at_end("expected `}` before the end of input"));
            }
            if self.starts_declaration() {
                let (spec, saw_type) = self.declaration_specifiers(true)?;
                self.decl_body_with_spec(spec, saw_type)?;
                self.expect(Punct::Semi)?;
            } else {
                self.statement()?;
            }
        }
        let end = self.rbrace()?.span.end;
        self.leave();
        Ok(end)
    }

    fn starts_statement(&self) -> bool {
        let Some(t) = self.peek() else { return false };
        let keyword = matches!(
            t.kind,
            TokenKind::Kw(
                Kw::If
                    | Kw::Switch
                    | Kw::While
                    | Kw::Do
                    | Kw::For
                    | Kw::Goto
                    | Kw::Break
                    | Kw::Continue
                    | Kw::Return
                    | Kw::Case
                    | Kw::Default
                    | Kw::Pragma
                    | Kw::StaticAssert
            )
        );
        keyword
            || t.kind == TokenKind::Pragma
            || t.is_punct(Punct::LBrace)
            || t.is_punct(Punct::Semi)
            || self.starts_expression()
    }

    fn statement(&mut self) -> PResult<()> {
        self.enter()?;
        let t = self.peek().ok_or_else(|| self.error_at_end("expected a statement"))?;
        match t.kind {
            TokenKind::Kw(Kw::Case | Kw::Default) => {
                self.pos += 1;
                if t.is_kw(Kw::Case) {
                    self.conditional_expression()?;
                }
                self.expect(Punct::Colon)?;
                if self.starts_statement() {
                    self.statement()?;
                }
            }
            TokenKind::Ident if self.is_id(t) && self.is_punct(1, Punct::Colon) => {
                self.pos += 2;
                if self.starts_statement() {
                    self.statement()?;
                }
            }
            TokenKind::Punct(Punct::LBrace) => {
                self.compound_statement()?;
            }
            TokenKind::Kw(Kw::If | Kw::Switch | Kw::While) => {
                self.pos += 1;
                self.expect(Punct::LParen)?;
                self.expression()?;
                self.expect(Punct::RParen)?;
                self.statement()?;
                if t.is_kw(Kw::If) && self.peek().is_some_and(|e| e.is_kw(Kw::Else)) {
                    self.pos += 1;
                    self.statement()?;
                }
            }
            TokenKind::Kw(Kw::Do) => {
                self.pos += 1;
                self.statement()?;
                if !self.peek().is_some_and(|w| w.is_kw(Kw::While)) {
                    return Err(self.error_here("expected `while`"));
                }
                self.pos += 1;
                self.expect(Punct::LParen)?;
                self.expression()?;
                self.expect(Punct::RParen)?;
                self.expect(Punct::Semi)?;
            }
            TokenKind::Kw(Kw::For) => {
                self.pos += 1;
                self.expect(Punct::LParen)?;
                if self.starts_declaration() {
                    let (spec, saw_type) = self.declaration_specifiers(true)?;
                    self.decl_body_with_spec(spec, saw_type)?;
                } else if self.starts_expression() {
                    self.expression()?;
                }
                self.expect(Punct::Semi)?;
                if self.starts_expression() {
                    self.expression()?;
                }
                self.expect(Punct::Semi)?;
                if self.starts_expression() {
                    self.expression()?;
                }
                self.expect(Punct::RParen)?;
                self.statement()?;
            }
            TokenKind::Kw(Kw::Goto) => {
                self.pos += 1;
                match self.peek() {
                    Some(n) if self.is_id(n) => self.pos += 1,
                    _ => return Err(self.error_here("expected a label")),
                }
                self.expect(Punct::Semi)?;
            }
            TokenKind::Kw(Kw::Break | Kw::Continue) => {
                self.pos += 1;
                self.expect(Punct::Semi)?;
            }
            TokenKind::Kw(Kw::Return) => {
                self.pos += 1;
                if self.accept(Punct::Semi).is_none() {
                    self.expression()?;
                    self.expect(Punct::Semi)?;
                }
            }
            TokenKind::Pragma => self.pos += 1,
            TokenKind::Kw(Kw::Pragma) => {
                self.pragma_operator()?;
            }
            TokenKind::Kw(Kw::StaticAssert) => {
                self.static_assert()?;
            }
            _ => {
                if self.starts_expression() {
                    self.expression()?;
                }
                self.expect(Punct::Semi)?;
            }
        }
        self.leave();
        Ok(())
    }
}

/// A valid and an invalid example of each rule above, as the parser sees them.
#[cfg(test)]
mod tests {
    use super::super::testing::{err, ok};

    #[test]
    fn compound_statement() {
        assert_eq!(ok("int f(void) { int a = 1; { a += 2; } }"), "function definition");
        assert_eq!(err("int f(void) {"), "expected `}` before the end of input (at the end)");
        assert_eq!(err("int f(void) { return (1; }"), "expected `)`, found `;` (at `;`)");
    }

    #[test]
    fn statement() {
        assert_eq!(
            ok("int f(void) { if (a) a--; else { a = f(); } while (0) ; do ; while (0); \
                for (int i = 0; i < 3; i++) continue; switch (a) { case 1: break; default: ; } \
                lab: goto lab; return a, a; }"),
            "function definition"
        );
        assert_eq!(err("int f(void) { do ; 1; }"), "expected `while`, found `1` (at `1`)");
        assert_eq!(err("int f(void) { goto 3; }"), "expected a label, found `3` (at `3`)");
        assert_eq!(err("int f(void) { if 1; }"), "expected `(`, found `1` (at `1`)");
        assert_eq!(err("int f(void) { for (;;) }"), "expected `;`, found `}` (at `}`)");
        assert_eq!(err("int f(void) { case: ; }"), "expected an expression, found `:` (at `:`)");
    }
}
