"""Model size and cost: parameters and multiply-accumulates (FlopCounterMode / 2)."""

from __future__ import annotations

import torch
from torch import nn


def count_params(model: nn.Module) -> int:
    """Trainable parameter count (BatchNorm running statistics excluded)."""
    return sum(p.numel() for p in model.parameters())


def count_gmacs(model: nn.Module, input_shape: tuple[int, int] = (256, 256)) -> float:
    """GMACs of one 1x3xHxW forward as ``torch.utils.flop_counter.FlopCounterMode`` counts, halved."""
    from torch.utils.flop_counter import FlopCounterMode

    x = torch.zeros(1, 3, *input_shape)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(x)
    return counter.get_total_flops() / 2 / 1e9
