# Printed as JSON by `python -c` for cffi-forge: the facts about the target interpreter
# that naming, tags and compilation depend on. Must run on CPython 3.8+ and PyPy.
import json
import platform
import struct
import sys
import sysconfig

v = sysconfig.get_config_var
paths = sysconfig.get_paths()
print(json.dumps({
    "executable": sys.executable,
    "implementation": sys.implementation.name,
    "version": list(sys.version_info[:2]),
    "pypy_version": list(sys.pypy_version_info[:2]) if hasattr(sys, "pypy_version_info") else None,
    "ext_suffix": v("EXT_SUFFIX") or v("SO"),
    "soabi": v("SOABI"),
    "abiflags": getattr(sys, "abiflags", ""),
    "platform": sysconfig.get_platform(),
    "host_platform_env": __import__("os").environ.get("_PYTHON_HOST_PLATFORM"),
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
}))
