"""Heatmap coordinates -> camera millimetres, and the alignments used by the protocols."""

from __future__ import annotations

import numpy as np


def heatmap_to_image(coords: np.ndarray, bboxes: np.ndarray, output_shape: tuple[int, int]) -> np.ndarray:
    """(N, J, >=2) heatmap units -> (N, J, 2) image pixels (float32): x / W_out * box_w + box_x, y likewise."""
    h_out, w_out = output_shape
    b = np.asarray(bboxes)[:, None, :]
    pixels = np.empty((*coords.shape[:-1], 2), dtype=np.float32)
    pixels[..., 0] = coords[..., 0] / w_out * b[..., 2] + b[..., 0]
    pixels[..., 1] = coords[..., 1] / h_out * b[..., 3] + b[..., 1]
    return pixels


def heatmap_to_camera(
    coords: np.ndarray,
    bboxes: np.ndarray,
    root_depth: np.ndarray,
    focal: np.ndarray,
    center: np.ndarray,
    output_shape: tuple[int, int],
    depth_dim: int,
    bbox_3d_depth_mm: float = 2000.0,
) -> np.ndarray:
    """(N, J, 3) heatmap units -> (N, J, 3) camera mm (float32, as the reference computes it).

    x_img = x / W_out * box_w + box_x; y likewise; Z = (z / depth_dim * 2 - 1) * depth/2 + root_Z;
    X = (x_img - cx) / fx * Z; Y = (y_img - cy) / fy * Z.
    """
    img = np.empty(coords.shape, dtype=np.float32)
    img[..., :2] = heatmap_to_image(coords, bboxes, output_shape)
    img[..., 2] = (coords[..., 2] / depth_dim * 2 - 1) * (bbox_3d_depth_mm / 2) + np.asarray(root_depth)[:, None]
    f = np.asarray(focal, dtype=np.float32)[:, None, :]
    c = np.asarray(center, dtype=np.float32)[:, None, :]
    cam = np.empty_like(img)
    cam[..., 0] = (img[..., 0] - c[..., 0]) / f[..., 0] * img[..., 2]
    cam[..., 1] = (img[..., 1] - c[..., 1]) / f[..., 1] * img[..., 2]
    cam[..., 2] = img[..., 2]
    return cam


def rigid_align(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Rotate and translate each (J, 3) ``pred`` onto ``gt`` (Kabsch, reflection fixed, NO scale).

    The reference's ``rigid_align`` batched over the leading axis, in the inputs' dtype.
    """
    ca = pred.mean(axis=1, keepdims=True)
    cb = gt.mean(axis=1, keepdims=True)
    h = np.matmul(np.swapaxes(pred - ca, 1, 2), gt - cb)
    u, _, vt = np.linalg.svd(h)
    r = np.matmul(np.swapaxes(vt, 1, 2), np.swapaxes(u, 1, 2))
    flip = np.linalg.det(r) < 0
    if flip.any():
        vt = vt.copy()
        vt[flip, 2, :] = -vt[flip, 2, :]
        r[flip] = np.matmul(np.swapaxes(vt[flip], 1, 2), np.swapaxes(u[flip], 1, 2))
    t = -np.matmul(r, np.swapaxes(ca, 1, 2)) + np.swapaxes(cb, 1, 2)
    return np.swapaxes(np.matmul(r, np.swapaxes(pred, 1, 2)) + t, 1, 2)


def similarity_align(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Scaled Procrustes (rotation, translation AND scale), as many other toolkits report PA-MPJPE."""
    pred = pred.astype(np.float64)
    gt = gt.astype(np.float64)
    mu_x, mu_y = gt.mean(axis=1, keepdims=True), pred.mean(axis=1, keepdims=True)
    x0, y0 = gt - mu_x, pred - mu_y
    norm_x = np.sqrt((x0**2).sum(axis=(1, 2), keepdims=True))
    norm_y = np.sqrt((y0**2).sum(axis=(1, 2), keepdims=True))
    x0, y0 = x0 / norm_x, y0 / norm_y
    h = np.matmul(np.swapaxes(x0, 1, 2), y0)
    u, s, vt = np.linalg.svd(h)
    v = np.swapaxes(vt, 1, 2)
    r = np.matmul(v, np.swapaxes(u, 1, 2))
    sign = np.sign(np.linalg.det(r))
    v[:, :, -1] *= sign[:, None]
    s[:, -1] *= sign
    r = np.matmul(v, np.swapaxes(u, 1, 2))
    scale = s.sum(axis=1)[:, None, None] * norm_x / norm_y
    t = mu_x - scale * np.matmul(mu_y, r)
    return scale * np.matmul(pred, r) + t


def joint_errors(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(N, J) Euclidean distances in float64, as the reference accumulates them."""
    d = np.sqrt(np.sum((pred - gt) ** 2, axis=2))
    return d.astype(np.float64)
