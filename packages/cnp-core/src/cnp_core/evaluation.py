"""Evaluation results and the evaluator contract; :func:`score_poses` is the shared arithmetic."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from cnp_core.datasets import EvalSplit
from cnp_core.metrics import ALIGNMENTS, aggregate, align
from cnp_core.pose_math import heatmap_to_camera, joint_errors
from cnp_core.variants import Variant


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
    errors_mm: np.ndarray | None = field(default=None, repr=False)  # (N, K) per sample and scored joint

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
        total_mm=means.total,
        action_mean_mm=means.action_mean,
        per_action_mm=means.per_action,
        per_joint_mm=means.per_joint,
        num_samples=len(split),
        poses_mm=pred,
        errors_mm=errors,
    )


__all__ = ["ALIGNMENTS", "EvalResult", "Evaluator", "align", "camera_poses", "score_poses"]
