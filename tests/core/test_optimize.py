"""The inference-optimised form equals the literal model on every registered variant."""

from __future__ import annotations

import pytest
import torch

import cnp_core
from cnp_core.checkpoints.synthetic import random_state_dict
from cnp_core.engine import InferenceConfig, forward_coords
from cnp_core.optimize import EXPORT_OPTIONS, OptimizeOptions, optimize_for_inference, upsample_matrix


def test_upsample_matrix_equals_interpolate() -> None:
    x = torch.randn(2, 5, 7, 9)
    ref = torch.nn.functional.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
    out = upsample_matrix(7) @ x @ upsample_matrix(9).t()
    assert torch.allclose(out, ref, atol=1e-5)


@pytest.mark.parametrize("name", cnp_core.list_variants())
@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("flip", [False, True])
def test_optimized_equals_literal(name: str, batch: int, flip: bool) -> None:
    variant = cnp_core.get_variant(name)
    literal = cnp_core.build_model(name)
    literal.load_state_dict(random_state_dict(name, seed=11))
    optimized, notes = optimize_for_inference(literal)
    assert any("BatchNorm folded" in n for n in notes)
    torch.manual_seed(batch)
    x = torch.randn(batch, 3, *variant.input_shape) * 60
    pairs = ((1, 4), (2, 5), (3, 6), (14, 11), (15, 12), (16, 13))
    with torch.inference_mode():
        ref = forward_coords(literal, x, InferenceConfig(flip=flip, batched_flip=False), pairs, variant.output_shape[1])
        out = forward_coords(optimized, x, InferenceConfig(flip=flip, batched_flip=True), pairs, variant.output_shape[1])
    assert (ref - out).abs().max().item() < 1e-4


@pytest.mark.parametrize("name", cnp_core.list_variants())
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
        ref = literal(x)
        out = chunked(x)
        assert (out - whole(x)).abs().max().item() < 1e-4
        assert (batched_tail(x) - ref).abs().max().item() < 1e-4
    assert out.shape == (5, variant.joint_num, 3)
    assert (out - ref).abs().max().item() < 1e-4


def test_micro_batch_must_be_positive() -> None:
    with pytest.raises(ValueError, match="micro_batch"):
        optimize_for_inference(cnp_core.build_model("XS"), OptimizeOptions(micro_batch=0))


def test_late_upsampling_applies_to_3up_only() -> None:
    _, notes_m = optimize_for_inference(cnp_core.build_model("M"))
    _, notes_xs = optimize_for_inference(cnp_core.build_model("XS"))
    assert any("classifier runs before" in n for n in notes_m)
    assert any("rewrite skipped" in n for n in notes_xs)
