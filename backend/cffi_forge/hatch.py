"""The ``cffi-forge`` build hook of hatchling: CFFI modules in a hatchling-built wheel.

    [build-system]
    requires = ["hatchling", "cffi-forge"]
    build-backend = "hatchling.build"

    [tool.hatch.build.targets.wheel.hooks.cffi-forge]

The hook builds every module that ``[tool.cffi-forge]`` (or discovery) describes for the
interpreter running the build, adds the files at their package paths and sets the wheel's
tag (abi3 with its floor, ``py3-none-any`` when every module is ABI mode). Editable
builds put the modules beside their sources instead (see docs/plugins.md). The hook
table takes the keys of ``[tool.cffi-forge]`` (merged over it) and ``verbose``.
"""

import shutil

from hatchling.builders.hooks.plugin.interface import BuildHookInterface
from hatchling.plugin import hookimpl

from . import _plugin


class CffiForgeBuildHook(BuildHookInterface):
    PLUGIN_NAME = "cffi-forge"

    def initialize(self, version, build_data):
        if self.target_name != "wheel":
            # An sdist copies the tree (hatch's default selection keeps the C sources).
            return
        self._stage = None
        verbose = _plugin.truthy(self.config.get("verbose", False))
        report, stage = _plugin.build(self.root, self.config, verbose)
        if version == "editable":
            # hatch's editable wheel puts the source directory on sys.path (a .pth):
            # the modules must sit beside the package sources there.
            try:
                for path in _plugin.install_inplace(report):
                    self.app.display_info("cffi-forge: built %s in place" % path)
            finally:
                shutil.rmtree(stage, ignore_errors=True)
        else:
            self._stage = stage
            for entry in report["files"]:
                build_data["force_include"][entry["file"]] = entry["path"]
        if report["pure"]:
            # ABI mode only: generated .py files, nothing compiled.
            return
        build_data["pure_python"] = False
        if version != "editable" or report["files"]:
            build_data["tag"] = report["tag"]

    def finalize(self, version, build_data, artifact_path):
        stage = getattr(self, "_stage", None)
        if stage:
            shutil.rmtree(stage, ignore_errors=True)


@hookimpl
def hatch_register_build_hook():
    return CffiForgeBuildHook
