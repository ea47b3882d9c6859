"""The example plugin (tests/plugins/cnp-example-plugin), written from the plugin guide alone, end to end.

Its own head (`transpose-up`, not DeConv), a 14-joint variant on it, a 14-joint view of Human3.6M
with its own flip pairs, its own evaluator and the `.npz` checkpoint format, through `cnp` itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cnp_cli.app import app

runner = CliRunner()


@pytest.fixture(scope="module")
def tiny14_npz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cnp_core import random_state_dict

    path = tmp_path_factory.mktemp("tiny14") / "tiny14.npz"
    np.savez(path, **{k: v.numpy() for k, v in random_state_dict("XS-tiny14", seed=4).items()})
    return path


def _eval(data: Path, ckpt: Path, out: Path, *extra: str) -> dict[str, object]:
    args = ["eval", "--variant", "XS-tiny14", "--dataset", "h36m-14", "--checkpoint", str(ckpt), "--data-dir", str(data)]
    result = runner.invoke(app, [*args, "--output", str(out), "--workers", "0", "--json", *extra])
    assert result.exit_code == 0, result.output
    (record,) = json.loads(result.stdout)
    return record  # type: ignore[no-any-return]


@pytest.mark.slow  # a whole evaluation; the plugin guide's plugins cover the quick path
def test_eval_runs_the_plugin_end_to_end(h36m_dir: Path, tiny14_npz: Path, tmp_path: Path) -> None:
    record = _eval(h36m_dir, tiny14_npz, tmp_path / "out", "--protocol", "2")
    assert record["dataset"] == "h36m-14" and record["evaluator"] == "mpjpe-14" and record["metric"] == "MPJPE-14"
    assert record["checkpoint_format"] == "npz" and record["num_samples"] == 120
    per_joint = record["per_joint_mm"]
    assert isinstance(per_joint, dict) and list(per_joint)[:2] == ["Pelvis", "R_Hip"] and len(per_joint) == 14
    run = Path(str(record["run_dir"]))
    assert run.name == "XS-tiny14_tiny14_h36m-14_p2_gt_flip"
    assert record["files"] == ["poses_14.json", "samples.npz"] and not (run / "bbox_root_pose_human36m_output.json").exists()
    poses = json.loads((run / "poses_14.json").read_text())
    assert len(poses) == 120 and len(poses[0]) == 14


@pytest.mark.slow
def test_optimised_equals_literal_on_the_plugin(h36m_dir: Path, tiny14_npz: Path, tmp_path: Path) -> None:
    fast = _eval(h36m_dir, tiny14_npz, tmp_path / "a", "--protocol", "1")
    literal = _eval(h36m_dir, tiny14_npz, tmp_path / "b", "--protocol", "1", "--no-optimize")
    assert fast["optimized"] and not literal["optimized"]
    for key in ("per_action_mm", "per_joint_mm"):
        a, b = fast[key], literal[key]
        assert isinstance(a, dict) and isinstance(b, dict)
        assert max(abs(a[k] - b[k]) for k in a) <= 0.005
    assert abs(float(fast["total_mm"]) - float(literal["total_mm"])) <= 0.005  # type: ignore[arg-type]


def test_the_flip_test_swaps_the_plugins_pairs(h36m_dir: Path, tiny14_npz: Path) -> None:
    """The declared pairs are the ones swapped: a wrong list gives other coordinates, only on those joints."""
    import cnp_core
    from cnp_core import SplitOptions
    from cnp_core._inference.engine import InferenceConfig, predict_coords

    dataset = cnp_core.get_host().registry("dataset").get("h36m-14")
    split = dataset.load_split(h36m_dir, SplitOptions.of({"protocol": 1})).subset(np.arange(4))
    model = cnp_core.build_model("XS-tiny14")
    cnp_core.load_checkpoint(model, tiny14_npz)
    config = InferenceConfig(batch_size=4, workers=0, progress=False)
    common = {"output_width": 32, "input_shape": (256, 256)}
    right = predict_coords(model, split.image_paths, split.bboxes, config, flip_pairs=dataset.info.flip_pairs, **common)
    wrong = predict_coords(model, split.image_paths, split.bboxes, config, flip_pairs=((1, 4), (2, 5)), **common)
    differs = np.abs(right - wrong).max(axis=(0, 2)) > 1e-4
    assert differs.tolist() == [j in (3, 6, 8, 9, 10, 11, 12, 13) for j in range(14)]  # the pairs left out


def test_an_18_joint_variant_is_refused_on_the_14_joint_dataset(tiny14_npz: Path, tmp_path: Path) -> None:
    ckpt = tmp_path / "xs.pth"
    assert runner.invoke(app, ["checkpoints", "synth", "--variant", "XS", "--out", str(ckpt)]).exit_code == 0
    args = ["eval", "--variant", "XS", "--dataset", "h36m-14", "--checkpoint", str(ckpt), "--data-dir", str(tmp_path / "x")]
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "variant XS predicts 18 joints but dataset h36m-14 has 14" in result.stderr


def test_variants_and_inspect_know_the_plugin(tiny14_npz: Path) -> None:
    rows = {r["name"]: r for r in json.loads(runner.invoke(app, ["variants", "--json"]).stdout)}
    assert rows["XS-tiny14"]["plugin"] == "cnp-example-plugin" and rows["XS-tiny14"]["head"] == "transpose-up"
    info = json.loads(runner.invoke(app, ["inspect", str(tiny14_npz), "--json"]).stdout)
    assert info["format"] == "npz" and info["detected_variants"] == ["XS-tiny14"]


@pytest.mark.slow
def test_the_plugin_dataset_trains_its_own_variant(train_dir: Path, tmp_path: Path) -> None:
    from cnp_core._training.loop import weights_of

    out = tmp_path / "tiny14"
    args = ["train", "--variant", "XS-tiny14", "--dataset", "h36m-14", "--data-dir", str(train_dir), "--output", str(out)]
    args += ["--epochs", "1", "--warmup-epochs", "0", "--batch-size", "10", "--workers", "0", "--device", "cpu", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["steps"] == 2
    assert json.loads((out / "train_config.json").read_text())["sets"][0]["name"] == "h36m-14-train"
    weights = weights_of(out / "snapshot_0.pth.tar")
    assert any(k.startswith("head.") for k in weights)  # the plugin's transpose-up head was trained
    wrong = runner.invoke(app, [*args[:2], "XS", *args[3:], "--output", str(tmp_path / "x")])
    assert wrong.exit_code == 1 and "predicts 18 joints but dataset h36m-14 has 14" in wrong.stderr
