"""cnp-core with no other cnp package: a plugin's head, variant and dataset (``core_plugin``) go
through model assembly, every checkpoint form, the evaluation pipeline, run folders and compare."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import cnp_core
from cnp_core._plugins.host import PluginHost


def test_the_host_holds_cnp_core_and_the_test_plugin_only(core_host: PluginHost) -> None:
    assert core_host.registry("variant").names() == ["T"]
    assert core_host.registry("backbone").names() == ["convnext-bn"]  # cnp-core's own
    with pytest.raises(cnp_core.UnknownNameError, match="Known variants: T"):
        cnp_core.get_variant("XS")


def test_a_plugin_variant_builds_and_predicts_its_grid(core_host: PluginHost) -> None:
    model = cnp_core.build_model("t").eval()  # names are case-insensitive
    with torch.no_grad():
        coords = model(torch.zeros(2, 3, 128, 128))
    assert tuple(coords.shape) == (2, 4, 3)
    # soft-argmax coordinates lie inside the 16 x 16 x 8 grid
    assert float(coords[..., :2].min()) >= 0 and float(coords[..., :2].max()) <= 15 and float(coords[..., 2].max()) <= 7


@pytest.mark.parametrize("form", ["pth", "zip-tar", "folder", "tar", "safetensors"])
def test_every_checkpoint_form_round_trips(core_host: PluginHost, tmp_path: Path, form: str) -> None:
    path = cnp_core.write_random_checkpoint("T", tmp_path / f"t.{form}", form=form, epoch=3, seed=1)
    info = cnp_core.inspect_file(path, "T")
    assert info["fits"] is True and info["epoch"] == 3 and info["detected_variants"] == ["T"]
    model, report = cnp_core.load_model("T", path)
    expected = cnp_core.random_state_dict("T", seed=1)
    state = model.state_dict()
    assert all(torch.equal(state[k], v) for k, v in expected.items())
    assert report.epoch == 3


def test_evaluate_compare_and_read_back(core_host: PluginHost, box4_dir: Path, tmp_path: Path) -> None:
    checkpoint = cnp_core.write_random_checkpoint("T", tmp_path / "t.pth", seed=2)
    common = dict(dataset="box4", output_dir=tmp_path / "out", bootstrap=0, progress=False, patch_cache=False)
    (flip,) = cnp_core.evaluate("T", [checkpoint], box4_dir, **common)  # type: ignore[arg-type]
    (plain,) = cnp_core.evaluate("T", [checkpoint], box4_dir, flip=False, **common)  # type: ignore[arg-type]
    for run in (flip, plain):
        assert run.metric == "MPJPE" and run.unit == "mm" and run.num_samples == 12
        assert set(run.per_action) == {"reach", "wave", "point"}
        # the headline is the frame-wise mean of the per-sample table cnp wrote beside it
        with np.load(run.folder / "samples.npz") as table:
            stored = table["headline"].astype(np.float64)  # float32 per joint, as written
        assert run.total == pytest.approx(float(stored.mean()), rel=1e-6)
        assert json.loads((run.folder / "metrics.json").read_text())["schema_version"] == cnp_core.SCHEMA_VERSION
        assert cnp_core.read_run(run.folder) == cnp_core.RunRecord.from_json(dict(run.record), run.path)
    table = cnp_core.compare_runs([flip.folder, plain.folder], baseline=flip.label)
    (other,) = [row for row in table["rows"] if row["label"] == plain.label]
    assert other["delta"] == pytest.approx(plain.total - flip.total)
