"""cnp_core: ConvNeXtPose models, checkpoints and evaluation as a plain library.

>>> import cnp_core
>>> model = cnp_core.build_model("M")
>>> report = cnp_core.load_checkpoint(model, "ConvNeXtPose_M.tar")

Importing is cheap: torch and the plugins load on first use of what needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cnp_core.errors import (
    CheckpointError,
    CheckpointMismatchError,
    CnpError,
    DataError,
    DuplicateNameError,
    ParameterError,
    UnknownNameError,
    UnsafeCheckpointError,
)
from cnp_core.hookspecs import hookimpl, hookspec
from cnp_core.plugins import build_host, get_host
from cnp_core.variants import PaperNumbers, Variant, freeze_config, get_variant, list_variants

__version__ = "0.1.0"

_LAZY = {
    "DatasetInfo": "cnp_core.datasets",
    "DatasetOption": "cnp_core.datasets",
    "Published": "cnp_core.datasets",
    "RunRecord": "cnp_core.run_records",
    "evaluate": "cnp_core.run_records",
    "EvalSplit": "cnp_core.datasets",
    "SplitOptions": "cnp_core.datasets",
    "PoseModel": "cnp_core.model",
    "convert_checkpoint": "cnp_core.checkpoints.conversion",
    "load_model": "cnp_core.checkpoints.conversion",
    "build_model": "cnp_core.model",
    "inspect_checkpoint": "cnp_core.checkpoints",
    "load_checkpoint": "cnp_core.checkpoints",
    "read_checkpoint": "cnp_core.checkpoints",
    "write_checkpoint": "cnp_core.checkpoints",
}

if TYPE_CHECKING:
    from cnp_core.checkpoints import inspect_checkpoint, load_checkpoint, read_checkpoint, write_checkpoint
    from cnp_core.checkpoints.conversion import convert_checkpoint, load_model
    from cnp_core.datasets import DatasetInfo, DatasetOption, EvalSplit, Published, SplitOptions
    from cnp_core.model import PoseModel, build_model
    from cnp_core.run_records import RunRecord, evaluate


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
