/* ---- cffi-forge prelude ------------------------------------------------
   Glue between this extension module and cffi's runtime, `_cffi_backend`.
   The module describes its C declarations in static tables (types as
   opcodes, globals, struct/union fields, enums, typedefs) and hands them to
   `_cffi_backend._init_cffi_1_0_external_module()`, which builds the `ffi`
   and `lib` objects and fills `_cffi_exports` with the converters the
   wrappers below call.  The table layouts, opcode numbers, export slots
   and version words are fixed by that runtime; everything else is ours.
   ---------------------------------------------------------------------- */
#define _CFFI_

/* The stable ABI (abi3) is used unless the build says otherwise or the
   interpreter cannot support it: debug builds (Py_DEBUG, Py_TRACE_REFS,
   Py_REF_DEBUG) and free-threaded builds (Py_GIL_DISABLED).  With MSVC the
   choice must be made before <pyconfig.h>, because that header picks the
   import library (python3.lib or python3X.lib) from Py_LIMITED_API; other
   compilers can look at <pyconfig.h> first.  Py_TARGET_ABI3T (abi3t, PEP 803:
   free-threaded 3.15+) is a choice already made: Python.h derives
   Py_LIMITED_API from it. */
#if !defined(Py_LIMITED_API) && !defined(Py_TARGET_ABI3T) && !defined(_CFFI_NO_LIMITED_API)
#  if defined(_MSC_VER)
#    if !defined(_DEBUG) && !defined(Py_DEBUG) && !defined(Py_TRACE_REFS) \
        && !defined(Py_REF_DEBUG) && !defined(Py_GIL_DISABLED)
#      define Py_LIMITED_API
#    endif
#    include <pyconfig.h>
#    if defined(Py_LIMITED_API) && (defined(Py_DEBUG) || defined(Py_TRACE_REFS) \
        || defined(Py_REF_DEBUG) || defined(Py_GIL_DISABLED))
#      error "Py_LIMITED_API was chosen but pyconfig.h describes a debug or free-threaded interpreter; define _CFFI_NO_LIMITED_API"
#    endif
#  else
#    include <pyconfig.h>
#    if !defined(Py_DEBUG) && !defined(Py_TRACE_REFS) && !defined(Py_REF_DEBUG) \
        && !defined(Py_GIL_DISABLED)
#      define Py_LIMITED_API
#    endif
#  endif
#endif

#include <Python.h>
#include <stddef.h>
#include <string.h>
/* Python.h stops including <stdlib.h> from limited API 3.11 on; alloca comes
   from it (BSDs) or from <alloca.h> (glibc, macOS, the SVR4 family). */
#include <stdlib.h>
#if defined(_MSC_VER)
#  include <malloc.h>
#elif defined(__linux__) || defined(__APPLE__) || (defined(__SVR4) && defined(__sun)) \
    || defined(_AIX) || defined(__hpux)
#  include <alloca.h>
#endif
#if !defined(_MSC_VER) || _MSC_VER >= 1600
#  include <stdint.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Names the generated declarations may use for complex numbers and _Bool. */
#if defined(_MSC_VER)
#  define _cffi_float_complex_t   _Fcomplex
#  define _cffi_double_complex_t  _Dcomplex
#  if _MSC_VER < 1800 && !defined(__cplusplus)
     typedef unsigned char _Bool;
#  endif
#else
#  define _cffi_float_complex_t   float _Complex
#  define _cffi_double_complex_t  double _Complex
#endif
#if defined(__cplusplus) && !defined(_Bool)
   typedef bool _Bool;
#endif

#ifdef __GNUC__
#  define _CFFI_UNUSED_FN __attribute__((unused))
#else
#  define _CFFI_UNUSED_FN
#endif
#ifdef MS_WIN32
#  define _cffi_stdcall __stdcall
#else
#  define _cffi_stdcall
#endif

/* ---- the tables read by _cffi_backend (layouts fixed by the runtime) ---- */

/* One entry of the type table: an opcode in the low byte, its argument
   above.  The runtime replaces entries by type objects as it needs them. */
typedef void *_cffi_opcode_t;
#define _CFFI_OP(op, arg) ((_cffi_opcode_t)((op) | (((uintptr_t)(arg)) << 8)))

#define _CFFI_OP_PRIMITIVE       1
#define _CFFI_OP_POINTER         3
#define _CFFI_OP_ARRAY           5
#define _CFFI_OP_OPEN_ARRAY      7
#define _CFFI_OP_STRUCT_UNION    9
#define _CFFI_OP_ENUM           11
#define _CFFI_OP_FUNCTION       13
#define _CFFI_OP_FUNCTION_END   15
#define _CFFI_OP_NOOP           17
#define _CFFI_OP_BITFIELD       19
#define _CFFI_OP_CPYTHON_BLTN_V 23
#define _CFFI_OP_CPYTHON_BLTN_N 25
#define _CFFI_OP_CPYTHON_BLTN_O 27
#define _CFFI_OP_CONSTANT       29
#define _CFFI_OP_CONSTANT_INT   31
#define _CFFI_OP_GLOBAL_VAR_F   39
#define _CFFI_OP_EXTERN_PYTHON  41

/* Primitive kinds computed by the compiler for `typedef int... t;` and
   `typedef float... t;`. */
#define _cffi_prim_int(size, is_signed)                                  \
    ((size) == 1 ? ((is_signed) ? 17 : 18) :                             \
     (size) == 2 ? ((is_signed) ? 19 : 20) :                             \
     (size) == 4 ? ((is_signed) ? 21 : 22) :                             \
     (size) == 8 ? ((is_signed) ? 23 : 24) : -1)
#define _cffi_prim_float(size)                                           \
    ((size) == sizeof(float) ? 13 :                                      \
     (size) == sizeof(double) ? 14 :                                     \
     (size) == sizeof(long double) ? -3 : -2)

#define _CFFI_F_UNION         0x01
#define _CFFI_F_CHECK_FIELDS  0x02
#define _CFFI_F_PACKED        0x04
#define _CFFI_F_EXTERNAL      0x08  /* the struct belongs to an included module */
#define _CFFI_F_OPAQUE        0x10

struct _cffi_global_s {
    const char *name;
    void *address;
    _cffi_opcode_t type_op;
    void *size_or_direct_fn;
};
struct _cffi_getconst_s {
    unsigned long long value;
    const struct _cffi_type_context_s *ctx;
    int gindex;
};
struct _cffi_struct_union_s {
    const char *name;
    int type_index;
    int flags;
    size_t size;
    int alignment;
    int first_field_index;
    int num_fields;
};
struct _cffi_field_s {
    const char *name;
    size_t field_offset;
    size_t field_size;
    _cffi_opcode_t field_type_op;
};
struct _cffi_enum_s {
    const char *name;
    int type_index;
    int type_prim;
    const char *enumerators;
};
struct _cffi_typename_s {
    const char *name;
    int type_index;
};
struct _cffi_type_context_s {
    _cffi_opcode_t *types;
    const struct _cffi_global_s *globals;
    const struct _cffi_field_s *fields;
    const struct _cffi_struct_union_s *struct_unions;
    const struct _cffi_enum_s *enums;
    const struct _cffi_typename_s *typenames;
    int num_globals;
    int num_struct_unions;
    int num_enums;
    int num_typenames;
    const char *const *includes;
    int num_types;
    int flags;
};
struct _cffi_externpy_s {
    const char *name;
    size_t size_of_result;
    void *reserved1, *reserved2;
};

#define _cffi_array_len(a) (sizeof(a) / sizeof((a)[0]))

/* An integer constant's value and sign, as the runtime checks them. */
#define _cffi_check_int(got, got_nonpos, expected)                       \
    ((got_nonpos) == ((expected) <= 0) &&                                \
     (got) == (unsigned long long)(expected))

#ifndef PYPY_VERSION
/* ---- CPython: converters exported by _cffi_backend at import ---------- */

struct _cffi_ctypedescr;
static void *_cffi_exports[28];

#ifdef HAVE_WCHAR_H
typedef wchar_t _cffi_wchar_t;
#else
typedef uint16_t _cffi_wchar_t;
#endif

#define _CFFI_EXPORT(slot, fn_type) ((fn_type)_cffi_exports[slot])
#define _cffi_to_c_i8   _CFFI_EXPORT(1, int (*)(PyObject *))
#define _cffi_to_c_u8   _CFFI_EXPORT(2, int (*)(PyObject *))
#define _cffi_to_c_i16  _CFFI_EXPORT(3, int (*)(PyObject *))
#define _cffi_to_c_u16  _CFFI_EXPORT(4, int (*)(PyObject *))
#define _cffi_to_c_i32  _CFFI_EXPORT(5, int (*)(PyObject *))
#define _cffi_to_c_u32  _CFFI_EXPORT(6, unsigned int (*)(PyObject *))
#define _cffi_to_c_i64  _CFFI_EXPORT(7, long long (*)(PyObject *))
#define _cffi_to_c_u64  _CFFI_EXPORT(8, unsigned long long (*)(PyObject *))
#define _cffi_to_c_char _CFFI_EXPORT(9, int (*)(PyObject *))
#define _cffi_from_c_pointer \
    _CFFI_EXPORT(10, PyObject *(*)(char *, struct _cffi_ctypedescr *))
#define _cffi_to_c_pointer \
    _CFFI_EXPORT(11, char *(*)(PyObject *, struct _cffi_ctypedescr *))
#define _cffi_restore_errno _CFFI_EXPORT(13, void (*)(void))
#define _cffi_save_errno    _CFFI_EXPORT(14, void (*)(void))
#define _cffi_from_c_char   _CFFI_EXPORT(15, PyObject *(*)(char))
#define _cffi_from_c_deref \
    _CFFI_EXPORT(16, PyObject *(*)(char *, struct _cffi_ctypedescr *))
#define _cffi_to_c \
    _CFFI_EXPORT(17, int (*)(char *, struct _cffi_ctypedescr *, PyObject *))
#define _cffi_from_c_struct \
    _CFFI_EXPORT(18, PyObject *(*)(char *, struct _cffi_ctypedescr *))
#define _cffi_to_c_wchar_t   _CFFI_EXPORT(19, _cffi_wchar_t (*)(PyObject *))
#define _cffi_from_c_wchar_t _CFFI_EXPORT(20, PyObject *(*)(_cffi_wchar_t))
#define _cffi_to_c_long_double _CFFI_EXPORT(21, long double (*)(PyObject *))
#define _cffi_to_c__Bool     _CFFI_EXPORT(22, _Bool (*)(PyObject *))
#define _cffi_prepare_pointer_call_argument \
    _CFFI_EXPORT(23, Py_ssize_t (*)(struct _cffi_ctypedescr *, PyObject *, char **))
#define _cffi_convert_array_from_object \
    _CFFI_EXPORT(24, int (*)(char *, struct _cffi_ctypedescr *, PyObject *))
#define _cffi_call_python \
    _CFFI_EXPORT(25, void (*)(struct _cffi_externpy_s *, char *))
#define _cffi_to_c_wchar3216_t   _CFFI_EXPORT(26, int (*)(PyObject *))
#define _cffi_from_c_wchar3216_t _CFFI_EXPORT(27, PyObject *(*)(int))

#define _cffi_type(index) ((struct _cffi_ctypedescr *)_cffi_types[index])

#define _cffi_from_c_double   PyFloat_FromDouble
#define _cffi_from_c_float    PyFloat_FromDouble
#define _cffi_from_c__Bool    PyBool_FromLong
#define _cffi_to_c_double     PyFloat_AsDouble
#define _cffi_to_c_float      PyFloat_AsDouble

/* Integers of any size and sign go through the converter of their width;
   the size and sign tests fold away at compile time. */
#define _cffi_from_c_int(x, type)                                        \
    (((type)-1) > 0                                                      \
     ? (sizeof(type) < sizeof(long) ? PyLong_FromLong((long)(x))         \
        : sizeof(type) == sizeof(long)                                   \
            ? PyLong_FromUnsignedLong((unsigned long)(x))                \
            : PyLong_FromUnsignedLongLong((unsigned long long)(x)))      \
     : (sizeof(type) <= sizeof(long) ? PyLong_FromLong((long)(x))        \
        : PyLong_FromLongLong((long long)(x))))
#define _cffi_to_c_int(o, type)                                          \
    ((type)(sizeof(type) == 1                                            \
      ? (((type)-1) > 0 ? (type)_cffi_to_c_u8(o) : (type)_cffi_to_c_i8(o))   \
      : sizeof(type) == 2                                                \
      ? (((type)-1) > 0 ? (type)_cffi_to_c_u16(o) : (type)_cffi_to_c_i16(o)) \
      : sizeof(type) == 4                                                \
      ? (((type)-1) > 0 ? (type)_cffi_to_c_u32(o) : (type)_cffi_to_c_i32(o)) \
      : sizeof(type) == 8                                                \
      ? (((type)-1) > 0 ? (type)_cffi_to_c_u64(o) : (type)_cffi_to_c_i64(o)) \
      : (Py_FatalError("cffi-forge: unsupported integer size of " #type), (type)0)))

/* char16_t / char32_t go through wchar_t's converter when it has the
   same width, and through the 32/16-bit one otherwise. */
_CFFI_UNUSED_FN static uint16_t _cffi_to_c_char16_t(PyObject *o)
{
    return sizeof(_cffi_wchar_t) == 2 ? (uint16_t)_cffi_to_c_wchar_t(o)
                                      : (uint16_t)_cffi_to_c_wchar3216_t(o);
}
_CFFI_UNUSED_FN static PyObject *_cffi_from_c_char16_t(uint16_t x)
{
    return sizeof(_cffi_wchar_t) == 2 ? _cffi_from_c_wchar_t((_cffi_wchar_t)x)
                                      : _cffi_from_c_wchar3216_t((int)x);
}
_CFFI_UNUSED_FN static int _cffi_to_c_char32_t(PyObject *o)
{
    return sizeof(_cffi_wchar_t) == 4 ? (int)_cffi_to_c_wchar_t(o)
                                      : (int)_cffi_to_c_wchar3216_t(o);
}
_CFFI_UNUSED_FN static PyObject *_cffi_from_c_char32_t(unsigned int x)
{
    return sizeof(_cffi_wchar_t) == 4 ? _cffi_from_c_wchar_t((_cffi_wchar_t)x)
                                      : _cffi_from_c_wchar3216_t((int)x);
}

/* Array and pointer arguments: up to 640 bytes live on the stack
   (alloca in the wrapper); larger ones in heap blocks chained here and
   freed after the call. */
union _cffi_max_align_u {
    unsigned long long l; long double ld; double d; void *p;
};
struct _cffi_freeme_s {
    struct _cffi_freeme_s *next;
    union _cffi_max_align_u data;
};

_CFFI_UNUSED_FN static int
_cffi_convert_array_argument(struct _cffi_ctypedescr *ctptr, PyObject *arg,
                             char **output_data, Py_ssize_t datasize,
                             struct _cffi_freeme_s **freeme)
{
    char *p;
    if (datasize < 0)
        return -1;
    p = *output_data;
    if (p == NULL) {
        struct _cffi_freeme_s *block = (struct _cffi_freeme_s *)PyObject_Malloc(
            offsetof(struct _cffi_freeme_s, data) + (size_t)datasize);
        if (block == NULL)
            return -1;
        block->next = *freeme;
        *freeme = block;
        p = *output_data = (char *)&block->data;
    }
    memset((void *)p, 0, (size_t)datasize);
    return _cffi_convert_array_from_object(p, ctptr, arg);
}

_CFFI_UNUSED_FN static void
_cffi_free_array_arguments(struct _cffi_freeme_s *freeme)
{
    while (freeme != NULL) {
        struct _cffi_freeme_s *next = freeme->next;
        PyObject_Free((void *)freeme);
        freeme = next;
    }
}

/* Module initialisation: _cffi_backend builds the module from the type
   context and copies its converters into _cffi_exports. */
static PyObject *_cffi_init(const char *module_name, Py_ssize_t version,
                            const struct _cffi_type_context_s *ctx)
{
    PyObject *backend, *address, *module;
    void *raw[4];
    raw[0] = (void *)module_name;
    raw[1] = (void *)version;
    raw[2] = (void *)_cffi_exports;
    raw[3] = (void *)ctx;

    backend = PyImport_ImportModule("_cffi_backend");
    if (backend == NULL)
        return NULL;
    address = PyLong_FromVoidPtr((void *)raw);
    if (address == NULL) {
        Py_DECREF(backend);
        return NULL;
    }
    module = PyObject_CallMethod(backend, (char *)"_init_cffi_1_0_external_module",
                                 (char *)"O", address);
    Py_DECREF(address);
    Py_DECREF(backend);
    return module;
}

#else
/* ---- PyPy: the runtime calls the wrappers directly -------------------- */
_CFFI_UNUSED_FN
static void (*_cffi_call_python_org)(struct _cffi_externpy_s *, char *);
#  define _cffi_call_python _cffi_call_python_org
#endif

#ifdef __cplusplus
}
#endif
/* ---- end of the cffi-forge prelude ------------------------------------ */
