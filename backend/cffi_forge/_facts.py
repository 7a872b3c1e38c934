"""The facts about the target interpreter that naming, tags and compilation depend on.

The PEP 517 shim (``__init__.py``) imports this module in the interpreter that runs the
hook and hands ``facts()`` to the binary as JSON, so no second Python starts; the binary
runs this same file with ``python -I -c`` for ``cffi-forge build -i PYTHON`` (and caches the
answer). Must run on CPython 3.8+ and PyPy, and import nothing but the standard library.

Every hook pays for what this imports: ``json`` and ``platform`` both import ``re`` (with
``enum``), several milliseconds per hook, so on Linux and macOS the few values taken from
``platform`` are read where it reads them (``os.uname()``, ``sys.version``) and the JSON is
written by ``dumps`` below.
"""
import importlib.machinery
import os
import struct
import sys
import sysconfig


def impl_version(info):
    # PEP 508's `implementation_version`.
    version = "%d.%d.%d" % (info.major, info.minor, info.micro)
    if info.releaselevel != "final":
        version += info.releaselevel[0] + str(info.serial)
    return version


def _platform_values():
    """(machine, release, version, system, implementation, python version) as ``platform``
    gives them. On Linux and macOS ``platform.uname()`` is ``os.uname()`` unchanged, and
    ``platform.python_version()`` the first word of ``sys.version`` (CPython and PyPy alike);
    elsewhere (Windows, other systems and implementations) ``platform`` itself answers."""
    names = {"cpython": "CPython", "pypy": "PyPy"}
    if sys.platform in ("linux", "darwin") and hasattr(os, "uname") and sys.implementation.name in names:
        uname = os.uname()
        if all(uname):
            return (uname.machine, uname.release, uname.version, uname.sysname,
                    names[sys.implementation.name], sys.version.split()[0])
    import platform

    return (platform.machine(), platform.release(), platform.version(), platform.system(),
            platform.python_implementation(), platform.python_version())


def facts():
    v = sysconfig.get_config_var
    machine, release, version, system, implementation, python_version = _platform_values()
    paths = sysconfig.get_paths()
    return {
        "executable": sys.executable,
        "implementation": sys.implementation.name,
        "version": list(sys.version_info[:2]),
        "pypy_version": list(sys.pypy_version_info[:2]) if hasattr(sys, "pypy_version_info") else None,
        "ext_suffix": v("EXT_SUFFIX") or v("SO"),
        "soabi": v("SOABI"),
        "abiflags": getattr(sys, "abiflags", ""),
        "platform": sysconfig.get_platform(),
        "host_platform_env": os.environ.get("_PYTHON_HOST_PLATFORM"),
        "machine": machine,
        "pointer_bits": struct.calcsize("P") * 8,
        "debug": hasattr(sys, "gettotalrefcount"),
        "free_threaded": bool(v("Py_GIL_DISABLED")),
        "include": paths.get("include"),
        "platinclude": paths.get("platinclude"),
        "purelib": paths.get("purelib"),
        "libdir": v("LIBDIR"),
        "ldlibrary": v("LDLIBRARY"),
        "base_prefix": sys.base_prefix,
        "cc": v("CC"),
        "cxx": v("CXX"),
        "ldshared": v("LDSHARED"),
        "ldcxxshared": v("LDCXXSHARED"),
        "ccshared": v("CCSHARED"),
        "cflags": v("CFLAGS"),
        "macosx_deployment_target": v("MACOSX_DEPLOYMENT_TARGET"),
        "extension_suffixes": list(importlib.machinery.EXTENSION_SUFFIXES),
        "markers": {
            "implementation_name": sys.implementation.name,
            "implementation_version": impl_version(sys.implementation.version),
            "os_name": os.name,
            "platform_machine": machine,
            "platform_python_implementation": implementation,
            "platform_release": release,
            "platform_system": system,
            "platform_version": version,
            "python_full_version": python_version,
            "python_version": ".".join(python_version.split(".")[:2]),
            "sys_platform": sys.platform,
        },
    }


def dumps(value):
    """``json.dumps(value)`` (its default ``ensure_ascii`` output, byte for byte) for the
    types ``facts()`` holds, without importing ``json``."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
            return '"' + value + '"'
        return '"' + "".join(_escape(c) for c in value) + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(dumps(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(dumps(str(k)) + ": " + dumps(item) for k, item in value.items()) + "}"
    raise TypeError("cannot write %r as JSON" % (value,))


_SHORT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _escape(c):
    if c in _SHORT:
        return _SHORT[c]
    code = ord(c)
    if 0x20 <= code < 0x7F:
        return c
    if code > 0xFFFF:
        code -= 0x10000
        return "\\u%04x\\u%04x" % (0xD800 | (code >> 10), 0xDC00 | (code & 0x3FF))
    return "\\u%04x" % code


if __name__ == "__main__":
    print(dumps(facts()))
