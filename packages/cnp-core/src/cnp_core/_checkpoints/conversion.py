"""Checkpoint conversion: the library side of `cnp convert` (loading a model lives with the models)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cnp_core._checkpoints.loading import CheckpointInfo, check_fits, inspect_state, read_checkpoint
from cnp_core._checkpoints.writing import write_checkpoint
from cnp_core._errors import CnpError, checked_arguments
from cnp_core._model.variants import Variant, get_variant
from cnp_core._plugins.host import PluginHost


@checked_arguments
def convert_checkpoint(
    source: str | Path,
    out: str | Path,
    *,
    variant: str | Variant | None = None,
    force: bool = False,
    host: PluginHost | None = None,
) -> CheckpointInfo:
    """Rewrite ``source`` as ``out`` (``*.safetensors``, or a ``*.pth``/``.pth.tar``/``.tar``/``.pt``
    training snapshot) with canonical key names, keeping the epoch; refuses an existing ``out``
    unless ``force`` and, with ``variant``, a file that does not fit it. Returns what was read."""
    from cnp_core._output.atomic import claim_output

    out = Path(out)
    name = out.name.lower()
    if not name.endswith((".safetensors", ".pth", ".tar", ".pt")):
        raise CnpError(f"{out}: unknown output type; name it *.safetensors or *.pth.tar")
    claim_output(out, force=force)
    info, state = inspect_state(read_checkpoint(source, host), host)
    if variant is not None:
        check_fits(info, state, get_variant(variant, host), host)
    if name.endswith(".safetensors"):
        meta = {"source_format": info.format, **({"variant": info.detected_variants[0]} if info.detected_variants else {})}
        write_checkpoint(state, out, form="safetensors", epoch=info.epoch or 0, metadata=meta, host=host)
    else:
        write_checkpoint(state, out, form="pth", epoch=info.epoch or 0, host=host)
    return info


def __getattr__(name: str) -> Any:
    if name == "load_model":  # its 0.1 home (cnp_core.checkpoints.conversion); it lives with the models now
        from cnp_core._model.pose_model import load_model

        return load_model
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["convert_checkpoint"]
