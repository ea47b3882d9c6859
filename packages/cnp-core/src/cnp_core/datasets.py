"""What a dataset plugin hands the evaluation engine: an :class:`EvalSplit` of samples."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class SplitOptions:
    """How to build a test split. ``bbox_source`` is ``gt`` or ``rootnet``."""

    protocol: int = 2
    bbox_source: str = "gt"
    bbox_root_file: Path | None = None
    input_shape: tuple[int, int] = (256, 256)
    cache_dir: Path | None = None
    use_cache: bool = True


@dataclass(frozen=True)
class EvalSplit:
    """Columns of one test split, aligned by sample index.

    ``bboxes`` are the [x, y, w, h] boxes that are cropped and used to map predictions back;
    ``root_cam`` is the root position whose depth places the prediction (GT or RootNet);
    ``joint_cam`` the ground truth in camera millimetres (root not yet subtracted).
    """

    name: str
    image_ids: np.ndarray
    image_paths: tuple[str, ...]
    bboxes: np.ndarray
    root_cam: np.ndarray
    joint_cam: np.ndarray
    focal: np.ndarray
    center: np.ndarray
    actions: np.ndarray
    action_names: tuple[str, ...]
    joint_names: tuple[str, ...]
    flip_pairs: tuple[tuple[int, int], ...]
    root_index: int
    eval_joints: tuple[int, ...]
    bbox_3d_depth_mm: float = 2000.0
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.image_ids)

    def subset(self, indices: np.ndarray) -> EvalSplit:
        """The samples at ``indices``, in that order."""
        idx = np.asarray(indices, dtype=np.int64)
        return replace(
            self,
            image_ids=self.image_ids[idx],
            image_paths=tuple(self.image_paths[i] for i in idx),
            bboxes=self.bboxes[idx],
            root_cam=self.root_cam[idx],
            joint_cam=self.joint_cam[idx],
            focal=self.focal[idx],
            center=self.center[idx],
            actions=self.actions[idx],
        )


@runtime_checkable
class EvalDataset(Protocol):
    """A registered dataset: builds test splits from a data folder."""

    name: str
    description: str

    def load_split(self, data_dir: Path, options: SplitOptions) -> EvalSplit:
        """The test split for ``options``; raise :class:`cnp_core.DataError` on bad input."""
        ...
