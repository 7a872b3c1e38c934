/* A Windows program that runs the Linux program of the same name (/usr/bin/<own name>)
 * and waits for it: installed by tests/windows/provision.sh as
 * `x86_64-w64-mingw32-gcc.exe`, `x86_64-w64-mingw32-dlltool.exe`... so that the Windows
 * cffi-forge.exe running under Wine can use the host's MinGW-w64 tools like a Windows
 * user's MSYS2 MinGW.
 *
 * Why it is needed: a Windows-native compiler does not run under Wine 8 (zig's cache
 * locking calls NtLockFile with an IO_STATUS_BLOCK, which Wine 8 does not implement);
 * Wine does start a Linux program from CreateProcess, but gives no process handle, so
 * its exit status and output are not observable. Here the Linux side writes them to
 * files, which this program waits for.
 *
 * Arguments holding a Windows path (`Z:\work\x.c`, `-IZ:\work\include`, `C:\users\...`)
 * are given to the Linux program as Unix paths (wine_get_unix_file_name); relative ones
 * get `/` separators. */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

typedef char *(CDECL *unix_name_fn)(const WCHAR *);

static unix_name_fn unix_name;

/* Append `arg` to `buf` quoted as CommandLineToArgvW reads it back. */
static void quote(WCHAR *buf, const WCHAR *arg) {
    size_t n = wcslen(buf);
    buf[n++] = L'"';
    for (const WCHAR *p = arg;; p++) {
        size_t backslashes = 0;
        while (*p == L'\\') { p++; backslashes++; }
        if (*p == 0) {
            for (size_t i = 0; i < backslashes * 2; i++) buf[n++] = L'\\';
            break;
        }
        if (*p == L'"') {
            for (size_t i = 0; i < backslashes * 2 + 1; i++) buf[n++] = L'\\';
        } else {
            for (size_t i = 0; i < backslashes; i++) buf[n++] = L'\\';
        }
        buf[n++] = *p;
    }
    buf[n++] = L'"';
    buf[n++] = L' ';
    buf[n] = 0;
}

/* `arg` with its Windows path (from the first `X:\` on) made a Unix path. */
static WCHAR *translate(const WCHAR *arg) {
    size_t len = wcslen(arg);
    for (size_t i = 0; i + 2 < len; i++) {
        WCHAR c = arg[i];
        if (((c >= L'A' && c <= L'Z') || (c >= L'a' && c <= L'z')) && arg[i + 1] == L':' &&
            (arg[i + 2] == L'\\' || arg[i + 2] == L'/')) {
            char *unix = unix_name(arg + i);
            if (!unix) break;
            size_t ulen = strlen(unix);
            WCHAR *out = calloc(i + ulen + 1, sizeof(WCHAR));
            wmemcpy(out, arg, i);
            MultiByteToWideChar(CP_UTF8, 0, unix, -1, out + i, (int)ulen + 1);
            HeapFree(GetProcessHeap(), 0, unix);
            return out;
        }
    }
    WCHAR *out = _wcsdup(arg);
    /* A relative path (`build\gen\x.c`): Unix separators. Macro values are left alone. */
    if (!wcschr(out, L'=') && !wcschr(out, L'"'))
        for (WCHAR *p = out; *p; p++)
            if (*p == L'\\') *p = L'/';
    return out;
}

static int copy_out(const char *path, HANDLE to) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char chunk[65536];
    size_t got;
    DWORD written;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) WriteFile(to, chunk, (DWORD)got, &written, NULL);
    fclose(f);
    return 1;
}

int wmain(int argc, WCHAR **argv) {
    unix_name = (unix_name_fn)GetProcAddress(GetModuleHandleW(L"kernel32.dll"), "wine_get_unix_file_name");
    if (!unix_name) {
        fwprintf(stderr, L"hostcc: not running under Wine\n");
        return 127;
    }
    WCHAR self[MAX_PATH];
    GetModuleFileNameW(NULL, self, MAX_PATH);
    WCHAR *name = wcsrchr(self, L'\\') ? wcsrchr(self, L'\\') + 1 : self;
    WCHAR *dot = wcsrchr(name, L'.');
    if (dot) *dot = 0;

    WCHAR base[128];
    swprintf(base, 128, L"/tmp/hostcc-%lu-%lu", GetCurrentProcessId(), GetTickCount());
    WCHAR out[160], err[160], status[160], program[MAX_PATH + 16];
    swprintf(out, 160, L"%ls.out", base);
    swprintf(err, 160, L"%ls.err", base);
    swprintf(status, 160, L"%ls.status", base);
    swprintf(program, MAX_PATH + 16, L"/usr/bin/%ls", name);

    size_t size = 4096;
    for (int i = 1; i < argc; i++) size += wcslen(argv[i]) * 2 + 4096;
    WCHAR *cmd = calloc(size, sizeof(WCHAR));
    quote(cmd, L"/bin/sh");
    quote(cmd, L"-c");
    quote(cmd, L"o=$1 e=$2 s=$3; shift 3; PATH=/usr/bin:/bin; export PATH; "
               L"\"$@\" >\"$o\" 2>\"$e\"; echo $? >\"$s.tmp\"; mv \"$s.tmp\" \"$s\"");
    quote(cmd, L"hostcc");
    quote(cmd, out);
    quote(cmd, err);
    quote(cmd, status);
    quote(cmd, program);
    for (int i = 1; i < argc; i++) {
        WCHAR *arg = translate(argv[i]);
        quote(cmd, arg);
        free(arg);
    }

    STARTUPINFOW si = {sizeof si};
    PROCESS_INFORMATION pi = {0};
    if (!CreateProcessW(L"Z:\\bin\\sh", cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) {
        fwprintf(stderr, L"hostcc: cannot start /bin/sh for %ls (error %lu)\n", program, GetLastError());
        return 127;
    }
    char status_dos[200], out_dos[200], err_dos[200];
    snprintf(status_dos, sizeof status_dos, "Z:%ls", status);
    snprintf(out_dos, sizeof out_dos, "Z:%ls", out);
    snprintf(err_dos, sizeof err_dos, "Z:%ls", err);
    FILE *f = NULL;
    for (DWORD waited = 0; !(f = fopen(status_dos, "r")); waited += 10) {
        if (waited > 1800 * 1000) {
            fwprintf(stderr, L"hostcc: %ls did not finish in 30 minutes\n", program);
            return 127;
        }
        Sleep(10);
    }
    int code = 127;
    if (fscanf(f, "%d", &code) != 1) code = 127;
    fclose(f);
    copy_out(out_dos, GetStdHandle(STD_OUTPUT_HANDLE));
    copy_out(err_dos, GetStdHandle(STD_ERROR_HANDLE));
    remove(status_dos);
    remove(out_dos);
    remove(err_dos);
    return code;
}
