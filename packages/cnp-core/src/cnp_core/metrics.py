"""Every pose metric the field reports, per sample and joint, from one set of predictions.

Each metric gives an (N, K) array of values per sample and scored joint (MRPE: one value per
sample, K = 1). Every aggregate is a mean of those values: frame-wise over all samples (the
official "tot"), action-wise as the mean of per-action means, per action, per joint.

Conventions (the README maps them to other toolkits' names):
- root-relative poses; aligned metrics fit on all joints, unscored joints dropped after (as the
  official ConvNeXtPose PA MPJPE fits on every predicted joint before dropping unscored ones);
- 3DPCK counts errors strictly below the threshold on root-relative, unaligned poses; its AUC is
  the mean PCK over thresholds 0, 5, ..., 150 mm (MMPose 0.x ``keypoint_3d_auc``);
- MRPE and absolute MPJPE use camera-space poses (no root subtraction): they say something only
  where the root position is estimated (``EvalSplit.estimated_root``), and are reported only then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from cnp_core.pose_math import joint_errors, rigid_align, similarity_align

ALIGNMENTS = ("none", "rigid", "similarity")
PCK_THRESHOLD_MM = 150.0
AUC_THRESHOLDS_MM = np.arange(0.0, 151.0, 5.0)


@dataclass(frozen=True)
class MetricSpec:
    """One metric: its key in ``metrics.json``, label, unit (``mm`` or ``fraction``) and definition."""

    name: str
    label: str
    unit: str
    definition: str
    absolute: bool = False  # needs camera-space poses with an estimated root


METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("mpjpe", "MPJPE", "mm", "mean Euclidean joint error of root-relative poses, no alignment (official Protocol 2)"),
    MetricSpec(
        "pa_mpjpe_rigid",
        "PA-MPJPE (rigid)",
        "mm",
        "MPJPE after a rotation + translation fit (Kabsch, no scale) on all joints (official Protocol 1)",
    ),
    MetricSpec(
        "p_mpjpe",
        "P-MPJPE (scaled)",
        "mm",
        "MPJPE after a rotation + translation + scale fit on all joints (scaled Procrustes; MMPose p-mpjpe)",
    ),
    MetricSpec(
        "n_mpjpe",
        "N-MPJPE",
        "mm",
        "MPJPE after scaling the root-relative prediction by its least-squares scale on all joints (VideoPose3D n_mpjpe)",
    ),
    MetricSpec(
        "pck150",
        "3DPCK@150mm",
        "fraction",
        "fraction of joints whose root-relative, unaligned error is strictly below 150 mm",
    ),
    MetricSpec(
        "auc",
        "AUC",
        "fraction",
        "mean 3DPCK over thresholds 0, 5, ..., 150 mm (31 thresholds), root-relative, unaligned",
    ),
    MetricSpec("mrpe", "MRPE", "mm", "camera-space error of the root joint's position", absolute=True),
    MetricSpec("abs_mpjpe", "absolute MPJPE", "mm", "mean camera-space joint error, no root subtraction", absolute=True),
)
BY_NAME = {m.name: m for m in METRICS}


def align(pred: np.ndarray, gt: np.ndarray, alignment: str) -> np.ndarray:
    """``pred`` (N, J, 3) fitted to ``gt`` on all joints: ``none``, ``rigid`` (no scale) or ``similarity``."""
    if alignment == "none":
        return pred
    if alignment == "rigid":
        return rigid_align(pred, gt)
    if alignment == "similarity":
        return similarity_align(pred, gt).astype(pred.dtype)
    raise ValueError(f"unknown alignment {alignment!r}; choose one of {', '.join(ALIGNMENTS)}")


def scale_align(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """``pred`` times the scale that minimises the squared error to ``gt`` (per sample, no rotation)."""
    pred = pred.astype(np.float64)
    scale = (pred * gt).sum(axis=(1, 2), keepdims=True) / (pred * pred).sum(axis=(1, 2), keepdims=True)
    return scale * pred


def pck(errors: np.ndarray, threshold_mm: float) -> np.ndarray:
    """1.0 where an error is strictly below ``threshold_mm``, else 0.0."""
    return (errors < threshold_mm).astype(np.float64)


def auc(errors: np.ndarray, thresholds_mm: np.ndarray = AUC_THRESHOLDS_MM) -> np.ndarray:
    """Per value, the fraction of ``thresholds_mm`` it is strictly below: averaged, the area under the PCK curve."""
    return (errors[..., None] < thresholds_mm).mean(axis=-1)


def metric_values(
    pred_cam: np.ndarray,
    gt_cam: np.ndarray,
    root_index: int,
    scored: tuple[int, ...],
    *,
    absolute: bool,
) -> dict[str, np.ndarray]:
    """Every metric's (N, K) values from camera-space poses (N, J, 3) in mm.

    ``scored`` are the joints scored (K of them); ``absolute`` adds MRPE and absolute MPJPE.
    """
    root = slice(root_index, root_index + 1)
    pred = pred_cam - pred_cam[:, root, :]
    gt = gt_cam - gt_cam[:, root, :]
    keep = list(scored)

    def errors(aligned: np.ndarray) -> np.ndarray:
        return joint_errors(aligned[:, keep, :], gt[:, keep, :])

    plain = errors(pred)
    values = {
        "mpjpe": plain,
        "pa_mpjpe_rigid": errors(align(pred, gt, "rigid")),
        "p_mpjpe": errors(align(pred, gt, "similarity")),
        "n_mpjpe": errors(scale_align(pred, gt)),
        "pck150": pck(plain, PCK_THRESHOLD_MM),
        "auc": auc(plain),
    }
    if absolute:
        values["mrpe"] = joint_errors(pred_cam[:, root, :], gt_cam[:, root, :])
        values["abs_mpjpe"] = joint_errors(pred_cam[:, keep, :], gt_cam[:, keep, :])
    return values


@dataclass(frozen=True)
class Aggregate:
    """Means of one metric's values: frame-wise total, action-wise mean, per action, per joint."""

    total: float
    action_mean: float | None
    per_action: dict[str, float | None]
    per_joint: dict[str, float]


def aggregate(
    values: np.ndarray, actions: np.ndarray, action_names: tuple[str, ...], joint_names: tuple[str, ...] | None
) -> Aggregate:
    """Frame-wise and action-wise means of (N, K) ``values``; per joint when ``joint_names`` (K of them)."""
    per_action: dict[str, float | None] = {}
    for a, name in enumerate(action_names):
        rows = values[actions == a]
        per_action[name] = float(rows.mean()) if rows.size else None
    present = [v for v in per_action.values() if v is not None]
    per_joint = {} if joint_names is None else {n: float(values[:, k].mean()) for k, n in enumerate(joint_names)}
    return Aggregate(
        total=float(values.mean()),
        action_mean=float(np.mean(present)) if present else None,
        per_action=per_action,
        per_joint=per_joint,
    )


def bootstrap_intervals(
    series: Mapping[str, np.ndarray], resamples: int, seed: int, level: float = 0.95, chunk: int = 100
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals of the mean of each (N,) series, over the same resampled frames.

    All series are resampled with one set of seeded index draws (so paired series stay paired).
    """
    sizes = {len(v) for v in series.values()}
    if len(sizes) != 1:
        raise ValueError("bootstrap series must have one length")
    n = sizes.pop()
    if n == 0 or resamples <= 0:
        return {}
    rng = np.random.default_rng(seed)
    means: dict[str, list[np.ndarray]] = {k: [] for k in series}
    done = 0
    while done < resamples:
        size = min(chunk, resamples - done)
        idx = rng.integers(0, n, size=(size, n), dtype=np.int64)
        for name, values in series.items():
            means[name].append(np.asarray(values, dtype=np.float64)[idx].mean(axis=1))
        done += size
    tail = (1.0 - level) / 2 * 100
    out = {}
    for name, parts in means.items():
        lo, hi = np.percentile(np.concatenate(parts), [tail, 100 - tail])
        out[name] = (float(lo), float(hi))
    return out


__all__ = [
    "ALIGNMENTS",
    "AUC_THRESHOLDS_MM",
    "BY_NAME",
    "METRICS",
    "PCK_THRESHOLD_MM",
    "Aggregate",
    "MetricSpec",
    "aggregate",
    "align",
    "auc",
    "bootstrap_intervals",
    "metric_values",
    "pck",
    "scale_align",
]
