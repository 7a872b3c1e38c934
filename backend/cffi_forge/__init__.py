"""PEP 517 / PEP 660 build backend for CFFI projects.

A thin shim over the ``cffi-forge`` binary: every hook runs
``cffi-forge pep517 <command> ... -i <this interpreter>`` in the project directory,
with stderr going straight to the user and stdout carrying only the result (the
artifact's file name, or the requirements as JSON). The hooks that need this
interpreter's facts (version, ABI, platform, include dirs) compute them here, in the
process that already runs, and pass them along (``--interpreter-facts``), so the binary
never starts a second Python to ask.

Frontends import the backend in a fresh process for every hook, so imports stay lazy:
importing this module costs nothing beyond the module itself, and a hook imports neither
``subprocess`` nor ``json`` nor ``re`` on Linux and macOS (``tests/py/e2e/test_shim.py``).
"""

__all__ = [
    "build_editable",
    "build_sdist",
    "build_wheel",
    "get_requires_for_build_editable",
    "get_requires_for_build_sdist",
    "get_requires_for_build_wheel",
    "prepare_metadata_for_build_editable",
    "prepare_metadata_for_build_wheel",
]

_BINARY = "cffi-forge"


def _binary():
    """The ``cffi-forge`` executable installed together with this module.

    Order: ``CFFI_FORGE_BIN`` (development and tests), the file that this
    distribution's RECORD lists (right even in pip's isolated build environments and
    user installs, where the scripts directory is not the interpreter's), the
    interpreter's scripts directory, then ``PATH``.
    """
    import os

    override = os.environ.get("CFFI_FORGE_BIN")
    if override:
        return override
    exe = _BINARY + (".exe" if os.name == "nt" else "")
    found = _binary_from_record(exe)
    if found:
        return found
    import sysconfig

    scripts = sysconfig.get_path("scripts")
    if scripts and os.path.isfile(os.path.join(scripts, exe)):
        return os.path.join(scripts, exe)
    import shutil

    found = shutil.which(exe)
    if found:
        return found
    raise SystemExit(
        "cffi-forge: cannot find the `cffi-forge` executable that belongs to the "
        "`cffi_forge` module at %s; reinstall cffi-forge, or set CFFI_FORGE_BIN to its path"
        % os.path.dirname(os.path.abspath(__file__))
    )


def _binary_from_record(exe):
    """The executable listed in the RECORD of the distribution this module came from.

    Read directly from ``cffi_forge-*.dist-info/RECORD`` beside the package: importing
    ``importlib.metadata`` alone costs more than the rest of a hook's Python side, and
    every hook runs in a fresh process.
    """
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    site = os.path.dirname(here)
    try:
        names = os.listdir(site)
    except OSError:
        return None
    for name in names:
        if not (name.startswith("cffi_forge-") and name.endswith(".dist-info")):
            continue
        try:
            with open(os.path.join(site, name, "RECORD"), encoding="utf-8") as f:
                paths = [_record_path(line) for line in f.read().splitlines() if line]
        except OSError:
            continue
        # Only trust the distribution this very module came from.
        if "cffi_forge/__init__.py" not in paths:
            continue
        for path in paths:
            if path.rsplit("/", 1)[-1] == exe:
                full = os.path.normpath(os.path.join(site, path))
                if os.path.isfile(full):
                    return full
    return None


def _record_path(line):
    """The path field of a RECORD row (CSV: quoted when it holds a comma or a quote)."""
    if line.startswith('"'):
        import csv

        return next(csv.reader([line]))[0]
    return line.split(",", 1)[0]


def _facts_args():
    """``--interpreter-facts JSON`` for this interpreter (a few ms here, against a Python
    start-up in the binary); nothing if they cannot be computed (the binary then asks)."""
    try:
        from ._facts import dumps, facts

        return ["--interpreter-facts", dumps(facts())]
    except Exception:  # pragma: no cover - the binary's own query reports the problem
        return []


def _call(args, config_settings=None, facts=False):
    """Run ``cffi-forge pep517 <args>``; return its stdout (the result) as text.

    ``facts``: the hook needs this interpreter's facts; pass them.
    On failure the binary has already printed the full error on stderr, once: the hook
    exits with its status and adds nothing (a ``SystemExit`` message would print it again).
    """
    import sys

    command = [_binary(), "pep517"] + list(args) + ["-i", sys.executable]
    if facts:
        command += _facts_args()
    if _wants_verbose(config_settings):
        command.append("--verbose")
    env = None
    # Config settings that the binary reads as environment variables:
    # `-C target=TRIPLE` (pip: `--config-settings target=...`): a cross build;
    # `-C compiler-launcher=sccache`: a program in front of every compile command.
    settings = config_settings or {}
    passed = {
        variable: str(settings[key])
        for key, variable in (("target", "CFFI_FORGE_TARGET"), ("compiler-launcher", "CFFI_FORGE_COMPILER_LAUNCHER"))
        if settings.get(key)
    }
    if passed:
        import os

        env = dict(os.environ, **passed)
    try:
        returncode, stdout = _run(command, env)
    except OSError as e:
        raise SystemExit("cffi-forge: cannot run %s: %s" % (command[0], e))
    out = stdout.decode("utf-8", "replace").strip()
    if returncode != 0:
        if returncode < 0:
            # Killed by a signal: nothing was printed about it.
            raise SystemExit("cffi-forge %s was stopped by signal %d" % (args[0], -returncode))
        raise SystemExit(returncode)
    if not out:
        raise SystemExit("cffi-forge %s printed no result" % args[0])
    return out


def _run(command, env):
    """Run ``command`` (``env``: None to inherit) with stdout captured and stderr passed
    through; return (exit status, or minus the signal that stopped it; stdout bytes).

    ``os.posix_spawn`` where there is one: importing ``subprocess`` (``selectors``,
    ``threading``, ``signal``...) costs more than the rest of a hook's Python side."""
    import os

    spawn = getattr(os, "posix_spawnp" if os.path.dirname(command[0]) == "" else "posix_spawn", None)
    read_end, write_end = os.pipe() if spawn is not None else (None, None)
    if spawn is None or min(read_end, write_end) <= 2:
        # No posix_spawn (Windows), or the pipe took a standard descriptor (this process
        # has no stdout): subprocess handles both.
        for fd in (read_end, write_end):
            if fd is not None:
                os.close(fd)
        import subprocess

        result = subprocess.run(command, stdout=subprocess.PIPE, env=env)
        return result.returncode, result.stdout
    try:
        # Built in, and imported at start-up: costs nothing, unlike `signal`.
        import _signal
    except ImportError:  # pragma: no cover - an implementation without it
        import signal as _signal
    # What Python ignores goes back to the default in the child, as subprocess does.
    restored = [getattr(_signal, name) for name in ("SIGPIPE", "SIGXFZ", "SIGXFSZ") if hasattr(_signal, name)]
    try:
        # Both ends are close-on-exec; the child's stdout is a copy without that flag.
        pid = spawn(command[0], command, os.environ if env is None else env,
                    file_actions=[(os.POSIX_SPAWN_DUP2, write_end, 1)], setsigdef=restored)
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
    chunks = []
    try:
        try:
            while True:
                chunk = os.read(read_end, 65536)
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            os.close(read_end)
        _, status = os.waitpid(pid, 0)
    except KeyboardInterrupt:
        # A terminal's Ctrl-C reached the binary too: it stops its children, removes its
        # temporary files and exits. Wait for that (SIGINT, 2 everywhere, for when only
        # this process got it).
        try:
            os.kill(pid, 2)
            os.waitpid(pid, 0)
        except OSError:
            pass
        raise
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status), b"".join(chunks)
    return os.WEXITSTATUS(status), b"".join(chunks)


def _wants_verbose(config_settings):
    import os

    value = (config_settings or {}).get("verbose") or os.environ.get("CFFI_FORGE_VERBOSE")
    return str(value).lower() in ("1", "true", "yes", "on")


def _requires(editable, config_settings):
    import json

    args = ["requires-for-build-wheel"] + (["--editable"] if editable else [])
    return json.loads(_call(args, config_settings, facts=True))


def get_requires_for_build_wheel(config_settings=None):
    return _requires(False, config_settings)


def get_requires_for_build_editable(config_settings=None):
    return _requires(True, config_settings)


def get_requires_for_build_sdist(config_settings=None):
    # An sdist is a copy of files: nothing to run, nothing to install.
    return []


def _prepare(metadata_directory, editable, config_settings):
    args = ["prepare-metadata", "-o", metadata_directory] + (["--editable"] if editable else [])
    return _call(args, config_settings)


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    return _prepare(metadata_directory, False, config_settings)


def prepare_metadata_for_build_editable(metadata_directory, config_settings=None):
    return _prepare(metadata_directory, True, config_settings)


def _build(wheel_directory, metadata_directory, editable, config_settings):
    args = ["build-wheel", "-o", wheel_directory]
    if metadata_directory is not None:
        args += ["--metadata-directory", metadata_directory]
    if editable:
        args.append("--editable")
    # `-C compatibility=manylinux_2_17` (pip: `--config-settings`), like `--compatibility`.
    compatibility = (config_settings or {}).get("compatibility")
    if compatibility:
        args += ["--compatibility", str(compatibility)]
    return _call(args, config_settings, facts=True)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _build(wheel_directory, metadata_directory, False, config_settings)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _build(wheel_directory, metadata_directory, True, config_settings)


def build_sdist(sdist_directory, config_settings=None):
    return _call(["build-sdist", "-o", sdist_directory], config_settings)
