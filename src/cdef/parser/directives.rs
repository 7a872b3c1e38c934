//! What C allows besides declarations at the top level and in structs: `#pragma`
//! lines (whole tokens from the lexer), `_Pragma("...")` and
//! `_Static_assert(expr, "...")`, and the string literals they take.

use super::{PResult, Parser};
use crate::cdef::ast::Span;
use crate::cdef::lexer::{Punct, TokenKind};

impl<'a: 'n, 'n> Parser<'a, 'n> {
    pub(super) fn static_assert(&mut self) -> PResult<Span> {
        let start = self.advance()?.span.start;
        self.expect(Punct::LParen)?;
        self.conditional_expression()?;
        if self.accept(Punct::Comma).is_some() {
            self.string_literal()?;
        }
        let end = self.expect(Punct::RParen)?.span.end;
        Ok(start..end)
    }

    pub(super) fn pragma_operator(&mut self) -> PResult<Span> {
        let start = self.advance()?.span.start;
        self.expect(Punct::LParen)?;
        self.string_literal()?;
        let end = self.expect(Punct::RParen)?.span.end;
        Ok(start..end)
    }

    pub(super) fn string_literal(&mut self) -> PResult<Span> {
        let first = match self.peek() {
            Some(t) if t.kind == TokenKind::Str => self.advance()?.span.clone(),
            _ => return Err(self.error_here("expected a string literal")),
        };
        let mut end = first.end;
        while self.peek().is_some_and(|t| t.kind == TokenKind::Str) {
            end = self.advance()?.span.end;
        }
        Ok(first.start..end)
    }
}
