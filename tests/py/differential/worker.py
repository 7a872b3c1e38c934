"""Runs inside the interpreter under test (CPython 3.8+, PyPy): builds or loads the
modules of a job, ours and cffi's side by side, and prints what each one exposes as
JSON. Kept free of anything newer than Python 3.8.

    python worker.py JOB.json OUT.json

JOB.json: {"tmp": dir, "modules": [{"case", "side", "mode", "module", "path",
           "lib" (ABI), "werror" (API), "types": [...], "calls": [...]}]}
OUT.json: {"<case>/<side>": facts}
"""

import concurrent.futures
import importlib
import importlib.machinery
import importlib.util
import json
import os
import re
import subprocess
import sys
import sysconfig
import traceback
import warnings

ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


def scrub(text, module):
    """Make a message comparable between the two sides."""
    text = ADDRESS.sub("0xADDR", text)
    return text.replace(module, "MODULE")


def exc(e, module):
    return "raises %s: %s" % (type(e).__name__, scrub(str(e), module))


def type_size(ffi, t):
    try:
        return ffi.sizeof(t)
    except Exception as e:  # noqa: BLE001
        return str(e)


def norm(ffi, v, module, depth=0):
    if isinstance(v, (bool, int, float, complex, bytes, str, type(None))):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return [norm(ffi, x, module, depth) for x in v]
    if isinstance(v, dict):
        return {str(k): norm(ffi, x, module, depth) for k, x in sorted(v.items())}
    if isinstance(v, ffi.CData):
        t = ffi.typeof(v)
        if t.kind in ("struct", "union") and depth < 3 and not isinstance(type_size(ffi, t), str):
            return {
                "struct": t.cname,
                "fields": [
                    (name, norm(ffi, getattr(v, name), module, depth + 1))
                    for name, _ in (t.fields or [])
                    if name
                ],
            }
        if t.kind == "array" and depth < 3 and len(v) <= 64:
            return {"array": t.cname, "items": [norm(ffi, x, module, depth + 1) for x in v]}
        if t.kind == "pointer":
            null = v == ffi.NULL
            out = {"pointer": t.cname, "null": null}
            if (not null and t.item.kind in ("struct", "union") and depth < 2
                    and not isinstance(type_size(ffi, t.item), str)):
                out["target"] = norm(ffi, v[0], module, depth + 1)
            return out
        if t.kind == "function":
            return {"function": t.cname, "null": v == ffi.NULL}
        return scrub(repr(v), module)
    if callable(v):
        try:
            return {"callable": ffi.typeof(v).cname}
        except Exception as e:  # noqa: BLE001 - recorded, compared
            return {"callable": exc(e, module)}
    return scrub(repr(v), module)


def type_facts(ffi, name, module):
    try:
        t = ffi.typeof(name)
    except Exception as e:  # noqa: BLE001
        return exc(e, module)
    d = {"cname": t.cname, "kind": t.kind}
    for what, fn in (("sizeof", ffi.sizeof), ("alignof", ffi.alignof)):
        try:
            d[what] = fn(t)
        except Exception as e:  # noqa: BLE001
            d[what] = exc(e, module)
    try:
        if t.kind in ("struct", "union") and isinstance(d["sizeof"], int):
            # (.fields of an opaque struct trips an assertion in some _cffi_backend builds)
            d["fields"] = None if t.fields is None else [
                [n, f.type.cname, f.offset, f.bitshift, f.bitsize, f.flags]
                for n, f in t.fields
            ]
            for n, _ in t.fields or []:
                if n:
                    d.setdefault("offsetof", {})[n] = ffi.offsetof(t, n)
        elif t.kind == "enum":
            d["elements"] = sorted(t.elements.items())
        elif t.kind in ("array", "pointer"):
            d["item"] = t.item.cname
            if t.kind == "array":
                d["length"] = t.length
        elif t.kind == "function":
            d["args"] = [a.cname for a in t.args]
            d["result"] = t.result.cname
            d["ellipsis"] = t.ellipsis
    except Exception as e:  # noqa: BLE001
        d["detail"] = exc(e, module)
    return d


def facts(ffi, lib, m):
    module = m["module"]
    out = {"types": {}, "lib": {}, "calls": []}
    for name in m["types"]:
        out["types"][name] = type_facts(ffi, name, module)
    names = sorted(dir(lib))
    out["dir"] = names
    for n in names:
        try:
            out["lib"][n] = norm(ffi, getattr(lib, n), module)
        except Exception as e:  # noqa: BLE001
            out["lib"][n] = exc(e, module)
        try:
            out["lib"]["typeof " + n] = ffi.typeof(getattr(lib, n)).cname
        except Exception as e:  # noqa: BLE001
            out["lib"]["typeof " + n] = exc(e, module)
    for expr in m["calls"]:
        try:
            value = eval(expr, {"ffi": ffi, "lib": lib})  # noqa: S307 - test corpus
            out["calls"].append(norm(ffi, value, module))
        except Exception as e:  # noqa: BLE001
            out["calls"].append(exc(e, module))
    return out


def compile_api(m, tmp):
    """Build an extension module for this interpreter from a generated C file."""
    include = sysconfig.get_paths()["include"]
    if hasattr(sys, "pypy_version_info"):
        suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    else:
        suffix = ".abi3.so"
    outdir = os.path.join(tmp, "%s-%s" % (m["case"], m["side"]))
    os.makedirs(outdir, exist_ok=True)
    target = os.path.join(outdir, m["module"] + suffix)
    cc = ["g++", "-x", "c++"] if m["path"].endswith(".cpp") else ["gcc"]
    flags = ["-shared", "-fPIC", "-O0", "-Wall", "-I" + include, "-o", target, m["path"]]
    if m.get("werror"):
        flags += ["-Werror"]
    proc = subprocess.run(cc + flags, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    return outdir, proc


def load(m, built):
    if m["mode"] == "abi":
        spec = importlib.util.spec_from_file_location(m["module"], m["path"])
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod.ffi, mod.ffi.dlopen(m["lib"])
    outdir, proc = built
    if proc.returncode != 0:
        raise RuntimeError("compilation of %s: exit %d\n%s" % (m["path"], proc.returncode, proc.stdout))
    sys.path.insert(0, outdir)
    try:
        mod = importlib.import_module(m["module"])
    finally:
        sys.path.remove(outdir)
    return mod.ffi, mod.lib


def main():
    job_path, out_path = sys.argv[1:3]
    with open(job_path) as f:
        job = json.load(f)
    warnings.simplefilter("ignore")
    api = [m for m in job["modules"] if m["mode"] == "api"]
    built = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=job.get("jobs", 2)) as pool:
        futures = {pool.submit(compile_api, m, job["tmp"]): m["module"] for m in api}
        for fut, module in futures.items():
            built[module] = fut.result()
    results = {}
    for m in job["modules"]:
        key = "%s/%s" % (m["case"], m["side"])
        try:
            ffi, lib = load(m, built.get(m["module"]))
            results[key] = facts(ffi, lib, m)
        except Exception:  # noqa: BLE001 - the test reports it
            results[key] = {"load-error": traceback.format_exc()}
    results["_interpreter"] = {
        "version": sys.version,
        "cffi": importlib.import_module("_cffi_backend").__version__,
    }
    with open(out_path, "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
