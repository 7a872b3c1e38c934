"""What the hatchling and pdm-backend hooks share: run ``cffi-forge plugin-build`` for
this interpreter and read its report (the built files with their in-wheel paths, the
wheel's tag). The host backend writes the wheel, with its own metadata."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

# Keys of a hook table that belong to the host or to the hook, not to [tool.cffi-forge].
HOOK_KEYS = frozenset(
    [
        "verbose",
        # hatchling's own keys of every build hook table
        "dependencies",
        "require-runtime-dependencies",
        "require-runtime-features",
        "enable-by-default",
    ]
)


def truthy(value):
    return str(value).lower() in ("1", "true", "yes", "on")


def build(root, options, verbose=False):
    """Build every module of the project at ``root`` for this interpreter into a fresh
    staging directory. Returns ``(report, staging_dir)``; the caller removes the directory.

    ``options``: the hook table; its build keys are merged over ``[tool.cffi-forge]``.
    """
    from . import _binary, _facts_args

    passed = {k: v for k, v in (options or {}).items() if k not in HOOK_KEYS}
    stage = tempfile.mkdtemp(prefix="cffi-forge-plugin-")
    # Also when the host never reaches its finalize step (pdm-backend runs the initialize
    # hooks for prepare_metadata_for_build_wheel too, and nothing after them).
    import atexit

    atexit.register(shutil.rmtree, stage, True)
    command = [_binary(), "plugin-build", "--dir", root, "-i", sys.executable, "-o", stage]
    command += _facts_args()
    if passed:
        command += ["--options", json.dumps(passed)]
    if verbose or truthy(os.environ.get("CFFI_FORGE_VERBOSE", "")):
        command.append("--verbose")
    try:
        result = subprocess.run(command, stdout=subprocess.PIPE)
    except OSError as e:
        shutil.rmtree(stage, ignore_errors=True)
        raise SystemExit("cffi-forge: cannot run %s: %s" % (command[0], e))
    if result.returncode != 0:
        shutil.rmtree(stage, ignore_errors=True)
        # The binary has printed the error on stderr, once.
        if result.returncode < 0:
            raise SystemExit("cffi-forge plugin-build was stopped by signal %d" % -result.returncode)
        raise SystemExit(result.returncode)
    return json.loads(result.stdout.decode("utf-8")), stage


def install_inplace(report):
    """Copy the built files into the source tree beside their packages, as
    ``setup.py build_ext --inplace`` does: what an editable install that puts the source
    directory on ``sys.path`` imports. Generated stubs stay out (the project's own win).
    Returns the paths written."""
    written = []
    for entry in report["files"]:
        if entry["path"].endswith(".pyi"):
            continue
        dest = os.path.join(report["source_root"], *entry["path"].split("/"))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copy2(entry["file"], dest)
        written.append(dest)
    return written
