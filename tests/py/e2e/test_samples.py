"""Every sample project builds with `pip wheel` (isolated build, the cffi-forge wheel from
the local wheelhouse), gives a correct wheel, installs into fresh venvs and passes its own
tests: the abi3 wheel built with CPython 3.8 on every CPython 3.8-3.13, and a wheel built
with PyPy on PyPy."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from . import interpreters
from .support import (
    SAMPLES,
    audited_platform,
    check_imports_from_venv,
    load_samples,
    run_sample_tests,
    sample_dirs,
    tomllib,
)
from .wheelcheck import Wheel

EXPECT = load_samples()
NAMES = sample_dirs()
OLDEST = interpreters.CPYTHONS[0]
BUILDERS = [OLDEST, interpreters.PYPY]


def test_every_sample_is_described_in_samples_toml():
    assert sorted(EXPECT) == NAMES, (
        "sample-projects/samples.toml must describe exactly the sample folders: "
        "missing %s, stale %s" % (sorted(set(NAMES) - set(EXPECT)), sorted(set(EXPECT) - set(NAMES)))
    )
    for name, entry in EXPECT.items():
        assert entry.get("wheel") in ("abi3", "any"), "%s: wheel must be abi3 or any" % name
        assert entry.get("modules"), "%s: list its CFFI modules" % name
        assert entry.get("files"), "%s: list every file of its wheel (files = [...])" % name
        assert isinstance(entry.get("tests"), int) and entry["tests"] > 0, (
            "%s: say how many of its own tests must pass (tests = N)" % name)


def project_table(sample):
    with open(SAMPLES / sample / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def abi3_floor(sample):
    spec = project_table(sample).get("requires-python", "")
    match = re.search(r">=\s*3\.(\d+)", spec)
    assert match, "%s: requires-python %r has no >=3.X lower bound" % (sample, spec)
    return "cp3" + match.group(1)


def expected_tag(sample, facts, wheel):
    if EXPECT[sample]["wheel"] == "any":
        return "py3-none-any"
    platform = audited_platform(wheel.platform_tag, facts["platform"])
    if facts["implementation"] == "pypy":
        py = "%d%d" % tuple(facts["version"])
        pp = "%d%d" % tuple(facts["pypy_version"])
        return "pp%s-pypy%s_pp%s-%s" % (py, py, pp, platform)
    return "%s-abi3-%s" % (abi3_floor(sample), platform)


def module_suffix(kind, facts):
    if kind == "any":
        return ".py"
    if facts["implementation"] == "pypy":
        return facts["ext_suffix"]
    return ".abi3.so"


def module_path(module, kind, facts):
    return module.replace(".", "/") + module_suffix(kind, facts)


@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("sample", NAMES)
def test_wheel_is_correct(sample, builder, sample_builds, venvs):
    wheel = Wheel(sample_builds.wheel(sample, builder))
    facts = venvs.facts(builder)
    expect = EXPECT[sample]
    project = project_table(sample)

    assert wheel.name == re.sub(r"[-_.]+", "_", project["name"]).lower()
    assert wheel.version == project["version"]
    assert wheel.tag == expected_tag(sample, facts, wheel)
    wheel.check_layout()
    wheel.check_record()
    assert wheel.wheel_file()["Root-Is-Purelib"] == ("true" if expect["wheel"] == "any" else "false")

    metadata = wheel.metadata()
    assert metadata["Metadata-Version"] == "2.4"
    assert metadata["Name"] == project["name"]
    assert metadata["Version"] == project["version"]
    assert metadata["Requires-Python"].replace(" ", "") == project["requires-python"].replace(" ", "")
    requirements = wheel.requires_dist()
    runtime = [r for r in requirements if not re.search(r"\bextra\s*==", r)]
    names = [re.match(r"[A-Za-z0-9._-]+", r).group(0).lower() for r in runtime]
    assert names == ["cffi"] + [d.split()[0].lower() for d in project.get("dependencies", [])], (
        "at run time the wheel must depend on cffi (and the project's own dependencies) "
        "only: %s" % requirements
    )
    extras = project.get("optional-dependencies", {})
    assert sorted(metadata.get_all("Provides-Extra") or []) == sorted(extras)
    assert len(requirements) - len(runtime) == sum(len(v) for v in extras.values())

    for module in expect["modules"]:
        path = module_path(module, expect["wheel"], facts)
        assert path in wheel.files, "%s missing from %s: %s" % (
            path, wheel.path.name, sorted(wheel.files))
    # The whole list: an extra file, or a pure-Python module left out, fails too.
    wheel.check_files(expect["files"], module_suffix(expect["wheel"], facts))
    if expect["wheel"] == "any":
        compiled = [f for f in wheel.files if f.endswith((".so", ".pyd", ".dylib"))]
        assert not compiled, "an ABI-mode-only wheel holds compiled files: %s" % compiled

    if wheel.abi_tag == "abi3":
        check_abi3_audit(wheel, expect["modules"])

    scripts = wheel.entry_points().get("console_scripts", {})
    assert sorted(scripts) == sorted(expect.get("scripts", [])), scripts
    for name, target in project.get("scripts", {}).items():
        assert scripts[name] == target


def check_abi3_audit(wheel, modules):
    """abi3audit (what cibuildwheel runs on every abi3 wheel) finds only limited-API symbols
    of the version the tag claims, in every compiled module."""
    tool = Path(sys.executable).parent / "abi3audit"
    assert tool.exists(), "abi3audit is not installed in the tools venv %s" % tool.parent
    proc = subprocess.run([str(tool), "--strict", "--report", str(wheel.path)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.returncode == 0, "abi3audit --strict failed:\n%s%s" % (
        proc.stdout.decode(), proc.stderr.decode())
    report = json.loads(proc.stdout)
    (spec,) = report["specs"].values()
    results = {entry["name"]: entry["result"] for entry in spec["wheel"]}
    assert len(results) == len(modules), "abi3audit saw %s, expected %s" % (sorted(results), modules)
    for name, result in results.items():
        assert result["is_abi3"] and result["is_abi3_baseline_compatible"], (name, result)
        assert not result["non_abi3_symbols"], (name, result["non_abi3_symbols"])
        assert result["baseline"] == "3.%s" % wheel.python_tag[3:], (name, result)


@pytest.mark.parametrize("python", interpreters.ALL)
@pytest.mark.parametrize("sample", NAMES)
def test_sample_passes_its_tests(sample, python, sample_builds, venvs, scratch):
    builder = interpreters.PYPY if python == interpreters.PYPY else OLDEST
    wheel = sample_builds.wheel(sample, builder)
    venv = venvs.get(python)
    workdir = scratch / "runs" / ("%s-%s" % (sample, python))
    workdir.mkdir(parents=True, exist_ok=True)
    venv.pip("install", "--find-links", wheel.parent, wheel)
    check_imports_from_venv(venv, EXPECT[sample]["imports"], workdir)
    for script in EXPECT[sample].get("scripts", []):
        assert venv.script(script).exists(), "console script %s not installed" % script
    run_sample_tests(venv, sample, workdir)


# Samples with build scripts: the native generator writes their modules by default; each
# also builds with cffi's own emitter (`generator = "cffi"`) and passes its tests.
WITH_SCRIPTS = [s for s in NAMES if not EXPECT[s].get("no-index")]


@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("sample", NAMES)
def test_modules_are_generated_natively(sample, builder, sample_builds):
    log = sample_builds.log(sample, builder)
    for module in EXPECT[sample]["modules"]:
        assert "Generating %s (native generator)" % module in log, (
            "%s was not generated by cffi-forge's generator:\n%s" % (module, log[-6000:]))
    assert "Falling back" not in log, log[-6000:]
    if EXPECT[sample].get("no-index"):
        # Declarative only: no build script ran, nothing but cffi-forge was installed.
        assert "(build script)" not in log, log[-6000:]
        installed = re.findall(r"Successfully installed (.*)", log)
        assert installed and all(
            name.startswith("cffi-forge-") or name.startswith("cffi_forge-")
            for line in installed for name in line.split()
        ), installed


@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("sample", WITH_SCRIPTS)
def test_sample_built_with_cffis_emitter_passes_its_tests(sample, builder, sample_builds, venvs, scratch):
    wheel = sample_builds.wheel(sample, builder, generator="cffi")
    log = sample_builds.log(sample, builder, generator="cffi")
    assert "native generator" not in log, log[-6000:]
    assert Wheel(wheel).tag == Wheel(sample_builds.wheel(sample, builder)).tag
    venv = venvs.get(builder, name="cffi-emitter-" + builder)
    workdir = scratch / "runs" / ("%s-%s-cffi-emitter" % (sample, builder))
    workdir.mkdir(parents=True, exist_ok=True)
    venv.pip("install", "--force-reinstall", "--find-links", wheel.parent, wheel)
    check_imports_from_venv(venv, EXPECT[sample]["imports"], workdir)
    run_sample_tests(venv, sample, workdir)
