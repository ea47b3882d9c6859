"""Checks for plugin authors and for cnp's own tests: tolerances derived from float32 error analysis.

Two computations of the soft-argmax of (nearly) the same logits never agree bit for bit: BatchNorm
folding, a reordered classifier, another SIMD width or a fused tail all round differently. How far
apart they may be follows from how far apart their logits are, which the caller measures, and from
the float32 steps each computation takes; :func:`soft_argmax_tolerance` turns both into a bound.
"""

from __future__ import annotations

import math

import torch

#: float32 unit roundoff: one rounding changes a value by at most this relative amount.
FLOAT32_UNIT_ROUNDOFF = 2.0**-24
#: the longest run of float32 additions in :mod:`cnp_core.integral` and the fused tails (one axis).
FLOAT32_RUN = 64


def log_weight_error(max_abs_logit: float, *, upsampled: bool, run: int = FLOAT32_RUN) -> float:
    """Bound on the relative error of one softmax weight (as a log) from a path's own float32 steps.

    - the shift ``l - max``: one rounding of a value at most ``2 * max_abs_logit`` -> ``2 L u``;
    - ``exp`` in float32: at most 2 ulp -> ``2 u``;
    - bilinear x2 done on logits as two lerps of two roundings each (``upsampled``) -> ``4 L u``
      absolute in the logit, hence relative in the weight;
    - a float32 sum of ``run`` positive terms: relative error at most ``(run - 1) u / (1 - (run - 1) u)``
      (the classical worst case of recursive summation; every longer reduction is float64).
    """
    u = FLOAT32_UNIT_ROUNDOFF
    shift = 2.0 * max_abs_logit * u
    lerps = 4.0 * max_abs_logit * u if upsampled else 0.0
    summation = (run - 1) * u / (1.0 - (run - 1) * u)
    return shift + 2.0 * u + lerps + summation


def soft_argmax_tolerance(logits_a: torch.Tensor, logits_b: torch.Tensor, grid: int, *, margin: float = 2.0) -> float:
    """Largest |coordinate difference| between two soft-argmax paths over these full-resolution logits.

    ``logits_a``/``logits_b``: what each path's logits are (same shape, any layout); ``grid``: the
    largest axis of the volume (W, H or depth bins). Derivation: with per-cell log-weight
    differences of at most ``E`` (measured logit difference plus both paths' own float32 errors from
    :func:`log_weight_error`), normalised weights differ by a factor within ``exp(+-2E)``, so an
    expectation over coordinates spanning ``grid - 1`` moves by at most ``(grid - 1) / 2 *
    (exp(2E) - 1)``. Add the float32 rounding of the outputs and of the flip average (a few half-ulps
    of values below ``grid``), then multiply by ``margin``.
    """
    a, b = logits_a.double(), logits_b.double()
    measured = float((a - b).abs().max())
    largest = float(torch.maximum(a.abs().max(), b.abs().max()))
    own = 2.0 * log_weight_error(largest, upsampled=True)  # each path's own steps (upsampling counted for both)
    spread = (grid - 1) / 2.0 * math.expm1(2.0 * (measured + own))
    output_rounding = 8.0 * grid * FLOAT32_UNIT_ROUNDOFF
    return margin * (spread + output_rounding)


__all__ = ["FLOAT32_RUN", "FLOAT32_UNIT_ROUNDOFF", "log_weight_error", "soft_argmax_tolerance"]
