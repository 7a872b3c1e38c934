"""Ask cffi about a corpus of cdefs: accepted or not, and what its parser recorded.

Reads a JSON list of cases from stdin; each case is a list of cdefs
`{"text": ..., "override": bool, "packed": bool, "pack": int|null}`, given to one
FFI in order. Writes a JSON list of results, in the format the Rust side
(tests/cdef/differential.rs) produces from our model:

  {"ok": false, "class": "CDefError", "message": "..."}
  {"ok": true, "decls": [[key, type, quals]...], "consts": {...},
   "records": {...}, "warnings": [...], "feature": ...}
"""
import json
import sys
import warnings

import cffi
from cffi import model


def desc(tp, records):
    if isinstance(tp, model.VoidType):
        return "void"
    if isinstance(tp, model.PrimitiveType):
        return tp.name
    if isinstance(tp, model.UnknownIntegerType):
        return "int...:" + tp.name
    if isinstance(tp, model.UnknownFloatType):
        return "float...:" + tp.name
    if isinstance(tp, model.BaseFunctionType):
        kind = "rawfunc" if isinstance(tp, model.RawFunctionType) else "funcptr"
        args = [desc(a, records) for a in tp.args]
        if tp.ellipsis:
            args.append("...")
        abi = " " + tp.abi if tp.abi else ""
        return "%s%s(%s)->%s" % (kind, abi, ", ".join(args), desc(tp.result, records))
    if isinstance(tp, model.NamedPointerType):
        return "namedptr:%s(%s)" % (tp.name, desc(tp.totype, records))
    if isinstance(tp, model.PointerType):
        return "ptr%d(%s)" % (tp.quals, desc(tp.totype, records))
    if isinstance(tp, model.ArrayType):
        return "array[%s](%s)" % (tp.length, desc(tp.item, records))
    if isinstance(tp, model.StructOrUnionOrEnum):
        key = "%s#%s" % (tp.kind, tp.name)
        if key not in records:
            records[key] = None  # placeholder against recursion
            records[key] = record(tp, records)
        return key
    return "?" + type(tp).__name__


def record(tp, records):
    r = {"c_name": tp._get_c_name(), "forcename": tp.forcename}
    if isinstance(tp, model.EnumType):
        r["enumerators"] = list(tp.enumerators)
        r["values"] = [str(v) for v in tp.enumvalues]
        r["partial"] = bool(tp.partial)
        return r
    r["partial"] = bool(tp.partial)
    r["packed"] = tp.packed or 0
    r["unknown"] = getattr(tp, "origin", None) == "unknown_type"
    if tp.fldtypes is None:
        r["fields"] = None
    else:
        quals = tp.fldquals if tp.fldquals is not None else (0,) * len(tp.fldnames)
        r["fields"] = [
            [n, desc(t, records), str(b), q]
            for n, t, b, q in zip(tp.fldnames, tp.fldtypes, tp.fldbitsize, quals)
        ]
    return r


def run(case):
    ffi = cffi.FFI()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            for c in case:
                ffi.cdef(c["text"], override=c.get("override", False),
                         packed=c.get("packed", False), pack=c.get("pack"))
        except Exception as e:
            return {"ok": False, "class": type(e).__name__, "message": str(e)}
    p = ffi._parser
    records = {}
    decls = []
    for key, (obj, quals) in sorted(p._declarations.items()):
        if isinstance(obj, model.BaseTypeByIdentity):
            d = desc(obj, records) + " = " + obj._get_c_name()
        else:
            d = "value:" + str(obj)
        decls.append([key, d, quals])
    return {
        "ok": True,
        "decls": decls,
        "consts": {k: str(v) for k, v in p._int_constants.items()},
        "records": records,
        "warnings": sorted(str(w.message)[:60] for w in caught),
        "feature": p._uses_new_feature,
    }


def main():
    cases = json.load(sys.stdin)
    json.dump([run(c) for c in cases], sys.stdout)


if __name__ == "__main__":
    main()
