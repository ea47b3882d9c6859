"""Which variant a state dict really is, read from tensor shapes (SPEC section 2)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import torch

from cnp_core._model.variants import Variant
from cnp_core._plugins.hookspecs import DescribesState
from cnp_core._plugins.host import PluginHost, registry

Shapes = dict[str, tuple[int, ...]]


def shapes_of(state: dict[str, torch.Tensor]) -> Shapes:
    return {k: tuple(v.shape) for k, v in state.items()}


@lru_cache(maxsize=64)
def _expected(variant: Variant, host: PluginHost | None) -> tuple[tuple[str, tuple[int, ...]], ...]:
    from cnp_core._model.pose_model import build_model

    with torch.device("meta"):
        model = build_model(variant, host=host)
    return tuple((k, tuple(v.shape)) for k, v in model.state_dict().items())


def expected_shapes(variant: Variant, host: PluginHost | None = None) -> Shapes:
    """State-dict shapes of ``variant``'s model, built on the meta device (no memory, no weights)."""
    return dict(_expected(variant, host))


@dataclass(frozen=True)
class ShapeDiff:
    """How a file's tensors differ from a model's."""

    missing: tuple[str, ...]
    unexpected: tuple[str, ...]
    wrong_shape: tuple[tuple[str, tuple[int, ...], tuple[int, ...]], ...]

    @property
    def fits(self) -> bool:
        return not (self.missing or self.unexpected or self.wrong_shape)

    def summary(self, limit: int = 2) -> str:
        parts = []
        if self.wrong_shape:
            ex = "; ".join(f"{k}: file {list(a)} vs model {list(b)}" for k, a, b in self.wrong_shape[:limit])
            parts.append(f"{len(self.wrong_shape)} tensors of another shape (e.g. {ex})")
        if self.missing:
            parts.append(f"{len(self.missing)} missing (e.g. {', '.join(self.missing[:limit])})")
        if self.unexpected:
            parts.append(f"{len(self.unexpected)} unexpected (e.g. {', '.join(self.unexpected[:limit])})")
        return "; ".join(parts) or "fits"


#: BatchNorm's update counter: not a weight (eval never reads it), so a file may lack it.
COUNTER_SUFFIX = "num_batches_tracked"


def diff(file_shapes: Shapes, model_shapes: Shapes) -> ShapeDiff:
    """Missing, unexpected and reshaped tensors; a missing BatchNorm counter is not missing."""
    missing = tuple(k for k in model_shapes if k not in file_shapes and not k.endswith(COUNTER_SUFFIX))
    unexpected = tuple(k for k in file_shapes if k not in model_shapes)
    wrong = tuple(
        (k, file_shapes[k], model_shapes[k]) for k in model_shapes if k in file_shapes and file_shapes[k] != model_shapes[k]
    )
    return ShapeDiff(missing, unexpected, wrong)


def detect_variants(file_shapes: Shapes, host: PluginHost | None = None) -> list[str]:
    """Names of registered variants whose every tensor name and shape equals the file's."""
    found = []
    for entry in registry("variant", host).entries():
        try:
            if diff(file_shapes, expected_shapes(entry.obj, host)).fits:
                found.append(entry.name)
        except Exception:  # a variant whose parts are not installed cannot match
            continue
    return found


def describe_architecture(file_shapes: Shapes, host: PluginHost | None = None) -> dict[str, Any]:
    """Architecture facts read from a file's tensor shapes, by the parts that know their own keys.

    Every registered backbone and head factory that is :class:`cnp_core.plugin.DescribesState`
    contributes the facts it recognises (e.g. ``depths``, ``dims``, ``head_channels``,
    ``depth_dim``); keys are absent where nothing recognised the file.
    """
    facts: dict[str, Any] = {}
    for kind in ("backbone", "head"):
        for entry in registry(kind, host).entries():
            if isinstance(entry.obj, DescribesState):  # the optional capability (cnp_core._plugins.hookspecs)
                for key, value in (entry.obj.describe_state(file_shapes) or {}).items():
                    facts.setdefault(key, value)
    return facts


def format_architecture(facts: dict[str, Any]) -> str:
    """One phrase: ``depths 3,3,9,3, dims 48,96,192,384, head 256, depth_dim 64``."""
    parts = []
    for key, label in (("depths", "depths"), ("dims", "dims")):
        if key in facts:
            parts.append(f"{label} {','.join(map(str, facts[key]))}")
    if "head_channels" in facts:
        parts.append(f"head {facts['head_channels']} ch")
    if "depth_dim" in facts:
        parts.append(f"depth_dim {facts['depth_dim']}")
    return ", ".join(parts) or "no tensors a registered backbone or head recognises"
