"""Broken projects fail through pip with the cause in front of the user: the message
names the file and the problem, the build exits non-zero and leaves no wheel."""

import pytest

from .support import SAMPLES, copy_project, run


def pip_wheel_fails(venv, project, wheelhouse, out):
    proc = run([venv.python, "-m", "pip", "wheel", "--no-deps", "--find-links", wheelhouse,
                "-w", out, project], cwd=project.parent, check=False)
    assert proc.returncode != 0, "the build should have failed:\n" + proc.text
    assert not (out.exists() and list(out.glob("*.whl"))), "a wheel was left behind"
    return proc.text


@pytest.fixture(scope="module")
def venv(venvs):
    return venvs.get("3.11", name="errors", with_pytest=False)


def test_build_script_that_raises(venv, scratch, forge_wheelhouse):
    project = copy_project(SAMPLES / "fasthash", scratch / "errors" / "raises" / "fasthash")
    script = project / "fasthash_build.py"
    script.write_text(script.read_text().replace(
        "ffibuilder = FFI()", "ffibuilder = FFI()\nraise RuntimeError('no SIMD support detected')"))
    output = pip_wheel_fails(venv, project, forge_wheelhouse, project.parent / "out")
    assert "fasthash_build.py" in output
    assert "RuntimeError: no SIMD support detected" in output


def test_compile_error_shows_the_compiler_output(venv, scratch, forge_wheelhouse):
    project = copy_project(SAMPLES / "fasthash", scratch / "errors" / "compile" / "fasthash")
    source = project / "csrc" / "fasthash.c"
    source.write_text(source.read_text().replace(
        "h ^= data[i];", "h ^= data[i] this_is_not_c;", 1))
    output = pip_wheel_fails(venv, project, forge_wheelhouse, project.parent / "out")
    assert "fasthash.c" in output
    assert "this_is_not_c" in output  # gcc quotes the offending line
    assert "fasthash._native" in output  # and we name the module


def test_missing_pkg_config_package(venv, scratch, forge_wheelhouse):
    project = copy_project(SAMPLES / "zcheck", scratch / "errors" / "pkgconfig" / "zcheck")
    script = project / "zcheck" / "_zlib_build.py"
    script.write_text(script.read_text().replace('["zlib"]', '["zlib-of-the-future"]'))
    output = pip_wheel_fails(venv, project, forge_wheelhouse, project.parent / "out")
    assert "zlib-of-the-future" in output
    assert "pkg-config" in output
