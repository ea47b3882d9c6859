"""Checkpoint reading, key adaptation, variant detection, loading and writing."""

from cnp_core._checkpoints.formats import BUILTIN_FORMATS, CheckpointFormat, safe_torch_load
from cnp_core._checkpoints.key_adapters import strip_module_prefix
from cnp_core._checkpoints.loading import (
    CheckpointInfo,
    LoadReport,
    adapt_keys,
    check_fits,
    find_format,
    fitting_state,
    inspect_checkpoint,
    inspect_state,
    load_checkpoint,
    read_checkpoint,
    with_counters,
)
from cnp_core._checkpoints.matching import describe_architecture, detect_variants, expected_shapes
from cnp_core._checkpoints.raw import RawCheckpoint
from cnp_core._checkpoints.writing import FORMS, write_checkpoint

CHECKPOINT_FORMS = FORMS

__all__ = [
    "BUILTIN_FORMATS",
    "CHECKPOINT_FORMS",
    "FORMS",
    "CheckpointFormat",
    "CheckpointInfo",
    "LoadReport",
    "RawCheckpoint",
    "adapt_keys",
    "check_fits",
    "describe_architecture",
    "detect_variants",
    "expected_shapes",
    "find_format",
    "fitting_state",
    "inspect_checkpoint",
    "inspect_state",
    "load_checkpoint",
    "read_checkpoint",
    "safe_torch_load",
    "strip_module_prefix",
    "with_counters",
    "write_checkpoint",
]
