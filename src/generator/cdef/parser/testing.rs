//! Helpers for the grammar's unit tests: run the lexer, cffi's rewrites and the
//! parser on a snippet, and show the syntax tree (or the syntax error) as short text
//! a test can compare: `x: ptr to array[3] of const int`.

use std::fmt::Write;

use super::{Parser, SyntaxError};
use crate::generator::cdef::ast::*;
use crate::generator::cdef::{lexer, rewrite};

/// The parse of `src`, one line per item; panics on a syntax error.
pub(super) fn ok(src: &str) -> String {
    match parse(src, |unit| Tree { src, unit }.items()) {
        Ok(shown) => shown,
        Err(e) => panic!("{src:?} should parse, got: {}", shown_error(src, &e)),
    }
}

/// The syntax error of `src`: its message and the text it points at; panics if
/// `src` parses.
pub(super) fn err(src: &str) -> String {
    match parse(src, |_| ()) {
        Ok(()) => panic!("{src:?} should be a syntax error"),
        Err(e) => shown_error(src, &e),
    }
}

fn parse<R>(src: &str, show: impl FnOnce(&Unit<'_>) -> R) -> Result<R, Box<SyntaxError>> {
    let lexed = lexer::lex(src).unwrap_or_else(|e| panic!("{src:?}: lexer error {}", e.message));
    let tokens = rewrite::rewrite(lexed.tokens, src).unwrap_or_else(|e| panic!("{src:?}: {}", e.message));
    // The names the front end declares before parsing (see `cdef::parse_one`).
    let typedefs = rewrite::common_type_names(&tokens, src, false).into_iter().chain([
        rewrite::DOTDOTDOT,
        rewrite::DOTDOTDOT_INT,
        rewrite::DOTDOTDOT_FLOAT,
    ]);
    let unit = Parser::new(src, &tokens, typedefs).parse_unit()?;
    Ok(show(&unit))
}

fn shown_error(src: &str, e: &SyntaxError) -> String {
    match src.get(e.span.clone()) {
        Some("") | None => format!("{} (at the end)", e.message),
        Some(text) => format!("{} (at `{text}`)", e.message),
    }
}

struct Tree<'s, 'u, 'a> {
    src: &'s str,
    unit: &'u Unit<'a>,
}

impl Tree<'_, '_, '_> {
    fn items(&self) -> String {
        let mut out = Vec::new();
        for item in &self.unit.items {
            out.push(match item {
                Item::Decl(d) => self.decl(d),
                Item::FuncDef { .. } => "function definition".into(),
                Item::StaticAssert { .. } => "static assertion".into(),
                Item::Pragma { .. } => "pragma".into(),
            });
        }
        out.join("\n")
    }

    fn decl(&self, d: &Decl<'_>) -> String {
        let mut s = String::new();
        if d.is_typedef {
            s.push_str("typedef ");
        }
        for storage in &d.storage {
            let _ = write!(s, "{storage} ");
        }
        if let Some(name) = d.name {
            let _ = write!(s, "{name}: ");
        }
        s.push_str(&self.ty(&d.ty));
        if let Some(bits) = &d.bitsize {
            let _ = write!(s, " : {}", self.expr(bits));
        }
        match &d.init {
            Some(Init::Expr(e)) => {
                let _ = write!(s, " = {}", self.expr(e));
            }
            Some(Init::List) => s.push_str(" = {...}"),
            None => {}
        }
        s
    }

    fn ty(&self, t: &TypeNode<'_>) -> String {
        match t {
            TypeNode::TypeDecl { quals, spec, .. } => format!("{}{}", Self::quals(quals), self.spec(spec)),
            TypeNode::Ptr { quals, to } => format!("{}ptr to {}", Self::quals(quals), self.ty(to)),
            TypeNode::Array { dim, item } => {
                let dim = dim.as_ref().map(|e| self.expr(e)).unwrap_or_default();
                format!("array[{dim}] of {}", self.ty(item))
            }
            TypeNode::Func { params, result, .. } => {
                let params = params.as_deref().unwrap_or_default();
                let params: Vec<String> = params
                    .iter()
                    .map(|p| match p {
                        Param::Typed { ty } => self.ty(ty),
                        Param::Ident { name, .. } => format!("{name}?"),
                    })
                    .collect();
                format!("fn({}) -> {}", params.join(", "), self.ty(result))
            }
            TypeNode::Bare(spec) => self.spec(spec),
        }
    }

    fn quals(quals: &[Qual]) -> String {
        quals.iter().map(|q| format!("{} ", format!("{q:?}").to_lowercase())).collect()
    }

    fn spec(&self, spec: &Spec<'_>) -> String {
        match spec {
            Spec::Names(names) => names.iter().map(|n| n.0).collect::<Vec<_>>().join(" "),
            Spec::Sue(id, _) => {
                let node = &self.unit.sues[id.0];
                let mut s = format!("{:?}", node.kind).to_lowercase();
                if let Some(name) = node.name {
                    let _ = write!(s, " {name}");
                }
                match &node.body {
                    SueBody::None => {}
                    SueBody::Fields(fields) => {
                        let fields: Vec<String> = fields
                            .iter()
                            .map(|f| match f {
                                Field::Decl(d) => self.decl(d),
                                Field::Pragma(_) => "pragma".into(),
                            })
                            .collect();
                        let _ = write!(s, " {{ {} }}", fields.join("; "));
                    }
                    SueBody::Enumerators(list) => {
                        let list: Vec<String> = list
                            .iter()
                            .map(|e| match &e.value {
                                Some(v) => format!("{} = {}", e.name, self.expr(v)),
                                None => e.name.to_string(),
                            })
                            .collect();
                        let _ = write!(s, " {{ {} }}", list.join(", "));
                    }
                }
                s
            }
        }
    }

    /// What cffi can evaluate, structured; anything else as written, in braces.
    fn expr(&self, e: &Expr<'_>) -> String {
        match e {
            Expr::Const { text, .. } => text.to_string(),
            Expr::Id { name, .. } => name.to_string(),
            Expr::Unary { op: UnOp::Plus, expr, .. } => format!("+{}", self.expr(expr)),
            Expr::Unary { op: UnOp::Minus, expr, .. } => format!("-{}", self.expr(expr)),
            Expr::Binary { op, left, right, span } => match binop(*op) {
                Some(op) => format!("({} {op} {})", self.expr(left), self.expr(right)),
                None => format!("{{{}}}", &self.src[span.clone()]),
            },
            Expr::Unary { span, .. } | Expr::Other { span } => format!("{{{}}}", &self.src[span.clone()]),
        }
    }
}

fn binop(op: BinOp) -> Option<&'static str> {
    Some(match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::Mod => "%",
        BinOp::Shl => "<<",
        BinOp::Shr => ">>",
        BinOp::BitAnd => "&",
        BinOp::BitOr => "|",
        BinOp::BitXor => "^",
        BinOp::Other => return None,
    })
}

/// The helpers themselves: a tree and an error as the tests see them.
#[test]
fn shows_trees_and_errors() {
    assert_eq!(ok("typedef const char *name_t[2];"), "typedef name_t: array[2] of ptr to const char");
    assert_eq!(err("int f(;"), "expected a parameter, found `;` (at `;`)");
}
