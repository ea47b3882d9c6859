"""Checkpoint conversion and one-call model loading: the library side of `cnp convert` and friends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cnp_core._checkpoints.loading import CheckpointInfo, LoadReport, check_fits, inspect_state, load_checkpoint, read_checkpoint
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


@checked_arguments
def load_model(
    variant: str | Variant,
    checkpoint: str | Path,
    *,
    optimize: bool = False,
    host: PluginHost | None = None,
) -> tuple[Any, LoadReport]:
    """Build ``variant``, load ``checkpoint`` into it (checked against the variant), in eval mode;
    with ``optimize``, return the inference-optimised form (same weights, see :mod:`cnp_core._model.optimize`)."""
    from cnp_core._model.pose_model import build_model

    model = build_model(variant, host=host)
    report = load_checkpoint(model, checkpoint, variant=model.variant, host=host)
    if optimize:
        from cnp_core._model.optimize import optimize_for_inference

        optimized, _ = optimize_for_inference(model)
        return optimized, report
    return model, report


__all__ = ["convert_checkpoint", "load_model"]
