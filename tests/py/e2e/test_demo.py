"""The README's "build the tool and use it" command, scripts/demo.sh, works (here reusing
the wheelhouse the suite built instead of building cffi-forge a second time)."""

import os

from .support import REPO, clean_env, run


def fnv1a_32(data):
    h = 0x811C9DC5
    for byte in data:
        h = ((h ^ byte) * 0x01000193) % (1 << 32)
    return h


def test_demo_script(scratch, forge_wheelhouse):
    env = clean_env(CFFI_FORGE_WHEELHOUSE=forge_wheelhouse, CFFI_FORGE_TEST_CACHE=scratch)
    out = run(["bash", REPO / "scripts" / "demo.sh"], env=env, timeout=900).text
    assert "fasthash.fnv1a_32(b'hello') = %#010x" % fnv1a_32(b"hello") in out, out
    assert "fasthash.fnv1a_32(b'cffi-forge') = %#010x" % fnv1a_32(b"cffi-forge") in out, out
    assert ".abi3.so" in out, out
