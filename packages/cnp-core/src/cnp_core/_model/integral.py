"""Integral regression (soft-argmax) over a joint x depth x H x W heatmap volume.

Accuracy, the same on every machine. A float32 softmax over 64^3 bins on the CPU sums 262,144
terms in 8 (AVX2) or 16 (AVX-512) running lanes, so its normaliser is off by up to ~1e-5
relative, differently per instruction set; every coordinate inherits that error times its
magnitude (up to 5e-3 heatmap units, 0.17 mm, on flat heatmaps). Here the softmax is never
normalised voxel by voxel: the shifted exponentials (float32, one rounding each) are reduced to
the marginals in float32 runs along one axis (64 terms) and float64 beyond, and each expected coordinate is a ratio of two
float64 sums of the same weights, so a common error in the weights cancels. What remains is the
float32 logits' own error, which no summation can remove.
"""

from __future__ import annotations

import torch


def expected_coords(p_xy: torch.Tensor, p_z: torch.Tensor) -> torch.Tensor:
    """Unnormalised marginals p_xy (N, H, W, J) and p_z (N, J, D) -> (N, J, 3) expected (x, y, z).

    Sums and ratios run in float64 (the marginals are small); the result has ``p_xy``'s dtype.
    """
    _, n_h, n_w, _ = p_xy.shape
    xy, z = p_xy.double(), p_z.double()
    device = p_xy.device
    x = (xy.sum(dim=1) * torch.arange(n_w, dtype=torch.float64, device=device)[:, None]).sum(dim=1)
    y = (xy.sum(dim=2) * torch.arange(n_h, dtype=torch.float64, device=device)[:, None]).sum(dim=1)
    depth = (z * torch.arange(z.shape[2], dtype=torch.float64, device=device)).sum(dim=2)
    coords = torch.stack((x, y, depth), dim=2) / z.sum(dim=2)[:, :, None]
    return coords.to(p_xy.dtype)


def soft_argmax(logits: torch.Tensor, joint_num: int, depth_dim: int) -> torch.Tensor:
    """(N, joint_num*depth_dim, H, W) logits -> (N, joint_num, 3) expected (x, y, z) in grid units.

    Softmax over each joint's whole volume, then x = sum p * column, y = sum p * row, z = sum p * bin
    (SPEC section 1), computed as described in the module docstring.
    """
    n, _, h, w = logits.shape
    flat = logits.reshape(n, joint_num, depth_dim * h * w)
    weights = (flat - flat.amax(dim=2, keepdim=True)).exp_().view(n, joint_num, depth_dim, h, w)
    # float32 runs of one axis (depth, or columns), float64 beyond: as the fused tails do.
    p_xy = weights.sum(dim=2).permute(0, 2, 3, 1)
    p_z = weights.sum(dim=4).double().sum(dim=3)
    return expected_coords(p_xy, p_z)
