//! C types as cffi's `model.py` describes them.
//!
//! Types are immutable values shared through [`TypeRef`] (`Arc<Type>`), with
//! structural equality and hashing, like cffi's `BaseType.__eq__`. Structs, unions and
//! enums are the exception: cffi compares them by identity, so they are stored once in
//! the [`Ffi`](super::Ffi) arenas and referenced here by id.

use std::fmt;
use std::sync::Arc;

use super::{EnumId, StructId};

/// Shared, immutable type. Cheap to clone; compares and hashes structurally.
pub type TypeRef = Arc<Type>;

/// Type qualifiers (`Q_CONST`, `Q_RESTRICT`, `Q_VOLATILE` in cffi), as a bit set with
/// cffi's bit values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Quals(u8);

impl Quals {
    pub const NONE: Quals = Quals(0);
    pub const CONST: Quals = Quals(0x01);
    pub const RESTRICT: Quals = Quals(0x02);
    pub const VOLATILE: Quals = Quals(0x04);

    /// The raw bits, as cffi stores them (`1` const, `2` restrict, `4` volatile).
    pub fn bits(self) -> u8 {
        self.0
    }

    pub fn from_bits(bits: u8) -> Quals {
        Quals(bits & 0x07)
    }

    pub fn contains(self, other: Quals) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn is_const(self) -> bool {
        self.contains(Quals::CONST)
    }
}

impl std::ops::BitOr for Quals {
    type Output = Quals;
    fn bitor(self, rhs: Quals) -> Quals {
        Quals(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for Quals {
    fn bitor_assign(&mut self, rhs: Quals) {
        self.0 |= rhs.0;
    }
}

/// What class of value a primitive holds (cffi's one-letter codes in
/// `PrimitiveType.ALL_PRIMITIVE_TYPES`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrimitiveKind {
    /// `'c'`: `char`, `wchar_t`, `char16_t`, `char32_t`.
    Char,
    /// `'i'`: every integer type, `_Bool` included.
    Integer,
    /// `'f'`: `float`, `double`, `long double`.
    Float,
    /// `'j'`: `float _Complex` and `double _Complex`.
    Complex,
}

macro_rules! primitives {
    ($( $variant:ident = $name:literal : $kind:ident, )*) => {
        /// Every primitive type cffi knows (`PrimitiveType.ALL_PRIMITIVE_TYPES`), in
        /// cffi's order. `float _Complex` / `double _Complex` are spelled with cffi's
        /// internal names `_cffi_float_complex_t` / `_cffi_double_complex_t`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Primitive {
            $( $variant, )*
        }

        impl Primitive {
            /// All primitives, in cffi's order.
            pub const ALL: &'static [Primitive] = &[ $( Primitive::$variant, )* ];

            /// The C name cffi uses (`"unsigned long long"`, `"int8_t"`, ...).
            pub fn name(self) -> &'static str {
                match self { $( Primitive::$variant => $name, )* }
            }

            pub fn kind(self) -> PrimitiveKind {
                match self { $( Primitive::$variant => PrimitiveKind::$kind, )* }
            }

            /// The primitive with this exact cffi name.
            pub fn from_name(name: &str) -> Option<Primitive> {
                match name { $( $name => Some(Primitive::$variant), )* _ => None }
            }
        }
    };
}

primitives! {
    Char = "char": Char,
    Short = "short": Integer,
    Int = "int": Integer,
    Long = "long": Integer,
    LongLong = "long long": Integer,
    SignedChar = "signed char": Integer,
    UnsignedChar = "unsigned char": Integer,
    UnsignedShort = "unsigned short": Integer,
    UnsignedInt = "unsigned int": Integer,
    UnsignedLong = "unsigned long": Integer,
    UnsignedLongLong = "unsigned long long": Integer,
    Float = "float": Float,
    Double = "double": Float,
    LongDouble = "long double": Float,
    FloatComplex = "_cffi_float_complex_t": Complex,
    DoubleComplex = "_cffi_double_complex_t": Complex,
    Bool = "_Bool": Integer,
    WcharT = "wchar_t": Char,
    Char16T = "char16_t": Char,
    Char32T = "char32_t": Char,
    Int8T = "int8_t": Integer,
    Uint8T = "uint8_t": Integer,
    Int16T = "int16_t": Integer,
    Uint16T = "uint16_t": Integer,
    Int32T = "int32_t": Integer,
    Uint32T = "uint32_t": Integer,
    Int64T = "int64_t": Integer,
    Uint64T = "uint64_t": Integer,
    IntLeast8T = "int_least8_t": Integer,
    UintLeast8T = "uint_least8_t": Integer,
    IntLeast16T = "int_least16_t": Integer,
    UintLeast16T = "uint_least16_t": Integer,
    IntLeast32T = "int_least32_t": Integer,
    UintLeast32T = "uint_least32_t": Integer,
    IntLeast64T = "int_least64_t": Integer,
    UintLeast64T = "uint_least64_t": Integer,
    IntFast8T = "int_fast8_t": Integer,
    UintFast8T = "uint_fast8_t": Integer,
    IntFast16T = "int_fast16_t": Integer,
    UintFast16T = "uint_fast16_t": Integer,
    IntFast32T = "int_fast32_t": Integer,
    UintFast32T = "uint_fast32_t": Integer,
    IntFast64T = "int_fast64_t": Integer,
    UintFast64T = "uint_fast64_t": Integer,
    IntptrT = "intptr_t": Integer,
    UintptrT = "uintptr_t": Integer,
    IntmaxT = "intmax_t": Integer,
    UintmaxT = "uintmax_t": Integer,
    PtrdiffT = "ptrdiff_t": Integer,
    SizeT = "size_t": Integer,
    SsizeT = "ssize_t": Integer,
}

impl Primitive {
    pub fn is_char_type(self) -> bool {
        self.kind() == PrimitiveKind::Char
    }
    pub fn is_integer_type(self) -> bool {
        self.kind() == PrimitiveKind::Integer
    }
    pub fn is_float_type(self) -> bool {
        self.kind() == PrimitiveKind::Float
    }
    pub fn is_complex_type(self) -> bool {
        self.kind() == PrimitiveKind::Complex
    }
}

impl fmt::Display for Primitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A calling convention other than the default (cffi's `abi` attribute).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Abi {
    /// `__stdcall` or `WINAPI`.
    Stdcall,
}

impl Abi {
    pub fn as_str(self) -> &'static str {
        match self {
            Abi::Stdcall => "__stdcall",
        }
    }
}

/// The parts shared by function types and function pointer types
/// (cffi's `BaseFunctionType`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FunctionType {
    /// Parameter types, already adjusted as C does (arrays → pointers, functions →
    /// function pointers). `f(void)` and `f()` both have no arguments.
    pub args: Vec<TypeRef>,
    pub result: TypeRef,
    /// `, ...` at the end of the parameter list.
    pub ellipsis: bool,
    pub abi: Option<Abi>,
}

/// The length of an array type (cffi's `ArrayType.length`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ArrayLength {
    /// `[N]`, with the constant expression already evaluated. cffi keeps whatever
    /// integer the expression gave (negative lengths fail later, at layout time).
    Known(i128),
    /// `[]`.
    Unspecified,
    /// `[...]`: the length is found by the C compiler (API mode only).
    DotDotDot,
    /// `[...]` in a typedef, replaced (as cffi does) by the C expression the API-mode
    /// emitter uses to get the length, e.g. `_cffi_array_len(*(foo_t *)0)`.
    CExpr(String),
}

impl ArrayLength {
    /// cffi's `length_is_unknown()`: the length is a string (`...` or a C expression).
    pub fn is_unknown(&self) -> bool {
        matches!(self, ArrayLength::DotDotDot | ArrayLength::CExpr(_))
    }
}

/// A C type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// `void`.
    Void,
    /// One of cffi's primitive types.
    Primitive(Primitive),
    /// `typedef int... foo_t;`: an integer type of unknown size and signedness.
    UnknownInteger(String),
    /// `typedef float... foo_t;`: a floating type of unknown size.
    UnknownFloat(String),
    /// A function type, `int(int)`, as opposed to a pointer to function. Declared
    /// functions are stored as [`Type::FunctionPtr`], like cffi does.
    RawFunction(FunctionType),
    /// `int(*)(int)`.
    FunctionPtr(FunctionType),
    /// `T *`. `quals` qualify the pointed-to type: `const char *` is
    /// `Pointer { to: char, quals: CONST }`, spelled `char const *` (the qualifiers of
    /// the pointer itself, `char * const`, belong to the declaration instead).
    Pointer { to: TypeRef, quals: Quals },
    /// `typedef struct { ... } *foo_p;` where the struct has no other name: a pointer
    /// type whose C name is `foo_p` (cffi's `NamedPointerType`). Like cffi, equality
    /// looks at the target and the name only.
    NamedPointer { to: TypeRef, name: String },
    /// `T[N]`, `T[]`, `T[...]`.
    Array { item: TypeRef, length: ArrayLength },
    /// A struct or union, by identity.
    StructOrUnion(StructId),
    /// An enum, by identity.
    Enum(EnumId),
}

impl Type {
    pub fn void() -> TypeRef {
        Arc::new(Type::Void)
    }

    pub fn primitive(p: Primitive) -> TypeRef {
        Arc::new(Type::Primitive(p))
    }

    pub fn pointer(to: TypeRef, quals: Quals) -> TypeRef {
        Arc::new(Type::Pointer { to, quals })
    }

    pub fn array(item: TypeRef, length: ArrayLength) -> TypeRef {
        Arc::new(Type::Array { item, length })
    }

    /// cffi's `is_array_type`.
    pub fn is_array_type(&self) -> bool {
        matches!(self, Type::Array { .. })
    }

    /// cffi's `is_raw_function`.
    pub fn is_raw_function(&self) -> bool {
        matches!(self, Type::RawFunction(_))
    }

    /// cffi's `is_integer_type()`: integer primitives and `typedef int...` types.
    /// Enums are not integer types in cffi's model.
    pub fn is_integer_type(&self) -> bool {
        match self {
            Type::Primitive(p) => p.is_integer_type(),
            Type::UnknownInteger(_) => true,
            _ => false,
        }
    }

    /// `PointerType` and its subclass `NamedPointerType`.
    pub fn is_pointer_type(&self) -> bool {
        matches!(self, Type::Pointer { .. } | Type::NamedPointer { .. })
    }

    /// The target of a pointer or named pointer.
    pub fn pointer_target(&self) -> Option<&TypeRef> {
        match self {
            Type::Pointer { to, .. } | Type::NamedPointer { to, .. } => Some(to),
            _ => None,
        }
    }

    /// The function type of a raw function or function pointer.
    pub fn function(&self) -> Option<&FunctionType> {
        match self {
            Type::RawFunction(f) | Type::FunctionPtr(f) => Some(f),
            _ => None,
        }
    }

    /// cffi's `RawFunctionType.as_function_pointer()`.
    pub fn as_function_pointer(&self) -> Option<TypeRef> {
        match self {
            Type::RawFunction(f) => Some(Arc::new(Type::FunctionPtr(f.clone()))),
            _ => None,
        }
    }

    /// cffi's `FunctionPtrType.as_raw_function()`.
    pub fn as_raw_function(&self) -> Option<TypeRef> {
        match self {
            Type::FunctionPtr(f) => Some(Arc::new(Type::RawFunction(f.clone()))),
            _ => None,
        }
    }

    /// cffi's `ArrayType.resolve_length()`: the same array with a known length.
    pub fn resolve_length(&self, length: i128) -> Option<TypeRef> {
        match self {
            Type::Array { item, .. } => Some(Type::array(item.clone(), ArrayLength::Known(length))),
            _ => None,
        }
    }

    /// The struct or union this type is, if any.
    pub fn struct_id(&self) -> Option<StructId> {
        match self {
            Type::StructOrUnion(id) => Some(*id),
            _ => None,
        }
    }

    /// The enum this type is, if any.
    pub fn enum_id(&self) -> Option<EnumId> {
        match self {
            Type::Enum(id) => Some(*id),
            _ => None,
        }
    }

    /// The types this type is made of, in cffi's `_get_items()` order (what the
    /// recompiler walks to collect every type it needs).
    pub fn components(&self) -> Vec<&TypeRef> {
        match self {
            Type::RawFunction(f) | Type::FunctionPtr(f) => {
                let mut v: Vec<&TypeRef> = f.args.iter().collect();
                v.push(&f.result);
                v
            }
            Type::Pointer { to, .. } | Type::NamedPointer { to, .. } => vec![to],
            Type::Array { item, .. } => vec![item],
            _ => Vec::new(),
        }
    }
}
