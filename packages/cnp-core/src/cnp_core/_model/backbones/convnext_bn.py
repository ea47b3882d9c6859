"""ConvNeXt with BatchNorm and ReLU, the ConvNeXtPose backbone (SPEC section 1)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class DropPath(nn.Module):
    """Stochastic depth per sample (training only): keep a sample's residual branch with probability
    1 - ``rate`` and scale the kept ones by 1 / (1 - rate). The same draws as timm's ``DropPath``
    (one Bernoulli per sample from the global generator), without importing timm (1.6 s at start-up)."""

    def __init__(self, rate: float = 0.0) -> None:
        super().__init__()
        self.rate = rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.rate == 0.0 or not self.training:
            return x
        keep = 1.0 - self.rate
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
        if keep > 0.0:
            mask.div_(keep)
        return x * mask


class Block(nn.Module):
    """dwconv 7x7 -> BN -> 1x1 (4x) -> ReLU -> 1x1, residual."""

    def __init__(self, dim: int, drop_path: float = 0.0) -> None:
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim)
        self.norm = nn.BatchNorm2d(dim)
        self.pwconv1 = nn.Conv2d(dim, 4 * dim, kernel_size=1)
        self.act = nn.ReLU(inplace=True)
        self.pwconv2 = nn.Conv2d(4 * dim, dim, kernel_size=1)
        self.drop_path: nn.Module = DropPath(drop_path) if drop_path > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.pwconv2(self.act(self.pwconv1(self.norm(self.dwconv(x)))))
        return x + self.drop_path(y)


class ConvNeXtBN(nn.Module):
    """Stem (4x4 s4 conv + BN), three BN + 2x2 s2 downsamplings, four stages, final BN. Stride 32."""

    def __init__(
        self,
        depths: Sequence[int] = (3, 3, 9, 3),
        dims: Sequence[int] = (48, 96, 192, 384),
        drop_path_rate: float = 0.0,
        in_chans: int = 3,
    ) -> None:
        super().__init__()
        if len(depths) != 4 or len(dims) != 4:
            raise ValueError("ConvNeXt-BN needs four depths and four dims")
        self.downsample_layers = nn.ModuleList(
            [nn.Sequential(nn.Conv2d(in_chans, dims[0], kernel_size=4, stride=4), nn.BatchNorm2d(dims[0]))]
        )
        for i in range(1, 4):
            self.downsample_layers.append(
                nn.Sequential(nn.BatchNorm2d(dims[i - 1]), nn.Conv2d(dims[i - 1], dims[i], kernel_size=2, stride=2))
            )
        total = sum(depths)
        rates = [drop_path_rate * i / max(1, total - 1) for i in range(total)]
        self.stages = nn.ModuleList()
        start = 0
        for i in range(4):
            self.stages.append(nn.Sequential(*[Block(dims[i], rates[start + j]) for j in range(depths[i])]))
            start += depths[i]
        self.norm = nn.BatchNorm2d(dims[-1])
        self.out_channels = int(dims[-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for down, stage in zip(self.downsample_layers, self.stages, strict=True):
            x = stage(down(x))
        return self.norm(x)
