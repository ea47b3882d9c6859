"""Bilinear x2 upsampling (align_corners=True) of soft-argmax logits, fused with the soft-argmax.

The literal 3-UP head upsamples 256 channels to 64x64 and then classifies them into
joint_num*depth_dim logits. Classifying first at 32x32 is the same function (both steps are
linear and the bilinear weights sum to one), but leaves the 1152 logit channels to upsample.
Two ways to do that here, with the same results to ~1e-6:

- :func:`upsampled_soft_argmax`: two matrix products over the contiguous channel axis, batched
  and traceable (export, CUDA, and the fallback of the streamed form);
- :func:`streamed_upsampled_soft_argmax`: one image on CPU; each axis is a lerp of neighbour
  pairs (no gathers, no matrix product), and the W step, exp and sums run a few output rows at a
  time so the 19 MB volume is never written to memory.
"""

from __future__ import annotations

import torch

from cnp_core._model.integral import expected_coords


def upsample_matrix(n: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(2n, n) weights of bilinear x2 with align_corners=True along one axis."""
    out = 2 * n
    pos = torch.arange(out, dtype=torch.float64) * (n - 1) / (out - 1)
    lo = pos.floor().long().clamp(max=n - 1)
    hi = (lo + 1).clamp(max=n - 1)
    frac = pos - lo
    m = torch.zeros(out, n, dtype=torch.float64)
    m[torch.arange(out), lo] += 1 - frac
    m[torch.arange(out), hi] += frac
    return m.to(dtype)


def pair_weights(n: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(n-1, 2) lerp weights of bilinear x2 (align_corners=True) along an axis of length n.

    Output 0 and 2n-1 copy inputs 0 and n-1; outputs 2m+1 and 2m+2 both lie between inputs m
    and m+1, at fractions (n-1-m)/(2n-1) and (2n-2-m)/(2n-1).
    """
    m = torch.arange(n - 1, dtype=torch.float64)
    return (torch.stack((n - 1 - m, 2 * n - 2 - m), dim=1) / (2 * n - 1)).to(dtype)


def bilinear_x2(x: torch.Tensor, weights: torch.Tensor, dim: int, out: torch.Tensor) -> torch.Tensor:
    """Bilinear x2 (align_corners=True) of ``x`` along ``dim`` into ``out`` (``weights``: :func:`pair_weights`)."""
    n = x.shape[dim]
    out.narrow(dim, 0, 1).copy_(x.narrow(dim, 0, 1))
    out.narrow(dim, 2 * n - 1, 1).copy_(x.narrow(dim, n - 1, 1))
    inner = out.narrow(dim, 1, 2 * n - 2).unflatten(dim, (n - 1, 2))
    shape = [1] * inner.dim()
    shape[dim], shape[dim + 1] = n - 1, 2
    lo, hi = x.narrow(dim, 0, n - 1).unsqueeze(dim + 1), x.narrow(dim, 1, n - 1).unsqueeze(dim + 1)
    torch.lerp(lo, hi, weights.view(shape), out=inner)
    return out


def upsampled_soft_argmax(
    logits: torch.Tensor,
    up_h: torch.Tensor,
    up_w: torch.Tensor,
    joint_num: int,
    depth_dim: int,
) -> torch.Tensor:
    """(N, h, w, joint_num*depth_dim) logits -> bilinear x2 -> soft-argmax -> (N, joint_num, 3).

    Both upsampling steps are large matrix products over the contiguous channel axis; the
    softmax is normalised once at the end, in float64 (:func:`cnp_core._model.integral.expected_coords`).
    """
    n_h, n_w = up_h.shape[0], up_w.shape[0]
    wide = torch.matmul(up_w, logits)  # (N, h, 2w, C), batched over rows
    full = torch.matmul(up_h, wide.flatten(2)).view(-1, n_h, n_w, joint_num, depth_dim)
    full = full.sub_(full.amax(dim=(1, 2, 4), keepdim=True)).exp_()
    # Short float32 runs (64 bins), then float64 (see cnp_core._model.integral): the depth marginal sums
    # columns first and rows in float64, so no float32 sum spans more than one axis.
    p_z = full.sum(dim=2).double().sum(dim=1)
    return expected_coords(full.sum(dim=4), p_z)


class StreamBuffers:
    """Scratch space for :func:`streamed_upsampled_soft_argmax`, reused across images.

    Fresh multi-megabyte allocations per image cost page faults; one set per batch does not.
    """

    def __init__(self, like: torch.Tensor, rows: int) -> None:
        h, w, c = like.shape
        self.rows = rows
        self.low = like.new_empty(h, w, c)
        self.mid = like.new_empty(2 * h, w, c)
        self.chunk = like.new_empty(rows, 2 * w, c)
        self.row_sums = like.new_empty(2 * h, c)


# A joint whose softmax mass falls below this (relative to the shift) is redone with the exact
# maximum: only logits that jump by ~100 between neighbouring cells get there.
_MIN_MASS = 1e-20


def streamed_upsampled_soft_argmax(
    logits: torch.Tensor,
    weights_h: torch.Tensor,
    weights_w: torch.Tensor,
    joint_num: int,
    depth_dim: int,
    buffers: StreamBuffers,
) -> torch.Tensor | None:
    """(h, w, joint_num*depth_dim) logits of one image -> (joint_num, 3), or None where it underflows.

    The softmax shift is each joint's maximum over the low-resolution logits: an upper bound of
    the upsampled volume (bilinear values are convex combinations), so nothing overflows and the
    volume never needs a pass of its own. It is subtracted before upsampling (the weights of each
    output sum to one), a quarter of the values. ``logits`` is left as it is; the caller redoes a
    None with :func:`upsampled_soft_argmax`.
    """
    h, w, c = logits.shape
    n_h, n_w = 2 * h, 2 * w
    shift = logits.reshape(h * w, c).amax(dim=0).view(joint_num, depth_dim).amax(dim=1)
    per_joint = (h, w, joint_num, depth_dim)
    low = torch.sub(logits.view(per_joint), shift.view(1, 1, joint_num, 1), out=buffers.low.view(per_joint))
    mid = bilinear_x2(low.view(h, w, c), weights_h, 0, buffers.mid)  # (2h, w, C)
    p_xy = logits.new_empty(n_h, n_w, joint_num)
    for start in range(0, n_h, buffers.rows):
        rows = mid[start : start + buffers.rows]
        count = len(rows)
        chunk = bilinear_x2(rows, weights_w, 1, buffers.chunk[:count]).exp_()
        torch.sum(chunk.view(count, n_w, joint_num, depth_dim), dim=3, out=p_xy[start : start + count])
        torch.sum(chunk, dim=1, out=buffers.row_sums[start : start + count])
    # float32 over one row's columns, float64 across rows (see cnp_core._model.integral)
    p_z = buffers.row_sums.double().sum(dim=0).view(joint_num, depth_dim)
    if not bool((p_z.sum(dim=1) >= _MIN_MASS).all()):
        return None
    return expected_coords(p_xy[None], p_z[None])[0]


__all__ = [
    "StreamBuffers",
    "bilinear_x2",
    "pair_weights",
    "streamed_upsampled_soft_argmax",
    "upsample_matrix",
    "upsampled_soft_argmax",
]
