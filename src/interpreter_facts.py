# Printed as JSON by `python -c` for cffi-forge: the facts about the target interpreter
# that naming, tags and compilation depend on. Must run on CPython 3.8+ and PyPy.
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
}))
