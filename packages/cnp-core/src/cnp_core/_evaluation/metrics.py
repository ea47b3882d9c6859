"""Metrics as declared records, and the per-sample arithmetic of cnp's own.

A :class:`Metric` says what a number is: its key in ``metrics.json``, label, unit (``mm``, ``%``,
``ratio`` or ``""``), direction (``higher_is_better``), display format and a one-line definition,
and, for metrics cnp computes for every run, ``compute``: a function of a :class:`Poses` giving an
(N, K) array of values per sample and scored joint (or (N, 1) for one value per sample). Every
aggregate is a mean of those values: frame-wise over all samples (the official "tot"),
action-wise as the mean of per-action means, per action, per joint. Metrics are registered
through the ``cnp_register_metrics`` hook, cnp's own (:data:`METRICS`) like a plugin's.

Conventions of cnp's own metrics (docs/guide/evaluate.md maps them to other toolkits' names):
- root-relative poses; aligned metrics fit on all joints, unscored joints dropped after (as the
  official ConvNeXtPose PA MPJPE fits on every predicted joint before dropping unscored ones);
- 3DPCK counts errors strictly below the threshold on root-relative, unaligned poses, in percent;
  its AUC is the mean PCK over thresholds 0, 5, ..., 150 mm (MMPose 0.x ``keypoint_3d_auc``), in percent;
- MRPE and absolute MPJPE use camera-space poses (no root subtraction): they say something only
  where the root position is estimated (``EvalSplit.estimated_root``), and are reported only then;
- a degenerate prediction (every joint at one point) still gets every metric: an alignment that
  has nothing to fit falls back to a defined answer (see :func:`align`) and the run says so.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cnp_core._evaluation.pose_math import joint_errors, rigid_align, similarity_align

ALIGNMENTS = ("none", "rigid", "similarity")
UNITS = ("mm", "%", "ratio", "")
PCK_THRESHOLD_MM = 150.0
AUC_THRESHOLDS_MM = np.arange(0.0, 151.0, 5.0)
DEGENERATE_SPREAD_MM = 0.01  # joints all within this of their centroid (float32 noise of one point): nothing to fit


@dataclass(frozen=True)
class Poses:
    """What a metric's ``compute`` receives: one run's poses, camera millimetres.

    - ``pred_cam`` / ``gt_cam``: (N, J, 3) prediction and ground truth in camera space (mm, x right,
      y down, z forward), root not subtracted, every joint the model predicts;
    - ``root_index``: the joint subtracted for root-relative poses;
    - ``scored``: the K joint indices a metric reports (the dataset's scored joints), in order.

    ``pred`` / ``gt`` (root-relative, all J joints) and ``errors`` ((N, K) root-relative,
    unaligned Euclidean errors of the scored joints) are computed once and shared.
    """

    pred_cam: np.ndarray
    gt_cam: np.ndarray
    root_index: int
    scored: tuple[int, ...]

    @functools.cached_property
    def pred(self) -> np.ndarray:
        """(N, J, 3) root-relative prediction."""
        return self.pred_cam - self.pred_cam[:, self.root_index : self.root_index + 1, :]

    @functools.cached_property
    def gt(self) -> np.ndarray:
        """(N, J, 3) root-relative ground truth."""
        return self.gt_cam - self.gt_cam[:, self.root_index : self.root_index + 1, :]

    @functools.cached_property
    def errors(self) -> np.ndarray:
        """(N, K) root-relative, unaligned joint errors of the scored joints (mm, float64)."""
        return self.scored_errors(self.pred)

    def scored_errors(self, aligned: np.ndarray) -> np.ndarray:
        """(N, K) errors of the scored joints of an (N, J, 3) root-relative prediction against ``gt``."""
        keep = list(self.scored)
        return joint_errors(aligned[:, keep, :], self.gt[:, keep, :])


@dataclass(frozen=True)
class Metric:
    """One metric, declared: what its numbers are and how they are shown.

    - ``name``: its key in ``metrics.json`` and on the command line (``pck150``);
    - ``label``: how people write it (``3DPCK@150``);
    - ``unit``: of the stored values, one of ``mm``, ``%``, ``ratio`` or ``""`` (none);
    - ``higher_is_better``: the direction (``False``: an error, lower is better);
    - ``definition``: one line saying exactly what is measured;
    - ``format``: a format spec for displaying a value (``".2f"``);
    - ``compute``: ``compute(poses: Poses) -> (N, K) or (N, 1) array``, for metrics cnp computes on
      every run; ``None`` for a metric only an evaluator computes (a headline or secondary value);
    - ``needs_estimated_root``: computed only where the split's root is an estimate (camera-space metrics);
    - ``datasets``: computed only on these datasets (empty: every dataset).
    """

    name: str
    label: str
    unit: str
    higher_is_better: bool
    definition: str
    format: str = ".2f"
    compute: Callable[[Poses], np.ndarray] | None = field(default=None, compare=False, repr=False)
    needs_estimated_root: bool = False
    datasets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.name, str) or not self.name.isidentifier():
            problems.append(f"name {self.name!r} must be an identifier (it is a key in metrics.json)")
        if self.unit not in UNITS:
            problems.append(f"unit {self.unit!r} must be one of {', '.join(repr(u) for u in UNITS)}")
        if not isinstance(self.higher_is_better, bool):
            problems.append("higher_is_better must be True or False")
        if not self.label or not self.definition:
            problems.append("label and definition must not be empty")
        try:
            format(1.5, self.format)
        except (TypeError, ValueError):
            problems.append(f"format {self.format!r} is not a format spec for a number (e.g. '.2f')")
        if self.compute is not None and not callable(self.compute):
            problems.append("compute must be callable (or None)")
        if problems:
            raise ValueError(f"metric {self.name!r}: " + "; ".join(problems))

    def show(self, value: float | None, *, signed: bool = False, unit: bool = True) -> str:
        """``value`` as displayed (``52.13 mm``, ``87.31 %``); ``-`` when missing or not finite."""
        return format_value(value, self.unit, self.format, signed=signed, show_unit=unit)

    def better(self, value: float, reference: float) -> bool | None:
        """Whether ``value`` is better than ``reference`` (None when equal or not comparable)."""
        if not (math.isfinite(value) and math.isfinite(reference)) or value == reference:
            return None
        return (value > reference) == self.higher_is_better

    def describe(self) -> dict[str, object]:
        """The declaration as stored beside a value in ``metrics.json``."""
        return {
            "name": self.name,
            "label": self.label,
            "unit": self.unit,
            "higher_is_better": self.higher_is_better,
            "format": self.format,
            "definition": self.definition,
        }


MetricSpec = Metric  # the name of earlier versions


def format_value(value: float | None, unit: str, fmt: str = ".2f", *, signed: bool = False, show_unit: bool = True) -> str:
    """A number as shown: ``52.13 mm``; ``+1.20 %`` when ``signed``; the number alone without
    ``show_unit``; ``-`` when missing or not finite. The legacy unit ``fraction`` (records of earlier
    versions) is shown as a percentage with one decimal."""
    if value is None or not isinstance(value, int | float) or not math.isfinite(value):
        return "-"
    if unit == "fraction":
        value, unit, fmt = 100.0 * value, "%", ".1f"
    text = format(value, ("+" if signed else "") + fmt)
    return f"{text} {unit}" if unit and show_unit else text


def legacy_millimetres(label: str, definition: str = "") -> Metric:
    """The declaration of a headline whose dataset names no metric record: millimetres, lower is better."""
    name = "".join(c if c.isalnum() else "_" for c in label.lower()).strip("_") or "headline"
    name = name if name.isidentifier() else f"m_{name}"
    return Metric(name, label, "mm", False, definition or f"{label} in millimetres (lower is better)")


def align(pred: np.ndarray, gt: np.ndarray, alignment: str) -> np.ndarray:
    """``pred`` (N, J, 3) fitted to ``gt`` on all joints: ``none``, ``rigid`` (no scale) or ``similarity``.

    A collapsed prediction (every joint at one point) has no rotation or scale to fit: its rigid
    fit is the translation onto ``gt``'s centroid, its scaled fit ``gt``'s centroid itself (scale 0,
    the least-squares answer). Non-finite poses stay non-finite; no fit raises.
    """
    if alignment == "none":
        return pred
    if alignment not in ALIGNMENTS:
        raise ValueError(f"unknown alignment {alignment!r}; choose one of {', '.join(ALIGNMENTS)}")
    fit = rigid_align if alignment == "rigid" else similarity_align
    ok = fittable(pred) & fittable(gt)
    if ok.all():
        return fit(pred, gt).astype(pred.dtype)
    out = np.full(pred.shape, np.nan, dtype=pred.dtype)
    if ok.any():
        out[ok] = fit(pred[ok], gt[ok]).astype(pred.dtype)
    centroid = gt.mean(axis=1, keepdims=True)
    collapsed = ~ok & np.isfinite(pred).all(axis=(1, 2)) & np.isfinite(gt).all(axis=(1, 2))
    if alignment == "rigid":
        out[collapsed] = (pred - pred.mean(axis=1, keepdims=True) + centroid)[collapsed]
    else:
        out[collapsed] = np.broadcast_to(centroid, pred.shape)[collapsed]
    return out


def fittable(poses: np.ndarray) -> np.ndarray:
    """(N,) whether each (J, 3) pose is finite and spread out enough for an alignment fit."""
    finite = np.isfinite(poses).all(axis=(1, 2))
    centred = np.where(finite[:, None, None], poses - poses.mean(axis=1, keepdims=True), 0.0)
    return finite & (np.abs(centred).max(axis=(1, 2)) > DEGENERATE_SPREAD_MM)


def degenerate_count(pred: np.ndarray) -> int:
    """How many (J, 3) predictions an alignment cannot fit (collapsed to a point, or not finite)."""
    return int((~fittable(pred)).sum())


def scale_align(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """``pred`` times the scale that minimises the squared error to ``gt`` (per sample, no rotation);
    a prediction of all zeros keeps scale 1 (every scale fits it equally)."""
    pred = pred.astype(np.float64)
    norm = (pred * pred).sum(axis=(1, 2), keepdims=True)
    dot = (pred * gt).sum(axis=(1, 2), keepdims=True)
    safe = norm > 0
    scale = np.where(safe, dot / np.where(safe, norm, 1.0), 1.0)
    return scale * pred


def pck(errors: np.ndarray, threshold_mm: float) -> np.ndarray:
    """1.0 where an error is strictly below ``threshold_mm``, else 0.0 (NaN counts as a miss)."""
    return (errors < threshold_mm).astype(np.float64)


def auc(errors: np.ndarray, thresholds_mm: np.ndarray = AUC_THRESHOLDS_MM) -> np.ndarray:
    """Per value, the fraction of ``thresholds_mm`` it is strictly below: averaged, the area under the PCK curve."""
    return (errors[..., None] < thresholds_mm).mean(axis=-1)


def _root_error(p: Poses) -> np.ndarray:
    root = slice(p.root_index, p.root_index + 1)
    return joint_errors(p.pred_cam[:, root, :], p.gt_cam[:, root, :])


def _absolute_errors(p: Poses) -> np.ndarray:
    keep = list(p.scored)
    return joint_errors(p.pred_cam[:, keep, :], p.gt_cam[:, keep, :])


METRICS: tuple[Metric, ...] = (
    Metric(
        "mpjpe",
        "MPJPE",
        "mm",
        False,
        "mean Euclidean joint error of root-relative poses, no alignment (official Protocol 2)",
        compute=lambda p: p.errors,
    ),
    Metric(
        "pa_mpjpe_rigid",
        "PA-MPJPE (rigid)",
        "mm",
        False,
        "MPJPE after a rotation + translation fit (Kabsch, no scale) on all joints (official Protocol 1)",
        compute=lambda p: p.scored_errors(align(p.pred, p.gt, "rigid")),
    ),
    Metric(
        "p_mpjpe",
        "P-MPJPE (scaled)",
        "mm",
        False,
        "MPJPE after a rotation + translation + scale fit on all joints (scaled Procrustes; MMPose p-mpjpe)",
        compute=lambda p: p.scored_errors(align(p.pred, p.gt, "similarity")),
    ),
    Metric(
        "n_mpjpe",
        "N-MPJPE",
        "mm",
        False,
        "MPJPE after scaling the root-relative prediction by its least-squares scale on all joints (VideoPose3D n_mpjpe)",
        compute=lambda p: p.scored_errors(scale_align(p.pred, p.gt)),
    ),
    Metric(
        "pck150",
        "3DPCK@150mm",
        "%",
        True,
        "percentage of joints whose root-relative, unaligned error is strictly below 150 mm",
        format=".1f",
        compute=lambda p: 100.0 * pck(p.errors, PCK_THRESHOLD_MM),
    ),
    Metric(
        "auc",
        "AUC",
        "%",
        True,
        "mean 3DPCK (%) over thresholds 0, 5, ..., 150 mm (31 thresholds), root-relative, unaligned",
        format=".1f",
        compute=lambda p: 100.0 * auc(p.errors),
    ),
    Metric(
        "mrpe",
        "MRPE",
        "mm",
        False,
        "camera-space error of the root joint's position",
        compute=_root_error,
        needs_estimated_root=True,
    ),
    Metric(
        "abs_mpjpe",
        "absolute MPJPE",
        "mm",
        False,
        "mean camera-space joint error, no root subtraction",
        compute=_absolute_errors,
        needs_estimated_root=True,
    ),
)
BY_NAME = {m.name: m for m in METRICS}


def metric_values(
    pred_cam: np.ndarray,
    gt_cam: np.ndarray,
    root_index: int,
    scored: tuple[int, ...],
    *,
    absolute: bool,
    metrics: tuple[Metric, ...] = METRICS,
    guard: Callable[[str, str], AbstractContextManager[Any]] | None = None,
) -> dict[str, np.ndarray]:
    """Each of ``metrics``' (N, K) values from camera-space poses (N, J, 3) in mm.

    ``scored`` are the joints scored (K of them); ``absolute`` adds the camera-space metrics
    (those that need an estimated root). Metrics without ``compute`` are skipped. ``guard("metric",
    name)`` wraps each computation (see :func:`cnp_core._evaluation.scoring.score_predictions`); a result that is not
    (N, K) or (N, 1) is a :class:`ValueError` naming the metric.
    """
    poses = Poses(pred_cam, gt_cam, root_index, tuple(scored))
    out = {}
    for metric in metrics:
        if metric.compute is None or (metric.needs_estimated_root and not absolute):
            continue
        with guard("metric", metric.name) if guard is not None else contextlib.nullcontext():
            values = np.asarray(metric.compute(poses), dtype=np.float64)
            n, k = len(pred_cam), len(poses.scored)
            if values.ndim != 2 or values.shape[0] != n or values.shape[1] not in (1, k):
                raise ValueError(f"metric {metric.name} computed shape {values.shape}; expected ({n}, {k}) or ({n}, 1)")
        out[metric.name] = values
    return out


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
    if not series:
        return {}
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
    "UNITS",
    "Aggregate",
    "Metric",
    "MetricSpec",
    "Poses",
    "aggregate",
    "align",
    "auc",
    "bootstrap_intervals",
    "degenerate_count",
    "fittable",
    "format_value",
    "legacy_millimetres",
    "metric_values",
    "pck",
    "scale_align",
]


def table_value(value: float | None, unit: str, fmt: str = ".2f") -> str:
    """A metric's value as tables show it: the number alone (``52.13``), percentages with ``%``
    (fractions of earlier versions scaled to one); ``-`` when missing."""
    text = format_value(value, unit, fmt, show_unit=False)
    return text + "%" if unit in ("%", "fraction") and text != "-" else text
