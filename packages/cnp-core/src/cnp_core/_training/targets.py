"""One training sample: the official augmentation, the input patch and its target (SPEC section 5)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from cnp_core._data.crops import affine_transform, box_center, normalize


@dataclass(frozen=True)
class Augmentation:
    """The random choices for one sample (identity when augmentation is off)."""

    scale: float = 1.0
    rotation_deg: float = 0.0
    flip: bool = False
    color: tuple[float, float, float] = (1.0, 1.0, 1.0)
    occlude: bool = False


def draw_augmentation(rng: np.random.Generator) -> Augmentation:
    """Scale 1 + 0.25 clip(N(0,1), -1, 1); rotation 30 clip(N(0,1), -2, 2) degrees with probability
    0.6; flip with probability 0.5; colour scale U(0.8, 1.2) per channel; occlusion with probability 0.5."""
    scale = 1.0 + 0.25 * float(np.clip(rng.standard_normal(), -1.0, 1.0))
    rotation = 30.0 * float(np.clip(rng.standard_normal(), -2.0, 2.0)) if rng.random() <= 0.6 else 0.0
    flip = bool(rng.random() <= 0.5)
    color = tuple(float(c) for c in rng.uniform(0.8, 1.2, size=3))
    occlude = bool(rng.random() <= 0.5)
    return Augmentation(scale, rotation, flip, color, occlude)  # type: ignore[arg-type]


def patch_affine(
    bbox: Sequence[float] | np.ndarray,
    scale: float,
    rotation_deg: float,
    input_shape: tuple[int, int],
    flip_width: int | None = None,
) -> np.ndarray:
    """2x3 affine taking the box (scaled by ``scale``, rotated by ``rotation_deg`` about its centre)
    onto the patch; with ``flip_width`` (the image width) the box's centre x is mirrored first
    (``W - x - 1``), for the horizontally flipped image. The evaluation's transform
    (:func:`cnp_core._data.crops.affine_transform`) in the reference's arithmetic: scale 1 and no
    rotation give the evaluation's matrix bit for bit."""
    c_x, c_y = box_center(bbox)
    if flip_width is not None:
        c_x = flip_width - c_x - 1
    size = (float(bbox[2]), float(bbox[3]))
    return affine_transform((c_x, c_y), size, input_shape, scale=scale, rotation_deg=rotation_deg)


def _occlude(image: np.ndarray, bbox: Sequence[float] | np.ndarray, rng: np.random.Generator, tries: int = 100) -> None:
    """A rectangle of area U(0, 0.7) x box area and aspect U(0.3, 1/0.3) inside the box, filled with
    uniform noise, where it fits inside the image (redrawn until it does, as the reference)."""
    x, y, w, h = (float(v) for v in bbox)
    height, width = image.shape[:2]
    for _ in range(tries):
        area = rng.random() * 0.7 * w * h
        ratio = rng.random() * (1 / 0.3 - 0.3) + 0.3
        occ_h, occ_w = math.sqrt(area * ratio), math.sqrt(area / ratio)
        x0 = rng.random() * (w - occ_w - 1) + x
        y0 = rng.random() * (h - occ_h - 1) + y
        if x0 >= 0 and y0 >= 0 and x0 + occ_w < width and y0 + occ_h < height:
            xi, yi, wi, hi = int(x0), int(y0), int(occ_w), int(occ_h)
            image[yi : yi + hi, xi : xi + wi, :] = (rng.random((hi, wi, 3)) * 255).astype(image.dtype)
            return


def make_sample(
    image_bgr: np.ndarray,
    bbox: np.ndarray,
    joints: np.ndarray,
    visible: np.ndarray,
    flip_pairs: Sequence[tuple[int, int]],
    augmentation: Augmentation,
    rng: np.random.Generator,
    input_shape: tuple[int, int],
    output_shape: tuple[int, int],
    depth_dim: int,
    bbox_3d_depth_mm: float = 2000.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(3, H, W) normalised patch, (J, 3) target in output units and (J,) visibility.

    ``joints``: x, y in original-image pixels, depth relative to the root in mm. Occlusion, then
    flip (x -> W - x - 1, pairs swapped), then the patch affine, then the colour scale (clipped to
    0..255). A joint outside the patch or the depth range gets visibility 0.
    """
    image = image_bgr.copy() if augmentation.occlude or augmentation.flip else image_bgr
    box = np.asarray(bbox, dtype=np.float64).copy()
    coords = np.asarray(joints, dtype=np.float64).copy()
    vis = np.asarray(visible, dtype=np.float32).copy()
    if augmentation.occlude:
        _occlude(image, box, rng)
    flip_width = None
    if augmentation.flip:
        flip_width = image.shape[1]
        image = image[:, ::-1, :]
        coords[:, 0] = flip_width - coords[:, 0] - 1
        for a, b in flip_pairs:
            coords[[a, b]] = coords[[b, a]]
            vis[[a, b]] = vis[[b, a]]
    trans = patch_affine(box, augmentation.scale, augmentation.rotation_deg, input_shape, flip_width)
    patch = cv2.warpAffine(np.ascontiguousarray(image), trans, (int(input_shape[1]), int(input_shape[0])), flags=cv2.INTER_LINEAR)
    rgb = patch[:, :, ::-1].astype(np.float32)
    if augmentation.color != (1.0, 1.0, 1.0):
        rgb = np.clip(rgb * np.asarray(augmentation.color, dtype=np.float32), 0, 255)
    target = np.empty_like(coords)
    target[:, :2] = coords[:, :2] @ trans[:, :2].T + trans[:, 2]
    target[:, 2] = (coords[:, 2] / (bbox_3d_depth_mm / 2) + 1.0) / 2.0
    inside = (
        (target[:, 0] >= 0)
        & (target[:, 0] < input_shape[1])
        & (target[:, 1] >= 0)
        & (target[:, 1] < input_shape[0])
        & (target[:, 2] >= 0)
        & (target[:, 2] < 1)
    )
    vis = vis * inside.astype(np.float32)
    target[:, 0] = target[:, 0] / input_shape[1] * output_shape[1]
    target[:, 1] = target[:, 1] / input_shape[0] * output_shape[0]
    target[:, 2] = target[:, 2] * depth_dim
    return normalize(rgb), target.astype(np.float32), vis


__all__ = ["Augmentation", "draw_augmentation", "make_sample", "patch_affine"]
