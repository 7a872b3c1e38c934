import os
import sys
import sysconfig

import mixext
import mixext._clamp
import mixext._native


def test_cffi_module_and_linux_only_options():
    assert mixext.clamp(5, 0, 3) == 3
    assert mixext.clamp(-5, 0, 3) == 0
    assert mixext.on_linux() == sys.platform.startswith("linux")


def test_cxx_extension_with_the_full_c_api():
    assert mixext.mean([1, 2, 3, 4]) == 2.5
    assert mixext.mean([]) == 0.0
    # Built for exactly this interpreter.
    assert mixext.version_hex() >> 16 == sys.hexversion >> 16


def test_file_names():
    assert os.path.basename(mixext._native.__file__) == "_native" + sysconfig.get_config_var("EXT_SUFFIX")
    assert ".abi3." in os.path.basename(mixext._clamp.__file__)
