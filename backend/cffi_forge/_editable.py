"""The import hook of editable installs made by cffi-forge (PEP 660).

An editable wheel ships this code as ``_cffi_forge_editable_<name>.py`` followed by
``_MANIFEST`` (the build directory's ``editable/manifest.json``), ``_MODULES`` (the
dotted names it serves) and a call to ``install()``; the wheel's ``.pth`` (``.start``
from Python 3.15 on) imports it at startup. It must not need cffi_forge or anything
outside the standard library: the target environment has neither.

On import of one of its modules the finder compares the module's inputs (sources,
headers from the compiler's depfiles, cdef files, build scripts, ``pyproject.toml``)
with what the manifest recorded: ``stat`` calls only, a hash only when the size or
mtime moved. When one changed, it runs the cffi-forge binary that made the build
(``editable-rebuild``, through the object cache) under a lock file, prints one line,
and loads the new module; a failed rebuild raises ImportError with the compiler's
message. ``CFFI_FORGE_EDITABLE_REBUILD=0`` turns the check off.
"""

import os
import sys

_MANIFEST = None
_MODULES = frozenset()
_ENV_SWITCH = "CFFI_FORGE_EDITABLE_REBUILD"
_FORMAT = 1


def _read_manifest(path):
    import json

    try:
        with open(path, "rb") as f:
            return json.loads(f.read().decode("utf-8"))
    except (OSError, ValueError):
        return None


def _sha256(path):
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _shown(path, project):
    try:
        rel = os.path.relpath(path, project)
    except ValueError:  # another drive on Windows
        return path
    return path if rel.startswith(os.pardir) else rel.replace(os.sep, "/")


def _why_stale(manifest, entry):
    """Why the module of ``entry`` must be rebuilt ("src/x.c changed"), or None."""
    if not os.path.isfile(entry["file"]):
        return "its built file is missing"
    project = manifest.get("project", "")
    for record in list(manifest.get("common", ())) + list(entry.get("inputs", ())):
        path = record["path"]
        try:
            st = os.stat(path)
        except OSError:
            return "%s was removed" % _shown(path, project)
        if st.st_size == record["size"] and str(st.st_mtime_ns) == record["mtime_ns"]:
            continue
        # Touched, checked out again, saved unchanged: only the content counts.
        try:
            if st.st_size == record["size"] and _sha256(path) == record["sha256"]:
                continue
        except OSError:
            pass
        return "%s changed" % _shown(path, project)
    return None


class _Lock(object):
    """An exclusive lock on a file next to the manifest, for the length of a rebuild."""

    def __init__(self, path):
        self.file = open(path, "a+b")

    def __enter__(self):
        if os.name == "nt":
            import msvcrt
            import time

            self.file.seek(0)
            while True:
                try:
                    msvcrt.locking(self.file.fileno(), msvcrt.LK_LOCK, 1)
                    return self
                except OSError:  # LK_LOCK gives up after 10 s: keep waiting
                    time.sleep(0.1)
        import fcntl

        fcntl.flock(self.file.fileno(), fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        try:
            if os.name == "nt":
                import msvcrt

                self.file.seek(0)
                msvcrt.locking(self.file.fileno(), msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(self.file.fileno(), fcntl.LOCK_UN)
        finally:
            self.file.close()


class _BuiltModuleFinder(object):
    """Finds the modules of one editable install in its build directory."""

    def __init__(self, manifest, modules):
        self.manifest = manifest
        self.modules = modules

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.modules:
            return None
        manifest = _read_manifest(self.manifest)
        if manifest is None or manifest.get("format") != _FORMAT:
            raise ImportError(
                "cffi-forge: the build of %s is gone or unreadable (%s); "
                "reinstall the project (pip install -e)" % (fullname, self.manifest),
                name=fullname,
            )
        entry = manifest["modules"].get(fullname)
        if entry is None:
            return None
        if os.environ.get(_ENV_SWITCH, "1").strip() != "0" and self._same_interpreter(manifest):
            why = _why_stale(manifest, entry)
            if why is not None:
                manifest, entry = self._rebuild(fullname, why)
        import importlib.util

        return importlib.util.spec_from_file_location(fullname, entry["file"])

    def invalidate_caches(self):
        pass

    @staticmethod
    def _same_interpreter(manifest):
        """Another interpreter (another ABI) reading this environment leaves it alone."""
        import importlib.machinery

        suffix = manifest.get("ext_suffix")
        return not suffix or suffix in importlib.machinery.EXTENSION_SUFFIXES

    def _rebuild(self, fullname, why):
        import subprocess
        import time

        directory = os.path.dirname(self.manifest)
        with _Lock(os.path.join(directory, ".rebuild.lock")):
            # Another process may have rebuilt while this one waited for the lock.
            manifest = _read_manifest(self.manifest) or {}
            entry = manifest.get("modules", {}).get(fullname)
            if entry is not None and _why_stale(manifest, entry) is None:
                return manifest, entry
            binary = manifest.get("binary", "")
            if not os.path.isfile(binary):
                raise ImportError(
                    "cffi-forge: cannot rebuild %s (%s): the cffi-forge binary that built it "
                    "(%s) is gone; reinstall the project (pip install -e)" % (fullname, why, binary),
                    name=fullname,
                )
            python = manifest.get("python") or sys.executable
            if not os.path.isfile(python):
                python = sys.executable
            command = [binary, "--quiet", "editable-rebuild", manifest["project"], "-i", python]
            env = dict(os.environ, CFFI_FORGE_BUILD_DIR=manifest["build_dir"])
            started = time.monotonic()
            result = subprocess.run(
                command, cwd=manifest["project"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
            output = result.stdout.decode("utf-8", "replace").strip()
            if result.returncode != 0:
                raise ImportError(
                    "cffi-forge: rebuilding %s (%s) failed:\n%s" % (fullname, why, output),
                    name=fullname,
                )
            manifest = _read_manifest(self.manifest) or {}
            entry = manifest.get("modules", {}).get(fullname)
            if entry is None:
                raise ImportError(
                    "cffi-forge: after the rebuild (%s) the project no longer builds %s"
                    % (why, fullname),
                    name=fullname,
                )
            sys.stderr.write(
                "cffi-forge: rebuilt %s (%s) in %.1f s\n" % (fullname, why, time.monotonic() - started)
            )
            sys.stderr.flush()
            return manifest, entry


def install():
    """Put the finder on sys.meta_path once, ahead of the path finder (so a stale
    in-place build in the source tree does not win): the entry point of the ``.start``
    file (3.15+)."""
    for finder in sys.meta_path:
        if isinstance(finder, _BuiltModuleFinder) and finder.manifest == _MANIFEST:
            return
    finder = _BuiltModuleFinder(_MANIFEST, _MODULES)
    for i, existing in enumerate(sys.meta_path):
        if getattr(existing, "__name__", None) == "PathFinder":
            sys.meta_path.insert(i, finder)
            return
    sys.meta_path.append(finder)
