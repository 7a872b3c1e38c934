"""Build real CFFI projects from their PyPI sdists with cffi-forge and run their own tests.

Each project is downloaded with `pip download --no-binary :all: --no-deps`, unpacked, and
only its pyproject.toml is patched: `[build-system]` points at cffi-forge, a dynamic version
becomes the static one the sdist's PKG-INFO records, and a `[tool.cffi-forge]` table says
what setup.py used to say. Nothing else in the project is touched; its setup.py stays (and
is never executed). The wheel is built with an isolated `pip wheel` offered the local
cffi-forge wheel, installed into a fresh venv, and the project's own test suite runs
against the installed package.

    python tests/real_projects/real_projects.py [--python 3.12] [--variant all] [NAME ...]

The same functions serve the end-to-end tests (tests/py/e2e/test_real_projects.py) and the
benchmark (bench/pip_wheel), which also builds the unpatched sdists with setuptools.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


class Project:
    def __init__(self, name, version, tool, build_requires=(), test_requires=("pytest",),
                 test_paths=("tests",), notes="", declarative=None, project_table=None,
                 tool_tables="", test_command=None, results=None, build_env=None,
                 reference_build_env=None, min_python="3.8", edits=(), tag="cp{py}-abi3",
                 cffi_variant=False, native_fallback=None):
        self.name = name
        self.version = version
        self.tool = tool  # the [tool.cffi-forge] keys to add
        # TOML added after them: [[tool.cffi-forge.library]], module-options, ... tables.
        self.tool_tables = tool_tables
        self.build_requires = list(build_requires)  # what the build script imports
        self.test_requires = list(test_requires)
        # Copied from the sdist next to the test run (the tests of an installed package
        # live in the wheel and are not copied).
        self.test_paths = list(test_paths)
        # The arguments after `python` that run the tests (default: pytest on test_paths).
        self.test_command = list(test_command) if test_command else None
        # What the project's tests report when the untouched sdist is built by setuptools
        # (measured with `real_projects.py --setuptools`): the cffi-forge build must give
        # the same counts. {"passed": N, "skipped": N, ...}
        self.results = dict(results or {})
        self.notes = notes
        # TOML replacing the build script with declarative modules (no cffi at build time),
        # or None when the project is only built through its build script.
        self.declarative = declarative
        # The [project] table of a project that had its metadata in setup.py / setup.cfg
        # only (the sdist has no pyproject.toml, or one without [project]).
        self.project_table = project_table
        # Environment of the cffi-forge build, and of the setuptools reference build.
        self.build_env = dict(build_env or {})
        self.reference_build_env = dict(reference_build_env or {})
        # The oldest CPython the wheel claims (its abi3 floor or requires-python; 3.8 when
        # it claims older ones: cffi-forge runs on 3.8+), where the tests build it.
        self.min_python = min_python
        # The wheel's python-abi tags; {py} is the building interpreter's "312".
        self.tag = tag
        # Also built with generator = "cffi" by `--variant all` and the end-to-end tests.
        self.cffi_variant = cffi_variant
        # What cffi-forge's build says when a module of the project falls back from the
        # native generator to cffi's emitter (a known limit), or None: no fallback.
        self.native_fallback = native_fallback
        # (old, new) text replacements in the pyproject.toml, for what cffi-forge reads
        # differently from setuptools (each one said in `notes`).
        self.edits = list(edits)

    @property
    def requirement(self):
        return "%s==%s" % (self.name, self.version)


PROJECTS = {
    p.name: p
    for p in [
        Project(
            "argon2-cffi-bindings",
            "25.1.0",
            min_python="3.9",
            tag="cp39-abi3",
            results={"passed": 6},
            cffi_variant=True,
            tool={
                "cffi-modules": ["src/_argon2_cffi_bindings/_ffi_build.py:ffi"],
                # setup.py's ext_package: the script says set_source("_ffi", ...).
                "ext-package": "_argon2_cffi_bindings",
            },
            notes="setup.py: bdist_wheel subclass for the cp3X abi3 tag (off on free-threaded "
            "builds), ext_package, setuptools-scm version; the build script reads "
            "ARGON2_CFFI_USE_SYSTEM / ARGON2_CFFI_USE_SSE2 / ARCHFLAGS and passes "
            "py_limited_api; tests/test_build.py imports the build script from the "
            "installed package.",
        ),
        Project(
            "cmarkgfm",
            "2025.10.22",
            min_python="3.9",
            tag="cp39-abi3",
            results={"passed": 11},
            cffi_variant=True,
            # setup.py holds a literal cffi_modules list: cffi-forge reads it statically.
            tool={},
            # The build script imports distutils.ccompiler and distutils.dist; on Python
            # 3.12+ only setuptools provides them.
            build_requires=["setuptools"],
            notes="setup.py: only cffi_modules (a literal). The build script imports "
            "distutils (setuptools' copy on 3.12+) to pick -std=c99 vs /TP, reads "
            "setup.cfg, and uses absolute include dirs and project-relative sources.",
        ),
        Project(
            "xattr",
            "1.3.0",
            min_python="3.9",
            tag="cp39-abi3",
            results={"passed": 15, "skipped": 6},
            cffi_variant=True,
            tool={
                "cffi-modules": ["xattr/lib_build.py:ffi"],
                # setup.py's ext_package: the script says set_source("_lib", ...).
                "ext-package": "xattr",
            },
            notes="setup.py: ext_package='xattr', platforms=[...], cffi_modules; "
            "packages=['xattr'] comes from [tool.setuptools]; a console script; the build "
            "script reads lib_build.c/.h next to __file__.",
            # What xattr/lib_build.py does (cdef from lib_build.h, source from lib_build.c,
            # set_source("_lib") under ext_package "xattr"), said in TOML.
            declarative="""\
[tool.cffi-forge]
# setup.py's cffi_modules names the build script these tables replace.
cffi-modules = []

[[tool.cffi-forge.module]]
name = "xattr._lib"
cdef-file = "xattr/lib_build.h"
source-file = "xattr/lib_build.c"
""",
        ),
        Project(
            "bcrypt",
            # The last bcrypt built with cffi (4.0 moved to Rust and PyO3).
            "3.2.2",
            tag="cp38-abi3",
            tool={
                "cffi-modules": ["src/build_bcrypt.py:ffi"],
                # setup.cfg's ext_package: the script says set_source("_bcrypt", ...).
                "ext-package": "bcrypt",
                # requires-python says 3.6, but cffi-forge itself needs 3.8 to run: the
                # wheel claims what it was tested on.
                "py-limited-api": "cp38",
            },
            project_table="""\
[project]
name = "bcrypt"
version = "3.2.2"
description = "Modern password hashing for your software and your servers"
readme = "README.rst"
license = {text = "Apache License, Version 2.0"}
authors = [{name = "The Python Cryptographic Authority developers", email = "cryptography-dev@python.org"}]
requires-python = ">=3.6"
dependencies = ["cffi>=1.1"]

[project.optional-dependencies]
tests = ["pytest>=3.2.1,!=3.3.0"]
typecheck = ["mypy"]

[project.urls]
Homepage = "https://github.com/pyca/bcrypt/"
""",
            results={"passed": 145},
            min_python="3.8",
            notes="setup.cfg: all metadata (now [project]), package_dir src, ext_package "
            "bcrypt, include_package_data (py.typed, _bcrypt.pyi); setup.py: cffi_modules "
            "in a variable and a PyPy version check. The build script sits outside the "
            "package (src/build_bcrypt.py) and uses absolute sources next to __file__.",
        ),
        Project(
            "brotlipy",
            "0.7.0",
            tool={
                "cffi-modules": ["src/brotli/build.py:ffi"],
                "ext-package": "brotli",
            },
            # setup.py's libraries=[("libbrotli", {...})]: a build_clib static library the
            # build script links by name (libraries=["libbrotli", "stdc++"]).
            tool_tables="""\
[[tool.cffi-forge.library]]
name = "libbrotli"
include-dirs = ["libbrotli/include", "libbrotli/", "src/brotli"]
sources = [
    "libbrotli/common/dictionary.c",
    "libbrotli/dec/huffman.c",
    "libbrotli/dec/bit_reader.c",
    "libbrotli/dec/decode.c",
    "libbrotli/dec/state.c",
    "libbrotli/enc/backward_references.c",
    "libbrotli/enc/backward_references_hq.c",
    "libbrotli/enc/bit_cost.c",
    "libbrotli/enc/block_splitter.c",
    "libbrotli/enc/histogram.c",
    "libbrotli/enc/memory.c",
    "libbrotli/enc/literal_cost.c",
    "libbrotli/enc/brotli_bit_stream.c",
    "libbrotli/enc/compress_fragment_two_pass.c",
    "libbrotli/enc/compress_fragment.c",
    "libbrotli/enc/cluster.c",
    "libbrotli/enc/utf8_util.c",
    "libbrotli/enc/encode.c",
    "libbrotli/enc/metablock.c",
    "libbrotli/enc/static_dict.c",
    "libbrotli/enc/dictionary_hash.c",
    "libbrotli/enc/entropy_encode.c",
]
""",
            project_table="""\
[project]
name = "brotlipy"
version = "0.7.0"
description = "Python binding to the Brotli library"
readme = "README.rst"
license = {text = "MIT"}
authors = [{name = "Cory Benfield", email = "cory@lukasa.co.uk"}]
dependencies = ["cffi>=1.0.0"]

[project.urls]
Homepage = "https://github.com/python-hyper/brotlipy/"
""",
            test_requires=["pytest", "hypothesis"],
            test_paths=["test"],
            # Six tests use fixtures of a test/conftest.py the sdist does not ship.
            test_command=["-m", "pytest", "-p", "no:cacheprovider", "test"] + [
                "--deselect=test/%s" % t for t in (
                    "test_simple_compression.py::test_roundtrip_compression_with_files",
                    "test_simple_compression.py::test_streaming_compression",
                    "test_simple_compression.py::test_streaming_compression_flush",
                    "test_simple_decompression.py::test_decompression",
                    "test_simple_decompression.py::test_decompressobj",
                    "test_simple_decompression.py::test_drip_feed")],
            results={"passed": 13, "deselected": 10},
            notes="No pyproject.toml: setup.py held the metadata (now [project]), "
            "find_packages('src'), ext_package, and a build_clib library of 22 bundled C "
            "files (now [[tool.cffi-forge.library]]); extras for Python 2.7/3.3 dropped.",
        ),
        Project(
            "misaka",
            "2.1.1",
            tool={
                "cffi-modules": ["build_ffi.py:ffi"],
                "packages": ["misaka"],
                "script-files": ["scripts/misaka"],
                # setup.py has no package_data / include_package_data: the hoedown C
                # sources inside the package are build inputs, not shipped.
                "package-data": False,
            },
            project_table="""\
[project]
name = "misaka"
version = "2.1.1"
description = "A CFFI binding for Hoedown, a markdown parsing library."
readme = "README.rst"
license = {text = "MIT"}
authors = [{name = "Frank Smit", email = "frank@61924.nl"}]
dependencies = ["cffi>=1.0.0"]

[project.urls]
Homepage = "https://github.com/FSX/misaka"
""",
            test_requires=[],
            test_command=["tests/run_tests.py"],
            results={"passed": 94},
            notes="No pyproject.toml: setup.py held the metadata (now [project]), "
            "packages=['misaka'], scripts=['scripts/misaka'] (now script-files), no package "
            "data (now package-data = false: the C sources live inside the package), a `test` "
            "command, and cffi_modules naming build_ffi.py at the root of a flat layout "
            "(it must not ship as a top-level module). Its tests use their own runner.",
        ),
        Project(
            "persistent",
            "6.9",
            min_python="3.11",
            tag="cp{py}-cp{py}",
            tool={"cffi-modules": ["src/persistent/_ring_build.py:ffi"]},
            # setup.py's three plain Extensions (the C implementation of Persistent and
            # PickleCache, and TimeStamp), with their `depends`.
            tool_tables="""\
[[tool.cffi-forge.extension]]
name = "persistent.cPersistence"
sources = ["src/persistent/cPersistence.c", "src/persistent/ring.c"]
depends = ["src/persistent/cPersistence.h", "src/persistent/ring.h", "src/persistent/ring.c"]

[[tool.cffi-forge.extension]]
name = "persistent.cPickleCache"
sources = ["src/persistent/cPickleCache.c", "src/persistent/ring.c"]
depends = ["src/persistent/cPersistence.h", "src/persistent/ring.h", "src/persistent/ring.c"]

[[tool.cffi-forge.extension]]
name = "persistent._timestamp"
sources = ["src/persistent/_timestamp.c"]
""",
            # [tool.setuptools.dynamic] readme from two files: cffi-forge reads one readme.
            edits=[('dynamic = ["readme"]', 'readme = "README.rst"')],
            test_requires=["pytest", "manuel", "zope.testrunner"],
            test_paths=[],
            # The tests ship inside the package; test_docs.py looks for setup.py above
            # itself (a source checkout), and test_rapid_create_destroy_cycle gives four
            # threads 30 s of wall-clock time (it times out on a loaded machine, whoever
            # built the wheel): both are left out, for both builds.
            test_command=["-m", "pytest", "-p", "no:cacheprovider", "--pyargs", "persistent.tests",
                          "-k", "not (test_docs and test_suite) and not test_rapid_create_destroy_cycle"],
            results={"passed": 615, "skipped": 6, "deselected": 2},
            notes="setup.py: three plain C Extensions beside the CFFI module (now "
            "[[tool.cffi-forge.extension]]), headers= (C headers installed for other "
            "extensions: not shipped by cffi-forge), setup_requires; readme from "
            "[tool.setuptools.dynamic] (two files: now readme = README.rst). Needs assert() "
            "off (NDEBUG, from the interpreter's CFLAGS): its tests check that.",
        ),
        Project(
            "pylibsrtp",
            "1.0.0",
            tag="cp310-abi3",
            tool={
                "cffi-modules": ["src/_cffi_src/build_srtp.py:ffibuilder"],
                # [tool.setuptools.packages.find] exclude = ["_cffi_src"]: the folder of
                # the build script is not a package of the wheel.
                "packages": ["pylibsrtp"],
            },
            results={"passed": 11},
            min_python="3.10",
            notes="setup.py: a bdist_wheel subclass for the cp310-abi3 tag (cffi-forge: from "
            "requires-python) and cffi_modules; version from [tool.setuptools.dynamic] attr "
            "(now static); packages.find excluding _cffi_src (now packages). Links the "
            "system libsrtp2 (libsrtp2-dev).",
        ),
        Project(
            "xkbcommon",
            "1.5.1",
            tag="cp38-abi3",
            tool={"cffi-modules": ["xkbcommon/ffi_build.py:ffibuilder"], "packages": ["xkbcommon"]},
            project_table="""\
[project]
name = "xkbcommon"
version = "1.5.1"
description = "Bindings for libxkbcommon using cffi"
readme = "README.rst"
license = {text = "MIT"}
authors = [{name = "Stephen Early", email = "steve@assorted.org.uk"}]
requires-python = ">=3.8"
dependencies = ["cffi >= 1.5.0"]

[project.urls]
Homepage = "https://github.com/sde1000/python-xkbcommon"
""",
            results={"passed": 88},
            min_python="3.8",
            notes="setup.cfg: all metadata and packages (now [project] and packages); "
            "setup.py: only cffi_modules. set_source names the full module "
            "(xkbcommon._ffi), no ext_package. Links the system libxkbcommon "
            "(libxkbcommon-dev); its tests need the keymaps of xkb-data.",
        ),
        Project(
            "soundfile",
            "0.14.0",
            tag="py3-none-any",
            tool={"cffi-modules": ["soundfile_build.py:ffibuilder"], "py-modules": ["soundfile"]},
            project_table="""\
[project]
name = "soundfile"
version = "0.14.0"
description = "An audio library based on libsndfile, CFFI and NumPy"
readme = "README.rst"
license = {text = "BSD 3-Clause License"}
authors = [{name = "Bastian Bechtold", email = "bastibe.dev@mailbox.org"}]
keywords = ["audio", "libsndfile"]
requires-python = ">=3.10"
dependencies = ["cffi>=1.0", "numpy", "typing-extensions"]

[project.optional-dependencies]
numpy = []

[project.urls]
Homepage = "https://github.com/bastibe/python-soundfile"
""",
            results={"passed": 331},
            min_python="3.10",
            notes="No pyproject.toml: setup.py held the metadata (now [project]), the version "
            "parsed out of soundfile.py (now static), py_modules=['soundfile'] (now "
            "py-modules), a bdist_wheel subclass for a py2.py3-none-<platform> tag, and "
            "packages for a bundled libsndfile only present in binary builds. ABI mode: "
            "set_source('_soundfile', None) gives a top-level _soundfile.py that dlopens "
            "the system libsndfile (libsndfile1).",
        ),
        Project(
            "pymunk",
            "7.3.1",
            tag="cp39-abi3",
            tool={
                "cffi-modules": ["pymunk/pymunk_extension_build.py:ffibuilder"],
                "packages": ["pymunk", "pymunk.tests", "pymunk.examples"],
            },
            test_paths=[],
            test_command=["-m", "pymunk.tests"],
            test_requires=[],
            results={"passed": 285, "skipped": 2},  # 283 on 3.12
            min_python="3.9",
            notes="setup.py: packages (pymunk, its tests and examples; fewer with "
            "PYMUNK_BUILD_SLIM) and cffi_modules; [tool.setuptools.package-data] for the "
            "examples' images and sounds (cffi-forge ships package data by default). The "
            "build script globs the Munk2D C sources itself. Tests ship in the package "
            "(python -m pymunk.tests); they need assert() off (NDEBUG).",
        ),
        Project(
            "PyNaCl",
            # 1.6 needs libsodium 1.0.20 (AEGIS); Debian 12 has 1.0.18, which 1.5.0 uses.
            "1.5.0",
            tag="cp38-abi3",
            tool={"cffi-modules": ["src/bindings/build.py:ffi"], "ext-package": "nacl",
                  "packages": ["nacl", "nacl.pwhash", "nacl.bindings"],
                  # requires-python says 3.6; cffi-forge itself runs on 3.8+.
                  "py-limited-api": "cp38"},
            project_table="""\
[project]
name = "PyNaCl"
version = "1.5.0"
description = "Python binding to the Networking and Cryptography (NaCl) library"
readme = "README.rst"
license = {text = "Apache License 2.0"}
authors = [{name = "The PyNaCl developers", email = "cryptography-dev@python.org"}]
requires-python = ">=3.6"
dependencies = []

[project.optional-dependencies]
tests = ["pytest>=3.2.1,!=3.3.0", "hypothesis>=3.27.0"]
docs = ["sphinx>=1.6.5", "sphinx_rtd_theme"]

[project.urls]
Homepage = "https://github.com/pyca/pynacl/"
""",
            test_requires=["pytest", "hypothesis"],
            # setuptools would otherwise build the bundled libsodium with configure/make
            # (minutes); both builds link the system libsodium (libsodium-dev).
            reference_build_env={"SODIUM_INSTALL": "system"},
            results={"passed": 4646, "skipped": 10},
            min_python="3.8",
            notes="setup.py: all metadata read from nacl/__init__.py at build time (now "
            "[project]), build_clib/build_ext subclasses running libsodium's configure and "
            "make, or linking the system libsodium with SODIUM_INSTALL=system (the "
            "conversion does that: the build script names `sodium`), package_dir src, "
            "packages, package_data py.typed, ext_package nacl, cffi_modules.",
        ),
        Project(
            "cairocffi",
            "1.0.2",
            tag="py3-none-any",
            tool={"cffi-modules": ["cairocffi/ffi_build.py:ffi", "cairocffi/ffi_build.py:ffi_pixbuf"],
                  "packages": ["cairocffi"]},
            project_table="""\
[project]
name = "cairocffi"
version = "1.0.2"
description = "cffi-based cairo bindings for Python"
readme = "README.rst"
license = {text = "BSD"}
authors = [{name = "Simon Sapin", email = "community@kozea.fr"}]
requires-python = ">= 3.5"
dependencies = ["cffi >= 1.1.0", "setuptools >= 39.2.0"]

[project.optional-dependencies]
xcb = ["xcffib >= 0.3.2"]
""",
            test_paths=[],
            # setup.cfg's [tool:pytest] adds --flake8 --isort (plugins the sdist's tests
            # do not need); the tests ship in the package.
            test_command=["-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=",
                          "--pyargs", "cairocffi"],
            results={"passed": 51, "skipped": 1},
            notes="No pyproject.toml: setup.cfg held the metadata and packages = find: "
            "excluding cairocffi._generated (now [project] and packages), version from "
            "file: cairocffi/VERSION (now static); setup.py: two cffi_modules from one "
            "script. ABI mode, two modules, the second ffi.include()s the first; both land "
            "in cairocffi/_generated/, a folder the build script creates. dlopens the "
            "system cairo (libcairo2).",
        ),
        Project(
            "sounddevice",
            "0.5.6",
            tag="py3-none-any",
            min_python="3.9",
            tool={"py-modules": ["sounddevice"]},
            test_paths=[],
            test_requires=[],
            # The sdist ships no tests (its docstring examples need numpy and sound
            # devices): a unittest file of ours checks the installed wheel instead.
            test_command=[str(HERE / "checks" / "sounddevice_smoke.py")],
            results={"passed": 6},
            notes="setup.py: package_dir src, py_modules=['sounddevice'] (now "
            "py-modules; the literal cffi_modules is read from setup.py), and packages / "
            "package_data computed per platform: the bundled PortAudio DLLs and dylib of "
            "src/_sounddevice_data ship only on Windows and macOS (None on Linux; discovery "
            "would ship them: the build now warns), a bdist_wheel subclass for the "
            "py3-none-<platform> tag; version from [tool.setuptools.dynamic] attr (now "
            "static). ABI mode: set_source('_sounddevice', None) gives a top-level "
            "_sounddevice.py that dlopens the system PortAudio (libportaudio2). Its "
            "license = \"MIT\" (PEP 639) needs setuptools 77, which needs Python 3.9",
        ),
        Project(
            "reflink",
            "0.2.2",
            tool={},
            project_table="""\
[project]
name = "reflink"
version = "0.2.2"
description = "Python reflink wraps around platform specific reflink implementations"
readme = "README.rst"
license = {text = "MIT license"}
authors = [{name = "Ruben De Smet", email = "pypi@rubdos.be"}]
keywords = ["reflink"]
dependencies = ["cffi"]

[project.urls]
Homepage = "https://gitlab.com/rubdos/pyreflink"
""",
            test_command=["-m", "pytest", "-p", "no:cacheprovider", "tests", "-m", "not btrfs"],
            results={"passed": 1, "deselected": 6},
            notes="No pyproject.toml: setup.py held the metadata (now [project]; "
            "long_description was README + HISTORY, now README) inside "
            "`if __name__ == '__main__':`, packages=find_packages(include=['reflink']) "
            "(discovery finds the same), include_package_data with MANIFEST.in shipping the "
            "per-platform C files, and a literal cffi_modules (read statically). The build "
            "script opens reflink/<platform>.c relative to the project root and names the "
            "full module (reflink._backend). Its btrfs tests need mkfs.btrfs and mount: "
            "deselected (-m 'not btrfs') for both builds",
        ),
        Project(
            "pyvips",
            "3.2.0",
            tag="py3-none-any",
            tool={"cffi-modules": []},
            test_paths=["tests"],
            # The sdist lacks tests/helpers (test images and helpers): only the three test
            # files that do not import it run.
            test_command=["-m", "pytest", "-p", "no:cacheprovider", "tests/test_constants.py",
                          "tests/test_progress.py", "tests/test_type_hints.py"],
            results={"passed": 16},
            notes="setup.py calls setup(cffi_modules=[...]) in a try and a plain "
            "setup() in its except: without libvips-dev (pkg-config finds no vips) setuptools "
            "builds a pure wheel that uses libvips in ABI mode at run time (libvips42). The "
            "conversion says so: cffi-modules = [] (the build warns about the second setup() "
            "call and names this). packages.find include and include-package-data = false "
            "are read from [tool.setuptools]; version from [tool.setuptools.dynamic] attr "
            "(now static). libvips-dev (API mode) is 144 Debian packages: not used",
        ),
    ]
}


def default_cache():
    explicit = os.environ.get("CFFI_FORGE_TEST_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cffi-forge-tests"


def _env():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CFFI_FORGE_", "PIP_"))}
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(name, None)
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1",
               PYTHONDONTWRITEBYTECODE="1")
    return env


class Failed(AssertionError):
    pass


def run(cmd, cwd=None, timeout=1800, **extra_env):
    cmd = [str(c) for c in cmd]
    env = dict(_env(), **{k: str(v) for k, v in extra_env.items()})
    proc = subprocess.run(cmd, cwd=str(cwd) if cwd else None, env=env, timeout=timeout,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    text = proc.stdout.decode("utf-8", "replace")
    if proc.returncode:
        tail = text if len(text) < 8000 else "[...]\n" + text[-8000:]
        raise Failed("exit status %d (cwd %s): %s\n%s" % (proc.returncode, cwd, " ".join(cmd), tail))
    return text


def fetch(project, cache=None, pip=None):
    """Download (once) and unpack the sdist; returns the pristine source folder."""
    cache = Path(cache or default_cache()) / "real-projects"
    downloads = cache / "sdists"
    downloads.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[-_.]+", "_", project.name).lower() + "-" + project.version
    archives = [p for p in downloads.glob("*.tar.gz") if p.name.lower() == stem + ".tar.gz"]
    if not archives:
        run([pip or sys.executable, "-m", "pip", "download", "--no-binary", ":all:",
             "--no-deps", "-d", downloads, project.requirement])
        archives = [p for p in downloads.glob("*.tar.gz") if p.name.lower() == stem + ".tar.gz"]
    assert len(archives) == 1, "sdist of %s not found in %s" % (project.requirement, downloads)
    unpacked = cache / "unpacked"
    source = unpacked / archives[0].name[: -len(".tar.gz")]
    if not source.exists():
        unpacked.mkdir(exist_ok=True)
        with tarfile.open(archives[0]) as tar:
            try:
                tar.extractall(unpacked, filter="data")
            except TypeError:  # Python without extraction filters
                tar.extractall(unpacked)
    return source


def _toml_value(value):
    if isinstance(value, str):
        return '"%s"' % value.replace("\\", "\\\\").replace('"', '\\"')
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(value)


# How the patched project is built: through its build script with cffi-forge's generator
# (the default) or with cffi's emitter, or from declarative modules (no build script).
VARIANTS = ("native", "cffi", "declarative")


def variants(project):
    return [v for v in VARIANTS if (v != "declarative" or project.declarative)
            and (v != "cffi" or project.cffi_variant)]


def patch_pyproject(text, project, variant="native"):
    """The project's pyproject.toml, switched to cffi-forge. Text edits keep the rest as is."""
    assert variant in variants(project), (project.name, variant)
    declarative = variant == "declarative"
    requires = ["cffi-forge"] + ([] if declarative else project.build_requires)
    lines, section, out = text.splitlines(), None, []
    for line in lines:
        header = re.match(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?", line)
        if header:
            section = header.group(1)
            if section == "build-system":
                out += ["[build-system]", "requires = %s" % _toml_value(requires),
                        'build-backend = "cffi_forge"', ""]
                continue
        if section == "build-system":
            continue
        out.append(line)
    if not any(l.strip() == "[build-system]" for l in lines):
        out[:0] = ["[build-system]", "requires = %s" % _toml_value(requires),
                   'build-backend = "cffi_forge"', ""]
    text = "\n".join(out) + "\n"
    for old, new in project.edits:
        assert old in text, "%s: %r is not in its pyproject.toml" % (project.name, old)
        text = text.replace(old, new, 1)

    config = tomllib.loads(text)
    if "project" not in config:
        # The metadata was in setup.py / setup.cfg: said again as a [project] table.
        assert project.project_table, "%s has no [project] table to add" % project.name
        text += "\n" + project.project_table
        config = tomllib.loads(text)
    dynamic = config["project"].get("dynamic", [])
    if "version" in dynamic:
        # setuptools-scm computed it; the sdist's PKG-INFO has the result.
        rest = [d for d in dynamic if d != "version"]
        text = re.sub(r"(?m)^dynamic\s*=\s*\[[^\]]*\]\s*$",
                      "version = %s" % _toml_value(project.version)
                      + ("\ndynamic = %s" % _toml_value(rest) if rest else ""), text, count=1)
    if declarative:
        text += "\n" + project.declarative
    else:
        tool = dict(project.tool, **({"generator": "cffi"} if variant == "cffi" else {}))
        if tool:
            text += "\n[tool.cffi-forge]\n" + "".join(
                "%s = %s\n" % (k, _toml_value(v)) for k, v in tool.items())
        if project.tool_tables:
            text += "\n" + project.tool_tables

    patched = tomllib.loads(text)  # must still be valid TOML
    assert patched["project"]["version"] == project.version
    assert patched["build-system"]["build-backend"] == "cffi_forge"
    return text


def prepare(project, dest, patched=True, cache=None, variant="native"):
    """A fresh copy of the sdist's tree at `dest`, patched for cffi-forge (as `variant`)
    unless told not to."""
    source = fetch(project, cache)
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source, dest)
    if patched:
        path = dest / "pyproject.toml"
        original = path.read_text(encoding="utf-8") if path.exists() else ""
        text = patch_pyproject(original, project, variant)
        path.write_text(text, encoding="utf-8")
    return dest


def venv_python(venv):
    return Path(venv) / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def forge_bin():
    """The cffi-forge binary that runs `migrate`: CFFI_FORGE_BIN, else the release build."""
    path = os.environ.get("CFFI_FORGE_BIN") or str(REPO / "target" / "release" / "cffi-forge")
    assert Path(path).is_file(), "no cffi-forge binary at %s: build it or set CFFI_FORGE_BIN" % path
    return path


# The edits the `migrate` variant makes after `cffi-forge migrate --write`: each one is
# what a todo line of migrate asks for (tests/py/e2e/test_real_projects_migrate.py checks
# the todo is reported). Everything else is migrate's output as is.
MIGRATE_EDITS = {
    # "pyproject.toml: todo: the readme concatenates several files"
    "persistent": [('dynamic = ["readme"]', 'readme = "README.rst"')],
    # "setup.py:22: todo: a second `setup(` call": the except's setup() without
    # cffi_modules, what setuptools builds when pkg-config finds no libvips.
    "pyvips": [('cffi-modules = ["pyvips/pyvips_build.py:ffibuilder"]', "cffi-modules = []")],
}


def prepare_migrated(project, dest, cache=None):
    """The `migrate` variant: a fresh copy of the sdist's tree converted by `cffi-forge
    migrate --write` plus MIGRATE_EDITS, then without its setup.py (the pyproject.toml
    must say everything). Its todo/note lines are saved beside the tree in migrate.txt."""
    source = fetch(project, cache)
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source, dest)
    output = run([forge_bin(), "migrate", "--write", dest])
    (dest.parent / "migrate.txt").write_text(output, encoding="utf-8")
    path = dest / "pyproject.toml"
    text = path.read_text(encoding="utf-8")
    for old, new in MIGRATE_EDITS.get(project.name, []):
        assert old in text, "%s: %r is not in the migrated pyproject.toml" % (project.name, old)
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    if (dest / "setup.py").exists():
        (dest / "setup.py").unlink()
    return dest


# Wheels built in this process: (project, interpreter, variant, patched, work) → (wheel,
# build output). The packaging oracle and the test run share one build of each project.
_BUILT = {}


def build_wheel(project, python, wheelhouse, work, cache=None, log=print, patched=True,
                variant="native"):
    """Patch (as `variant`) and `pip wheel` with cffi-forge (isolated build), in a fresh
    venv at work/venv. Returns (wheel path, build output); raises Failed with the output
    on failure. With patched=False the untouched sdist is built by its own backend
    (setuptools): the reference the cffi-forge build is measured against. The declarative
    variant is built with the wheelhouse as the only index: its build environment can hold
    nothing but cffi-forge. Built once per process for the same arguments."""
    work = Path(work)
    key = (project.name, str(python), variant, patched, str(work))
    if key in _BUILT and _BUILT[key][0].exists():
        return _BUILT[key]
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    if variant == "migrate":
        tree = prepare_migrated(project, work / "src", cache=cache)
    else:
        tree = prepare(project, work / "src", patched=patched, cache=cache, variant=variant)
    backend = "cffi-forge, %s" % variant if patched else "its own backend"
    log("%s: creating a venv with %s" % (project.name, python))
    venv = work / "venv"
    run([python, "-m", "venv", venv])
    py = venv_python(venv)
    log("%s: pip wheel (%s, isolated build)" % (project.name, backend))
    out = work / "wheels"
    no_index = ["--no-index"] if patched and variant == "declarative" else []
    env = project.build_env if patched else project.reference_build_env
    # An sdist without pyproject.toml is built by an old pip (3.8's) with `setup.py
    # bdist_wheel` in the venv, which has no `wheel`; --use-pep517 isolates it as well.
    pep517 = [] if patched else ["--use-pep517"]
    build = run([py, "-m", "pip", "wheel", "-v", "--no-deps", *no_index, *pep517, "--find-links",
                 wheelhouse, "-w", out, tree], cwd=work, CFFI_FORGE_VERBOSE=1, **env)
    (wheel,) = out.glob("*.whl")
    log("%s: built %s" % (project.name, wheel.name))
    _BUILT[key] = wheel, build
    return wheel, build


def build_and_test(project, python, wheelhouse, work, cache=None, log=print, patched=True,
                   variant="native"):
    """build_wheel, then install the wheel into the build's venv (which holds nothing else)
    and run the project's tests there; their counts must be the ones the setuptools build
    gives. Returns (wheel path, test output, build output); raises Failed on failure."""
    wheel, build = build_wheel(project, python, wheelhouse, work, cache=cache, log=log,
                               patched=patched, variant=variant)
    work = Path(work)
    tree = work / "src"
    py = venv_python(work / "venv")
    log("%s: installing %s" % (project.name, wheel.name))
    run([py, "-m", "pip", "install", wheel, *project.test_requires])
    # The tests run from a folder holding only the tests and the project's configuration,
    # so they import the installed package, not the source tree.
    tests = work / "run"
    if tests.exists():
        shutil.rmtree(tests)
    tests.mkdir()
    for name in ("pyproject.toml", "setup.cfg", "tox.ini", "pytest.ini", "conftest.py"):
        if (tree / name).is_file():
            shutil.copy2(tree / name, tests / name)
    for path in project.test_paths:
        shutil.copytree(tree / path, tests / path)
    log("%s: running its tests" % project.name)
    command = project.test_command or ["-m", "pytest", "-p", "no:cacheprovider", *project.test_paths]
    output = run([py, *command], cwd=tests)
    results = test_results(output)
    log("%s: %s" % (project.name, format_results(results)))
    if results != project.results:
        raise Failed("%s: the tests gave %s; built by setuptools they give %s\n%s" % (
            project.name, format_results(results), format_results(project.results), output[-4000:]))
    return wheel, output, build


def test_results(output):
    """The counts a test run reports: pytest's last summary line, or unittest's
    `Ran N tests` with its `OK (skipped=K)` / `FAILED (failures=F)`."""
    summary = [l for l in output.splitlines() if re.match(r"^=+ .*\b(passed|failed|errors?|skipped)\b.* =+$", l)]
    if summary:
        return {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", summary[-1])
                if word not in ("warning", "warnings")}
    chibi = re.findall(r"^(\d+) passed; (\d+) failed\.$", output, re.M)  # misaka's runner
    if chibi:
        passed, failed = map(int, chibi[-1])
        return {k: v for k, v in (("passed", passed), ("failed", failed)) if v}
    ran = re.findall(r"^Ran (\d+) tests? in ", output, re.M)
    verdict = re.findall(r"^(OK|FAILED)(?: \((.*)\))?$", output, re.M)
    if ran and verdict:
        details = dict(re.findall(r"(\w+)=(\d+)", verdict[-1][1]))
        counts = {k: int(v) for k, v in details.items()}
        bad = counts.get("failures", 0) + counts.get("errors", 0)
        counts["passed"] = sum(int(r) for r in ran) - bad - counts.get("skipped", 0) - counts.get(
            "expected_failures", 0)
        return {k: v for k, v in counts.items() if v}
    raise Failed("no test summary in the output:\n" + output[-4000:])


def format_results(results):
    return ", ".join("%d %s" % (n, word) for word, n in sorted(results.items())) or "no tests"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", default=sorted(PROJECTS))
    parser.add_argument("--python", default="oldest", help="interpreter to build and test with "
                        "(default: the oldest CPython each project's wheel claims)")
    parser.add_argument("--wheelhouse", type=os.path.abspath,
                        default=os.environ.get("CFFI_FORGE_WHEELHOUSE")
                        or str(REPO / "target" / "wheelhouse"))
    parser.add_argument("--work", default=None, help="scratch folder (default: in the test cache)")
    parser.add_argument("--setuptools", action="store_true",
                        help="build the unpatched sdists with setuptools instead (reference)")
    parser.add_argument("--variant", choices=VARIANTS + ("all",), default="native",
                        help="native: the build script, cffi-forge's generator (default); cffi: "
                        "the build script with generator = \"cffi\"; declarative: the modules "
                        "as [[tool.cffi-forge.module]] tables (projects converted so far); "
                        "all: every variant of each project")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO / "tests" / "py" / "e2e"))
    import interpreters

    def python_for(project):
        if args.python != "oldest":
            return shutil.which(args.python) or args.python
        found = interpreters.find(project.min_python)
        if not found:
            raise SystemExit(interpreters.missing_message(project.min_python))
        return found

    work = Path(args.work) if args.work else default_cache() / "real-projects" / "work"
    runs = []
    for name in args.names:
        project = PROJECTS[name]
        if args.setuptools:
            runs.append((project, "setuptools"))
        elif args.variant == "all":
            runs += [(project, v) for v in variants(project)]
        elif args.variant in variants(project):
            runs.append((project, args.variant))
        else:
            print("%s: no %s variant, skipped" % (name, args.variant), file=sys.stderr)
    failed = []
    for project, variant in runs:
        label = "%s (%s)" % (project.name, variant)
        try:
            build_and_test(project, python_for(project), args.wheelhouse, work / project.name / variant,
                           patched=variant != "setuptools",
                           variant="native" if variant == "setuptools" else variant)
        except Failed as e:
            failed.append(label)
            print("%s: FAILED\n%s" % (label, e), file=sys.stderr)
    print("real projects: %d passed, %d failed %s" % (len(runs) - len(failed), len(failed),
                                                      failed or ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
