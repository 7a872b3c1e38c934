//! C types as cffi's `model.py` describes them.
//!
//! Types are interned in one arena per FFI ([`Types`]) and referred to by
//! [`TypeId`]: equal types share one id, like cffi's structural `BaseType.__eq__`.
//! Structs, unions and enums are the exception: cffi compares them by identity, so
//! they are stored once in the [`Ffi`](super::Ffi) arenas and referenced by id.

use std::fmt;

use indexmap::IndexSet;
use rustc_hash::{FxBuildHasher, FxHashMap};

use super::{EnumId, StructId};

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
    /// cffi's `is_integer_type()` for primitives (`_Bool` included).
    pub fn is_integer(self) -> bool {
        self.kind() == PrimitiveKind::Integer
    }

    /// The `_CFFI_PRIM_*` number `_cffi_backend` knows this primitive by.
    pub fn cffi_index(self) -> u32 {
        match self {
            Primitive::Bool => 1,
            Primitive::Char => 2,
            Primitive::SignedChar => 3,
            Primitive::UnsignedChar => 4,
            Primitive::Short => 5,
            Primitive::UnsignedShort => 6,
            Primitive::Int => 7,
            Primitive::UnsignedInt => 8,
            Primitive::Long => 9,
            Primitive::UnsignedLong => 10,
            Primitive::LongLong => 11,
            Primitive::UnsignedLongLong => 12,
            Primitive::Float => 13,
            Primitive::Double => 14,
            Primitive::LongDouble => 15,
            Primitive::WcharT => 16,
            Primitive::Int8T => 17,
            Primitive::Uint8T => 18,
            Primitive::Int16T => 19,
            Primitive::Uint16T => 20,
            Primitive::Int32T => 21,
            Primitive::Uint32T => 22,
            Primitive::Int64T => 23,
            Primitive::Uint64T => 24,
            Primitive::IntptrT => 25,
            Primitive::UintptrT => 26,
            Primitive::PtrdiffT => 27,
            Primitive::SizeT => 28,
            Primitive::SsizeT => 29,
            Primitive::IntLeast8T => 30,
            Primitive::UintLeast8T => 31,
            Primitive::IntLeast16T => 32,
            Primitive::UintLeast16T => 33,
            Primitive::IntLeast32T => 34,
            Primitive::UintLeast32T => 35,
            Primitive::IntLeast64T => 36,
            Primitive::UintLeast64T => 37,
            Primitive::IntFast8T => 38,
            Primitive::UintFast8T => 39,
            Primitive::IntFast16T => 40,
            Primitive::UintFast16T => 41,
            Primitive::IntFast32T => 42,
            Primitive::UintFast32T => 43,
            Primitive::IntFast64T => 44,
            Primitive::UintFast64T => 45,
            Primitive::IntmaxT => 46,
            Primitive::UintmaxT => 47,
            Primitive::FloatComplex => 48,
            Primitive::DoubleComplex => 49,
            Primitive::Char16T => 50,
            Primitive::Char32T => 51,
        }
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
    pub args: Vec<TypeId>,
    pub result: TypeId,
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

/// A C type. Component types are [`TypeId`]s into the same [`Types`] arena.
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
    Pointer { to: TypeId, quals: Quals },
    /// `typedef struct { ... } *foo_p;` where the struct has no other name: a pointer
    /// type whose C name is `foo_p` (cffi's `NamedPointerType`). Like cffi, equality
    /// looks at the target and the name only.
    NamedPointer { to: TypeId, name: String },
    /// `T[N]`, `T[]`, `T[...]`.
    Array { item: TypeId, length: ArrayLength },
    /// A struct or union, by identity.
    StructOrUnion(StructId),
    /// An enum, by identity.
    Enum(EnumId),
}

impl Type {
    /// cffi's `is_integer_type()`: integer primitives and `typedef int...` types.
    /// Enums are not integer types in cffi's model.
    pub fn is_integer_type(&self) -> bool {
        match self {
            Type::Primitive(p) => p.is_integer(),
            Type::UnknownInteger(_) => true,
            _ => false,
        }
    }

    /// `float _Complex` / `double _Complex`.
    pub fn is_complex_type(&self) -> bool {
        matches!(self, Type::Primitive(p) if p.kind() == PrimitiveKind::Complex)
    }

    /// `PointerType` and its subclass `NamedPointerType`.
    pub fn is_pointer_type(&self) -> bool {
        matches!(self, Type::Pointer { .. } | Type::NamedPointer { .. })
    }

    /// The function type of a raw function or function pointer.
    pub fn function(&self) -> Option<&FunctionType> {
        match self {
            Type::RawFunction(f) | Type::FunctionPtr(f) => Some(f),
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
}

/// Index of a type in a [`Types`] arena. Equal types have equal ids (cffi's
/// `BaseType.__eq__`); structs, unions and enums are equal only to themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeId(u32);

impl TypeId {
    pub fn index(self) -> usize {
        self.0 as usize
    }

    pub(super) fn from_index(index: usize) -> TypeId {
        TypeId(index as u32)
    }
}

/// The interning arena of every type of one FFI: the parser's and those the
/// recompiler derives (raw function types, arrays whose length became a C
/// expression, pointers to items). A type's components are always interned before
/// it, so they have smaller ids.
#[derive(Clone, Debug, Default)]
pub struct Types {
    set: IndexSet<Type, FxBuildHasher>,
    /// Function pointer type → its raw function type (asked for often).
    raw_of: FxHashMap<TypeId, TypeId>,
}

impl Types {
    /// The id of `ty`, added if new; `true` when it was new.
    pub(super) fn insert(&mut self, ty: Type) -> (TypeId, bool) {
        let (index, new) = self.set.insert_full(ty);
        (TypeId(index as u32), new)
    }

    pub(super) fn reserve(&mut self, n: usize) {
        self.set.reserve(n);
    }

    /// The id of `ty` if it was interned.
    pub fn find(&self, ty: &Type) -> Option<TypeId> {
        self.set.get_index_of(ty).map(|i| TypeId(i as u32))
    }

    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    pub(super) fn raw_of(&self, fptr: TypeId) -> Option<TypeId> {
        self.raw_of.get(&fptr).copied()
    }

    pub(super) fn remember_raw(&mut self, fptr: TypeId, raw: TypeId) {
        self.raw_of.insert(fptr, raw);
    }
}

impl std::ops::Index<TypeId> for Types {
    type Output = Type;
    fn index(&self, id: TypeId) -> &Type {
        &self.set[id.index()]
    }
}
