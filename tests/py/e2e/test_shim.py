"""The installed PEP 517 shim's own costs: every hook runs in a fresh Python, so what the
shim imports and starts is paid on each of them."""

import json
import sys

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
