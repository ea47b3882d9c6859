"""cnp_core: ConvNeXtPose models, checkpoints and evaluation as a plain library.

>>> import cnp_core
>>> model = cnp_core.build_model("M")
>>> report = cnp_core.load_checkpoint(model, "ConvNeXtPose_M.tar")

Importing is cheap: torch and the plugins load on first use of what needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cnp_core import _compat
from cnp_core._errors import (
    CheckpointError,
    CheckpointMismatchError,
    CnpError,
    DataError,
    DuplicateNameError,
    ParameterError,
    UnknownNameError,
    UnsafeCheckpointError,
)
from cnp_core._model.variants import PaperNumbers, Variant, freeze_config, get_variant, list_variants
from cnp_core._plugins.hookspecs import hookimpl, hookspec
from cnp_core._plugins.host import build_host, get_host

__version__ = "0.1.0"

_compat.install()

_LAZY = {
    "DatasetInfo": "cnp_core._data.records",
    "DatasetOption": "cnp_core._data.records",
    "Published": "cnp_core._data.records",
    "RunRecord": "cnp_core._evaluation.api",
    "evaluate": "cnp_core._evaluation.api",
    "EvalSplit": "cnp_core._data.records",
    "SplitOptions": "cnp_core._data.records",
    "PoseModel": "cnp_core._model.pose_model",
    "convert_checkpoint": "cnp_core._checkpoints.conversion",
    "load_model": "cnp_core._checkpoints.conversion",
    "build_model": "cnp_core._model.pose_model",
    "inspect_checkpoint": "cnp_core._checkpoints",
    "load_checkpoint": "cnp_core._checkpoints",
    "read_checkpoint": "cnp_core._checkpoints",
    "write_checkpoint": "cnp_core._checkpoints",
}

if TYPE_CHECKING:
    from cnp_core._checkpoints import inspect_checkpoint, load_checkpoint, read_checkpoint, write_checkpoint
    from cnp_core._checkpoints.conversion import convert_checkpoint, load_model
    from cnp_core._data.records import DatasetInfo, DatasetOption, EvalSplit, Published, SplitOptions
    from cnp_core._evaluation.api import RunRecord, evaluate
    from cnp_core._model.pose_model import PoseModel, build_model


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'cnp_core' has no attribute {name!r}")


__all__ = [
    "CheckpointError",
    "CheckpointMismatchError",
    "CnpError",
    "DataError",
    "DatasetInfo",
    "DatasetOption",
    "DuplicateNameError",
    "EvalSplit",
    "PaperNumbers",
    "ParameterError",
    "PoseModel",
    "Published",
    "RunRecord",
    "SplitOptions",
    "UnknownNameError",
    "UnsafeCheckpointError",
    "Variant",
    "build_host",
    "build_model",
    "convert_checkpoint",
    "evaluate",
    "freeze_config",
    "get_host",
    "get_variant",
    "hookimpl",
    "hookspec",
    "inspect_checkpoint",
    "list_variants",
    "load_checkpoint",
    "load_model",
    "read_checkpoint",
    "write_checkpoint",
]
