//! Syntax tree of one cdef, shaped like the pycparser tree cffi walks (a declaration
//! has a chain of pointer / array / function nodes ending in the base type), so the
//! meaning can be assigned exactly as cffi's `cparser.Parser` does.

use std::ops::Range;

pub type Span = Range<usize>;

/// Index of a struct/union/enum specifier in [`Unit::sues`]. Several declarators of
/// one declaration share the node (`typedef struct { } a, *b;`), which matters for
/// naming anonymous structs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SueId(pub usize);

/// A parsed cdef.
#[derive(Clone, Debug, Default)]
pub struct Unit {
    pub items: Vec<Item>,
    pub sues: Vec<SueNode>,
}

#[derive(Clone, Debug)]
pub enum Item {
    /// A declaration or typedef.
    Decl(Decl),
    /// A function body: valid C, not valid in cdef().
    FuncDef { span: Span },
    /// `_Static_assert(...)`: valid C, not valid in cdef().
    StaticAssert { span: Span },
    /// `#pragma` / `_Pragma(...)`: ignored with a warning.
    Pragma { span: Span },
}

/// One declarator with its specifiers (pycparser's `Decl` / `Typedef`).
#[derive(Clone, Debug)]
pub struct Decl {
    pub name: Option<String>,
    /// Where the declaration is reported (the declarator name, else the type).
    pub span: Span,
    pub is_typedef: bool,
    /// Storage classes written (`extern`, `static`, ...), `typedef` excluded.
    pub storage: Vec<String>,
    pub ty: TypeNode,
    pub init: Option<Init>,
    pub bitsize: Option<Expr>,
}

/// A type qualifier as written. `__stdcall` becomes `volatile volatile const`, as
/// in cffi, so order matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Qual {
    Const,
    Volatile,
    Restrict,
    Atomic,
}

#[derive(Clone, Debug)]
pub enum TypeNode {
    /// The base of a declarator chain: qualifiers and type specifiers.
    TypeDecl {
        quals: Vec<Qual>,
        spec: Spec,
        span: Span,
    },
    Ptr {
        quals: Vec<Qual>,
        to: Box<TypeNode>,
    },
    Array {
        dim: Option<Expr>,
        item: Box<TypeNode>,
    },
    Func {
        params: Option<Vec<Param>>,
        result: Box<TypeNode>,
        span: Span,
    },
    /// A specifier with no declarator at all: `struct foo { ... };`, `...;` and
    /// `int;` inside a struct.
    Bare(Spec),
}

impl TypeNode {
    /// The qualifiers of this node, if it has any (`TypeDecl` and `Ptr`).
    pub fn quals(&self) -> Option<&[Qual]> {
        match self {
            TypeNode::TypeDecl { quals, .. } | TypeNode::Ptr { quals, .. } => Some(quals),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub enum Spec {
    /// Keyword and typedef names (pycparser's `IdentifierType`), as written.
    Names(Vec<(String, Span)>),
    Sue(SueId, Span),
}

impl Spec {
    pub fn span(&self) -> Span {
        match self {
            Spec::Names(names) => {
                let start = names.first().map_or(0, |n| n.1.start);
                let end = names.last().map_or(start, |n| n.1.end);
                start..end
            }
            Spec::Sue(_, span) => span.clone(),
        }
    }
}

#[derive(Clone, Debug)]
pub enum Param {
    /// A parameter with a type (named or abstract).
    Typed { ty: TypeNode },
    /// An old-style untyped parameter name `f(a, b)`.
    Ident { name: String, span: Span },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SueKind {
    Struct,
    Union,
    Enum,
}

#[derive(Clone, Debug)]
pub struct SueNode {
    pub kind: SueKind,
    pub name: Option<String>,
    /// The tag (or the brace of an anonymous one); pycparser's coord.
    pub span: Span,
    pub body: SueBody,
}

#[derive(Clone, Debug)]
pub enum SueBody {
    /// `struct foo` / `enum foo`: a reference, no body.
    None,
    /// Struct or union members (may be empty: `struct foo { }`).
    Fields(Vec<Field>),
    Enumerators(Vec<Enumerator>),
}

#[derive(Clone, Debug)]
pub enum Field {
    Decl(Decl),
    /// `#pragma` inside a struct body.
    Pragma(Span),
}

#[derive(Clone, Debug)]
pub struct Enumerator {
    pub name: String,
    pub value: Option<Expr>,
    pub span: Span,
}

/// An initializer (only an integer constant, possibly negated, means something to cffi).
#[derive(Clone, Debug)]
pub enum Init {
    Expr(Expr),
    List,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Shl,
    Shr,
    BitAnd,
    BitOr,
    BitXor,
    /// `&&`, `||`, comparisons: parsed, never evaluated by cffi.
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Plus,
    Minus,
    /// `~`, `!`, `&`, `*`, `++`, `--`, `sizeof`...: never evaluated by cffi.
    Other,
}

#[derive(Clone, Debug)]
pub enum Expr {
    Const {
        text: String,
        span: Span,
    },
    Id {
        name: String,
        span: Span,
    },
    Unary {
        op: UnOp,
        expr: Box<Expr>,
        span: Span,
    },
    Binary {
        op: BinOp,
        left: Box<Expr>,
        right: Box<Expr>,
        span: Span,
    },
    /// Anything else C allows in an expression (casts, calls, `?:`, `sizeof(T)`).
    Other {
        span: Span,
    },
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Const { span, .. }
            | Expr::Id { span, .. }
            | Expr::Unary { span, .. }
            | Expr::Binary { span, .. }
            | Expr::Other { span } => span.clone(),
        }
    }
}
