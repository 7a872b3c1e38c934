/* ---- cffi-forge embedding runtime --------------------------------------
   Part of the generated file of a module that has an `embedding_api()`:
   such a library is loaded by a C program, not imported by Python. The
   first call of one of its exported functions starts the interpreter (when
   the process has none yet), builds this module through _cffi_backend and
   runs the module's Python init code; every call then goes straight to
   _cffi_backend's call_python. When the init code fails, the error is
   printed on stderr and exported functions return zeroes.
   The generated code before this defines _CFFI_FORGE_MODULE_NAME,
   _cffi_forge_init_code[] and _CFFI_FORGE_PYINIT (the module's init). */

#ifdef PYPY_VERSION
#  error "cffi-forge builds embedding libraries for CPython only"
#endif

#if defined(_WIN32)
#  define CFFI_DLLEXPORT __declspec(dllexport)
#elif defined(__GNUC__)
#  define CFFI_DLLEXPORT __attribute__((visibility("default")))
#else
#  define CFFI_DLLEXPORT
#endif

#include <errno.h>
#include <stdio.h>
#include <string.h>
#ifdef _WIN32
#  include <windows.h>
#else
#  include <pthread.h>
#  include <sched.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*_cffi_forge_callpy_fn)(struct _cffi_externpy_s *, char *);
static void _cffi_forge_first_call(struct _cffi_externpy_s *, char *);

/* What the exported functions call: _cffi_forge_first_call until this
   module is ready, then _cffi_backend's call_python. It is stored with
   release and read with acquire ordering, so a thread that sees the
   backend's function also sees everything initialised before it. */
static _cffi_forge_callpy_fn _cffi_forge_callpy = &_cffi_forge_first_call;

#ifdef _MSC_VER
static _cffi_forge_callpy_fn _cffi_forge_load_callpy(void)
{
    _cffi_forge_callpy_fn f = *(_cffi_forge_callpy_fn volatile *)&_cffi_forge_callpy;
    MemoryBarrier();
    return f;
}
static void _cffi_forge_store_callpy(_cffi_forge_callpy_fn f)
{
    MemoryBarrier();
    *(_cffi_forge_callpy_fn volatile *)&_cffi_forge_callpy = f;
}
#  define _cffi_forge_cas_ptr(p, old, new_) \
    (InterlockedCompareExchangePointer((PVOID volatile *)(p), (PVOID)(new_), (PVOID)(old)) == (PVOID)(old))
#  define _cffi_forge_cas_int(p, old, new_) \
    (InterlockedCompareExchange((LONG volatile *)(p), (LONG)(new_), (LONG)(old)) == (LONG)(old))
#else
static _cffi_forge_callpy_fn _cffi_forge_load_callpy(void)
{
    return __atomic_load_n(&_cffi_forge_callpy, __ATOMIC_ACQUIRE);
}
static void _cffi_forge_store_callpy(_cffi_forge_callpy_fn f)
{
    __atomic_store_n(&_cffi_forge_callpy, f, __ATOMIC_RELEASE);
}
#  define _cffi_forge_cas_ptr(p, old, new_) __sync_bool_compare_and_swap(p, old, new_)
#  define _cffi_forge_cas_int(p, old, new_) __sync_bool_compare_and_swap(p, old, new_)
#endif
/* (MinGW has GCC's atomics and Windows' threads) */
#ifdef _WIN32
#  define _cffi_forge_pause() SwitchToThread()
#else
#  define _cffi_forge_pause() sched_yield()
#endif

#undef _cffi_call_python
#define _cffi_call_python (_cffi_forge_load_callpy())

/* -- starting the interpreter, once per process ---------------------------
   Several embedding libraries of one process (ours or cffi's) may make their
   first call at once from different threads, and only one may run
   Py_InitializeEx(). They share no symbol but libpython's, so the lock is a
   word of libpython that nothing else writes: the one cffi's own libraries
   use, so that processes mixing both are safe too. From 3.12 it is
   PyCapsule_Type.tp_as_buffer (NULL when free; while held, a block of empty
   buffer procs followed by the mark -42); before, PyCapsule_Type's
   tp_version_tag (0 when free, -42 while held; 3.12 changes it at start-up). */
/* Which word depends on the libpython that runs, not on the headers this was
   compiled with (a 3.12 word on 3.11 or the reverse would never be released):
   cffi-forge defines _CFFI_FORGE_PYTHON_HEX to the version of the interpreter
   it builds for (headers for several versions may stand in for its own). Not
   Py_GetVersion(): it formats into a buffer shared by every thread. */
#ifndef _CFFI_FORGE_PYTHON_HEX
#  define _CFFI_FORGE_PYTHON_HEX PY_VERSION_HEX
#endif
static int _cffi_forge_python_312_or_later(void)
{
    return _CFFI_FORGE_PYTHON_HEX >= 0x030C0000;
}

static struct { PyBufferProcs procs; int mark; } _cffi_forge_lock_word = { {0}, -42 };

static void _cffi_forge_lock_process(void)
{
    if (_cffi_forge_python_312_or_later()) {
        PyBufferProcs *volatile *word = (PyBufferProcs *volatile *)&PyCapsule_Type.tp_as_buffer;
        while (!_cffi_forge_cas_ptr(word, (PyBufferProcs *)NULL, &_cffi_forge_lock_word.procs))
            _cffi_forge_pause();
    } else {
        int volatile *word = (int volatile *)&PyCapsule_Type.tp_version_tag;
        while (!_cffi_forge_cas_int(word, 0, -42))
            _cffi_forge_pause();
    }
}

static void _cffi_forge_unlock_process(void)
{
    if (_cffi_forge_python_312_or_later()) {
        PyBufferProcs *volatile *word = (PyBufferProcs *volatile *)&PyCapsule_Type.tp_as_buffer;
        while (!_cffi_forge_cas_ptr(word, &_cffi_forge_lock_word.procs, (PyBufferProcs *)NULL))
            ;
    } else {
        int volatile *word = (int volatile *)&PyCapsule_Type.tp_version_tag;
        while (!_cffi_forge_cas_int(word, -42, 0))
            ;
    }
}

static void _cffi_forge_ensure_interpreter(void)
{
    _cffi_forge_lock_process();
    if (!Py_IsInitialized()) {
        /* 0: leave signal handling to the host program. */
        Py_InitializeEx(0);
        /* Calls take the GIL with PyGILState_Ensure(); nobody holds it now. */
        PyEval_SaveThread();
    }
    _cffi_forge_unlock_process();
}

/* -- this module's own start-up, once -------------------------------------
   Guarded by a recursive mutex: other threads wait until the init code has
   run, while the init code itself may call this library's functions. */
#ifdef _WIN32
static INIT_ONCE _cffi_forge_mutex_once = INIT_ONCE_STATIC_INIT;
static CRITICAL_SECTION _cffi_forge_mutex;
static BOOL CALLBACK _cffi_forge_mutex_init(PINIT_ONCE once, PVOID arg, PVOID *ctx)
{
    (void)once; (void)arg; (void)ctx;
    InitializeCriticalSection(&_cffi_forge_mutex);
    return TRUE;
}
static void _cffi_forge_lock_module(void)
{
    InitOnceExecuteOnce(&_cffi_forge_mutex_once, _cffi_forge_mutex_init, NULL, NULL);
    EnterCriticalSection(&_cffi_forge_mutex);
}
static void _cffi_forge_unlock_module(void) { LeaveCriticalSection(&_cffi_forge_mutex); }
#else
/* A statically initialised recursive mutex where the C library has one (glibc,
   macOS): no pthread_once/mutexattr calls, which glibc 2.34 moved, so the
   library keeps the manylinux tag of what the rest of it needs. */
#  if defined(PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP)
static pthread_mutex_t _cffi_forge_mutex = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
#    define _cffi_forge_mutex_ready() ((void)0)
#  elif defined(PTHREAD_RECURSIVE_MUTEX_INITIALIZER)
static pthread_mutex_t _cffi_forge_mutex = PTHREAD_RECURSIVE_MUTEX_INITIALIZER;
#    define _cffi_forge_mutex_ready() ((void)0)
#  else
static pthread_once_t _cffi_forge_mutex_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t _cffi_forge_mutex;
static void _cffi_forge_mutex_init(void)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&_cffi_forge_mutex, &attr);
    pthread_mutexattr_destroy(&attr);
}
#    define _cffi_forge_mutex_ready() pthread_once(&_cffi_forge_mutex_once, _cffi_forge_mutex_init)
#  endif
static void _cffi_forge_lock_module(void)
{
    _cffi_forge_mutex_ready();
    pthread_mutex_lock(&_cffi_forge_mutex);
}
static void _cffi_forge_unlock_module(void) { pthread_mutex_unlock(&_cffi_forge_mutex); }
#endif

/* 0: not started; 1: started (or starting, in this thread); -1: failed. */
static int _cffi_forge_state = 0;

PyMODINIT_FUNC _CFFI_FORGE_PYINIT(void);

/* The init code's exception, on stderr: nothing else would ever show it. */
static void _cffi_forge_report_failure(void)
{
    PyObject *type, *value, *tb, *err;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    err = PySys_GetObject("stderr");
    if (err == NULL || err == Py_None) {
        fprintf(stderr, "cffi-forge: the Python init code of '%s' failed\n", _CFFI_FORGE_MODULE_NAME);
    } else {
        PyFile_WriteString("cffi-forge: the Python init code of '" _CFFI_FORGE_MODULE_NAME
                           "' failed; its exported functions will return 0:\n\n", err);
        if (type != NULL)
            PyErr_Display(type, value, tb);
        PyFile_WriteString("\nsys.path: ", err);
        PyFile_WriteObject(PySys_GetObject("path"), err, 0);
        PyFile_WriteString("\n", err);
    }
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    PyErr_Clear();
}

/* Build the module (which imports _cffi_backend, fills _cffi_exports and
   puts the module in sys.modules) and run the init code. 0 or -1. */
static int _cffi_forge_run_init_code(void)
{
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *code = NULL, *globals = NULL, *result = NULL;
    int status = -1;
    /* sys.modules keeps the module alive: our reference is not needed. */
    PyObject *module = _CFFI_FORGE_PYINIT();
    if (module == NULL)
        goto done;
    Py_DECREF(module);
    code = Py_CompileString(_cffi_forge_init_code,
                            "<init code for '" _CFFI_FORGE_MODULE_NAME "'>", Py_file_input);
    if (code == NULL)
        goto done;
    globals = PyDict_New();
    if (globals == NULL || PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins()) < 0)
        goto done;
    result = PyEval_EvalCode(code, globals, globals);
    if (result != NULL)
        status = 0;
done:
    if (status < 0)
        _cffi_forge_report_failure();
    Py_XDECREF(result);
    Py_XDECREF(globals);
    Py_XDECREF(code);
    PyGILState_Release(gil);
    return status;
}

/* The backend's call_python once this module is ready; NULL when its
   start-up failed (now or earlier). */
static _cffi_forge_callpy_fn _cffi_forge_start(void)
{
    _cffi_forge_callpy_fn call = NULL;
    _cffi_forge_ensure_interpreter();
    _cffi_forge_lock_module();
    if (_cffi_forge_state == 0) {
        _cffi_forge_state = 1;
        if (_cffi_forge_run_init_code() == 0 && _cffi_exports[25] != NULL)
            _cffi_forge_store_callpy((_cffi_forge_callpy_fn)_cffi_exports[25]);
        else
            _cffi_forge_state = -1;
    }
    /* State 1 here is a call made by the init code itself: the module is
       built by then, so the backend can take it. */
    if (_cffi_forge_state > 0)
        call = (_cffi_forge_callpy_fn)_cffi_exports[25];
    _cffi_forge_unlock_module();
    return call;
}

static void _cffi_forge_first_call(struct _cffi_externpy_s *externpy, char *args)
{
    _cffi_forge_callpy_fn call;
    /* Starting Python must not change what the caller sees in errno. */
    int saved_errno = errno;
#ifdef _WIN32
    DWORD saved_error = GetLastError();
#endif
    call = _cffi_forge_start();
#ifdef _WIN32
    SetLastError(saved_error);
#endif
    errno = saved_errno;
    if (call == NULL) {
        fprintf(stderr, "cffi-forge: %s() called, but the Python init code of its library failed: "
                        "returning 0\n", externpy->name);
        memset(args, 0, externpy->size_of_result);
        return;
    }
    call(externpy, args);
}

/* Start Python and this module now rather than at the first call (cffi's
   name, for C code in the module's source): 0 on success, -1 on failure. */
_CFFI_UNUSED_FN static int cffi_start_python(void)
{
    if (_cffi_forge_load_callpy() != &_cffi_forge_first_call)
        return 0;
    return _cffi_forge_start() != NULL ? 0 : -1;
}

#ifdef __cplusplus
}
#endif
/* ---- end of the cffi-forge embedding runtime --------------------------- */
