"""Each transform against hand-computed values, and properties of the metrics (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cnp_core._data.crops import crop_patch, normalize, patch_transform, process_bbox
from cnp_core._evaluation.pose_math import heatmap_to_camera, joint_errors, rigid_align, similarity_align


def test_process_bbox_by_hand() -> None:
    # 100x50 box at (10, 20): clipped w-1=99 -> w 99, h 49; centre (59.5, 44.5); square 99 -> 123.75
    box = process_bbox([10.0, 20.0, 100.0, 50.0], 1000, 1002)
    assert box is not None
    np.testing.assert_allclose(box, [59.5 - 61.875, 44.5 - 61.875, 123.75, 123.75])
    # clipped at the image border: x=-20 -> 0, x2 = min(999, 0 + 59) = 59
    box = process_bbox([-20.0, 0.0, 60.0, 60.0], 1000, 1002)
    assert box is not None
    np.testing.assert_allclose(box, [29.5 - 36.875, 29.5 - 36.875, 73.75, 73.75])
    assert process_bbox([5.0, 5.0, 0.0, 10.0], 1000, 1002) is None
    assert process_bbox([2000.0, 5.0, 10.0, 10.0], 1000, 1002) is None


def test_integer_boxes_truncate_like_the_reference() -> None:
    box = process_bbox([10, 20, 101, 51], 1000, 1002)
    assert box is not None and box.dtype.kind == "i"
    np.testing.assert_array_equal(box, [-2, -17, 125, 125])  # 100*1.25 = 125; centre (60, 45): -2.5 -> -2, -17.5 -> -17


def test_affine_patch_maps_box_onto_patch() -> None:
    t = patch_transform([100.0, 200.0, 512.0, 512.0])
    np.testing.assert_allclose(t @ [356.0, 456.0, 1.0], [128.0, 128.0], atol=1e-4)
    np.testing.assert_allclose(t @ [100.0, 200.0, 1.0], [0.0, 0.0], atol=1e-4)
    image = np.zeros((1002, 1000, 3), np.uint8)
    image[:, :, 0] = 255  # pure blue in BGR
    patch = crop_patch(image, [900.0, 0.0, 200.0, 200.0], (256, 256))
    assert patch.dtype == np.float32 and patch.shape == (256, 256, 3)
    assert patch[10, 10, 2] == 255.0 and patch[10, 10, 0] == 0.0  # BGR -> RGB
    assert patch[10, 250].sum() == 0.0  # outside the image: constant 0


def test_normalisation_keeps_0_255_scale() -> None:
    patch = np.full((2, 2, 3), 255.0, np.float32)
    out = normalize(patch)
    assert out.shape == (3, 2, 2)
    assert out[0, 0, 0] == pytest.approx((255 - 0.485) / 0.229, rel=1e-6)


def test_back_projection_by_hand() -> None:
    coords = np.array([[[16.0, 8.0, 48.0]]], np.float32)  # 64 grid
    cam = heatmap_to_camera(
        coords,
        np.array([[100.0, 200.0, 640.0, 640.0]]),
        np.array([5000.0]),
        np.array([[1000.0, 1000.0]]),
        np.array([[500.0, 500.0]]),
        (64, 64),
        64,
    )
    # x_img = 16/64*640+100 = 260; y_img = 8/64*640+200 = 280; Z = (48/64*2-1)*1000+5000 = 5500
    np.testing.assert_allclose(cam[0, 0], [(260 - 500) / 1000 * 5500, (280 - 500) / 1000 * 5500, 5500], rtol=1e-6)


def _rotation(rng: np.random.Generator) -> np.ndarray:
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    return q * np.sign(np.linalg.det(q))


def test_kabsch_recovers_rotation_and_fixes_reflection() -> None:
    rng = np.random.default_rng(0)
    gt = rng.normal(size=(1, 18, 3)) * 300
    r = _rotation(rng)
    moved = gt @ r.T + np.array([10.0, -5.0, 3.0])
    np.testing.assert_allclose(rigid_align(moved, gt), gt, atol=1e-8)
    mirrored = moved * np.array([-1.0, 1.0, 1.0])
    ca, cb = mirrored.mean(axis=1), gt.mean(axis=1)
    u, _, vt = np.linalg.svd((mirrored - ca).swapaxes(1, 2)[0] @ (gt - cb)[0])
    assert np.linalg.det(vt.T @ u.T) < 0  # the naive solution would be a reflection
    aligned = rigid_align(mirrored, gt)
    fitted = np.linalg.lstsq(mirrored[0] - ca, aligned[0] - aligned[0].mean(axis=0), rcond=None)[0]
    assert np.linalg.det(fitted) == pytest.approx(1.0, abs=1e-6)  # a proper rotation was used
    assert np.abs(aligned - gt).max() > 1.0  # so the mirror image is not undone


def test_rigid_alignment_has_no_scale() -> None:
    rng = np.random.default_rng(1)
    gt = rng.normal(size=(1, 18, 3)) * 300
    scaled = gt * 1.2
    assert joint_errors(rigid_align(scaled, gt), gt).mean() > 1.0
    assert joint_errors(similarity_align(scaled, gt), gt).mean() < 1e-6


poses = arrays(np.float64, (18, 3), elements=st.floats(-1000, 1000, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(poses, poses)
def test_rigid_alignment_never_increases_squared_error(pred: np.ndarray, gt: np.ndarray) -> None:
    pred, gt = pred - pred[0], gt - gt[0]
    before = ((pred - gt) ** 2).sum()
    after = ((rigid_align(pred[None], gt[None])[0] - gt) ** 2).sum()
    assert after <= before + 1e-7 * (1 + before)
    # hence PA-MPJPE <= RMS of the root-aligned errors
    pa = joint_errors(rigid_align(pred[None], gt[None]), gt[None]).mean()
    assert pa <= np.sqrt(before / 18) * (1 + 1e-7) + 1e-6


@settings(max_examples=60, deadline=None)
@given(poses, st.integers(0, 2**32 - 1), st.floats(0.0, 30.0))
def test_pa_mpjpe_below_mpjpe_for_rotated_noisy_poses(gt: np.ndarray, seed: int, noise: float) -> None:
    rng = np.random.default_rng(seed)
    gt = gt - gt[0]
    if np.linalg.norm(gt, axis=1).max() < 200:  # a body, not a point
        gt = gt + rng.normal(size=gt.shape) * 300
        gt = gt - gt[0]
    pred = gt @ _rotation(rng).T + rng.normal(size=gt.shape) * noise
    pred = pred - pred[0]
    mpjpe = joint_errors(pred[None], gt[None]).mean()
    pa = joint_errors(rigid_align(pred[None], gt[None]), gt[None]).mean()
    if mpjpe > 10 * noise + 1e-6:  # the pose is really rotated: alignment must help
        assert pa <= mpjpe


def test_pa_mpjpe_can_exceed_mpjpe() -> None:
    """Kabsch minimises squared error, not mean distance: one outlier joint is a counterexample."""
    gt = np.zeros((1, 18, 3))
    gt[0, :, 0] = np.arange(18) * 100.0
    pred = gt.copy()
    pred[0, 17, 1] += 50.0
    assert joint_errors(rigid_align(pred, gt), gt).mean() > joint_errors(pred, gt).mean()


@settings(max_examples=60, deadline=None)
@given(poses, poses, st.integers(0, 2**32 - 1))
def test_metrics_invariant_to_shared_rigid_motion(pred: np.ndarray, gt: np.ndarray, seed: int) -> None:
    r = _rotation(np.random.default_rng(seed))
    t = np.random.default_rng(seed + 1).normal(size=3) * 100
    pred, gt = pred - pred[0], gt - gt[0]
    pred2, gt2 = pred @ r.T + t, gt @ r.T + t
    pred2, gt2 = pred2 - pred2[0], gt2 - gt2[0]
    scale = 1 + np.abs(gt).max() + np.abs(pred).max()
    assert joint_errors(pred2[None], gt2[None]).mean() == pytest.approx(
        joint_errors(pred[None], gt[None]).mean(), abs=1e-9 * scale
    )
    pa1 = joint_errors(rigid_align(pred[None], gt[None]), gt[None]).mean()
    pa2 = joint_errors(rigid_align(pred2[None], gt2[None]), gt2[None]).mean()
    assert pa2 == pytest.approx(pa1, abs=1e-6 * scale)
