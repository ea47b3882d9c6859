"""Human3.6M evaluators: Protocol 2 MPJPE, Protocol 1 PA-MPJPE (rigid, no scale), and the scaled variant."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnp_core.plugin import EvalResult, EvalSplit, Variant, score_poses


@dataclass(frozen=True)
class PoseErrorEvaluator:
    """Root-relative mean per-joint position error after ``alignment`` (none, rigid or similarity)."""

    name: str
    metric: str
    alignment: str
    description: str

    def evaluate(self, split: EvalSplit, coords: np.ndarray, variant: Variant) -> EvalResult:
        return score_poses(split, coords, variant, self.metric, self.alignment)


EVALUATORS = (
    PoseErrorEvaluator("mpjpe", "MPJPE", "none", "Protocol 2: root-relative MPJPE, no alignment"),
    PoseErrorEvaluator(
        "pa-mpjpe",
        "PA MPJPE",
        "rigid",
        "Protocol 1: rigid alignment (rotation + translation, no scale) as the official numbers",
    ),
    PoseErrorEvaluator(
        "pa-mpjpe-similarity",
        "PA MPJPE (similarity, scaled)",
        "similarity",
        "scaled Procrustes alignment, as other toolkits report PA-MPJPE (lower than the official)",
    ),
)
