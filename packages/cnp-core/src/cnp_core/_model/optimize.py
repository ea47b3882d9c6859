"""An inference-optimised form of a loaded model: the same weights, rearranged for speed.

Rewrites (each skipped, with a note, where it does not apply):
- BatchNorm folded into the preceding convolution (``torch.fx`` conv+bn fusion, eval mode);
- channels_last memory layout for the whole network;
- a head whose last layer ends in bilinear x2 upsampling (align_corners=True) before a 1x1
  classifier runs the classifier first, at the low resolution (the two commute: both are linear and
  the bilinear weights sum to one), then upsamples the 1152 logit channels and applies the
  soft-argmax in one fused pass (:mod:`cnp_core._model.upsampled_soft_argmax`: streamed per image on CPU,
  batched matrix products elsewhere and in exports);
- on CPU, the batch runs through the network a few images at a time (``micro_batch``), so each
  stage's activations stay in the CPU cache (a batch of 32 at 64x64x192 is 100 MB; 8 images fit).
  Outputs equal the whole-batch forward (bit for bit, or within ~5e-6 where oneDNN picks another kernel).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from cnp_core._model.integral import soft_argmax
from cnp_core._model.upsampled_soft_argmax import (
    StreamBuffers,
    pair_weights,
    streamed_upsampled_soft_argmax,
    upsample_matrix,
    upsampled_soft_argmax,
)
from cnp_core._plugins.hookspecs import LateUpsamplingHead


@dataclass(frozen=True)
class OptimizeOptions:
    """How the inference form runs.

    ``micro_batch``: on CPU, images per pass through the network (``None``: the whole batch);
    8 measured best for every variant on a 2-core, 32 MB L3 machine (XS +50%, M/L +15-25%).
    ``streamed_tail``: upsample and soft-argmax image by image, a few rows at a time, on CPU
    (``False``: one batched, traceable tail that holds every volume at once; for export).
    ``stream_rows``: output rows per streamed step (8: 2.4 MB of volume, within a core's L2).
    """

    micro_batch: int | None = 8
    streamed_tail: bool = True
    stream_rows: int = 8


EXPORT_OPTIONS = OptimizeOptions(micro_batch=None, streamed_tail=False)
# Images per batched tail on accelerators: bounds its volume to about 300 MB.
_BATCHED_TAIL_IMAGES = 16


def fold_batchnorm(module: nn.Module) -> tuple[nn.Module, str | None]:
    """conv -> BN pairs folded into one conv; returns (module, None) or (original, reason skipped)."""
    from torch.fx.experimental.optimization import fuse

    try:
        return fuse(copy.deepcopy(module).eval(), inplace=True), None  # one copy: the original stays as it is
    except Exception as exc:  # not traceable: keep the literal module
        return module, f"BatchNorm folding skipped for {type(module).__name__} ({type(exc).__name__})"


def _batchnorms(module: nn.Module) -> int:
    return sum(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


def _late_upsample_parts(head: nn.Module) -> tuple[nn.Module, nn.Conv2d] | None:
    """What the head offers, checked: a classifier that is a 1x1 convolution."""
    if not isinstance(head, LateUpsamplingHead):
        return None
    parts = head.late_upsampling_parts()
    if parts is None:
        return None
    trunk, final = parts
    if not isinstance(final, nn.Conv2d) or final.kernel_size != (1, 1):
        raise TypeError(f"{type(head).__name__}.late_upsampling_parts must return a 1x1 nn.Conv2d classifier")
    return copy.deepcopy(trunk), final


class OptimizedPoseModel(nn.Module):
    """Drop-in replacement of :class:`cnp_core.PoseModel` for inference (same outputs to ~1e-5)."""

    up_h: torch.Tensor
    up_w: torch.Tensor
    lerp_h: torch.Tensor
    lerp_w: torch.Tensor

    def __init__(self, model: Any, options: OptimizeOptions = OptimizeOptions()) -> None:
        super().__init__()
        if options.micro_batch is not None and options.micro_batch < 1:
            raise ValueError("micro_batch must be a positive number of images or None")
        if options.stream_rows < 1:
            raise ValueError("stream_rows must be a positive number of rows")
        self.options = options
        self.variant = model.variant
        self.joint_num = int(model.joint_num)
        self.depth_dim = int(model.depth_dim)
        self.notes: list[str] = []
        self.backbone, note = fold_batchnorm(model.backbone)
        self._note(note, model.backbone, self.backbone)
        self.final_layer: nn.Conv2d | None = None
        parts = _late_upsample_parts(model.head)
        self.late_upsample = parts is not None
        if parts is not None:
            trunk, final = parts
            self.head_trunk, note = fold_batchnorm(trunk)
            self._note(note, trunk, self.head_trunk)
            self.final_layer = copy.deepcopy(final)
            h_out, w_out = self.variant.output_shape
            self.register_buffer("up_h", upsample_matrix(h_out // 2), persistent=False)
            self.register_buffer("up_w", upsample_matrix(w_out // 2), persistent=False)
            self.register_buffer("lerp_h", pair_weights(h_out // 2), persistent=False)
            self.register_buffer("lerp_w", pair_weights(w_out // 2), persistent=False)
            self.notes.append("classifier runs before the last bilinear upsampling (fused upsampling + soft-argmax)")
        else:
            self.head_trunk, note = fold_batchnorm(model.head)
            self._note(note, model.head, self.head_trunk)
            self.notes.append(
                f"late-upsampling rewrite skipped: {type(model.head).__name__} offers no parts for it "
                "(cnp_core.plugin.LateUpsamplingHead); the head runs as it is"
            )
        self.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        self.notes.append("channels_last layout")
        if options.micro_batch is not None:
            self.notes.append(f"on CPU, {options.micro_batch} images per pass (cache-sized micro-batches)")

    def _note(self, skipped: str | None, before: nn.Module, after: nn.Module) -> None:
        if skipped:
            self.notes.append(skipped)
            return
        folded = _batchnorms(before) - _batchnorms(after)
        part = type(before).__name__
        self.notes.append(
            f"BatchNorm folded into {folded} convolutions of {part}" if folded else f"no BatchNorm to fold in {part}"
        )

    def heatmaps(self, images: torch.Tensor) -> torch.Tensor:
        """Full-resolution logits (for checks; :meth:`forward` never materialises them all at once)."""
        h = self.head_trunk(self.backbone(images.contiguous(memory_format=torch.channels_last)))
        if self.final_layer is None:
            return h
        logits = self.final_layer(h)
        return F.interpolate(logits, scale_factor=2, mode="bilinear", align_corners=True)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        step = self.options.micro_batch
        if step is not None and images.device.type == "cpu" and len(images) > step:
            return torch.cat([self._forward(part) for part in images.split(step)])
        return self._forward(images)

    def _forward(self, images: torch.Tensor) -> torch.Tensor:
        h = self.head_trunk(self.backbone(images.contiguous(memory_format=torch.channels_last)))
        if self.final_layer is None:
            return soft_argmax(h, self.joint_num, self.depth_dim)
        logits = self.final_layer(h)
        nhwc = logits.permute(0, 2, 3, 1)  # a view: the classifier's output is channels_last
        if not self.options.streamed_tail:
            return self._batched_tail(nhwc)
        if nhwc.device.type != "cpu":
            return torch.cat([self._batched_tail(part) for part in nhwc.split(_BATCHED_TAIL_IMAGES)])
        buffers = StreamBuffers(nhwc[0], self.options.stream_rows)
        parts = []
        for x in nhwc:
            coords = streamed_upsampled_soft_argmax(x, self.lerp_h, self.lerp_w, self.joint_num, self.depth_dim, buffers)
            parts.append(self._batched_tail(x[None])[0] if coords is None else coords)
        return torch.stack(parts)

    def _batched_tail(self, nhwc: torch.Tensor) -> torch.Tensor:
        return upsampled_soft_argmax(nhwc, self.up_h, self.up_w, self.joint_num, self.depth_dim)


def optimize_for_inference(model: nn.Module, options: OptimizeOptions = OptimizeOptions()) -> tuple[nn.Module, list[str]]:
    """The optimised form of ``model`` and notes on which rewrites applied (or why not)."""
    if not hasattr(model, "variant") or not hasattr(model, "head"):
        return model, ["not a cnp PoseModel: running it as it is"]
    optimized = OptimizedPoseModel(model, options).eval()
    return optimized, optimized.notes


__all__ = [
    "EXPORT_OPTIONS",
    "LateUpsamplingHead",
    "OptimizeOptions",
    "OptimizedPoseModel",
    "fold_batchnorm",
    "optimize_for_inference",
]
