import os
import random
import shutil
import subprocess
import sys

import pytest

import textkit


def python_counts(data: bytes):
    return (data.count(b"\n"), len(data.split()), len(data))


@pytest.mark.parametrize(
    "text",
    [b"", b"one", b"one two\n", b"  leading and trailing  \n\n", b"tabs\tand\x0bvt\x0cff\r\n"],
)
def test_count_matches_python(text):
    assert tuple(textkit.count(text)) == python_counts(text)


def test_count_random_text():
    rng = random.Random(3)
    alphabet = b"ab \n\t"
    for _ in range(200):
        text = bytes(rng.choice(alphabet) for _ in range(rng.randrange(300)))
        assert tuple(textkit.count(text)) == python_counts(text)


def test_count_accepts_str():
    assert textkit.count("héllo wörld") == textkit.Counts(0, 2, 13)
    assert str(textkit.count("a b\n")) == "1 lines, 2 words, 4 bytes"


@pytest.mark.parametrize("data", [b"", b"a", b"aaab", b"x" * 600, bytes(range(256)) * 3])
def test_rle_round_trip(data):
    encoded = textkit.encode(data)
    assert textkit.decode(encoded) == data


def test_rle_format():
    assert textkit.encode(b"aaab") == b"\x03a\x01b"
    assert textkit.encode(b"z" * 300) == b"\xffz\x2dz"


def test_rle_random_round_trips():
    rng = random.Random(11)
    for _ in range(100):
        data = bytes(rng.choice(b"abc") for _ in range(rng.randrange(2000)))
        assert textkit.decode(textkit.encode(data)) == data


@pytest.mark.parametrize("bad", [b"\x03", b"\x00a"])
def test_rle_rejects_malformed_input(bad):
    with pytest.raises(ValueError):
        textkit.decode(bad)


def test_two_separate_extension_modules():
    from textkit import _count, _rle

    assert _count.__file__ != _rle.__file__
    for module in (_count, _rle):
        assert os.path.basename(module.__file__).split(".")[-1] in ("so", "pyd")


def _script():
    bindir = os.path.dirname(sys.executable)
    path = shutil.which("textkit", path=bindir)
    assert path, "console script 'textkit' not installed next to %s" % sys.executable
    return path


def test_console_script_count():
    out = subprocess.run(
        [_script(), "count"], input=b"aaab\nc\n", stdout=subprocess.PIPE, check=True
    ).stdout
    assert out.strip() == b"2 lines, 2 words, 7 bytes"


def test_console_script_round_trip():
    data = b"hello\x00\x00\x00world" * 10
    packed = subprocess.run(
        [_script(), "rle"], input=data, stdout=subprocess.PIPE, check=True
    ).stdout
    assert packed == textkit.encode(data)
    unpacked = subprocess.run(
        [_script(), "unrle"], input=packed, stdout=subprocess.PIPE, check=True
    ).stdout
    assert unpacked == data


def test_console_script_reports_errors():
    proc = subprocess.run([_script(), "unrle"], input=b"\x05", stderr=subprocess.PIPE)
    assert proc.returncode == 1
    assert b"malformed" in proc.stderr


def test_version_matches_metadata():
    from importlib.metadata import version

    assert version("textkit") == textkit.__version__
