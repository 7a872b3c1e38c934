//! Syntax tree of one cdef, shaped like the pycparser tree cffi walks (a declaration
//! has a chain of pointer / array / function nodes ending in the base type), so the
//! meaning can be assigned exactly as cffi's `cparser.Parser` does.

use std::ops::Range;

use smallvec::SmallVec;

pub type Span = Range<usize>;

/// Qualifiers as written, in order (rarely more than a few).
pub type QualList = SmallVec<[Qual; 4]>;

/// The names of a type specifier (`unsigned long int`: mostly one).
pub type NameList<'a> = SmallVec<[(&'a str, Span); 1]>;

/// Index of a struct/union/enum specifier in [`Unit::sues`]. Several declarators of
/// one declaration share the node (`typedef struct { } a, *b;`), which matters for
/// naming anonymous structs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SueId(pub usize);

/// A parsed cdef.
#[derive(Clone, Debug, Default)]
pub struct Unit<'a> {
    pub items: Vec<Item<'a>>,
    pub sues: Vec<SueNode<'a>>,
}

#[derive(Clone, Debug)]
// Nearly every item is a `Decl`: boxing it would add an allocation per declaration for nothing.
#[allow(clippy::large_enum_variant)]
pub enum Item<'a> {
    /// A declaration or typedef.
    Decl(Decl<'a>),
    /// A function body: valid C, not valid in cdef().
    FuncDef { span: Span },
    /// `_Static_assert(...)`: valid C, not valid in cdef().
    StaticAssert { span: Span },
    /// `#pragma` / `_Pragma(...)`: ignored with a warning.
    Pragma { span: Span },
}

/// One declarator with its specifiers (pycparser's `Decl` / `Typedef`).
#[derive(Clone, Debug)]
pub struct Decl<'a> {
    pub name: Option<&'a str>,
    /// Where the declaration is reported (the declarator name, else the type).
    pub span: Span,
    pub is_typedef: bool,
    /// Storage classes written (`extern`, `static`, ...), `typedef` excluded.
    pub storage: SmallVec<[&'a str; 1]>,
    pub ty: TypeNode<'a>,
    pub init: Option<Init<'a>>,
    pub bitsize: Option<Expr<'a>>,
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
pub enum TypeNode<'a> {
    /// The base of a declarator chain: qualifiers and type specifiers.
    TypeDecl {
        quals: QualList,
        spec: Spec<'a>,
        span: Span,
    },
    Ptr {
        quals: QualList,
        to: Box<TypeNode<'a>>,
    },
    Array {
        dim: Option<Expr<'a>>,
        item: Box<TypeNode<'a>>,
    },
    Func {
        params: Option<Vec<Param<'a>>>,
        result: Box<TypeNode<'a>>,
        span: Span,
    },
    /// A specifier with no declarator at all: `struct foo { ... };`, `...;` and
    /// `int;` inside a struct.
    Bare(Spec<'a>),
}

impl TypeNode<'_> {
    /// The qualifiers of this node, if it has any (`TypeDecl` and `Ptr`).
    pub fn quals(&self) -> Option<&[Qual]> {
        match self {
            TypeNode::TypeDecl { quals, .. } | TypeNode::Ptr { quals, .. } => Some(quals),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub enum Spec<'a> {
    /// Keyword and typedef names (pycparser's `IdentifierType`), as written.
    Names(NameList<'a>),
    Sue(SueId, Span),
}

impl Spec<'_> {
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
pub enum Param<'a> {
    /// A parameter with a type (named or abstract).
    Typed { ty: TypeNode<'a> },
    /// An old-style untyped parameter name `f(a, b)`.
    Ident { name: &'a str, span: Span },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SueKind {
    Struct,
    Union,
    Enum,
}

#[derive(Clone, Debug)]
pub struct SueNode<'a> {
    pub kind: SueKind,
    pub name: Option<&'a str>,
    /// The tag (or the brace of an anonymous one); pycparser's coord.
    pub span: Span,
    pub body: SueBody<'a>,
}

#[derive(Clone, Debug)]
pub enum SueBody<'a> {
    /// `struct foo` / `enum foo`: a reference, no body.
    None,
    /// Struct or union members (may be empty: `struct foo { }`).
    Fields(Vec<Field<'a>>),
    Enumerators(Vec<Enumerator<'a>>),
}

#[derive(Clone, Debug)]
// Nearly every item is a `Decl`: boxing it would add an allocation per declaration for nothing.
#[allow(clippy::large_enum_variant)]
pub enum Field<'a> {
    Decl(Decl<'a>),
    /// `#pragma` inside a struct body.
    Pragma(Span),
}

#[derive(Clone, Debug)]
pub struct Enumerator<'a> {
    pub name: &'a str,
    pub value: Option<Expr<'a>>,
    pub span: Span,
}

/// An initializer (only an integer constant, possibly negated, means something to cffi).
#[derive(Clone, Debug)]
pub enum Init<'a> {
    Expr(Expr<'a>),
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
pub enum Expr<'a> {
    Const {
        text: &'a str,
        span: Span,
    },
    Id {
        name: &'a str,
        span: Span,
    },
    Unary {
        op: UnOp,
        expr: Box<Expr<'a>>,
        span: Span,
    },
    Binary {
        op: BinOp,
        left: Box<Expr<'a>>,
        right: Box<Expr<'a>>,
        span: Span,
    },
    /// Anything else C allows in an expression (casts, calls, `?:`, `sizeof(T)`).
    Other {
        span: Span,
    },
}

impl Expr<'_> {
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
