"""The inference-optimised form equals the literal model on every registered variant.

Every bound on coordinates is derived, not measured on one CPU: ``cnp_core.testing`` turns the
measured difference of two paths' logits and their own float32 steps into the largest coordinate
difference the soft-argmax can show (see its docstrings for the error analysis). Bounds on logits
or features are float32 forward-error bounds with the same unit roundoff.
"""

from __future__ import annotations

import copy
import math

import pytest
import torch

import cnp_core
from cnp_core import random_state_dict
from cnp_core._inference.engine import InferenceConfig, forward_coords
from cnp_core._model.integral import soft_argmax
from cnp_core._model.optimize import EXPORT_OPTIONS, OptimizeOptions, fold_batchnorm, optimize_for_inference
from cnp_core._model.upsampled_soft_argmax import (
    StreamBuffers,
    bilinear_x2,
    pair_weights,
    streamed_upsampled_soft_argmax,
    upsample_matrix,
    upsampled_soft_argmax,
)
from cnp_core.testing import FLOAT32_UNIT_ROUNDOFF, log_weight_error, soft_argmax_tolerance


def _lerp_bound(x: torch.Tensor, n: int) -> float:
    """float32 bilinear x2 of ``x`` along two axes of length <= n, against float64: each output is two
    lerps (weights rounded once, product and sum rounded: 3u each -> 6u), and torch's interpolate also
    rounds its source position (error <= n u cells, times a neighbour difference <= 2 max|x|). Margin 2."""
    u = FLOAT32_UNIT_ROUNDOFF
    return 2.0 * (6.0 + 2.0 * n) * u * float(x.abs().max())


def test_upsample_matrix_equals_interpolate() -> None:
    x = torch.randn(2, 5, 7, 9)
    ref = torch.nn.functional.interpolate(x.double(), scale_factor=2, mode="bilinear", align_corners=True)
    out = upsample_matrix(7) @ x @ upsample_matrix(9).t()
    assert (out.double() - ref).abs().max().item() <= _lerp_bound(x, 9)


def _variants(heavy_batch: bool = False) -> list[object]:
    """Every registered variant; the published architectures again with another joint count
    (e.g. the 21-joint MuPoTS-3D models) and, where ``heavy``, M and L run in the slow suite."""
    out: list[object] = []
    for n in cnp_core.list_variants():
        repeat = n.endswith("-muco")
        out.append(pytest.param(n, marks=pytest.mark.slow) if repeat or (heavy_batch and n in ("M", "L")) else n)
    return out


@pytest.mark.parametrize("name", _variants(heavy_batch=True))
def test_batchnorm_folding_alone_equals_literal(name: str) -> None:
    """The first rewrite on its own: backbone and head with BN folded give the literal features."""
    variant = cnp_core.get_variant(name)
    literal = cnp_core.build_model(name)
    literal.load_state_dict(random_state_dict(name, seed=7))
    literal.eval()
    torch.manual_seed(1)
    x = torch.randn(2, 3, *variant.input_shape) * 60
    with torch.inference_mode():
        features = literal.backbone(x)
        heatmaps = literal.head(features)
        for module, inputs, ref in ((literal.backbone, x, features), (literal.head, features, heatmaps)):
            folded, note = fold_batchnorm(module)
            assert note is None
            bn = [sum(isinstance(m, torch.nn.BatchNorm2d) for m in mod.modules()) for mod in (module, folded)]
            if bn[0]:  # conv -> BN pairs are gone (pre-BN before a downsample conv stays); some heads have none
                assert bn[1] < bn[0]
            # As accurate as the literal float32 network: its distance from the float64 network is at
            # most 4x the literal's own (folding rounds each folded weight once more: ~one layer's worth).
            exact = copy.deepcopy(module).double()(inputs.double())
            own = (ref.double() - exact).abs().max().item()
            assert (folded(inputs).double() - exact).abs().max().item() <= 4.0 * own


@pytest.mark.parametrize("n", [1, 2, 7, 32])
def test_pair_lerp_upsampling_equals_interpolate(n: int) -> None:
    """Against float64 interpolate (float32 interpolate itself is off by ~6e-5 here: float32 source positions)."""
    x = torch.randn(n, n + 3, 5) * 10
    ref = torch.nn.functional.interpolate(x.double().permute(2, 0, 1)[None], scale_factor=2, mode="bilinear", align_corners=True)
    mid = bilinear_x2(x, pair_weights(n), 0, x.new_empty(2 * n, n + 3, 5))
    out = bilinear_x2(mid, pair_weights(n + 3), 1, x.new_empty(2 * n, 2 * n + 6, 5))
    assert (out.double() - ref[0].permute(1, 2, 0)).abs().max().item() <= _lerp_bound(x, 0)


def _tail_inputs(h: int, w: int, joints: int, depth: int, scale: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(h, w, joints*depth) channels-last logits and the float64 literal reference coordinates."""
    torch.manual_seed(h * w + depth)
    nchw = torch.randn(1, joints * depth, h, w, dtype=torch.float64) * scale
    up = torch.nn.functional.interpolate(nchw, scale_factor=2, mode="bilinear", align_corners=True)
    return nchw[0].permute(1, 2, 0).float().contiguous(), soft_argmax(up, joints, depth)[0]


@pytest.mark.parametrize("rows", [1, 5, 8, 64])
@pytest.mark.parametrize("shape", [(32, 32, 18, 64), (5, 9, 3, 4)])
def test_streamed_tail_equals_literal_and_batched(rows: int, shape: tuple[int, int, int, int]) -> None:
    h, w, joints, depth = shape
    logits, ref = _tail_inputs(h, w, joints, depth, scale=3.0)
    out = streamed_upsampled_soft_argmax(logits, pair_weights(h), pair_weights(w), joints, depth, StreamBuffers(logits, rows))
    batched = upsampled_soft_argmax(logits[None], upsample_matrix(h), upsample_matrix(w), joints, depth)[0]
    assert out is not None and out.shape == (joints, 3)
    bound = _tail_bound(logits, max(2 * h, 2 * w, depth))
    assert (out.double() - ref).abs().max().item() < bound
    assert (batched.double() - ref).abs().max().item() < bound


def _tail_bound(logits: torch.Tensor, grid: int) -> float:
    """A tail fed the float32 logits the float64 reference also reads: only its own float32 steps differ."""
    own = log_weight_error(float(logits.abs().max()), upsampled=True)
    return 2.0 * ((grid - 1) / 2.0 * math.expm1(2.0 * own) + grid * FLOAT32_UNIT_ROUNDOFF)


def _flip_pairs(variant: cnp_core.Variant) -> tuple[tuple[int, int], ...]:
    """The flip pairs of a registered dataset with the variant's joint count (as `cnp eval` would use)."""
    infos = [e.obj.info for e in cnp_core.get_host().registry("dataset").entries()]
    return next(i.flip_pairs for i in infos if len(i.joint_names) == variant.joint_num)


def _logits(model: torch.nn.Module, x: torch.Tensor, flip: bool) -> torch.Tensor:
    """Full-resolution logits of every image a forward (with its flipped twin) sees."""
    images = torch.cat([x, torch.flip(x, dims=[3])]) if flip else x
    return model.heatmaps(images)  # type: ignore[operator]


def _assert_paths_agree(a: torch.Tensor, b: torch.Tensor, logits_a: torch.Tensor, logits_b: torch.Tensor) -> None:
    grid = max(logits_a.shape[2], logits_a.shape[3], logits_a.shape[1] // a.shape[1])
    assert (a.double() - b.double()).abs().max().item() < soft_argmax_tolerance(logits_a, logits_b, grid)


def test_streamed_tail_declines_when_the_softmax_would_underflow() -> None:
    """Logits jumping by thousands between cells: the low-resolution shift would underflow, so None."""
    logits, _ = _tail_inputs(6, 6, 2, 3, scale=1.0)
    logits[2, 3, :3] = 3000.0  # joint 0 spikes in one low-resolution cell, off the upsampled grid
    logits[2, 3, :3] -= torch.tensor([0.0, 1.0, 2.0])
    nchw = logits.double().permute(2, 0, 1)[None]
    ref = soft_argmax(torch.nn.functional.interpolate(nchw, scale_factor=2, mode="bilinear", align_corners=True), 2, 3)[0]
    buffers = StreamBuffers(logits, 4)
    assert streamed_upsampled_soft_argmax(logits, pair_weights(6), pair_weights(6), 2, 3, buffers) is None
    batched = upsampled_soft_argmax(logits[None], upsample_matrix(6), upsample_matrix(6), 2, 3)[0]
    assert (batched.double() - ref).abs().max().item() < _tail_bound(logits, 12)


def test_optimized_model_falls_back_on_extreme_logits(monkeypatch: pytest.MonkeyPatch) -> None:
    """A classifier scaled by 1e4 makes the streamed tail decline; the batched tail then matches the literal model."""
    import cnp_core._model.optimize as optimize

    literal = cnp_core.build_model("M")
    literal.load_state_dict(random_state_dict("M", seed=2))
    with torch.no_grad():
        literal.head.final_layer.weight.mul_(1e4)
    calls: list[int] = []

    def spy(*args: object, **kwargs: object) -> torch.Tensor:
        calls.append(1)
        return upsampled_soft_argmax(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(optimize, "upsampled_soft_argmax", spy)
    optimized, _ = optimize_for_inference(literal)
    torch.manual_seed(0)
    x = torch.randn(2, 3, 256, 256) * 60
    with torch.inference_mode():
        ref, out = literal(x), optimized(x)
        _assert_paths_agree(ref, out, _logits(literal, x, False), _logits(optimized, x, False))
    assert calls, "the extreme logits should have sent at least one image to the batched tail"
    assert torch.isfinite(out).all()


@pytest.mark.parametrize(
    ("name", "batch"),
    [pytest.param(n, 1, marks=pytest.mark.slow) if n.endswith("-muco") or n == "L" else (n, 1) for n in cnp_core.list_variants()]
    + [
        pytest.param(n, 3, marks=pytest.mark.slow) if n in ("M", "L") or n.endswith("-muco") else (n, 3)
        for n in cnp_core.list_variants()
    ],
)
@pytest.mark.parametrize("flip", [False, True])
def test_optimized_equals_literal(name: str, batch: int, flip: bool) -> None:
    variant = cnp_core.get_variant(name)
    literal = cnp_core.build_model(name)
    literal.load_state_dict(random_state_dict(name, seed=11))
    optimized, notes = optimize_for_inference(literal)
    assert any("BatchNorm folded" in n for n in notes)
    torch.manual_seed(batch)
    x = torch.randn(batch, 3, *variant.input_shape) * 60
    pairs = _flip_pairs(variant)
    with torch.inference_mode():
        ref = forward_coords(literal, x, InferenceConfig(flip=flip, batched_flip=False), pairs, variant.output_shape[1])
        out = forward_coords(optimized, x, InferenceConfig(flip=flip, batched_flip=True), pairs, variant.output_shape[1])
        _assert_paths_agree(ref, out, _logits(literal, x, flip), _logits(optimized, x, flip))


@pytest.mark.parametrize("name", _variants(heavy_batch=True))
def test_micro_batches_equal_whole_batch_and_literal(name: str) -> None:
    """5 images in passes of 2 (2 + 2 + 1): equal to one pass (oneDNN may pick another kernel per size) and to the literal model."""
    variant = cnp_core.get_variant(name)
    literal = cnp_core.build_model(name)
    literal.load_state_dict(random_state_dict(name, seed=5))
    chunked, notes = optimize_for_inference(literal, OptimizeOptions(micro_batch=2))
    whole, _ = optimize_for_inference(literal, OptimizeOptions(micro_batch=None))
    batched_tail, _ = optimize_for_inference(literal, EXPORT_OPTIONS)
    assert any("2 images per pass" in n for n in notes)
    torch.manual_seed(3)
    x = torch.randn(5, 3, *variant.input_shape) * 60
    with torch.inference_mode():
        ref, out = literal(x), chunked(x)
        logits_ref, logits_chunked = _logits(literal, x, False), torch.cat([chunked.heatmaps(p) for p in x.split(2)])
        _assert_paths_agree(out, whole(x), logits_chunked, whole.heatmaps(x))
        _assert_paths_agree(batched_tail(x), ref, batched_tail.heatmaps(x), logits_ref)
        _assert_paths_agree(out, ref, logits_chunked, logits_ref)
    assert out.shape == (5, variant.joint_num, 3)


def test_options_must_be_positive() -> None:
    with pytest.raises(ValueError, match="micro_batch"):
        optimize_for_inference(cnp_core.build_model("XS"), OptimizeOptions(micro_batch=0))
    with pytest.raises(ValueError, match="stream_rows"):
        optimize_for_inference(cnp_core.build_model("M"), OptimizeOptions(stream_rows=0))


def test_late_upsampling_applies_to_3up_only() -> None:
    _, notes_m = optimize_for_inference(cnp_core.build_model("M"))
    _, notes_xs = optimize_for_inference(cnp_core.build_model("XS"))
    assert any("classifier runs before" in n for n in notes_m)
    assert any("rewrite skipped" in n for n in notes_xs)
