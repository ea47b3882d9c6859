"""What a plugin author needs, in one place: hook markers, the records a plugin declares or
returns, the protocols cnp reads, and the helpers that keep a plugin's files and messages in
cnp's conventions.

>>> from cnp_core.plugin import hookimpl, DatasetInfo, EvalResult, Metric

Everything else in ``cnp_core`` whose module name starts with an underscore is private and may
change in any release; the names here change only with a deprecation period (see CHANGELOG.md).
Importing this module is cheap: each name loads its module on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY = {
    # hook markers and the optional capabilities cnp checks for (cnp_core._plugins.hookspecs)
    "hookimpl": "cnp_core._plugins.hookspecs",
    "hookspec": "cnp_core._plugins.hookspecs",
    "ChecksData": "cnp_core._plugins.hookspecs",
    "DescribesState": "cnp_core._plugins.hookspecs",
    "InvertibleKeyAdapter": "cnp_core._plugins.hookspecs",
    "LateUpsamplingHead": "cnp_core._plugins.hookspecs",
    "ListsInputFiles": "cnp_core._plugins.hookspecs",
    "Registrar": "cnp_core._plugins.registry",
    # variants
    "Variant": "cnp_core._model.variants",
    "PaperNumbers": "cnp_core._model.variants",
    "freeze_config": "cnp_core._model.variants",
    # datasets
    "DatasetInfo": "cnp_core._data.records",
    "DatasetOption": "cnp_core._data.records",
    "EvalDataset": "cnp_core._data.records",
    "EvalSplit": "cnp_core._data.records",
    "Published": "cnp_core._data.records",
    "SplitOptions": "cnp_core._data.records",
    "TrainSplit": "cnp_core._training.samples",
    "process_bbox": "cnp_core._data.crops",
    "read_image": "cnp_core._data.crops",
    "numbers": "cnp_core._data.validate",
    "finite_rows": "cnp_core._data.validate",
    # evaluators and metrics
    "EvalResult": "cnp_core._evaluation.evaluators",
    "Evaluator": "cnp_core._evaluation.evaluators",
    "camera_poses": "cnp_core._evaluation.evaluators",
    "score_poses": "cnp_core._evaluation.evaluators",
    "Metric": "cnp_core._evaluation.metrics",
    "Poses": "cnp_core._evaluation.metrics",
    "aggregate": "cnp_core._evaluation.metrics",
    # checkpoint formats
    "RawCheckpoint": "cnp_core._checkpoints.raw",
    # registries (what other plugins registered)
    "registry": "cnp_core._plugins.host",
    # files and commands in cnp's conventions
    "atomic_path": "cnp_core._output.atomic",
    "claim_output": "cnp_core._output.atomic",
    "staged_dir": "cnp_core._output.atomic",
    "write_json": "cnp_core._output.atomic",
    "default_cache_dir": "cnp_core._output.cache_dir",
    "as_flag": "cnp_core._plugins.cli_conventions",
    "fail": "cnp_core._plugins.cli_conventions",
    "print_json": "cnp_core._plugins.cli_conventions",
    "user_errors": "cnp_core._plugins.cli_conventions",
    # errors
    "CnpError": "cnp_core._errors",
    "OutputError": "cnp_core._output.atomic",
    "CheckpointError": "cnp_core._errors",
    "DataError": "cnp_core._errors",
    "ParameterError": "cnp_core._errors",
    "UnknownNameError": "cnp_core._errors",
}

if TYPE_CHECKING:
    from cnp_core._checkpoints.raw import RawCheckpoint
    from cnp_core._data.crops import process_bbox, read_image
    from cnp_core._data.records import DatasetInfo, DatasetOption, EvalDataset, EvalSplit, Published, SplitOptions
    from cnp_core._data.validate import finite_rows, numbers
    from cnp_core._errors import CheckpointError, CnpError, DataError, ParameterError, UnknownNameError
    from cnp_core._evaluation.evaluators import EvalResult, Evaluator, camera_poses, score_poses
    from cnp_core._evaluation.metrics import Metric, Poses, aggregate
    from cnp_core._model.variants import PaperNumbers, Variant, freeze_config
    from cnp_core._output.atomic import OutputError, atomic_path, claim_output, staged_dir, write_json
    from cnp_core._output.cache_dir import default_cache_dir
    from cnp_core._plugins.cli_conventions import as_flag, fail, print_json, user_errors
    from cnp_core._plugins.hookspecs import (
        ChecksData,
        DescribesState,
        InvertibleKeyAdapter,
        LateUpsamplingHead,
        ListsInputFiles,
        hookimpl,
        hookspec,
    )
    from cnp_core._plugins.host import registry
    from cnp_core._plugins.registry import Registrar
    from cnp_core._training.samples import TrainSplit


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'cnp_core.plugin' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(_LAZY)


__all__ = [
    "CheckpointError",
    "ChecksData",
    "CnpError",
    "DataError",
    "DatasetInfo",
    "DatasetOption",
    "DescribesState",
    "EvalDataset",
    "EvalResult",
    "EvalSplit",
    "Evaluator",
    "InvertibleKeyAdapter",
    "LateUpsamplingHead",
    "ListsInputFiles",
    "Metric",
    "OutputError",
    "PaperNumbers",
    "ParameterError",
    "Poses",
    "Published",
    "RawCheckpoint",
    "Registrar",
    "SplitOptions",
    "TrainSplit",
    "UnknownNameError",
    "Variant",
    "aggregate",
    "as_flag",
    "atomic_path",
    "camera_poses",
    "claim_output",
    "default_cache_dir",
    "fail",
    "finite_rows",
    "freeze_config",
    "hookimpl",
    "hookspec",
    "numbers",
    "print_json",
    "process_bbox",
    "read_image",
    "registry",
    "score_poses",
    "staged_dir",
    "user_errors",
    "write_json",
]
