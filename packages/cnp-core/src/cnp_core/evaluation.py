"""Evaluation results and the evaluator contract; :func:`score_poses` is the shared arithmetic."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from cnp_core.datasets import EvalSplit
from cnp_core.pose_math import heatmap_to_camera, joint_errors, rigid_align, similarity_align
from cnp_core.variants import Variant

ALIGNMENTS = ("none", "rigid", "similarity")


@dataclass(frozen=True)
class EvalResult:
    """Scores of one prediction set. ``total_mm`` is the frame-wise mean (the official "tot");
    ``action_mean_mm`` the mean of the per-action means (other toolkits' action-wise average)."""

    metric: str
    alignment: str
    total_mm: float
    action_mean_mm: float | None
    per_action_mm: dict[str, float | None]
    per_joint_mm: dict[str, float]
    num_samples: int
    poses_mm: np.ndarray = field(repr=False)

    def summary(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "alignment": self.alignment,
            "total_mm": self.total_mm,
            "action_mean_mm": self.action_mean_mm,
            "per_action_mm": self.per_action_mm,
            "per_joint_mm": self.per_joint_mm,
            "num_samples": self.num_samples,
        }


@runtime_checkable
class Evaluator(Protocol):
    """Scores heatmap-unit predictions of a split for a variant."""

    name: str
    metric: str
    alignment: str

    def evaluate(self, split: EvalSplit, coords: np.ndarray, variant: Variant) -> EvalResult: ...


def align(pred: np.ndarray, gt: np.ndarray, alignment: str) -> np.ndarray:
    if alignment == "none":
        return pred
    if alignment == "rigid":
        return rigid_align(pred, gt)
    if alignment == "similarity":
        return similarity_align(pred, gt).astype(pred.dtype)
    raise ValueError(f"unknown alignment {alignment!r}; choose one of {', '.join(ALIGNMENTS)}")


def score_poses(split: EvalSplit, coords: np.ndarray, variant: Variant, metric: str, alignment: str) -> EvalResult:
    """Back-project, root-align, optionally align (fitted on all joints), drop unscored joints, score."""
    if len(coords) != len(split):
        raise ValueError(f"{len(coords)} predictions for {len(split)} samples")
    pred = heatmap_to_camera(
        coords,
        split.bboxes,
        split.root_cam[:, 2],
        split.focal,
        split.center,
        variant.output_shape,
        variant.depth_dim,
        split.bbox_3d_depth_mm,
    )
    root = split.root_index
    pred = pred - pred[:, root : root + 1, :]
    gt = split.joint_cam - split.joint_cam[:, root : root + 1, :]
    pred = align(pred, gt, alignment)
    keep = list(split.eval_joints)
    pred, gt = pred[:, keep, :], gt[:, keep, :]
    errors = joint_errors(pred, gt)
    per_action: dict[str, float | None] = {}
    for a, name in enumerate(split.action_names):
        rows = errors[split.actions == a]
        per_action[name] = float(rows.mean()) if rows.size else None
    present = [v for v in per_action.values() if v is not None]
    return EvalResult(
        metric=metric,
        alignment=alignment,
        total_mm=float(errors.mean()),
        action_mean_mm=float(np.mean(present)) if present else None,
        per_action_mm=per_action,
        per_joint_mm={split.joint_names[j]: float(errors[:, k].mean()) for k, j in enumerate(keep)},
        num_samples=len(split),
        poses_mm=pred,
    )
