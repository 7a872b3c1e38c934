"""The cffi-forge build hook of pdm-backend: CFFI modules in a pdm-backend-built wheel.

    [build-system]
    requires = ["pdm-backend", "cffi-forge"]
    build-backend = "pdm.backend"

    [tool.cffi-forge]            # present (even empty): the hook is on

pdm-backend loads the hooks of the ``pdm.build.hook`` entry point group from every
installed distribution, so this one only acts on projects with a ``[tool.cffi-forge]``
table. It builds every module for the interpreter running the build, adds the files at
their package paths and sets the wheel's tag (abi3 with its floor, ``py3-none-any`` when
every module is ABI mode). Editable builds put the modules beside their sources (see
docs/plugins.md). The config-setting ``verbose=true`` (or ``CFFI_FORGE_VERBOSE=1``)
shows the compiler commands.
"""

import shutil

from . import _plugin

# One build per process: the report and staging directory of the running build.
_state = {}


def _own_table(context):
    tool = context.config.data.get("tool", {})
    return tool.get("cffi-forge")


def pdm_build_hook_enabled(context):
    return _own_table(context) is not None and context.target in ("wheel", "editable")


def pdm_build_initialize(context):
    verbose = _plugin.truthy(context.config_settings.get("verbose", False))
    # The build keys are [tool.cffi-forge] itself: nothing to merge.
    report, stage = _plugin.build(str(context.root), None, verbose)
    _state.update(report=report, stage=stage)
    if context.target == "editable":
        # pdm-backend's default editable wheel puts the package directory on sys.path
        # (a .pth): the modules must sit beside the sources there.
        _plugin.install_inplace(report)
    if report["pure"]:
        return
    context.config.build_config["is-purelib"] = False
    python, abi, platform = report["tag"].split("-")
    # pdm-backend reads these as the `--python-tag`, `--py-limited-api` and `--plat-name`
    # config-settings. pdm-backend >= 2.5 takes a list of platforms (a compressed tag
    # set keeps its dots); older ones one platform: the first, the most specific.
    platforms = platform.split(".")
    context.builder.config_settings.update(
        {
            "--python-tag": python,
            "--py-limited-api": abi,
            "--plat-name": platforms if _takes_platform_lists() else platforms[0],
        }
    )


def _takes_platform_lists():
    try:
        from importlib.metadata import version

        major, minor = (int(p) for p in version("pdm-backend").split(".")[:2])
    except Exception:
        return False
    return (major, minor) >= (2, 5)


def pdm_build_update_files(context, files):
    report = _state.get("report")
    if report is None or context.target != "wheel":
        return
    from pathlib import Path

    for entry in report["files"]:
        files[entry["path"]] = Path(entry["file"])


def pdm_build_finalize(context, artifact):
    stage = _state.pop("stage", None)
    _state.pop("report", None)
    if stage:
        shutil.rmtree(stage, ignore_errors=True)
