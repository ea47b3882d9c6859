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
    "PoseModel": "cnp_core._model.pose_model",
    "build_model": "cnp_core._model.pose_model",
    "describe_variant": "cnp_core._model.catalogue",
    "describe_variants": "cnp_core._model.catalogue",
    "variant_size": "cnp_core._model.size_memo",
    "optimize_for_inference": "cnp_core._model.optimize",
    "convert_checkpoint": "cnp_core._checkpoints.conversion",
    "load_model": "cnp_core._model.pose_model",
    "inspect_checkpoint": "cnp_core._checkpoints",
    "load_checkpoint": "cnp_core._checkpoints",
    "read_checkpoint": "cnp_core._checkpoints",
    "write_checkpoint": "cnp_core._checkpoints",
    "CHECKPOINT_FORMS": "cnp_core._checkpoints",
    "random_state_dict": "cnp_core._checkpoints.random_weights",
    "write_random_checkpoint": "cnp_core._checkpoints.random_weights",
    "inspect_file": "cnp_core._checkpoints.loading",
    "RawCheckpoint": "cnp_core._checkpoints.raw",
    "DatasetInfo": "cnp_core._data.records",
    "DatasetOption": "cnp_core._data.records",
    "EvalSplit": "cnp_core._data.records",
    "Published": "cnp_core._data.records",
    "SplitOptions": "cnp_core._data.records",
    "demo_data": "cnp_core._data.demo",
    "evaluate": "cnp_core._evaluation.api",
    "find_snapshots": "cnp_core._evaluation.pipeline",
    "RunRecord": "cnp_core._output.run_folder",
    "Headline": "cnp_core._output.run_folder",
    "read_run": "cnp_core._output.run_folder",
    "SCHEMA_VERSION": "cnp_core._output.run_folder",
    "compare_runs": "cnp_core._evaluation.comparison",
    "format_value": "cnp_core._evaluation.metrics",
    "table_value": "cnp_core._evaluation.metrics",
    "write_report": "cnp_core._report.markdown",
    "predict_image": "cnp_core._inference.predict",
    "load_image": "cnp_core._inference.predict",
    "PoseInput": "cnp_core._inference.predict",
    "PosePrediction": "cnp_core._inference.predict",
    "export_model": "cnp_core._inference.export",
    "ExportOptions": "cnp_core._inference.export",
    "inspect_export": "cnp_core._inference.export",
    "benchmark_variant": "cnp_core._inference.benchmark",
    "BenchmarkConfig": "cnp_core._inference.benchmark",
    "benchmark_config": "cnp_core._inference.benchmark",
    "distributed_session": "cnp_core._inference.distributed",
    "train_model": "cnp_core._training.api",
    "TrainConfig": "cnp_core._training.recipe",
    "load_train_config": "cnp_core._training.recipe",
    "OutputError": "cnp_core._output.atomic",
    "default_cache_dir": "cnp_core._output.cache_dir",
    "cache_report": "cnp_core._output.cache_dir",
    "clear_cache": "cnp_core._output.cache_dir",
    "PluginLoadWarning": "cnp_core._plugins.host",
}

if TYPE_CHECKING:
    from cnp_core._checkpoints import CHECKPOINT_FORMS, inspect_checkpoint, load_checkpoint, read_checkpoint, write_checkpoint
    from cnp_core._checkpoints.conversion import convert_checkpoint
    from cnp_core._checkpoints.loading import inspect_file
    from cnp_core._checkpoints.random_weights import random_state_dict, write_random_checkpoint
    from cnp_core._checkpoints.raw import RawCheckpoint
    from cnp_core._data.demo import demo_data
    from cnp_core._data.records import DatasetInfo, DatasetOption, EvalSplit, Published, SplitOptions
    from cnp_core._evaluation.api import evaluate
    from cnp_core._evaluation.comparison import compare_runs
    from cnp_core._evaluation.metrics import format_value, table_value
    from cnp_core._evaluation.pipeline import find_snapshots
    from cnp_core._inference.benchmark import BenchmarkConfig, benchmark_config, benchmark_variant
    from cnp_core._inference.distributed import distributed_session
    from cnp_core._inference.export import ExportOptions, export_model, inspect_export
    from cnp_core._inference.predict import PoseInput, PosePrediction, load_image, predict_image
    from cnp_core._model.catalogue import describe_variant, describe_variants
    from cnp_core._model.optimize import optimize_for_inference
    from cnp_core._model.pose_model import PoseModel, build_model, load_model
    from cnp_core._model.size_memo import variant_size
    from cnp_core._output.atomic import OutputError
    from cnp_core._output.cache_dir import cache_report, clear_cache, default_cache_dir
    from cnp_core._output.run_folder import SCHEMA_VERSION, Headline, RunRecord, read_run
    from cnp_core._plugins.host import PluginLoadWarning
    from cnp_core._report.markdown import write_report
    from cnp_core._training.api import train_model
    from cnp_core._training.recipe import TrainConfig, load_train_config


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'cnp_core' has no attribute {name!r}")


__all__ = [
    "CHECKPOINT_FORMS",
    "SCHEMA_VERSION",
    "BenchmarkConfig",
    "CheckpointError",
    "CheckpointMismatchError",
    "CnpError",
    "DataError",
    "DatasetInfo",
    "DatasetOption",
    "DuplicateNameError",
    "EvalSplit",
    "ExportOptions",
    "Headline",
    "OutputError",
    "PaperNumbers",
    "ParameterError",
    "PluginLoadWarning",
    "PoseInput",
    "PoseModel",
    "PosePrediction",
    "Published",
    "RawCheckpoint",
    "RunRecord",
    "SplitOptions",
    "TrainConfig",
    "UnknownNameError",
    "UnsafeCheckpointError",
    "Variant",
    "benchmark_config",
    "benchmark_variant",
    "build_host",
    "build_model",
    "cache_report",
    "clear_cache",
    "compare_runs",
    "convert_checkpoint",
    "default_cache_dir",
    "demo_data",
    "describe_variant",
    "describe_variants",
    "distributed_session",
    "evaluate",
    "export_model",
    "find_snapshots",
    "format_value",
    "freeze_config",
    "get_host",
    "get_variant",
    "hookimpl",
    "hookspec",
    "inspect_checkpoint",
    "inspect_export",
    "inspect_file",
    "list_variants",
    "load_checkpoint",
    "load_image",
    "load_model",
    "load_train_config",
    "optimize_for_inference",
    "predict_image",
    "random_state_dict",
    "read_checkpoint",
    "read_run",
    "table_value",
    "train_model",
    "variant_size",
    "write_checkpoint",
    "write_random_checkpoint",
    "write_report",
]
