#!/bin/sh
# Seed the fuzzing corpus with every case of the differential test corpus.
set -eu
cd "$(dirname "$0")"
mkdir -p corpus/parse_cdef
python3 - <<'PY'
import os, re
n = 0
for f in sorted(os.listdir("../tests/cdef_corpus")):
    if not f.endswith(".txt"):
        continue
    for case in open(os.path.join("../tests/cdef_corpus", f)).read().split("\n### ")[1:]:
        body = case.split("\n", 1)[1] if "\n" in case else ""
        n += 1
        with open("corpus/parse_cdef/seed%04d.h" % n, "w") as out:
            out.write(re.sub(r"^---.*$", "", body, flags=re.M))
print("seeded", n, "inputs")
PY
