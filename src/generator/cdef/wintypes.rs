//! The Windows type names cffi knows when it runs on Windows (`DWORD`, `HANDLE`,
//! `LPCWSTR`, ...), each defined by a C type text that may use other names of the
//! table. cffi resolves them only on a Windows host; so do we.

/// `(name, definition on 32-bit Windows, definition on 64-bit Windows)`, sorted by
/// name.
const TABLE: &[(&str, &str, &str)] = &[
    ("ATOM", "WORD", "WORD"),
    ("BOOL", "int", "int"),
    ("BOOLEAN", "BYTE", "BYTE"),
    ("BYTE", "unsigned char", "unsigned char"),
    ("CCHAR", "char", "char"),
    ("CHAR", "char", "char"),
    ("COLORREF", "DWORD", "DWORD"),
    ("DWORD", "unsigned long", "unsigned long"),
    ("DWORD32", "unsigned int", "unsigned int"),
    ("DWORD64", "unsigned long long", "unsigned long long"),
    ("DWORDLONG", "ULONGLONG", "ULONGLONG"),
    ("DWORD_PTR", "ULONG_PTR", "ULONG_PTR"),
    ("FLOAT", "float", "float"),
    ("HACCEL", "HANDLE", "HANDLE"),
    ("HALF_PTR", "short", "int"),
    ("HANDLE", "PVOID", "PVOID"),
    ("HBITMAP", "HANDLE", "HANDLE"),
    ("HBRUSH", "HANDLE", "HANDLE"),
    ("HCOLORSPACE", "HANDLE", "HANDLE"),
    ("HCONV", "HANDLE", "HANDLE"),
    ("HCONVLIST", "HANDLE", "HANDLE"),
    ("HCURSOR", "HICON", "HICON"),
    ("HDC", "HANDLE", "HANDLE"),
    ("HDDEDATA", "HANDLE", "HANDLE"),
    ("HDESK", "HANDLE", "HANDLE"),
    ("HDROP", "HANDLE", "HANDLE"),
    ("HDWP", "HANDLE", "HANDLE"),
    ("HENHMETAFILE", "HANDLE", "HANDLE"),
    ("HFILE", "int", "int"),
    ("HFONT", "HANDLE", "HANDLE"),
    ("HGDIOBJ", "HANDLE", "HANDLE"),
    ("HGLOBAL", "HANDLE", "HANDLE"),
    ("HHOOK", "HANDLE", "HANDLE"),
    ("HICON", "HANDLE", "HANDLE"),
    ("HINSTANCE", "HANDLE", "HANDLE"),
    ("HKEY", "HANDLE", "HANDLE"),
    ("HKL", "HANDLE", "HANDLE"),
    ("HLOCAL", "HANDLE", "HANDLE"),
    ("HMENU", "HANDLE", "HANDLE"),
    ("HMETAFILE", "HANDLE", "HANDLE"),
    ("HMODULE", "HINSTANCE", "HINSTANCE"),
    ("HMONITOR", "HANDLE", "HANDLE"),
    ("HPALETTE", "HANDLE", "HANDLE"),
    ("HPEN", "HANDLE", "HANDLE"),
    ("HRESULT", "LONG", "LONG"),
    ("HRGN", "HANDLE", "HANDLE"),
    ("HRSRC", "HANDLE", "HANDLE"),
    ("HSZ", "HANDLE", "HANDLE"),
    ("HWND", "HANDLE", "HANDLE"),
    ("INT", "int", "int"),
    ("INT16", "short", "short"),
    ("INT32", "int", "int"),
    ("INT64", "long long", "long long"),
    ("INT8", "signed char", "signed char"),
    ("INT_PTR", "int", "long long"),
    ("LANGID", "WORD", "WORD"),
    ("LCID", "DWORD", "DWORD"),
    ("LCTYPE", "DWORD", "DWORD"),
    ("LGRPID", "DWORD", "DWORD"),
    ("LONG", "long", "long"),
    ("LONG32", "int", "int"),
    ("LONG64", "long long", "long long"),
    ("LONGLONG", "long long", "long long"),
    ("LONG_PTR", "long", "long long"),
    ("LPARAM", "LONG_PTR", "LONG_PTR"),
    ("LPBOOL", "BOOL *", "BOOL *"),
    ("LPBYTE", "BYTE *", "BYTE *"),
    ("LPCOLORREF", "DWORD *", "DWORD *"),
    ("LPCSTR", "const char *", "const char *"),
    ("LPCVOID", "const void *", "const void *"),
    ("LPCWSTR", "const WCHAR *", "const WCHAR *"),
    ("LPDWORD", "DWORD *", "DWORD *"),
    ("LPHANDLE", "HANDLE *", "HANDLE *"),
    ("LPINT", "int *", "int *"),
    ("LPLONG", "long *", "long *"),
    ("LPSTR", "CHAR *", "CHAR *"),
    ("LPVOID", "void *", "void *"),
    ("LPWORD", "WORD *", "WORD *"),
    ("LPWSTR", "WCHAR *", "WCHAR *"),
    ("LRESULT", "LONG_PTR", "LONG_PTR"),
    ("PBOOL", "BOOL *", "BOOL *"),
    ("PBOOLEAN", "BOOLEAN *", "BOOLEAN *"),
    ("PBYTE", "BYTE *", "BYTE *"),
    ("PCHAR", "CHAR *", "CHAR *"),
    ("PCSTR", "const CHAR *", "const CHAR *"),
    ("PCUNICODE_STRING", "const UNICODE_STRING *", "const UNICODE_STRING *"),
    ("PCWSTR", "const WCHAR *", "const WCHAR *"),
    ("PDWORD", "DWORD *", "DWORD *"),
    ("PDWORD32", "DWORD32 *", "DWORD32 *"),
    ("PDWORD64", "DWORD64 *", "DWORD64 *"),
    ("PDWORDLONG", "DWORDLONG *", "DWORDLONG *"),
    ("PDWORD_PTR", "DWORD_PTR *", "DWORD_PTR *"),
    ("PFLOAT", "FLOAT *", "FLOAT *"),
    ("PHALF_PTR", "HALF_PTR *", "HALF_PTR *"),
    ("PHANDLE", "HANDLE *", "HANDLE *"),
    ("PHKEY", "HKEY *", "HKEY *"),
    ("PINT", "int *", "int *"),
    ("PINT16", "INT16 *", "INT16 *"),
    ("PINT32", "INT32 *", "INT32 *"),
    ("PINT64", "INT64 *", "INT64 *"),
    ("PINT8", "INT8 *", "INT8 *"),
    ("PINT_PTR", "INT_PTR *", "INT_PTR *"),
    ("PLCID", "PDWORD", "PDWORD"),
    ("PLONG", "LONG *", "LONG *"),
    ("PLONG32", "LONG32 *", "LONG32 *"),
    ("PLONG64", "LONG64 *", "LONG64 *"),
    ("PLONGLONG", "LONGLONG *", "LONGLONG *"),
    ("PLONG_PTR", "LONG_PTR *", "LONG_PTR *"),
    ("PSHORT", "SHORT *", "SHORT *"),
    ("PSIZE_T", "SIZE_T *", "SIZE_T *"),
    ("PSSIZE_T", "SSIZE_T *", "SSIZE_T *"),
    ("PSTR", "CHAR *", "CHAR *"),
    ("PUCHAR", "UCHAR *", "UCHAR *"),
    ("PUHALF_PTR", "UHALF_PTR *", "UHALF_PTR *"),
    ("PUINT", "UINT *", "UINT *"),
    ("PUINT16", "UINT16 *", "UINT16 *"),
    ("PUINT32", "UINT32 *", "UINT32 *"),
    ("PUINT64", "UINT64 *", "UINT64 *"),
    ("PUINT8", "UINT8 *", "UINT8 *"),
    ("PUINT_PTR", "UINT_PTR *", "UINT_PTR *"),
    ("PULONG", "ULONG *", "ULONG *"),
    ("PULONG32", "ULONG32 *", "ULONG32 *"),
    ("PULONG64", "ULONG64 *", "ULONG64 *"),
    ("PULONGLONG", "ULONGLONG *", "ULONGLONG *"),
    ("PULONG_PTR", "ULONG_PTR *", "ULONG_PTR *"),
    ("PUNICODE_STRING", "UNICODE_STRING *", "UNICODE_STRING *"),
    ("PUSHORT", "USHORT *", "USHORT *"),
    ("PVOID", "void *", "void *"),
    ("PWCHAR", "WCHAR *", "WCHAR *"),
    ("PWORD", "WORD *", "WORD *"),
    ("PWSTR", "WCHAR *", "WCHAR *"),
    ("QWORD", "unsigned long long", "unsigned long long"),
    ("SC_HANDLE", "HANDLE", "HANDLE"),
    ("SC_LOCK", "LPVOID", "LPVOID"),
    ("SERVICE_STATUS_HANDLE", "HANDLE", "HANDLE"),
    ("SHORT", "short", "short"),
    ("SIZE_T", "ULONG_PTR", "ULONG_PTR"),
    ("SSIZE_T", "LONG_PTR", "LONG_PTR"),
    ("UCHAR", "unsigned char", "unsigned char"),
    ("UHALF_PTR", "unsigned short", "unsigned int"),
    ("UINT", "unsigned int", "unsigned int"),
    ("UINT16", "unsigned short", "unsigned short"),
    ("UINT32", "unsigned int", "unsigned int"),
    ("UINT64", "unsigned long long", "unsigned long long"),
    ("UINT8", "unsigned char", "unsigned char"),
    ("UINT_PTR", "unsigned int", "unsigned long long"),
    ("ULONG", "unsigned long", "unsigned long"),
    ("ULONG32", "unsigned int", "unsigned int"),
    ("ULONG64", "unsigned long long", "unsigned long long"),
    ("ULONGLONG", "unsigned long long", "unsigned long long"),
    ("ULONG_PTR", "unsigned long", "unsigned long long"),
    ("USHORT", "unsigned short", "unsigned short"),
    ("USN", "LONGLONG", "LONGLONG"),
    ("VOID", "void", "void"),
    ("WCHAR", "wchar_t", "wchar_t"),
    ("WINSTA", "HANDLE", "HANDLE"),
    ("WORD", "unsigned short", "unsigned short"),
    ("WPARAM", "UINT_PTR", "UINT_PTR"),
    ("_Dcomplex", "_cffi_double_complex_t", "_cffi_double_complex_t"),
    ("_Fcomplex", "_cffi_float_complex_t", "_cffi_float_complex_t"),
];

/// Names that depend on `ffi.set_unicode()`, which cdef-only builds never call.
pub const NEEDS_SET_UNICODE: &[&str] =
    &["LPCTSTR", "LPTSTR", "PCTSTR", "PTBYTE", "PTCHAR", "PTSTR", "TBYTE", "TCHAR"];

/// The struct behind `UNICODE_STRING` (cffi defines it in Python).
pub const UNICODE_STRING: &str = "UNICODE_STRING";

/// The C definition of a Windows type name.
pub fn definition(name: &str, win64: bool) -> Option<&'static str> {
    let i = TABLE.binary_search_by(|(n, _, _)| (*n).cmp(name)).ok()?;
    let (_, d32, d64) = TABLE[i];
    Some(if win64 { d64 } else { d32 })
}

/// Every name that is a type on Windows (for cffi's "is this common type used" scan).
pub fn is_windows_type_name(name: &str) -> bool {
    name == UNICODE_STRING || NEEDS_SET_UNICODE.contains(&name) || definition(name, true).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(TABLE.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn pointer_sized_names_depend_on_the_target() {
        assert_eq!(definition("ULONG_PTR", false), Some("unsigned long"));
        assert_eq!(definition("ULONG_PTR", true), Some("unsigned long long"));
        assert_eq!(definition("NOPE", true), None);
    }
}
