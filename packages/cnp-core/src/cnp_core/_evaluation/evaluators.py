"""Evaluation results and the evaluator contract; :func:`score_poses` is the shared arithmetic."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from cnp_core._data.records import EvalSplit
from cnp_core._evaluation.metrics import ALIGNMENTS, aggregate, align
from cnp_core._evaluation.pose_math import heatmap_to_camera, joint_errors
from cnp_core._model.variants import Variant

_LEGACY_NAMES = {
    "total_mm": "total",
    "action_mean_mm": "action_mean",
    "per_action_mm": "per_action",
    "per_joint_mm": "per_joint",
    "poses_mm": "poses",
    "errors_mm": "values",
}


@dataclass(frozen=True, init=False)
class EvalResult:
    """What an evaluator returns: the headline metric's scores of one prediction set.

    - ``metric``: the headline's label as the evaluator names it (``"MPJPE"``);
    - ``alignment``: the alignment it was scored with (``none``, ``rigid``, ...);
    - ``total``: the frame-wise mean over samples and scored joints (the official "tot"), in the
      headline metric's unit (see the dataset's ``headline_metrics``; millimetres when it names none);
    - ``action_mean``: the mean of the per-action means (other toolkits' action-wise average);
    - ``per_action``: action name -> mean (``None`` for an action without samples);
    - ``per_joint``: scored joint name -> mean;
    - ``num_samples``: N, the samples scored;
    - ``poses``: (N, K, 3) the prediction of the K scored joints, root-relative, in camera
      millimetres (aligned to the ground truth when ``alignment`` is not ``none``);
    - ``values``: (N, K) the headline per sample and scored joint (what intervals, pairing and
      "worst frames" are computed from); ``None`` if the evaluator has no per-sample values;
    - ``secondary``: more per-sample (N, K) or (N, 1) values, keyed by the name of a registered
      metric (see ``cnp_register_metrics``): each is aggregated and reported like cnp's own;
    - ``totals``: more numbers that have no per-sample values (an AUC over matched people, a
      pooled value), keyed by the name of a registered metric: stored and shown with their
      declaration, without intervals or tables.
    - ``extra``: anything the dataset's ``result_files`` needs from this evaluation (arrays, tables);
      cnp stores none of it itself.

    The names of earlier versions are accepted and readable: ``total_mm``, ``action_mean_mm``,
    ``per_action_mm``, ``per_joint_mm``, ``poses_mm`` and ``errors_mm``.
    """

    metric: str
    alignment: str
    total: float
    action_mean: float | None
    per_action: dict[str, float | None]
    per_joint: dict[str, float]
    num_samples: int
    poses: np.ndarray = field(repr=False)
    values: np.ndarray | None = field(default=None, repr=False)
    secondary: Mapping[str, np.ndarray] = field(default_factory=dict, repr=False)
    totals: Mapping[str, float] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def __init__(
        self,
        metric: str,
        alignment: str,
        total: float | None = None,
        action_mean: float | None = None,
        per_action: Mapping[str, float | None] | None = None,
        per_joint: Mapping[str, float] | None = None,
        num_samples: int | None = None,
        poses: np.ndarray | None = None,
        values: np.ndarray | None = None,
        secondary: Mapping[str, np.ndarray] | None = None,
        totals: Mapping[str, float] | None = None,
        extra: Mapping[str, Any] | None = None,
        **legacy: Any,
    ) -> None:
        unknown = sorted(set(legacy) - set(_LEGACY_NAMES))
        if unknown:
            valid = ", ".join([*self.__dataclass_fields__, *_LEGACY_NAMES])
            raise TypeError(f"EvalResult got unknown field(s) {', '.join(unknown)}; its fields: {valid}")
        given: dict[str, Any] = {
            "total": total,
            "action_mean": action_mean,
            "per_action": per_action,
            "per_joint": per_joint,
            "poses": poses,
            "values": values,
        }
        for old, new in _LEGACY_NAMES.items():
            if old in legacy:
                if given[new] is not None:
                    raise TypeError(f"EvalResult got both {new} and {old} (the same field); pass {new}")
                given[new] = legacy[old]
        if given["total"] is None or given["poses"] is None or num_samples is None:
            raise TypeError("EvalResult needs total, num_samples and poses")
        set_ = object.__setattr__
        set_(self, "metric", metric)
        set_(self, "alignment", alignment)
        set_(self, "total", float(given["total"]))
        set_(self, "action_mean", None if given["action_mean"] is None else float(given["action_mean"]))
        set_(self, "per_action", dict(given["per_action"] or {}))
        set_(self, "per_joint", dict(given["per_joint"] or {}))
        set_(self, "num_samples", int(num_samples))
        set_(self, "poses", given["poses"])
        set_(self, "values", given["values"])
        set_(self, "secondary", dict(secondary or {}))
        set_(self, "totals", {k: float(v) for k, v in (totals or {}).items()})
        set_(self, "extra", dict(extra or {}))

    # The names of earlier versions (millimetre headlines).
    @property
    def total_mm(self) -> float:
        return self.total

    @property
    def action_mean_mm(self) -> float | None:
        return self.action_mean

    @property
    def per_action_mm(self) -> dict[str, float | None]:
        return self.per_action

    @property
    def per_joint_mm(self) -> dict[str, float]:
        return self.per_joint

    @property
    def poses_mm(self) -> np.ndarray:
        return self.poses

    @property
    def errors_mm(self) -> np.ndarray | None:
        return self.values

    def summary(self) -> dict[str, Any]:
        """The JSON-ready headline numbers (without the per-sample arrays)."""
        return {
            "metric": self.metric,
            "alignment": self.alignment,
            "total": self.total,
            "action_mean": self.action_mean,
            "per_action": self.per_action,
            "per_joint": self.per_joint,
            "num_samples": self.num_samples,
        }


@runtime_checkable
class Evaluator(Protocol):
    """Scores heatmap-unit predictions of a split for a variant (registered with ``cnp_register_evaluators``).

    - ``name``: its registered name; ``metric``: the label of what it computes (``"MPJPE"``);
    - ``alignment``: the alignment it applies (``none``, ``rigid``, ``similarity`` or its own word);
      a dataset's ``evaluators`` map alignments to evaluator names;
    - ``evaluate(split, coords, variant)``: ``coords`` is (N, J, 3) float32 in heatmap units (x, y
      in output pixels, z in depth bins) for the N samples of ``split``, in order; returns an
      :class:`EvalResult`. Called once per checkpoint, after inference, in the main process only.
      With ``--exclude``, ``split`` holds only the samples kept (a sequence left out has no rows).
    """

    name: str
    metric: str
    alignment: str

    def evaluate(self, split: EvalSplit, coords: np.ndarray, variant: Variant) -> EvalResult: ...


def camera_poses(split: EvalSplit, coords: np.ndarray, variant: Variant) -> np.ndarray:
    """(N, J, 3) heatmap-unit predictions placed in camera millimetres with the split's boxes and root depth."""
    if len(coords) != len(split):
        raise ValueError(f"{len(coords)} predictions for {len(split)} samples")
    return heatmap_to_camera(
        coords,
        split.bboxes,
        split.root_cam[:, 2],
        split.focal,
        split.center,
        variant.output_shape,
        variant.depth_dim,
        split.bbox_3d_depth_mm,
    )


def score_poses(split: EvalSplit, coords: np.ndarray, variant: Variant, metric: str, alignment: str) -> EvalResult:
    """Back-project, root-align, optionally align (fitted on all joints), drop unscored joints, score."""
    pred = camera_poses(split, coords, variant)
    root = split.root_index
    pred = pred - pred[:, root : root + 1, :]
    gt = split.joint_cam - split.joint_cam[:, root : root + 1, :]
    pred = align(pred, gt, alignment)
    keep = list(split.eval_joints)
    pred, gt = pred[:, keep, :], gt[:, keep, :]
    errors = joint_errors(pred, gt)
    means = aggregate(errors, split.actions, split.action_names, tuple(split.joint_names[j] for j in keep))
    return EvalResult(
        metric=metric,
        alignment=alignment,
        total=means.total,
        action_mean=means.action_mean,
        per_action=means.per_action,
        per_joint=means.per_joint,
        num_samples=len(split),
        poses=pred,
        values=errors,
    )


__all__ = ["ALIGNMENTS", "EvalResult", "Evaluator", "align", "camera_poses", "score_poses"]
