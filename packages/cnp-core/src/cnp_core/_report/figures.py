"""What `cnp report` draws from each run's per-sample table: intervals per action, error
distributions, and the worst frames (prediction and ground truth over the crop and in 3D)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from cnp_core._evaluation.comparison import per_sample_headline


def per_action_intervals(samples: dict[str, np.ndarray], resamples: int = 1000, seed: int = 0) -> dict[str, list[float]]:
    """A bootstrap 95% interval of the headline per action (frames resampled within the action)."""
    from cnp_core._evaluation.metrics import bootstrap_intervals

    errors = per_sample_headline(samples)
    if errors is None or "action_name" not in samples:
        return {}
    names = samples["action_name"].astype(str)
    out = {}
    for name in dict.fromkeys(names.tolist()):
        interval = bootstrap_intervals({"x": errors[names == name]}, resamples, seed).get("x")
        if interval is not None:
            out[name] = list(interval)
    return out


def _project(points: np.ndarray, focal: np.ndarray, center: np.ndarray) -> np.ndarray:
    return points[:, :2] / points[:, 2:3] * focal + center


def _crop(path: str, box: np.ndarray) -> np.ndarray | None:
    import cv2

    image = cv2.imread(path, cv2.IMREAD_COLOR) if Path(path).is_file() else None
    if image is None:
        return None
    x, y, w, h = (round(float(v)) for v in box)
    x0, y0 = max(x, 0), max(y, 0)
    crop = image[y0 : max(y0, y + h), x0 : max(x0, x + w)]
    return crop if crop.size else None


def worst_frames(
    samples: dict[str, np.ndarray], root_index: int, count: int = 3, *, higher_is_better: bool = False, unit: str = "mm"
) -> list[dict[str, Any]]:
    """The ``count`` samples with the worst headline (the largest error, or the lowest value where
    higher is better), ready for :func:`cnp_core._report.plots.worst_frames_plot`."""
    errors = per_sample_headline(samples)
    needed = ("image_path", "bbox", "focal", "center", "pred_cam_mm", "gt_cam_mm")
    if errors is None or any(k not in samples for k in needed):
        return []
    frames = []
    order = np.argsort(errors if higher_is_better else -errors, kind="stable")
    for i in order[:count]:
        box = samples["bbox"][i].astype(np.float64)
        pred, gt = samples["pred_cam_mm"][i].astype(np.float64), samples["gt_cam_mm"][i].astype(np.float64)
        focal, center = samples["focal"][i].astype(np.float64), samples["center"][i].astype(np.float64)
        crop = _crop(str(samples["image_path"][i]), box)
        origin = np.maximum(box[:2], 0) if crop is not None else box[:2]
        label = str(samples["sequence"][i]) if "sequence" in samples else str(samples["action_name"][i])
        frames.append(
            {
                "crop": crop,
                "pred_2d": _project(pred, focal, center) - origin,
                "gt_2d": _project(gt, focal, center) - origin,
                "pred_3d": pred - pred[root_index],
                "gt_3d": gt - gt[root_index],
                "caption": f"image {int(samples['image_id'][i])} ({label}): {errors[i]:.1f}" + (f" {unit}" if unit else ""),
                "image_id": int(samples["image_id"][i]),
                "label": label,
                "value": float(errors[i]),
            }
        )
    return frames


def dataset_drawing(dataset: str) -> tuple[tuple[tuple[int, int], ...], int]:
    """The dataset's skeleton and root joint, from its declaration (no bones if it is not installed)."""
    from cnp_core._errors import UnknownNameError
    from cnp_core._plugins.host import registry

    try:
        info = registry("dataset").get(dataset).info
    except UnknownNameError:
        return (), 0
    return tuple(info.skeleton), int(info.root_index)


__all__ = ["dataset_drawing", "per_action_intervals", "worst_frames"]
