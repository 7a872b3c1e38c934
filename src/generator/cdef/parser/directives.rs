//! What C allows besides declarations at the top level and in structs: `#pragma`
//! lines (whole tokens from the lexer), `_Pragma("...")` and
//! `_Static_assert(expr, "...")`, and the string literals they take.

use super::{PResult, Parser};
use crate::generator::cdef::ast::Span;
use crate::generator::cdef::lexer::{Punct, TokenKind};

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

/// A valid and an invalid example of each rule above, as the parser sees them.
#[cfg(test)]
mod tests {
    use super::super::testing::{err, ok};

    #[test]
    fn pragma_lines() {
        assert_eq!(ok("#pragma pack(1)\nint a;"), "pragma\na: int");
        assert_eq!(ok("struct s {\n#pragma pack(1)\nint a; };"), "struct s { pragma; a: int }");
        assert_eq!(
            err("struct s { #pragma pack(1)\nint a; }"),
            "expected `;` before the end of input (at the end)"
        );
    }

    #[test]
    fn pragma_operator() {
        assert_eq!(ok("_Pragma(\"once\") int a;"), "pragma\na: int");
        assert_eq!(err("_Pragma(once)"), "expected a string literal, found `once` (at `once`)");
    }

    #[test]
    fn static_assert() {
        assert_eq!(ok("_Static_assert(1, \"x\" \"y\");"), "static assertion");
        assert_eq!(ok("_Static_assert(1);"), "static assertion");
        assert_eq!(err("_Static_assert(1 \"x\");"), "expected `)`, found `\"x\"` (at `\"x\"`)");
    }

    #[test]
    fn string_literal() {
        assert_eq!(err("_Static_assert(1, 2);"), "expected a string literal, found `2` (at `2`)");
    }
}
