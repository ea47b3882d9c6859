"""The DeConv heads and the published variants that cnp-heads registers, checked against SPEC
section 1 (head channels, 2-UP/3-UP, grid, depth bins, parameter counts) and section 2 (the M/L
files' positional head keys), through cnp_core's public API."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import cnp_core
from cnp_core.testing import check_variants


def test_the_published_variants_are_the_spec_table(published: tuple[str, tuple[int, int, tuple[int, int], int, int]]) -> None:
    name, (channels, ups, grid, depth, params) = published
    row = cnp_core.describe_variant(cnp_core.get_variant(name))
    assert row["head"] == ("deconv-2up" if ups == 2 else "deconv-3up")
    assert (row["head_channels"], row["upsample_layers"], tuple(row["output_shape"]), row["depth_dim"]) == (
        channels,
        ups,
        grid,
        depth,
    )
    assert row["params_m"] == pytest.approx(params / 1e6, abs=5e-4)  # SPEC gives 3 decimals (M)
    # the grid follows from the architecture: 256 / 32 (backbone stride) * 2 per upsampling layer
    assert grid == (256 // 32 * 2**ups,) * 2


@pytest.mark.parametrize("name", ["XS", "M"])
def test_a_head_gives_the_declared_heatmap(name: str) -> None:
    variant = cnp_core.get_variant(name)
    model = cnp_core.build_model(variant).eval()
    with torch.no_grad():
        features = model.backbone(torch.zeros(1, 3, 256, 256))
        logits = model.head(features)
    assert tuple(logits.shape) == (1, variant.joint_num * variant.depth_dim, *variant.output_shape)


def test_every_published_variant_passes_the_contract_checks() -> None:
    assert check_variants(["XS", "S", "M", "L"]) == []


def test_the_m_l_files_positional_head_keys_load_as_the_variant(tmp_path: Path) -> None:
    state = cnp_core.random_state_dict("M", seed=5)
    path = cnp_core.write_checkpoint(state, tmp_path / "m.pth", form="pth", key_style="legacy-head-keys")
    info = cnp_core.inspect_file(path, "M")
    assert info["fits"] is True and info["remaps"] and info["detected_variants"] == ["M"]
    model, _ = cnp_core.load_model("M", path)
    loaded = model.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in state.items())
