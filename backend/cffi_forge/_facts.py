"""The facts about the target interpreter that naming, tags and compilation depend on.

The PEP 517 shim (``__init__.py``) imports this module in the interpreter that runs the
hook and hands ``facts()`` to the binary as JSON, so no second Python starts; the binary
runs this same file with ``python -I -c`` for ``cffi-forge build -i PYTHON`` (and caches the
answer). Must run on CPython 3.8+ and PyPy, and import nothing but the standard library.
"""
import importlib.machinery
import json
import os
import platform
import struct
import sys
import sysconfig


def impl_version(info):
    # PEP 508's `implementation_version`.
    version = "%d.%d.%d" % (info.major, info.minor, info.micro)
    if info.releaselevel != "final":
        version += info.releaselevel[0] + str(info.serial)
    return version


def facts():
    v = sysconfig.get_config_var
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
        "machine": platform.machine(),
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
            "platform_machine": platform.machine(),
            "platform_python_implementation": platform.python_implementation(),
            "platform_release": platform.release(),
            "platform_system": platform.system(),
            "platform_version": platform.version(),
            "python_full_version": platform.python_version(),
            "python_version": ".".join(platform.python_version_tuple()[:2]),
            "sys_platform": sys.platform,
        },
    }


if __name__ == "__main__":
    print(json.dumps(facts()))
