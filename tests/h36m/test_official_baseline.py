"""The speed baseline (benchmarks/official_loop.py) computes what cnp computes: the official test loop's
inputs are cnp's bits, its soft-argmax is the float32 one docs/reproducibility.md describes, its coordinates are cnp's
within that softmax's error."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

official = pytest.importorskip("official_loop")


def _split(data_dir: Path) -> Any:
    from cnp_core import SplitOptions
    from cnp_core.plugin import registry

    return registry("dataset").get("h36m").load_split(data_dir, SplitOptions.of({}))


def test_official_inputs_are_cnps_bits(h36m_dir: Path) -> None:
    from cnp_core._data.crops import crop_patch, normalize, read_image

    split = _split(h36m_dir)
    dataset = official.OfficialTestSet(official.test_db(split), (256, 256), (64, 64), 64)
    for i in (0, 7, len(split) - 1):
        image = read_image(split.image_paths[i])
        assert image is not None
        ours = normalize(crop_patch(image, split.bboxes[i]))
        assert torch.equal(dataset[i], torch.from_numpy(ours))


def test_official_soft_argmax_is_the_float32_softmax_within_its_error() -> None:
    """Against a float64 reference: cnp's soft-argmax to ~1e-6, the official float32 softmax to its
    own (larger) summation error, bounded by the documented 5e-3 heatmap units."""
    from cnp_core._model.integral import soft_argmax

    torch.manual_seed(0)
    logits = torch.randn(2, 3 * 8, 16, 16) * 4
    exact = soft_argmax(logits.double(), 3, 8)
    ours = soft_argmax(logits, 3, 8).double()
    theirs = official.soft_argmax(logits, 3, 8).double()
    assert (ours - exact).abs().max() < 1e-5
    assert (theirs - exact).abs().max() < 5e-3
    # The same function: both are mean positions under the joint's softmax, so on a one-hot volume
    # they agree exactly.
    spike = torch.full((1, 2 * 4, 5, 6), -1e4)
    spike[0, 1, 2, 3] = 0.0  # joint 0, depth 1, row 2, column 3
    spike[0, 4 + 3, 4, 0] = 0.0  # joint 1, depth 3, row 4, column 0
    expected = torch.tensor([[[3.0, 2.0, 1.0], [0.0, 4.0, 3.0]]])
    assert torch.equal(official.soft_argmax(spike, 2, 4), expected)
    assert torch.equal(soft_argmax(spike, 2, 4), expected)


@pytest.mark.filterwarnings("ignore:'pin_memory' argument is set as true")  # the official loader's setting, on CPU
def test_official_loop_predicts_what_cnp_predicts(train_dir: Path, tmp_path: Path) -> None:
    """Four test samples through the official loop (no workers) and through cnp's literal model."""
    from cnp_core import load_model, random_state_dict, write_checkpoint
    from cnp_core._inference.engine import InferenceConfig, predict_coords

    checkpoint = tmp_path / "snapshot_0.pth.tar"
    write_checkpoint(random_state_dict("XS", seed=1), checkpoint, form="pth", epoch=0)
    result = official.official_loop("XS", checkpoint, train_dir, workers=0, batch_size=2)
    split = _split(train_dir)
    model, _ = load_model("XS", checkpoint)
    config = InferenceConfig(batch_size=2, workers=0, device="cpu", progress=False)
    ours = predict_coords(
        model, split.image_paths, split.bboxes, config, flip_pairs=split.flip_pairs, output_width=model.variant.output_shape[1]
    )
    assert result["samples"] == len(split) == 4
    assert result["images_per_s"] > 0
    np.testing.assert_allclose(result["coords"], ours, rtol=0, atol=5e-3)
