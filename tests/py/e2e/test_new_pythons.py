"""Every sample built on CPython 3.14 and 3.15 (Debian sid's 3.14.10 and 3.15.2, which
`tests/provision/python-sid.sh` provisions): the same `pip wheel` isolated build as the
other samples, then the wheel's name and files, abi3audit, installing it there and the
sample's own tests. (The abi3 wheels built on 3.8 are installed on 3.14 and 3.15 by
test_samples.py, which runs on every interpreter.)

The abi3 floor is requires-python's lower bound (3.8 for every sample), so a wheel built on
3.15 must name its modules `.abi3.so`, not 3.15's own first choice
`.abi3-x86_64-linux-gnu.so`, which 3.8-3.13 cannot import; the wheel is then also installed
on the oldest CPython to prove it.
"""

import pytest

from . import interpreters
from .support import check_imports_from_venv, run_sample_tests
from .test_samples import EXPECT, NAMES, OLDEST, check_abi3_audit, expected_tag, module_path
from .wheelcheck import Wheel

NEW = interpreters.PROVISIONED


@pytest.mark.parametrize("builder", NEW)
@pytest.mark.parametrize("sample", NAMES)
def test_sample_built_on_a_new_python(sample, builder, sample_builds, venvs, scratch):
    wheel = Wheel(sample_builds.wheel(sample, builder))
    facts = venvs.facts(builder)
    assert tuple(facts["version"]) == tuple(int(x) for x in builder.split("."))
    expect = EXPECT[sample]
    assert wheel.tag == expected_tag(sample, facts, wheel)
    for module in expect["modules"]:
        path = module_path(module, expect["wheel"], facts)
        assert path in wheel.files, "%s missing from %s: %s" % (path, wheel.path.name, sorted(wheel.files))
    if wheel.abi_tag == "abi3":
        check_abi3_audit(wheel, expect["modules"])
    wheel.check_layout()
    wheel.check_record()

    targets = [builder] + ([OLDEST] if expect["wheel"] == "abi3" else [])
    for target in targets:
        # One venv per (builder, target), shared by the samples: the dependencies first, then
        # this very wheel (another build of the same version may be installed already).
        venv = venvs.get(target, name="built-on-%s-run-on-%s" % (builder, target))
        workdir = scratch / "runs" / ("%s-built-on-%s-on-%s" % (sample, builder, target))
        workdir.mkdir(parents=True, exist_ok=True)
        venv.pip("install", "--find-links", wheel.path.parent, wheel.path)
        venv.pip("install", "--force-reinstall", "--no-deps", wheel.path)
        check_imports_from_venv(venv, expect["imports"], workdir)
        run_sample_tests(venv, sample, workdir)
