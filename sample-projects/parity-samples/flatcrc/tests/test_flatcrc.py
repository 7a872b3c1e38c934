import os
import shutil
import subprocess
import sys
import zlib

import crcpkg
import crcutil


def test_sum_with_seed_from_string_compile_args():
    assert crcutil.crc_sum(b"ab") == 7 + 97 + 98


def test_zlib_linked_through_pkgconfig():
    for data in (b"", b"hello", bytes(range(256)) * 3):
        assert crcutil.adler32(data) == zlib.adler32(data)


def test_ext_package_put_the_module_in_the_package():
    assert crcpkg.lib.crc_sum(b"", 0) == 7
    import crcpkg._crc as mod
    assert os.path.dirname(mod.__file__) == os.path.dirname(crcpkg.__file__)


def test_package_data_shipped_but_c_sources_not():
    assert crcpkg.poly() == "0x04C11DB7"
    here = os.path.dirname(crcpkg.__file__)
    assert not os.path.exists(os.path.join(here, "stray.c"))


def test_script_installed_with_the_environments_python():
    script = shutil.which("crc-sum", path=os.path.dirname(sys.executable))
    assert script, "crc-sum is not installed next to %s" % sys.executable
    with open(script) as f:
        first = f.readline()
    assert first.startswith("#!") and "python" in first
    out = subprocess.run([script, "ab"], stdout=subprocess.PIPE, check=True)
    assert out.stdout.decode().strip() == "202"
