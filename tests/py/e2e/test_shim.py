"""The installed PEP 517 shim's own costs: every hook runs in a fresh Python, so what the
shim imports and starts is paid on each of them."""

import json
import sys
from pathlib import Path

import pytest

from . import interpreters
from .support import Venv, clean_env, run


def test_installed_shim_finds_its_binary_from_record_without_importlib_metadata(scratch, forge_wheelhouse):
    venv = Venv.create(sys.executable, scratch / "shim-venv")
    wheel = next(forge_wheelhouse.glob("cffi_forge-*.whl"))
    venv.pip("install", "-q", "--no-index", "--no-deps", wheel)
    code = ("import sys, cffi_forge, json\n"
            "print(json.dumps([cffi_forge._binary(), 'importlib.metadata' in sys.modules]))")
    found, imported = json.loads(run([venv.python, "-c", code], env=clean_env()).text)
    assert found == str(venv.script("cffi-forge")), found
    assert not imported, "importlib.metadata costs more than the rest of a hook's Python side"


def test_installed_shim_passes_the_facts_the_binary_would_ask_for(scratch, forge_wheelhouse):
    """The facts the shim computes in-process equal what the binary's own query reports."""
    venv = Venv.create(sys.executable, scratch / "shim-venv-facts")
    wheel = next(forge_wheelhouse.glob("cffi_forge-*.whl"))
    venv.pip("install", "-q", "--no-index", "--no-deps", wheel)
    code = "import cffi_forge\nprint(cffi_forge._facts_args()[1])"
    in_process = json.loads(run([venv.python, "-c", code], env=clean_env()).text)
    facts_py = venv.site_packages() / "cffi_forge" / "_facts.py"
    queried = json.loads(run([venv.python, "-I", "-c", facts_py.read_text()], env=clean_env()).text)
    assert in_process == queried


TINY = """[build-system]
requires = ["cffi-forge"]
build-backend = "cffi_forge"

[project]
name = "tiny"
version = "1.0.0"

[[tool.cffi-forge.module]]
name = "_tiny"
cdef = "int seven(void);"
source = "static int seven(void) { return 7; }"
"""

# What the hook must not import on Linux: each costs milliseconds in every hook's fresh
# Python (`re` comes with `json` and `platform`; `subprocess` brings selectors, signal,
# threading; threading is not listed: sysconfig imports it from 3.12 on).
HEAVY = ("subprocess", "json", "re", "platform", "signal", "selectors")


def test_build_wheel_hook_imports_nothing_heavy_and_builds_a_working_module(scratch, forge_wheelhouse):
    venv = Venv.create(sys.executable, scratch / "shim-venv-imports")
    wheel = next(forge_wheelhouse.glob("cffi_forge-*.whl"))
    venv.pip("install", "-q", "--no-index", "--no-deps", wheel)
    project = scratch / "shim-tiny"
    project.mkdir()
    (project / "pyproject.toml").write_text(TINY)
    out = scratch / "shim-tiny-out"
    code = ("import sys, cffi_forge\n"
            "name = cffi_forge.build_wheel(sys.argv[1])\n"
            "heavy = [m for m in %r if m in sys.modules]\n"
            "print(name)\n"
            "print(' '.join(heavy) or '-')\n" % (HEAVY,))
    lines = run([venv.python, "-c", code, out], cwd=project, env=clean_env()).text.strip().splitlines()
    name, heavy = lines[-2], lines[-1]
    assert heavy == "-", "the build_wheel hook imported %s" % heavy
    built = out / name
    assert built.is_file(), lines
    # The module works: the wheel is unpacked and imported by this interpreter (the
    # venv's base), with the cffi the tests run with.
    unpacked = scratch / "shim-tiny-unpacked"
    import zipfile

    zipfile.ZipFile(built).extractall(unpacked)
    check = "import sys; sys.path.insert(0, sys.argv[1]); from _tiny import lib; print(lib.seven())"
    assert run([sys.executable, "-c", check, unpacked]).text.strip() == "7"


def test_hook_reports_the_binarys_exit_status_and_signal(scratch, forge_wheelhouse, tmp_path):
    """The binary's exit status becomes the hook's (its error already printed, once); a
    binary killed by a signal is reported as such."""
    venv = Venv.create(sys.executable, scratch / "shim-venv-status")
    wheel = next(forge_wheelhouse.glob("cffi_forge-*.whl"))
    venv.pip("install", "-q", "--no-index", "--no-deps", wheel)
    project = tmp_path / "broken"
    project.mkdir()
    (project / "pyproject.toml").write_text(TINY.replace("int seven(void);", "int seven(void)"))
    code = "import sys, cffi_forge; cffi_forge.build_wheel(sys.argv[1])"
    failed = run([venv.python, "-c", code, tmp_path / "out"], cwd=project, env=clean_env(), check=False)
    assert failed.returncode == 1, failed.text
    assert failed.text.count("error") == 1 and "Traceback" not in failed.text, failed.text
    killer = tmp_path / "killed-binary"
    killer.write_text("#!/bin/sh\nkill -KILL $$\n")
    killer.chmod(0o755)
    killed = run([venv.python, "-c", code, tmp_path / "out"], cwd=project,
                 env=clean_env(CFFI_FORGE_BIN=killer), check=False)
    assert killed.returncode == 1, killed.text
    assert "cffi-forge build-wheel was stopped by signal 9" in killed.text, killed.text


FACTS_CHECK = """
import json, platform, sys
sys.path.insert(0, sys.argv[1])
from cffi_forge import _facts
facts = _facts.facts()
m = facts["markers"]
problems = []
expected = {
    "platform_machine": platform.machine(),
    "platform_release": platform.release(),
    "platform_version": platform.version(),
    "platform_system": platform.system(),
    "platform_python_implementation": platform.python_implementation(),
    "python_full_version": platform.python_version(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
}
for key, value in expected.items():
    if m[key] != value:
        problems.append("%s: %r, platform says %r" % (key, m[key], value))
if facts["machine"] != platform.machine():
    problems.append("machine: %r" % facts["machine"])
for value in [facts, "", "plain", 'q"uote', "back\\\\slash", "\\x00\\x1f\\x7f\\n\\t\\r\\b\\f", "\\u00e9\\u20ac",
              "\\U0001f600", "\\udcff", [1, True, None, False, {"k": []}]]:
    if _facts.dumps(value) != json.dumps(value):
        problems.append("dumps(%r) = %r, json.dumps gives %r" % (value, _facts.dumps(value), json.dumps(value)))
print(json.dumps(problems))
"""


@pytest.mark.parametrize("version", interpreters.ALL)
def test_facts_without_platform_and_json_equal_theirs(pythons, version):
    """On Linux the shim reads the few `platform` values from os.uname() and sys.version and
    writes JSON itself (both modules import `re`): the oracle is `platform` and `json`, on
    every interpreter the tests use."""
    backend = Path(__file__).resolve().parents[3] / "backend"
    out = run([pythons.path(version), "-I", "-c", FACTS_CHECK, backend], env=clean_env())
    assert json.loads(out.text.strip().splitlines()[-1]) == []
