"""A large, library-shaped cdef (and a C implementation of it) for the generator
benchmarks: structs with nested members and bitfields, unions, enums, typedefs,
function-pointer types, callbacks, globals, #define constants and some two thousand
functions, in the proportions of real C APIs (libgit2, OpenSSL, SDL...). Deterministic.

    python bigcdef.py [SCALE] -> prints the line count of the cdef
"""

import random
import sys

SCALAR = ["int", "unsigned int", "long", "unsigned long", "short", "char", "double", "float",
          "int8_t", "uint8_t", "int16_t", "uint16_t", "int32_t", "uint32_t", "int64_t",
          "uint64_t", "size_t", "ssize_t", "intptr_t", "_Bool", "long long", "unsigned char"]


def build(scale=1.0):
    rnd = random.Random(1234)
    cdef, csrc = [], []
    structs, enums, fptrs, typedefs = [], [], [], []

    n_enums = int(60 * scale)
    for e in range(n_enums):
        name = "bg_enum%d" % e
        values = []
        v = rnd.randint(-5, 5)
        for k in range(rnd.randint(3, 12)):
            v += rnd.randint(1, 4)
            values.append("BG_E%d_V%d = %d" % (e, k, v))
        text = "typedef enum %s {\n    %s\n} %s_t;" % (name, ",\n    ".join(values), name)
        cdef.append(text)
        csrc.append(text)
        enums.append(name + "_t")

    n_structs = int(180 * scale)
    for s in range(n_structs):
        name = "bg_struct%d" % s
        fields = []
        for f in range(rnd.randint(2, 10)):
            r = rnd.random()
            if r < 0.55 or not structs:
                fields.append("%s f%d;" % (rnd.choice(SCALAR), f))
            elif r < 0.65:
                fields.append("%s f%d[%d];" % (rnd.choice(SCALAR), f, rnd.randint(1, 16)))
            elif r < 0.75:
                fields.append("struct %s *p%d;" % (rnd.choice(structs), f))
            elif r < 0.83:
                fields.append("%s e%d;" % (rnd.choice(enums), f))
            elif r < 0.90:
                fields.append("struct %s inner%d;" % (rnd.choice(structs), f))
            elif r < 0.95:
                fields.append("unsigned int bits%d : %d;" % (f, rnd.randint(1, 16)))
            else:
                fields.append("union { int i%d; double d%d; } u%d;" % (f, f, f))
        kind = "union" if s % 17 == 3 else "struct"
        if kind == "union":
            fields = [x for x in fields if ":" not in x] or ["int only;"]
        text = "%s %s {\n    %s\n};" % (kind, name, "\n    ".join(fields))
        if kind == "union":
            cdef.append(text)
            csrc.append(text)
            cdef.append("typedef union %s %s_t;" % (name, name))
            csrc.append("typedef union %s %s_t;" % (name, name))
            typedefs.append(name + "_t")
            continue
        cdef.append(text)
        csrc.append(text)
        cdef.append("typedef struct %s %s_t;" % (name, name))
        csrc.append("typedef struct %s %s_t;" % (name, name))
        structs.append(name)
        typedefs.append(name + "_t")

    for o in range(int(30 * scale)):
        text = "typedef struct bg_opaque%d bg_opaque%d_t;" % (o, o)
        cdef.append(text)
        csrc.append(text + "\nstruct bg_opaque%d { int hidden; };" % o)
        typedefs.append("bg_opaque%d_t" % o)

    for p in range(int(80 * scale)):
        args = ", ".join(rnd.choice(SCALAR + [t + " *" for t in typedefs[:50]])
                         for _ in range(rnd.randint(0, 4))) or "void"
        text = "typedef %s (*bg_cb%d)(%s);" % (rnd.choice(SCALAR + ["void"]), p, args)
        cdef.append(text)
        csrc.append(text)
        fptrs.append("bg_cb%d" % p)

    for c in range(int(300 * scale)):
        text = "#define BG_CONST_%d %d" % (c, rnd.randint(-100000, 100000))
        cdef.append(text)
        csrc.append(text)

    for g in range(int(60 * scale)):
        t = rnd.choice(SCALAR + typedefs[:40])
        cdef.append("extern %s bg_global%d;" % (t, g))
        csrc.append("%s bg_global%d;" % (t, g))

    n_funcs = int(1600 * scale)
    for fn in range(n_funcs):
        args = []
        for a in range(rnd.randint(0, 6)):
            r = rnd.random()
            if r < 0.45:
                t = rnd.choice(SCALAR)
            elif r < 0.75:
                t = rnd.choice(typedefs) + " *"
            elif r < 0.82:
                t = "const char *"
            elif r < 0.88:
                t = rnd.choice(fptrs)
            elif r < 0.94:
                t = rnd.choice(enums)
            else:
                t = "void *"
            args.append((t, "a%d" % a))
        r = rnd.random()
        if r < 0.5:
            result = rnd.choice(SCALAR)
        elif r < 0.7:
            result = "void"
        elif r < 0.9:
            result = rnd.choice(typedefs) + " *"
        else:
            result = rnd.choice(enums)
        params = ", ".join("%s %s" % p for p in args) or "void"
        cdef.append("%s bg_func%d(%s);" % (result, fn, params))
        if result == "void":
            body = "{ }"
        elif result.endswith("*"):
            body = "{ return 0; }"
        else:
            body = "{ return (%s)0; }" % result
        csrc.append("%s bg_func%d(%s) %s" % (result, fn, params, body))

    cdef_text = "\n".join(cdef) + "\n"
    source = "#include <stdint.h>\n#include <stddef.h>\n#include <sys/types.h>\n" + "\n".join(csrc) + "\n"
    return cdef_text, source


if __name__ == "__main__":
    text, _ = build(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
    print(text.count("\n"))
