/* bcryptprimitives.dll's ProcessPrng, which Wine 8 lacks (Wine 9 has it): Rust's standard
 * library (1.78+) takes its random bytes there, so no Rust program for Windows, such as
 * cffi-forge.exe, starts under Wine 8 without it ("DLL not found", 0xC0000135).
 * tests/windows/provision.sh builds it into the Wine prefix's system32. Windows 10+ has
 * the real one. Implemented with advapi32's RtlGenRandom (SystemFunction036). */
#include <windows.h>
#include <ntsecapi.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!RtlGenRandom(data, chunk)) return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
