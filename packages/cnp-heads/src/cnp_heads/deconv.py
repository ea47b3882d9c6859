"""The DeConv head of SPEC section 1: three depthwise-separable layers, then a 1x1 classifier."""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn


class Upsample2x(nn.Module):
    """Bilinear x2 with align_corners=True (what ``nn.UpsamplingBilinear2d(scale_factor=2)`` does)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)


class DeconvLayer(nn.Module):
    """dwconv 3x3 -> BN -> 1x1 -> ReLU -> optional bilinear x2."""

    def __init__(self, c_in: int, c_out: int, upsample: bool) -> None:
        super().__init__()
        self.dwconv = nn.Conv2d(c_in, c_in, kernel_size=3, padding=1, groups=c_in)
        self.norm = nn.BatchNorm2d(c_in)
        self.pwconv = nn.Conv2d(c_in, c_out, kernel_size=1)
        self.act = nn.ReLU(inplace=True)
        self.upsample: nn.Module = Upsample2x() if upsample else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.upsample(self.act(self.pwconv(self.norm(self.dwconv(x)))))


class DeconvHead(nn.Module):
    """``deconv_layers_1..3`` then ``final_layer`` (1x1 to joint_num*depth_dim logits)."""

    def __init__(self, in_channels: int, channels: int, upsample_layers: int, joint_num: int, depth_dim: int) -> None:
        super().__init__()
        if upsample_layers not in (0, 1, 2, 3):
            raise ValueError("upsample_layers must be 0..3")
        self.upsample_layers = upsample_layers
        self.deconv_layers_1 = DeconvLayer(in_channels, channels, upsample_layers >= 1)
        self.deconv_layers_2 = DeconvLayer(channels, channels, upsample_layers >= 2)
        self.deconv_layers_3 = DeconvLayer(channels, channels, upsample_layers >= 3)
        self.final_layer = nn.Conv2d(channels, joint_num * depth_dim, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.deconv_layers_3(self.deconv_layers_2(self.deconv_layers_1(x)))
        out: torch.Tensor = self.final_layer(x)
        return out

    def late_upsampling_parts(self) -> tuple[nn.Module, nn.Conv2d] | None:
        """For the optimiser (``cnp_core.plugin.LateUpsamplingHead``): when the last layer upsamples,
        the head without that upsampling and the 1x1 classifier (the two commute: both are linear
        and bilinear weights sum to one)."""
        if not isinstance(self.deconv_layers_3.upsample, Upsample2x):
            return None
        last = copy.deepcopy(self.deconv_layers_3)
        last.upsample = nn.Identity()
        return nn.Sequential(self.deconv_layers_1, self.deconv_layers_2, last), self.final_layer


def build_2up(*, in_channels: int, joint_num: int, depth_dim: int, channels: int = 256) -> DeconvHead:
    """2-UP: layers 1 and 2 upsample (stride-32 features -> 1/8 of the input)."""
    return DeconvHead(in_channels, channels, 2, joint_num, depth_dim)


def build_3up(*, in_channels: int, joint_num: int, depth_dim: int, channels: int = 256) -> DeconvHead:
    """3-UP: all three layers upsample (stride-32 features -> 1/4 of the input)."""
    return DeconvHead(in_channels, channels, 3, joint_num, depth_dim)
