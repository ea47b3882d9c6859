"""The official result files: ``preds_2d_kpt_mupots.mat`` and ``preds_3d_kpt_mupots.mat``, from the
network's heatmap coordinates with the official ``MuPoTS.evaluate`` arithmetic (SPEC section 6)."""

from __future__ import annotations

import io
from collections.abc import Mapping

import numpy as np

from cnp_core.plugin import EvalSplit, Variant

KEPT_JOINTS = 17  # MuPoTS scores the first 17 of MuCo-3DHP's 21 joints
FILES = ("preds_2d_kpt_mupots.mat", "preds_3d_kpt_mupots.mat")


def official_predictions(split: EvalSplit, coords: np.ndarray, variant: Variant) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per sample, in sample order: the (17, 2) image pixels and (17, 3) camera millimetres the
    official evaluate computes, in its own dtypes (the first a float32 array written column by
    column, the second its pinhole back-projection), so the saved files are the same bytes."""
    out_h, out_w = variant.output_shape
    half_depth = split.bbox_3d_depth_mm / 2
    pixels_out, camera_out = [], []
    for n in range(len(split)):
        kpt = np.asarray(coords[n]).copy()[:KEPT_JOINTS]
        bbox = split.bboxes[n]
        root_z = split.root_cam[n][2]
        kpt[:, 0] = kpt[:, 0] / out_w * bbox[2] + bbox[0]
        kpt[:, 1] = kpt[:, 1] / out_h * bbox[3] + bbox[1]
        kpt[:, 2] = (kpt[:, 2] / variant.depth_dim * 2 - 1) * half_depth + root_z
        f, c = split.focal[n], split.center[n]
        x = (kpt[:, 0] - c[0]) / f[0] * kpt[:, 2]
        y = (kpt[:, 1] - c[1]) / f[1] * kpt[:, 2]
        camera_out.append(np.concatenate((x[:, None], y[:, None], kpt[:, 2][:, None]), 1))
        pixels_out.append(kpt[:, :2])
    return pixels_out, camera_out


def group_by_frame(keys: np.ndarray, values: list[np.ndarray]) -> dict[str, list[np.ndarray]]:
    """Per frame key (``TS1_img_000000``), that frame's samples' arrays in sample order."""
    grouped: dict[str, list[np.ndarray]] = {}
    for key, value in zip(keys.tolist(), values, strict=True):
        grouped.setdefault(str(key), []).append(value)
    return grouped


def mat_bytes(grouped: Mapping[str, list[np.ndarray]]) -> bytes:
    """A ``.mat`` file (scipy's savemat, as the official code writes it) of {frame key: (P, 17, k)}."""
    from scipy.io import savemat

    buffer = io.BytesIO()
    savemat(buffer, dict(grouped))
    return buffer.getvalue()


__all__ = ["FILES", "KEPT_JOINTS", "group_by_frame", "mat_bytes", "official_predictions"]
