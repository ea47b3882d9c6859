"""`cnp train`: the official schedule, loss and targets, determinism, exact resume, and learning."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from cnp_core import train_model
from cnp_core._training import TrainConfig, learning_rate, load_config
from cnp_core._training.loop import TrainData, integral_l1_loss, weights_of
from cnp_core._training.targets import Augmentation, draw_augmentation, make_sample

runner = CliRunner()


def official_lr(step: float, warmup: float = 5, epochs: float = 70, lr: float = 1e-3, end: float = 1e-6) -> float:
    """SPEC section 5, written out."""
    if step < warmup:
        return lr * step / warmup
    return end + (lr - end) * 0.5 * (1 + math.cos(math.pi * (step - warmup) / (epochs - warmup)))


@pytest.mark.parametrize("step", [0.0, 0.5, 2.5, 4.999, 5.0, 20.25, 37.5, 69.99])
def test_learning_rate_follows_the_official_schedule(step: float) -> None:
    assert learning_rate(step, TrainConfig()) == pytest.approx(official_lr(step), rel=1e-12, abs=1e-15)
    assert learning_rate(5.0, TrainConfig()) == pytest.approx(1e-3) and learning_rate(0.0, TrainConfig()) == 0.0


def test_loss_is_the_official_masked_l1() -> None:
    coords = torch.tensor([[[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]])
    target = torch.tensor([[[2.0, 4.0, 6.0], [5.0, 5.0, 5.0]]])
    visible = torch.tensor([[1.0, 0.0]])
    # joint 0: (1 + 2 + 3) / 3 = 2, joint 1 invisible: 0; mean over the 2 joints = 1
    assert float(integral_l1_loss(coords, target, visible, torch.tensor([1.0]))) == pytest.approx(1.0)
    # a 2D sample: depth masked, (1 + 2) / 3 / 2 = 0.5
    assert float(integral_l1_loss(coords, target, visible, torch.tensor([0.0]))) == pytest.approx(0.5)


def _scene() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, size=(400, 300, 3), dtype=np.uint8)
    box = np.array([50.0, 100.0, 160.0, 160.0])
    joints = np.array([[130.0, 180.0, 0.0], [90.0, 150.0, 300.0], [170.0, 210.0, -450.0]])
    return image, box, joints, np.ones(3, dtype=np.float32)


def test_targets_without_augmentation_are_the_projected_joints() -> None:
    image, box, joints, visible = _scene()
    patch, target, vis = make_sample(
        image, box, joints, visible, (), Augmentation(), np.random.default_rng(0), (256, 256), (64, 64), 64
    )
    # patch coordinates: (x - box_x) / box_w * 256, then to the 64-grid; depth: (d / 1000 + 1) / 2 * 64
    expected_x = (joints[:, 0] - 50.0) / 160.0 * 256 / 256 * 64
    expected_y = (joints[:, 1] - 100.0) / 160.0 * 256 / 256 * 64
    np.testing.assert_allclose(target[:, 0], expected_x, atol=1e-4)
    np.testing.assert_allclose(target[:, 1], expected_y, atol=1e-4)
    np.testing.assert_allclose(target[:, 2], (joints[:, 2] / 1000 + 1) / 2 * 64, atol=1e-5)
    assert vis.tolist() == [1.0, 1.0, 1.0] and patch.shape == (3, 256, 256)
    # the patch is the evaluation's crop (same affine, same normalisation quirk)
    from cnp_core._data.crops import crop_patch, normalize

    np.testing.assert_allclose(patch, normalize(crop_patch(image, box)), atol=1e-4)


def test_flip_mirrors_the_target_and_swaps_the_pairs() -> None:
    image, box, joints, visible = _scene()
    rng = np.random.default_rng(0)
    _, plain, _ = make_sample(image, box, joints, visible, ((1, 2),), Augmentation(), rng, (256, 256), (256, 256), 64)
    _, flipped, _ = make_sample(image, box, joints, visible, ((1, 2),), Augmentation(flip=True), rng, (256, 256), (256, 256), 64)
    # the box's centre maps to W - c - 1, so a patch x becomes 256 - x; then left and right swap
    np.testing.assert_allclose(flipped[0, 0], 256 - plain[0, 0], atol=1e-3)
    np.testing.assert_allclose(flipped[[1, 2], 0], 256 - plain[[2, 1], 0], atol=1e-3)
    np.testing.assert_allclose(flipped[[1, 2], 1:], plain[[2, 1], 1:], atol=1e-3)


def test_a_joint_leaving_the_patch_is_invisible() -> None:
    image, box, joints, visible = _scene()
    joints = joints.copy()
    joints[1, 0] = 10.0  # left of the box
    joints[2, 2] = 1500.0  # beyond the 2 m depth range
    _, _, vis = make_sample(image, box, joints, visible, (), Augmentation(), np.random.default_rng(0), (256, 256), (64, 64), 64)
    assert vis.tolist() == [1.0, 0.0, 0.0]


def test_augmentation_draws_stay_in_the_official_ranges() -> None:
    draws = [draw_augmentation(np.random.default_rng(s)) for s in range(400)]
    assert all(0.75 <= d.scale <= 1.25 and -60 <= d.rotation_deg <= 60 for d in draws)
    assert all(0.8 <= c <= 1.2 for d in draws for c in d.color)
    rotated, flipped = np.mean([d.rotation_deg != 0 for d in draws]), np.mean([d.flip for d in draws])
    assert 0.5 < rotated < 0.7 and 0.4 < flipped < 0.6


def test_config_file_overrides_and_rejects_unknown_settings(tmp_path: Path) -> None:
    from cnp_core import DataError, ParameterError

    path = tmp_path / "recipe.toml"
    path.write_text("epochs = 30\nlr = 5e-4\nbetas = [0.8, 0.99]\n")
    config = load_config(path)
    assert (config.epochs, config.lr, config.betas, config.batch_size) == (30, 5e-4, (0.8, 0.99), 32)
    path.write_text("epoch = 3\n")
    with pytest.raises(DataError, match="unknown setting"):
        load_config(path)
    with pytest.raises(ParameterError, match=r"warmup_epochs 5.0: must be 0 or more and below epochs \(3\)"):
        TrainConfig(epochs=3)


def _init(tmp_path: Path) -> Path:
    from cnp_core import random_state_dict, write_checkpoint

    return write_checkpoint(random_state_dict("XS", seed=11), tmp_path / "init.pth", form="pth")


DETERMINISTIC = TrainConfig(epochs=2, batch_size=5, warmup_epochs=1, augment=False, shuffle=False, drop_path=0.0)


def _train(train_dir: Path, out: Path, config: TrainConfig, init: Path | None, **options: Any) -> list[dict[str, object]]:
    """XS on the CPU without workers or progress; ``options`` go to :func:`train_model` (``resume``, ``on_step``)."""
    return train_model(
        "XS",
        train_dir,
        dataset="h36m",
        output_dir=out,
        config=config,
        init=init,
        device="cpu",
        workers=0,
        progress=False,
        **options,
    )


@pytest.mark.slow
def test_deterministic_mode_repeats_and_equals_an_independent_computation(train_dir: Path, tmp_path: Path) -> None:
    import cnp_core
    from cnp_core import SplitOptions
    from cnp_h36m.dataset import Human36M

    init = _init(tmp_path)
    first = [r for r in _train(train_dir, tmp_path / "a", DETERMINISTIC, init) if "loss" in r]
    second = [r for r in _train(train_dir, tmp_path / "b", DETERMINISTIC, init) if "loss" in r]
    assert len(first) == 8 and [r["loss"] for r in first] == [r["loss"] for r in second]

    # the same batches, with the model, optimiser, schedule and loss written here from SPEC section 5
    variant = cnp_core.get_variant("XS")
    model = cnp_core.build_model(variant)
    cnp_core.load_checkpoint(model, init)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), weight_decay=0.1)
    options = SplitOptions.of(input_shape=variant.input_shape).resolved(Human36M.info)
    split = Human36M.info.train_split(train_dir, options)  # type: ignore[misc]
    expected, rates = [], []
    for epoch in range(2):
        data = TrainData(split, variant, DETERMINISTIC, epoch)
        for itr in range(4):
            images, target, visible, has_depth = (
                torch.stack(c) for c in zip(*(data[k] for k in range(5 * itr, 5 * itr + 5)), strict=True)
            )
            rate = official_lr(epoch + itr / 4, warmup=1, epochs=2)
            for group in optimizer.param_groups:
                group["lr"] = rate
            error = (model(images) - target).abs()
            per_joint = (error[..., 0] + error[..., 1] + error[..., 2] * has_depth[:, None]) * visible / 3
            loss = per_joint.sum() / per_joint.numel()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            expected.append(loss.item())
            rates.append(rate)
    assert [r["loss"] for r in first] == pytest.approx(expected, rel=1e-5)
    assert [r["lr"] for r in first] == pytest.approx(rates, rel=1e-12, abs=1e-15)


@pytest.mark.slow
def test_resume_after_an_interruption_gives_the_same_weights(train_dir: Path, tmp_path: Path) -> None:
    init = _init(tmp_path)
    recipe = TrainConfig(epochs=2, batch_size=5, warmup_epochs=1)  # augmentation, shuffling, stochastic depth on
    _train(train_dir, tmp_path / "whole", recipe, init)

    def interrupt(record: dict[str, object]) -> None:
        if record["epoch"] == 1 and record["iteration"] == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _train(train_dir, tmp_path / "cut", recipe, init, on_step=interrupt)
    assert sorted(p.name for p in (tmp_path / "cut").glob("snapshot_*")) == ["snapshot_0.pth.tar"]
    resumed = _train(train_dir, tmp_path / "cut", recipe, init, resume=True)
    assert {r["epoch"] for r in resumed} == {1}
    whole, again = weights_of(tmp_path / "whole" / "snapshot_1.pth.tar"), weights_of(tmp_path / "cut" / "snapshot_1.pth.tar")
    assert whole.keys() == again.keys() and all(torch.equal(whole[k], again[k]) for k in whole)
    lines = [json.loads(x) for x in (tmp_path / "cut" / "train_log.jsonl").read_text().splitlines()]
    assert [(r["epoch"], r["iteration"]) for r in lines] == [(e, i) for e in (0, 1) for i in range(4)]


@pytest.mark.slow
def test_a_short_run_learns_and_its_checkpoints_evaluate(train_dir: Path, tmp_path: Path) -> None:
    from cnp_cli.app import app

    out = tmp_path / "run"
    args = ["train", "--variant", "XS", "--data-dir", str(train_dir), "--output", str(out), "--epochs", "6"]
    args += ["--batch-size", "5", "--warmup-epochs", "1", "--lr", "2e-3", "--workers", "0", "--device", "cpu"]
    args += ["--eval-every", "3", "--no-augment", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    steps = [json.loads(x) for x in (out / "train_log.jsonl").read_text().splitlines() if '"loss"' in x]
    first, last = np.mean([s["loss"] for s in steps[:4]]), np.mean([s["loss"] for s in steps[-4:]])
    assert last < 0.6 * first, (first, last)  # XS overfits 20 samples
    assert summary["steps"] == 24 and sorted(p.name for p in out.glob("snapshot_*")) == [
        f"snapshot_{e}.pth.tar" for e in range(6)
    ]
    assert list((out / "tensorboard").glob("events.out.tfevents.*"))  # tensorboard is a dev requirement
    config = json.loads((out / "train_config.json").read_text())
    assert config["config"]["epochs"] == 6 and config["dataset"] == "h36m" and config["options"]["protocol"] == 2
    # the first and the last snapshot through `cnp eval`: the test error falls
    snapshots = ["--checkpoint", str(out / "snapshot_0.pth.tar"), "--checkpoint", str(out / "snapshot_5.pth.tar")]
    common = ["--data-dir", str(train_dir), "--output", str(tmp_path / "eval"), "--workers", "0", "--json", "--bootstrap", "0"]
    evaluated = runner.invoke(app, ["eval", "--variant", "XS", *snapshots, *common])
    assert evaluated.exit_code == 0, evaluated.output
    before, after = json.loads(evaluated.stdout)
    assert before["epoch"] == 0 and after["epoch"] == 5 and after["total_mm"] < before["total_mm"]
    assert [e["epoch"] for e in summary["evaluations"]] == [2, 5]  # every 3rd epoch, logged as well
    assert summary["evaluations"][1]["eval"]["total_mm"] == pytest.approx(after["total_mm"], abs=1e-3)
    # the training curves in a report, beside the evaluation runs
    report = tmp_path / "rep" / "report.md"
    made = runner.invoke(app, ["report", str(out), after["run_dir"], "--out", str(report), "--json", "--worst", "0"])
    assert made.exit_code == 0, made.output
    written = json.loads(made.stdout)
    assert written["training"] == [str(out)] and any("training" in Path(p).name for p in written["plots"])
    text = report.read_text()
    assert (
        "## Training: `run`" in text
        and "| steps | 24 |" in text
        and f"| test MPJPE after epoch 5 | {after['total_mm']:.2f} |" in text
    )


def test_bad_training_input_is_one_line(train_dir: Path, h36m_dir: Path, tmp_path: Path) -> None:
    from cnp_cli.app import app
    from cnp_core import random_state_dict, write_checkpoint

    base = ["train", "--variant", "XS", "--data-dir", str(train_dir), "--workers", "0", "--device", "cpu", "--batch-size", "5"]
    base += ["--epochs", "1", "--warmup-epochs", "0"]  # bounded, should a case not fail
    cases = [
        ([*base, "--output", str(tmp_path / "a"), "--batch-size", "64"], "--batch-size 64: exceeds the 20 training samples"),
        ([*base, "--output", str(tmp_path / "b"), "--resume"], "no snapshot_N.pth.tar"),
        ([*base, "--output", str(tmp_path / "c"), "--data-dir", str(tmp_path / "nowhere")], "does not exist"),
        ([*base, "--output", str(tmp_path / "d"), "--protocol", "3"], "--protocol 3: choose 1 or 2"),
        (
            [
                *base,
                "--output",
                str(tmp_path / "e"),
                "--init",
                str(write_checkpoint(random_state_dict("S"), tmp_path / "s.pth", form="pth")),
            ],
            "does not fit variant XS",
        ),
        ([*base, "--output", str(tmp_path / "f"), "--data-dir", str(h36m_dir)], "Protocol 2 trains on subjects 1, 5, 6, 7, 8"),
    ]
    for args, fragment in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1 and fragment in result.stderr, result.stderr


@pytest.mark.slow
def test_torchrun_with_two_gloo_ranks_trains(train_dir: Path, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("torchrun")
    out = tmp_path / "ddp"
    args = ["train", "--variant", "XS", "--data-dir", str(train_dir), "--output", str(out), "--epochs", "2"]
    args += ["--warmup-epochs", "1", "--batch-size", "5", "--workers", "0", "--device", "cpu", "--json"]
    cmd = [str(exe), "--standalone", "--nproc-per-node=2", "-m", "cnp_cli", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)  # rank 0 alone prints
    # 20 samples, 10 per rank, 5 per step: 2 steps per epoch; rank 0 alone logs and writes
    lines = [json.loads(x) for x in (out / "train_log.jsonl").read_text().splitlines()]
    assert [(r["epoch"], r["iteration"]) for r in lines] == [(0, 0), (0, 1), (1, 0), (1, 1)] and summary["steps"] == 4
    assert json.loads((out / "train_config.json").read_text())["world_size"] == 2
    before, after = weights_of(out / "snapshot_0.pth.tar"), weights_of(out / "snapshot_1.pth.tar")
    assert any(not torch.equal(before[k], after[k]) for k in before)


def test_epoch_order_balances_3d_and_2d_sets_as_the_official_mix() -> None:
    from cnp_core._training.loop import epoch_order
    from cnp_core.plugin import TrainSplit

    n3, n2 = 5, 2
    split = TrainSplit(
        name="mixed",
        image_paths=tuple(str(i) for i in range(n3 + n2)),
        bboxes=np.zeros((n3 + n2, 4)),
        joints=np.zeros((n3 + n2, 18, 3)),
        visible=np.ones((n3 + n2, 18)),
        has_depth=np.array([1.0] * n3 + [0.0] * n2),
        joint_names=tuple(f"j{i}" for i in range(18)),
        flip_pairs=(),
    )
    order = epoch_order(split, TrainConfig(epochs=10, shuffle=False), epoch=0)
    # both groups stretched to 5: the 3D set as it is, the 2D set 5, 6, 5, 6 then one random draw of it
    assert order.tolist()[:9] == [0, 1, 2, 3, 4, 5, 6, 5, 6] and order[9] in (5, 6) and len(order) == 10
    shuffled = epoch_order(split, TrainConfig(epochs=10), epoch=3)
    assert sorted(shuffled.tolist())[:5] == [0, 1, 2, 3, 4] and len(shuffled) == 10
    assert shuffled.tolist() == epoch_order(split, TrainConfig(epochs=10), epoch=3).tolist()  # a function of (seed, epoch)


def test_mpii_joints_map_onto_human36m_without_depth(train_dir: Path, tmp_path: Path) -> None:
    from cnp_core import SplitOptions
    from cnp_h36m.mpii import TO_H36M, load_train, write_synthetic
    from cnp_h36m.options import H36MOptions
    from cnp_h36m.split import build_train_split

    counts = write_synthetic(tmp_path / "MPII", train_dir)
    assert counts == {"images": 20, "annotations": 20}
    mpii = load_train(tmp_path / "MPII", SplitOptions())
    h36m = build_train_split(train_dir, H36MOptions())
    assert len(mpii) == 20 and not mpii.has_depth.any() and mpii.joint_names == h36m.joint_names
    mapped = list(TO_H36M)
    np.testing.assert_allclose(mpii.joints[:, mapped, :2], h36m.joints[:, mapped, :2], atol=0.01)  # rounded to 0.01 px
    missing = sorted(set(range(18)) - set(mapped))
    assert [h36m.joint_names[j] for j in missing] == ["Torso", "Nose"]
    assert (mpii.visible[:, missing] == 0).all() and (mpii.visible[:, mapped] == 1).all()
    assert (mpii.joints[:, :, 2] == 0).all()


@pytest.mark.slow
def test_training_mixes_human36m_with_mpii(train_dir: Path, tmp_path: Path) -> None:
    from cnp_cli.app import app

    mpii = tmp_path / "MPII"
    assert runner.invoke(app, ["data", "synth-mpii", str(mpii), "--from", str(train_dir)]).exit_code == 0
    out = tmp_path / "mix"
    args = ["train", "--variant", "XS", "--data-dir", str(train_dir), "--mix", f"mpii={mpii}", "--output", str(out)]
    args += ["--epochs", "1", "--warmup-epochs", "0", "--batch-size", "10", "--workers", "0", "--device", "cpu", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["steps"] == 4  # 20 3D + 20 2D samples, 10 per step
    sets = json.loads((out / "train_config.json").read_text())["sets"]
    assert [(s["name"], s["samples"], s["has_depth"]) for s in sets] == [("h36m-p2-train", 20, True), ("mpii-train", 20, False)]
    bad = runner.invoke(app, [*args[:-1], "--output", str(tmp_path / "x"), "--mix", "mpii"])
    assert bad.exit_code == 1 and "--mix 'mpii': use DATASET=FOLDER" in bad.stderr
    snapshot = str(out / "snapshot_0.pth.tar")
    evaluation = runner.invoke(app, ["eval", "--variant", "XS", "-c", snapshot, "--dataset", "mpii", "--data-dir", str(mpii)])
    assert evaluation.exit_code == 1 and "--dataset 'mpii': is a training set without a test split" in evaluation.stderr


def test_a_full_disk_while_saving_leaves_no_half_written_snapshot(
    train_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from cnp_core import CnpError

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", full)
    config = TrainConfig(epochs=1, batch_size=10, warmup_epochs=0, augment=False, drop_path=0.0)
    with pytest.raises(CnpError, match="No space left on device") as caught:
        _train(train_dir, tmp_path / "full", config, None)
    assert str(tmp_path / "full" / "snapshot_0.pth.tar") in str(caught.value)
    assert not list((tmp_path / "full").glob("*snapshot*")) and not list((tmp_path / "full").glob(".*.tmp"))


def test_snapshots_load_as_the_official_test_code_loads_them(tmp_path: Path) -> None:
    import cnp_core
    from cnp_core._training.loop import save_snapshot

    model = cnp_core.build_model("XS")
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    path = save_snapshot(tmp_path, 7, model, optimizer, {"variant": "XS"})
    assert path.name == "snapshot_7.pth.tar"
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)  # nothing but tensors and plain data
    assert checkpoint["epoch"] == 7 and set(checkpoint) >= {"epoch", "network", "optimizer"}
    official = torch.nn.DataParallel(cnp_core.build_model("XS"))  # the official test wraps the model so
    official.load_state_dict(checkpoint["network"])
    assert all(torch.equal(a, b) for a, b in zip(official.module.state_dict().values(), model.state_dict().values(), strict=True))


def test_malformed_or_empty_mpii_annotations_are_one_line(tmp_path: Path) -> None:
    from cnp_core import DataError, SplitOptions
    from cnp_h36m.mpii import load_train

    folder = tmp_path / "MPII"
    (folder / "annotations").mkdir(parents=True)
    with pytest.raises(DataError, match="missing MPII annotation file"):
        load_train(tmp_path / "nowhere", SplitOptions())
    file = folder / "annotations" / "train.json"
    file.write_text('{"images": [], "annotations": [], "categories": []}')
    with pytest.raises(DataError, match="no annotation with keypoints"):
        load_train(folder, SplitOptions())
    image = {"id": 1, "file_name": "a.jpg", "width": 100, "height": 100}
    broken = {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 50, 50], "num_keypoints": 3, "keypoints": [1, 2]}
    file.write_text(json.dumps({"images": [image], "annotations": [broken], "categories": []}))
    with pytest.raises(DataError, match="annotation 1 is malformed"):
        load_train(folder, SplitOptions())


def test_stochastic_depth_draws_as_timm_does() -> None:
    from timm.layers import DropPath as TimmDropPath

    from cnp_core._model.backbones.convnext_bn import DropPath

    x = torch.randn(64, 8, 4, 4)
    ours, theirs = DropPath(0.3).train(), TimmDropPath(0.3).train()
    torch.manual_seed(5)
    a = ours(x)
    torch.manual_seed(5)
    b = theirs(x)
    assert torch.equal(a, b) and not torch.equal(a, x)
    assert torch.equal(ours.eval()(x), x) and torch.equal(DropPath(0.0).train()(x), x)
