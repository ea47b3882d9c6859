"""What a dataset plugin hands the trainer: the samples of a training split, in image space."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TrainSplit:
    """What a dataset's ``train_split(data_dir, options)`` returns: columns aligned by sample index.

    - ``name``: shown in logs and ``train_config.json``;
    - ``image_paths``: (N) image files, absolute or relative to the working directory;
    - ``bboxes``: (N, 4) float [x, y, w, h] in pixels of the original image, already processed as
      for evaluation (clipped, widened to the input's aspect ratio, scaled 1.25 about the centre:
      ``cnp_core.plugin.process_bbox``); augmentation scales and rotates about its centre;
    - ``joints``: (N, J, 3) float: x, y in pixels of the original image (not of the crop), and
      depth relative to the root joint in millimetres (0 where ``has_depth`` is 0);
    - ``visible``: (N, J) 0/1; invisible joints cost nothing in the loss;
    - ``has_depth``: (N,) 1 for 3D samples, 0 for 2D ones (their depth is masked in the loss);
    - ``joint_names`` / ``flip_pairs``: the model's joints, in output order (a 2D set maps its own
      joints onto them by name; joints it lacks get visibility 0);
    - ``bbox_3d_depth_mm``: the depth range the heatmap's depth bins span (2000 mm: +-1 m about the root);
    - ``notes``: what the reader left out and why (samples the official loader skips too, counted
      and named); ``cnp train`` shows each as one warning line and records them.
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
    notes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.image_paths)


__all__ = ["TrainSplit"]
