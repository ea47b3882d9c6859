"""Integral regression (soft-argmax) over a joint x depth x H x W heatmap volume."""

from __future__ import annotations

import torch


def soft_argmax(logits: torch.Tensor, joint_num: int, depth_dim: int) -> torch.Tensor:
    """(N, joint_num*depth_dim, H, W) logits -> (N, joint_num, 3) expected (x, y, z) in grid units.

    Softmax over each joint's whole volume, then x = sum p * column, y = sum p * row, z = sum p * bin.
    """
    n, _, h, w = logits.shape
    p = torch.softmax(logits.reshape(n, joint_num, depth_dim * h * w), dim=2)
    p = p.reshape(n, joint_num, depth_dim, h, w)
    dtype, device = p.dtype, p.device
    x = (p.sum(dim=(2, 3)) * torch.arange(w, dtype=dtype, device=device)).sum(dim=2, keepdim=True)
    y = (p.sum(dim=(2, 4)) * torch.arange(h, dtype=dtype, device=device)).sum(dim=2, keepdim=True)
    z = (p.sum(dim=(3, 4)) * torch.arange(depth_dim, dtype=dtype, device=device)).sum(dim=2, keepdim=True)
    return torch.cat((x, y, z), dim=2)
