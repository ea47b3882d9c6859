"""Read any checkpoint through the format plugins, adapt its keys, check it, load it."""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from cnp_core._checkpoints.formats import CheckpointFormat
from cnp_core._checkpoints.matching import (
    COUNTER_SUFFIX,
    ShapeDiff,
    describe_architecture,
    detect_variants,
    diff,
    expected_shapes,
    format_architecture,
    shapes_of,
)
from cnp_core._checkpoints.raw import RawCheckpoint
from cnp_core._errors import CheckpointError, CheckpointMismatchError, checked_arguments
from cnp_core._model.variants import Variant, get_variant
from cnp_core._plugins.host import PluginHost, registry


def find_format(path: Path, host: PluginHost | None = None) -> CheckpointFormat:
    """The registered format that recognises ``path`` (highest ``priority`` first)."""
    if not path.exists():
        raise CheckpointError(f"{path}: no such checkpoint file or folder; check the path")
    formats = sorted(registry("checkpoint format", host).entries(), key=lambda e: -getattr(e.obj, "priority", 0))
    claims = []
    for entry in formats:
        try:
            if entry.obj.detect(path):
                claims.append(entry)
        except OSError:
            continue
    if claims:
        rivals = [e for e in claims[1:] if e.plugin != claims[0].plugin]
        if rivals:
            others = ", ".join(f"{e.name!r} (plugin {e.plugin!r})" for e in rivals)
            warnings.warn(
                f"{path} is claimed by checkpoint format {claims[0].name!r} (plugin {claims[0].plugin!r}, used: "
                f"highest priority) and by {others}; set `priority` on the formats or disable one plugin",
                CheckpointFormatWarning,
                stacklevel=2,
            )
        fmt: CheckpointFormat = claims[0].obj
        return fmt
    names = ", ".join(e.name for e in formats)
    raise CheckpointError(f"{path}: not a checkpoint in any known format ({names}); is the file complete?")


class CheckpointFormatWarning(UserWarning):
    """Formats of different plugins both recognise one file."""


@checked_arguments
def read_checkpoint(path: str | Path, host: PluginHost | None = None) -> RawCheckpoint:
    """The tensors of a checkpoint file or folder as stored (keys not adapted)."""
    path = Path(path)
    return find_format(path, host).read(path)


def adapt_keys(state: dict[str, torch.Tensor], host: PluginHost | None = None) -> tuple[dict[str, torch.Tensor], list[str]]:
    """Run every registered key adapter in order; returns the new dict and the adapters that applied."""
    applied = []
    for entry in registry("key adapter", host).entries():
        out = entry.obj(state)
        if out is not None:
            state = out
            applied.append(entry.name)
    return state, applied


@dataclass(frozen=True)
class CheckpointInfo:
    """What a checkpoint contains, read without a model."""

    path: str
    format: str
    epoch: int | None
    tensor_count: int
    param_count: int
    remaps: tuple[str, ...]
    detected_variants: tuple[str, ...]
    architecture: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["remaps"] = list(self.remaps)
        data["detected_variants"] = list(self.detected_variants)
        return data


def _is_param(key: str) -> bool:
    return not key.endswith(("running_mean", "running_var", "num_batches_tracked"))


def inspect_state(raw: RawCheckpoint, host: PluginHost | None = None) -> tuple[CheckpointInfo, dict[str, torch.Tensor]]:
    """Facts about ``raw`` plus its adapted state dict."""
    state, remaps = adapt_keys(raw.state_dict, host)
    shapes = shapes_of(state)
    info = CheckpointInfo(
        path=raw.path,
        format=raw.format,
        epoch=raw.epoch,
        tensor_count=len(state),
        param_count=sum(int(v.numel()) for k, v in state.items() if _is_param(k)),
        remaps=tuple(remaps),
        detected_variants=tuple(detect_variants(shapes, host)),
        architecture=describe_architecture(shapes, host),
    )
    return info, state


@checked_arguments
def inspect_checkpoint(path: str | Path, host: PluginHost | None = None) -> CheckpointInfo:
    """Format, epoch, tensor and parameter counts, remaps and the variant(s) the file really is."""
    return inspect_state(read_checkpoint(path, host), host)[0]


def inspect_file(path: str | Path, variant: str | Variant | None = None) -> dict[str, Any]:
    """What ``cnp inspect`` shows, as a JSON-able record: an exported model's metadata (``kind``
    ``exported model``), or a checkpoint's format, epoch, counts, remaps, architecture and detected
    variants; with ``variant``, whether it fits (``fits``) and if not why (``reason``)."""
    from cnp_core._checkpoints.matching import diff, expected_shapes
    from cnp_core._inference.export import check_export_fits, read_export_metadata
    from cnp_core._model.variants import get_variant

    exported = read_export_metadata(path)
    if exported is not None:
        if variant is not None:
            check_export_fits(exported, get_variant(variant), path)
        return {"file": str(path), "kind": "exported model", **exported}
    info, state = inspect_state(read_checkpoint(path))
    record: dict[str, Any] = info.to_dict()
    if variant is not None:
        spec = get_variant(variant)
        shape_diff = diff(shapes_of(state), expected_shapes(spec))
        record.update(
            variant=spec.name, fits=shape_diff.fits, reason=None if shape_diff.fits else mismatch_message(info, spec, shape_diff)
        )
    record["contents"] = format_architecture(info.architecture)
    return record


def mismatch_message(info: CheckpointInfo, variant: Variant, shape_diff: ShapeDiff) -> str:
    """One line: the file does not fit ``variant``, what it looks like instead, and the key summary."""
    if info.detected_variants:
        looks = f"it is variant {' or '.join(info.detected_variants)} ({format_architecture(info.architecture)})"
        fix = f"; use --variant {info.detected_variants[0]}"
    else:
        looks = f"it matches no registered variant (file: {format_architecture(info.architecture)})"
        fix = "; check the file or register a variant for it"
    return f"{info.path} does not fit variant {variant.name}: {looks}; {shape_diff.summary()}{fix}"


def check_fits(
    info: CheckpointInfo, state: dict[str, torch.Tensor], variant: Variant, host: PluginHost | None = None
) -> ShapeDiff:
    """Raise :class:`CheckpointMismatchError` unless ``state`` has exactly ``variant``'s tensors."""
    shape_diff = diff(shapes_of(state), expected_shapes(variant, host))
    if not shape_diff.fits:
        raise CheckpointMismatchError(mismatch_message(info, variant, shape_diff))
    return shape_diff


def fitting_state(raw: RawCheckpoint, variant: Variant, host: PluginHost | None = None) -> dict[str, torch.Tensor]:
    """``raw``'s adapted state dict, checked against ``variant``.

    Which variant the file really is (every registered variant built on the meta device) is worked
    out only when it does not fit, for the error message: a fitting file costs one shape comparison.
    """
    state, _ = adapt_keys(raw.state_dict, host)
    if not diff(shapes_of(state), expected_shapes(variant, host)).fits:
        info, state = inspect_state(raw, host)
        check_fits(info, state, variant, host)
    check_values(state, raw.path)
    return state


def check_values(state: dict[str, torch.Tensor], path: str) -> None:
    """Weights must be real floating-point numbers, all finite: an integer or complex tensor (a
    cast would silently change every weight) or a NaN/infinity (a diverged or damaged file) is the
    checkpoint's fault, said before any inference. BatchNorm's integer counters are exempt."""
    for key, tensor in state.items():
        if key.endswith(COUNTER_SUFFIX):
            continue
        if not tensor.is_floating_point():
            raise CheckpointError(
                f"{path}: tensor {key} is {str(tensor.dtype).removeprefix('torch.')}, not floating point; "
                "these are not weights as trained (re-export the file with float32 tensors)"
            )
    for key, tensor in state.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            bad = int((~torch.isfinite(tensor)).sum())
            raise CheckpointError(
                f"{path}: tensor {key} holds {bad} NaN or infinite value(s) of {tensor.numel()}; the checkpoint is "
                "broken (a diverged training, or a damaged file): use an earlier snapshot"
            )


@dataclass(frozen=True)
class LoadReport:
    """What :func:`load_checkpoint` did."""

    path: str
    format: str
    epoch: int | None
    variant: str
    tensor_count: int
    remaps: tuple[str, ...]
    detected_variants: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["remaps"] = list(self.remaps)
        data["detected_variants"] = list(self.detected_variants)
        return data


def with_counters(state: dict[str, torch.Tensor], model: nn.Module) -> dict[str, torch.Tensor]:
    """``state`` plus the BatchNorm counters it lacks (set to 0), so a strict load accepts it."""
    missing = {k: v for k, v in model.state_dict().items() if k.endswith(COUNTER_SUFFIX) and k not in state}
    return {**state, **{k: torch.zeros_like(v, device="cpu") for k, v in missing.items()}}


@checked_arguments
def load_checkpoint(
    model: nn.Module,
    path: str | Path,
    *,
    variant: str | Variant | None = None,
    host: PluginHost | None = None,
) -> LoadReport:
    """Load a checkpoint file into ``model`` (strictly) and report format, epoch and remaps.

    ``variant`` defaults to ``model.variant``. A file of another variant raises
    :class:`CheckpointMismatchError` naming the variant the file really is.
    """
    spec = get_variant(variant if variant is not None else model.variant, host)  # type: ignore[arg-type]
    raw = read_checkpoint(path, host)
    info, state = inspect_state(raw, host)
    check_fits(info, state, spec, host)
    model.load_state_dict(with_counters(state, model), strict=True)
    return LoadReport(info.path, info.format, info.epoch, spec.name, info.tensor_count, info.remaps, info.detected_variants)
