"""Every metric against hand-worked values and the properties that define it; bootstrap coverage."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cnp_core._evaluation.metrics import (
    AUC_THRESHOLDS_MM,
    BY_NAME,
    METRICS,
    Metric,
    aggregate,
    align,
    auc,
    bootstrap_intervals,
    degenerate_count,
    metric_values,
    pck,
)
from cnp_core._evaluation.scoring import BootstrapOptions

# Root, one joint along x, one along y (root-relative, mm), placed 5 m in front of the camera.
GT = np.array([[[0.0, 0.0, 0.0], [100.0, 0.0, 0.0], [0.0, 100.0, 0.0]]])
DEPTH = np.array([0.0, 0.0, 5000.0])
ALL = (0, 1, 2)


def values(pred: np.ndarray, gt: np.ndarray = GT, absolute: bool = False) -> dict[str, np.ndarray]:
    return metric_values(pred + DEPTH, gt + DEPTH, 0, ALL, absolute=absolute)


def test_hand_worked_offsets() -> None:
    pred = GT.copy()
    pred[0, 1] += (3.0, 4.0, 0.0)  # one joint 5 mm off
    v = values(pred)
    assert v["mpjpe"][0].tolist() == pytest.approx([0.0, 5.0, 0.0])
    assert v["pck150"][0].tolist() == [100.0, 100.0, 100.0]  # percent
    # AUC: an error of 0 is below 30 of the 31 thresholds (not 0), an error of 5 below 29 (10..150)
    assert v["auc"].mean() == pytest.approx(100 * (30 + 29 + 30) / (3 * 31))


def test_hand_worked_rotation_and_scale() -> None:
    rotated = GT[:, :, [1, 0, 2]] * np.array([-1.0, 1.0, 1.0])  # 90 degrees about z: (x, y) -> (-y, x)
    v = values(rotated)
    assert v["mpjpe"].mean() == pytest.approx((0 + 2 * 100 * math.sqrt(2)) / 3)
    assert v["pa_mpjpe_rigid"].mean() == pytest.approx(0.0, abs=1e-9)
    assert v["p_mpjpe"].mean() == pytest.approx(0.0, abs=1e-9)
    # scale-only fit: sum(p.g) / sum(p.p) = 0, so the prediction collapses onto the root
    assert v["n_mpjpe"][0].tolist() == pytest.approx([0.0, 100.0, 100.0])

    doubled = values(2 * GT)
    assert doubled["p_mpjpe"].mean() == pytest.approx(0.0, abs=1e-9)
    assert doubled["n_mpjpe"].mean() == pytest.approx(0.0, abs=1e-9)
    # rigid fit of 2x: no rotation helps, the centroids meet; each joint is then off by its distance
    # from the centroid (100/3, 100/3, 0): sqrt(2)*100/3 for the root, sqrt(5)*100/3 for the others
    assert doubled["pa_mpjpe_rigid"].mean() == pytest.approx((math.sqrt(2) + 2 * math.sqrt(5)) * 100 / 3 / 3)


def test_camera_space_metrics_only_with_an_estimated_root() -> None:
    pred = GT + np.array([0.0, 0.0, 30.0])  # the whole pose 30 mm too far
    assert "mrpe" not in values(pred)
    v = values(pred, absolute=True)
    assert v["mrpe"].shape == (1, 1) and v["mrpe"][0, 0] == pytest.approx(30.0)
    assert v["abs_mpjpe"].mean() == pytest.approx(30.0) and v["mpjpe"].mean() == pytest.approx(0.0)


def test_unscored_joints_are_dropped_after_the_fit() -> None:
    pred = GT.copy()
    pred[0, 2] += (0.0, 0.0, 40.0)
    v = metric_values(pred + DEPTH, GT + DEPTH, 0, (0, 1), absolute=False)
    assert v["mpjpe"].shape == (1, 2) and v["mpjpe"].tolist() == [[0.0, 0.0]]
    assert v["pa_mpjpe_rigid"].mean() > 0  # the fit saw joint 2, so joints 0 and 1 moved


def test_aggregates_are_means_of_values() -> None:
    vals = np.array([[1.0, 3.0], [5.0, 7.0], [10.0, 20.0]])
    actions = np.array([0, 0, 1])
    means = aggregate(vals, actions, ("a", "b", "c"), ("j0", "j1"))
    assert means.total == pytest.approx(46 / 6)
    assert means.per_action == {"a": 4.0, "b": 15.0, "c": None}
    assert means.action_mean == pytest.approx(9.5)
    assert means.per_joint == {"j0": pytest.approx(16 / 3), "j1": 10.0}


def test_every_metric_has_a_declaration() -> None:
    assert [m.name for m in METRICS] == ["mpjpe", "pa_mpjpe_rigid", "p_mpjpe", "n_mpjpe", "pck150", "auc", "mrpe", "abs_mpjpe"]
    assert all(m.definition and m.unit in ("mm", "%") and m.compute is not None for m in METRICS)
    assert [m.name for m in METRICS if m.higher_is_better] == ["pck150", "auc"]
    assert BY_NAME["pck150"].show(87.314) == "87.3 %" and BY_NAME["mpjpe"].show(52.134) == "52.13 mm"
    assert BY_NAME["mpjpe"].show(-1.5, signed=True) == "-1.50 mm" and BY_NAME["mpjpe"].show(float("nan")) == "-"
    assert BY_NAME["pck150"].better(90.0, 80.0) is True and BY_NAME["mpjpe"].better(90.0, 80.0) is False


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"unit": "furlongs"}, "unit"),
        ({"name": "has space"}, "identifier"),
        ({"higher_is_better": "yes"}, "higher_is_better"),
        ({"format": "%d"}, "format"),
        ({"definition": ""}, "definition"),
    ],
)
def test_a_malformed_metric_declaration_is_refused(change: dict[str, object], message: str) -> None:
    fields = {"name": "pck100", "label": "3DPCK@100", "unit": "%", "higher_is_better": True, "definition": "d"}
    with pytest.raises(ValueError, match=message):
        Metric(**{**fields, **change})  # type: ignore[arg-type]


def test_a_collapsed_prediction_gets_every_metric() -> None:
    """Every joint at one point (a zero classifier): no fit raises; the answers are the defined ones."""
    collapsed = np.zeros_like(GT)
    v = values(collapsed, absolute=True)
    assert all(np.isfinite(x).all() for x in v.values()), v
    centroid = GT[0].mean(axis=0)
    # rigid fit: the point moves to the ground truth's centroid; scaled fit (scale 0) lands there too
    expected = np.linalg.norm(GT[0] - centroid, axis=1)
    assert v["pa_mpjpe_rigid"][0].tolist() == pytest.approx(expected.tolist())
    assert v["p_mpjpe"][0].tolist() == pytest.approx(expected.tolist())
    # no scale fits a zero prediction better than another: it keeps scale 1 (the root-relative zeros)
    assert v["n_mpjpe"][0].tolist() == pytest.approx([0.0, 100.0, 100.0])
    assert v["mpjpe"][0].tolist() == pytest.approx([0.0, 100.0, 100.0])
    assert v["pck150"][0].tolist() == [100.0, 100.0, 100.0]
    assert degenerate_count(collapsed) == 1 and degenerate_count(GT) == 0
    # mixed batch: the fittable sample is aligned as before, bit for bit
    both = np.concatenate([GT[:, :, [1, 0, 2]] * np.array([-1.0, 1.0, 1.0]), collapsed])
    aligned = align(both, np.concatenate([GT, GT]), "rigid")
    np.testing.assert_array_equal(aligned[:1], align(both[:1], GT, "rigid"))


finite = st.floats(-800, 800, allow_nan=False, allow_infinity=False)
poses = arrays(np.float64, (2, 6, 3), elements=finite, fill=st.nothing())  # every coordinate drawn: spread poses


def random_rotation(seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q


def _spread(pose: np.ndarray) -> bool:
    """A (J, 3) pose that spans all three axes (its alignment fit is unique)."""
    centred = pose - pose.mean(axis=0, keepdims=True)
    return bool(np.linalg.svd(centred, compute_uv=False).min() > 1.0)


@settings(max_examples=60, deadline=None)
@given(pred=poses, gt=poses, seed=st.integers(0, 10_000), shift=arrays(np.float64, (3,), elements=finite))
def test_a_shared_rigid_motion_changes_nothing(pred: np.ndarray, gt: np.ndarray, seed: int, shift: np.ndarray) -> None:
    assume(all(_spread(p) for p in pred) and all(_spread(g) for g in gt))
    rot = random_rotation(seed)
    before = metric_values(pred + DEPTH, gt + DEPTH, 0, tuple(range(6)), absolute=False)
    after = metric_values(pred @ rot.T + shift + DEPTH, gt @ rot.T + shift + DEPTH, 0, tuple(range(6)), absolute=False)
    for name in ("mpjpe", "pa_mpjpe_rigid", "p_mpjpe", "n_mpjpe"):
        np.testing.assert_allclose(after[name], before[name], rtol=1e-6, atol=1e-6, err_msg=name)


@settings(max_examples=60, deadline=None)
@given(pred=poses, gt=poses, scale=st.floats(0.2, 5.0))
def test_scaling_the_prediction_leaves_the_scaled_metrics(pred: np.ndarray, gt: np.ndarray, scale: float) -> None:
    assume(all(_spread(p) for p in pred) and all(_spread(g) for g in gt))
    before = metric_values(pred + DEPTH, gt + DEPTH, 0, tuple(range(6)), absolute=False)
    after = metric_values(scale * pred + DEPTH, gt + DEPTH, 0, tuple(range(6)), absolute=False)
    for name in ("p_mpjpe", "n_mpjpe"):
        np.testing.assert_allclose(after[name], before[name], rtol=1e-6, atol=1e-6, err_msg=name)


@settings(max_examples=60, deadline=None)
@given(pred=poses, gt=poses)
def test_the_scaled_fit_is_never_worse_than_the_rigid_fit(pred: np.ndarray, gt: np.ndarray) -> None:
    assume(all(_spread(g) for g in gt))
    rigid = ((align(pred, gt, "rigid") - gt) ** 2).sum(axis=(1, 2))
    scaled = ((align(pred, gt, "similarity") - gt) ** 2).sum(axis=(1, 2))
    assert np.all(scaled <= rigid * (1 + 1e-9) + 1e-6)


@given(errors=arrays(np.float64, (5, 4), elements=st.floats(0, 400)), a=st.floats(0, 300), b=st.floats(0, 300))
def test_pck_is_monotone_and_auc_a_fraction(errors: np.ndarray, a: float, b: float) -> None:
    lo, hi = min(a, b), max(a, b)
    assert pck(errors, lo).mean() <= pck(errors, hi).mean()
    area = auc(errors).mean()
    assert 0.0 <= area <= 1.0
    # the area is the mean PCK over the thresholds
    assert area == pytest.approx(np.mean([pck(errors, t).mean() for t in AUC_THRESHOLDS_MM]))


def test_bootstrap_intervals_cover_the_true_mean_at_the_stated_rate() -> None:
    rng = np.random.default_rng(7)
    shape, scale = 4.0, 12.0  # skewed like pose errors; true mean 48 mm
    trials, covered = 300, 0
    for t in range(trials):
        sample = rng.gamma(shape, scale, size=120)
        lo, hi = bootstrap_intervals({"x": sample}, resamples=400, seed=t)["x"]
        covered += lo <= shape * scale <= hi
    assert 0.90 <= covered / trials <= 0.98, covered / trials


def test_bootstrap_is_seeded_and_pairs_series() -> None:
    x = np.random.default_rng(0).normal(50, 10, size=200)
    first = bootstrap_intervals({"a": x, "b": x + 1.0}, resamples=300, seed=3)
    again = bootstrap_intervals({"a": x, "b": x + 1.0}, resamples=300, seed=3)
    assert first == again
    # one set of draws for every series: a shifted copy gets the shifted interval
    assert first["b"][0] == pytest.approx(first["a"][0] + 1.0) and first["b"][1] == pytest.approx(first["a"][1] + 1.0)
    assert bootstrap_intervals({"a": x}, resamples=0, seed=0) == {}
    with pytest.raises(ValueError, match="bootstrap"):
        BootstrapOptions(resamples=-1)


def _fake_run(folder: Path, errors: np.ndarray, ids: np.ndarray) -> Path:
    folder.mkdir()
    record = {"variant": "XS", "dataset": "h36m", "metric": "MPJPE", "alignment": "none", "total_mm": float(errors.mean())}
    (folder / "metrics.json").write_text(json.dumps({**record, "per_action_mm": {}}))
    np.savez(folder / "samples.npz", image_id=ids, headline=errors)
    return folder


def test_paired_difference_finds_a_real_shift_and_not_noise(tmp_path: Path) -> None:
    from cnp_core._evaluation.comparison import load_run, paired_difference

    rng = np.random.default_rng(1)
    base_errors = rng.gamma(4.0, 12.0, size=(400, 17))
    ids = np.arange(400)
    base = load_run(_fake_run(tmp_path / "base", base_errors, ids))
    shifted = load_run(_fake_run(tmp_path / "shifted", base_errors + 2.0, ids))
    noisy = load_run(_fake_run(tmp_path / "noisy", base_errors + rng.normal(0, 3.0, size=(400, 17)), ids))
    other = load_run(_fake_run(tmp_path / "other", base_errors[:300], ids[:300]))
    shift = paired_difference(shifted, base)
    assert shift["significant"] is True and shift["delta_ci95_mm"] == pytest.approx([2.0, 2.0])
    noise = paired_difference(noisy, base)  # zero-mean noise: the interval holds 0
    assert noise["significant"] is False and noise["delta_ci95_mm"][0] < 0 < noise["delta_ci95_mm"][1]
    unpaired = paired_difference(other, base)
    assert unpaired["paired"] is False and "different frames (300 vs 400 samples" in unpaired["reason"]
