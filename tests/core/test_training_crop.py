"""The training crop in the reference's float32 arithmetic (``gen_trans_from_patch_cv``), pinned
without the reference: matrices against a transcription of its formula in float32 and against
hand-worked cases, for boxes, scales, rotations and flips; patches follow bit for bit."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from cnp_core._data.crops import affine_transform, patch_transform
from cnp_core._training.targets import Augmentation, make_sample, patch_affine


def formula_f32(box: list[float], scale: float, rot: float, flip_width: int | None, size: int = 256) -> np.ndarray:
    """The reference's steps, one by one: centre from float64 then float32; the half extents scaled,
    made float32; each rotated with float64 sin/cos and rounded to float32; the points summed in float32."""
    c_x, c_y = float(box[0] + 0.5 * box[2]), float(box[1] + 0.5 * box[3])
    if flip_width is not None:
        c_x = flip_width - c_x - 1
    center = np.array([c_x, c_y], dtype=np.float32)
    half_down = np.array([0, box[3] * scale * 0.5], dtype=np.float32)
    half_right = np.array([box[2] * scale * 0.5, 0], dtype=np.float32)
    rad = np.pi * rot / 180
    s, c = np.sin(rad), np.cos(rad)
    down = np.array([half_down[0] * c - half_down[1] * s, half_down[0] * s + half_down[1] * c], dtype=np.float32)
    right = np.array([half_right[0] * c - half_right[1] * s, half_right[0] * s + half_right[1] * c], dtype=np.float32)
    src = np.stack([center, center + down, center + right]).astype(np.float32)
    mid = np.array([size / 2, size / 2], dtype=np.float32)
    dst = np.stack([mid, mid + np.array([0, size / 2], np.float32), mid + np.array([size / 2, 0], np.float32)])
    return np.asarray(cv2.getAffineTransform(src, dst.astype(np.float32)))


def float64_once(box: list[float], scale: float, rot: float) -> np.ndarray:
    """The arithmetic cnp's training used before: points in float64, rounded once."""
    c = np.array([box[0] + 0.5 * box[2], box[1] + 0.5 * box[3]])
    r = math.radians(rot)
    down = np.array([-box[3] * scale * 0.5 * math.sin(r), box[3] * scale * 0.5 * math.cos(r)])
    right = np.array([box[2] * scale * 0.5 * math.cos(r), box[2] * scale * 0.5 * math.sin(r)])
    src = np.stack([c, c + down, c + right]).astype(np.float32)
    dst = np.array([[128, 128], [128, 256], [256, 128]], dtype=np.float32)
    return np.asarray(cv2.getAffineTransform(src, dst))


def cases() -> list[tuple[list[float], float, float, int | None]]:
    rng = np.random.default_rng(0)
    out: list[tuple[list[float], float, float, int | None]] = []
    for _ in range(120):
        w = float(rng.uniform(40, 900))
        box = [float(rng.uniform(-50, 600)), float(rng.uniform(-50, 600)), w, w]
        scale = 1.0 + 0.25 * float(np.clip(rng.standard_normal(), -1, 1))
        rot = 30.0 * float(np.clip(rng.standard_normal(), -2, 2)) if rng.random() <= 0.6 else 0.0
        flip = 1000 if rng.random() <= 0.5 else None
        out.append((box, scale, rot, flip))
    return out


def test_the_crop_matrix_is_the_reference_formula_bit_for_bit() -> None:
    differs = 0
    for box, scale, rot, flip in cases():
        ours = patch_affine(np.array(box), scale, rot, (256, 256), flip)
        np.testing.assert_array_equal(ours, formula_f32(box, scale, rot, flip), err_msg=f"{box} {scale} {rot} {flip}")
        if flip is None:
            differs += not np.array_equal(ours, float64_once(box, scale, rot))
    assert differs > 0  # the float64-once arithmetic is not the reference's on these boxes (the test can fail)


def test_hand_worked_crops() -> None:
    # the patch itself: identity
    np.testing.assert_array_equal(patch_affine([0.0, 0.0, 256.0, 256.0], 1.0, 0.0, (256, 256)), [[1, 0, 0], [0, 1, 0]])
    # box (10, 20, 128, 128) at scale 2: a 256-pixel square about (74, 84) -> unit scale, shift (54, 44)
    m = patch_affine([10.0, 20.0, 128.0, 128.0], 2.0, 0.0, (256, 256))
    np.testing.assert_allclose(m, [[1, 0, 54], [0, 1, 44]], atol=1e-12)  # getAffineTransform solves in float64
    # rotated by 90 degrees: down (0, 128) -> (-128, 0) must land at (0, 128), right (128, 0) -> (0, 128) at (128, 0)
    m = patch_affine([0.0, 0.0, 256.0, 256.0], 1.0, 90.0, (256, 256))
    np.testing.assert_allclose(m[:, :2], [[0, 1], [-1, 0]], atol=1e-6)
    np.testing.assert_allclose(m @ [128, 128, 1], [128, 128], atol=1e-4)
    # flipped in a 1000-pixel image: the centre x 128 -> 1000 - 128 - 1 = 871
    np.testing.assert_allclose(patch_affine([0.0, 0.0, 256.0, 256.0], 1.0, 0.0, (256, 256), 1000) @ [871, 128, 1], [128, 128])


def test_scale_one_no_rotation_is_the_evaluation_crop() -> None:
    for box, _, _, _ in cases()[:40]:
        np.testing.assert_array_equal(patch_affine(np.array(box), 1.0, 0.0, (256, 256)), patch_transform(box))
    np.testing.assert_array_equal(affine_transform((10.5, 20.25), (64.0, 64.0)), patch_transform([-21.5, -11.75, 64.0, 64.0]))


@pytest.mark.parametrize("flip", [False, True])
def test_a_training_patch_is_the_reference_warp(flip: bool) -> None:
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)
    box = np.array([37.3, 21.9, 211.7, 211.7])
    joints = np.array([[120.0, 110.0, 0.0], [150.0, 160.0, 40.0]])
    aug = Augmentation(scale=1.13, rotation_deg=-17.3, flip=flip)
    patch, target, _ = make_sample(image, box, joints, np.ones(2), (), aug, rng, (256, 256), (32, 32), 32)
    source = image[:, ::-1, :] if flip else image
    trans = formula_f32(box.tolist(), 1.13, -17.3, 400 if flip else None)
    expected = cv2.warpAffine(np.ascontiguousarray(source), trans, (256, 256), flags=cv2.INTER_LINEAR)[:, :, ::-1]
    from cnp_core._data.crops import normalize

    np.testing.assert_array_equal(patch, normalize(expected.astype(np.float32)))
    x = 400 - joints[:, 0] - 1 if flip else joints[:, 0]
    pixel = np.stack([x, joints[:, 1], np.ones(2)], axis=1) @ trans.T
    np.testing.assert_allclose(target[:, :2], pixel / 256 * 32, rtol=1e-6)
