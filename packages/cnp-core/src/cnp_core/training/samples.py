"""What a dataset plugin hands the trainer: the samples of a training split, in image space."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TrainSplit:
    """Columns of a training split, aligned by sample index.

    ``bboxes``: processed [x, y, w, h] boxes (the evaluation's box processing); ``joints``:
    (N, J, 3) with x, y in original-image pixels and depth relative to the root in mm; ``visible``:
    (N, J) 0/1; ``has_depth``: (N,) 1 for 3D samples, 0 for 2D ones (depth masked in the loss).
    ``joint_names`` and ``flip_pairs`` are the model's joints (the dataset maps its own onto them).
    """

    name: str
    image_paths: tuple[str, ...]
    bboxes: np.ndarray
    joints: np.ndarray
    visible: np.ndarray
    has_depth: np.ndarray
    joint_names: tuple[str, ...]
    flip_pairs: tuple[tuple[int, int], ...]
    bbox_3d_depth_mm: float = 2000.0

    def __len__(self) -> int:
        return len(self.image_paths)


__all__ = ["TrainSplit"]
