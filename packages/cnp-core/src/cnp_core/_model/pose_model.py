"""Model assembly: backbone -> head -> integral regression, with the published key names."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from cnp_core._errors import CnpError, checked_arguments
from cnp_core._model.integral import soft_argmax
from cnp_core._model.variants import Variant, get_variant
from cnp_core._plugins.host import PluginHost, registry

if TYPE_CHECKING:
    from cnp_core._checkpoints.loading import LoadReport


class PoseModel(nn.Module):
    """``backbone`` and ``head`` submodules (state-dict prefixes ``backbone.`` / ``head.``).

    ``forward`` returns (N, joint_num, 3) coordinates in heatmap units; ``heatmaps`` the logits.
    """

    def __init__(self, variant: Variant, backbone: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = head
        self.variant = variant
        self.joint_num = variant.joint_num
        self.depth_dim = variant.depth_dim

    def heatmaps(self, images: torch.Tensor) -> torch.Tensor:
        """Head logits (N, joint_num*depth_dim, H_out, W_out)."""
        out: torch.Tensor = self.head(self.backbone(images))
        return out

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return soft_argmax(self.heatmaps(images), self.joint_num, self.depth_dim)


@checked_arguments
def build_model(
    variant: str | Variant, *, host: PluginHost | None = None, backbone_options: Mapping[str, Any] | None = None
) -> PoseModel:
    """Build the literal network of ``variant`` (a name, any case, or a record) with fresh weights.

    ``backbone_options`` add to the backbone's configuration (training: ``drop_path_rate``).
    The model is returned in eval mode.
    """
    spec = get_variant(variant, host)
    factory = registry("backbone", host).get(spec.backbone)
    try:
        backbone = factory(**spec.backbone_kwargs, **(backbone_options or {}))
    except TypeError:
        if not backbone_options:
            raise
        raise CnpError(
            f"backbone {spec.backbone} does not take {', '.join(backbone_options)} (asked for training); "
            "set drop_path = 0 in the training configuration"
        ) from None
    head = registry("head", host).get(spec.head)(
        in_channels=int(backbone.out_channels),
        joint_num=spec.joint_num,
        depth_dim=spec.depth_dim,
        **spec.head_kwargs,
    )
    return PoseModel(spec, backbone, head).eval()


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
    from cnp_core._checkpoints.loading import load_checkpoint

    model = build_model(variant, host=host)
    report = load_checkpoint(model, checkpoint, variant=model.variant, host=host)
    if optimize:
        from cnp_core._model.optimize import optimize_for_inference

        optimized, _ = optimize_for_inference(model)
        return optimized, report
    return model, report
