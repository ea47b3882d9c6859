"""The published variants: exact sizes, shapes, key names and deterministic forwards."""

from __future__ import annotations

import pytest
import torch

import cnp_core
from cnp_core._model.counting import count_gmacs, count_params

SPEC = {"XS": (3.528, 0.815), "S": (7.439, 1.738), "M": (7.587, 2.795), "L": (8.380, 4.264)}


@pytest.mark.parametrize("name", list(SPEC))
def test_params_and_gmacs_match_spec(name: str) -> None:
    model = cnp_core.build_model(name)
    params, gmacs = SPEC[name]
    assert count_params(model) / 1e6 == pytest.approx(params, rel=1e-3)
    assert count_gmacs(model) == pytest.approx(gmacs, rel=1e-2)


@pytest.mark.parametrize(
    "name",  # the published architectures with 21 joints again: in the slow suite
    [pytest.param(n, marks=pytest.mark.slow) if n.endswith("-muco") else n for n in cnp_core.list_variants()],
)
def test_every_registered_variant_builds_and_runs(name: str) -> None:
    variant = cnp_core.get_variant(name)
    model = cnp_core.build_model(name)
    x = torch.randn(2, 3, *variant.input_shape)
    with torch.no_grad():
        logits = model.heatmaps(x)
        coords = model(x)
        again = model(x)
    assert logits.shape == (2, variant.joint_num * variant.depth_dim, *variant.output_shape)
    assert coords.shape == (2, variant.joint_num, 3)
    assert torch.equal(coords, again)
    assert (coords[..., 0] >= 0).all() and (coords[..., 0] <= variant.output_shape[1] - 1).all()
    assert (coords[..., 2] >= 0).all() and (coords[..., 2] <= variant.depth_dim - 1).all()


def test_output_grids() -> None:
    assert cnp_core.get_variant("XS").output_shape == (32, 32)
    assert cnp_core.get_variant("S").depth_dim == 32
    assert cnp_core.get_variant("M").output_shape == (64, 64)
    assert cnp_core.get_variant("L").depth_dim == 64


def test_published_key_names() -> None:
    keys = cnp_core.build_model("M").state_dict().keys()
    for key in (
        "backbone.stages.2.8.pwconv2.weight",
        "backbone.downsample_layers.0.1.running_var",
        "backbone.downsample_layers.3.1.weight",
        "backbone.norm.weight",
        "head.deconv_layers_3.pwconv.bias",
        "head.deconv_layers_1.norm.num_batches_tracked",
        "head.final_layer.weight",
    ):
        assert key in keys


def test_soft_argmax_expectation_by_hand() -> None:
    from cnp_core._model.integral import soft_argmax

    logits = torch.full((1, 1 * 2, 2, 3), -1e4)
    logits[0, 1, 1, 2] = 0.0  # depth bin 1, row 1, column 2
    logits[0, 0, 0, 0] = 0.0  # depth bin 0, row 0, column 0: equal mass
    out = soft_argmax(logits, joint_num=1, depth_dim=2)
    assert out.tolist() == [[[1.0, 0.5, 0.5]]]
