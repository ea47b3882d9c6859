"""Second pass of "your files are safe": compare --plot, cache clearing and eviction, train's own
files, and the split cache across working directories (issue "Nothing lost, nothing silently wrong")."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cnp_cli.app import app

runner = CliRunner()


def test_compare_plot_never_replaces_a_users_file(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    record = {"variant": "XS", "dataset": "h36m", "metric": "MPJPE", "alignment": "none", "total_mm": 50.0, "per_action_mm": {}}
    (run / "metrics.json").write_text(json.dumps(record))
    holiday = tmp_path / "holiday.png"
    holiday.write_bytes(b"\x89PNG my photo")
    result = runner.invoke(app, ["compare", str(run), "--plot", str(holiday)])
    assert result.exit_code == 1 and "pass --force" in result.stderr and holiday.read_bytes() == b"\x89PNG my photo"
    thesis = tmp_path / "thesis.txt"
    thesis.write_text("chapter 1")
    assert runner.invoke(app, ["compare", str(run), "--plot", str(thesis)]).exit_code == 1 and thesis.read_text() == "chapter 1"
    drawn = tmp_path / "cmp.png"
    assert runner.invoke(app, ["compare", str(run), "--plot", str(drawn)]).exit_code == 0
    assert runner.invoke(app, ["compare", str(run), "--plot", str(drawn)]).exit_code == 0  # cnp's own picture: replaced
    assert runner.invoke(app, ["compare", str(run), "--plot", str(thesis), "--force"]).exit_code == 0


def test_cache_clear_removes_only_what_cnp_wrote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "cache"
    monkeypatch.setenv("CNP_CACHE_DIR", str(root))
    for part in ("demo", "patches", "splits"):
        (root / part / "my_folder").mkdir(parents=True)
        (root / part / "my_folder" / "notes.txt").write_text("mine")
    ours = root / "patches" / ("a" * 24)
    ours.mkdir()
    (ours / "meta.json").write_text("{}")
    (ours / "patches.npy").write_bytes(b"x" * 5000)
    result = runner.invoke(app, ["cache", "--clear", "all"])
    assert result.exit_code == 0, result.output
    assert not ours.exists()
    for part in ("demo", "patches", "splits"):
        assert (root / part / "my_folder" / "notes.txt").read_text() == "mine"
    assert "kept:" in result.stderr and "my_folder (not written by cnp)" in result.stderr


def test_patch_cache_eviction_never_removes_a_users_folder(tmp_path: Path) -> None:
    from cnp_core._data.patch_cache import PatchCache, PatchCacheConfig

    folder = tmp_path / "patches"
    mine = folder / "my_git_patches"
    mine.mkdir(parents=True)
    (mine / "0001.patch").write_text("diff")
    os.utime(mine, (0, 0))  # the oldest thing there
    config = PatchCacheConfig(folder=folder, limit_bytes=4 * 256 * 256 * 3)
    for n in range(3):  # three entries, each filling the bound: each evicts the one before
        cache = PatchCache(config, [f"{n}-{i}.jpg" for i in range(4)], np.zeros((4, 4)) + n, (256, 256))
        cache.store(np.arange(4), np.zeros((4, 256, 256, 3), dtype=np.uint8))
        cache.flush()
    assert (mine / "0001.patch").read_text() == "diff"
    assert len([p for p in folder.iterdir() if (p / "meta.json").is_file()]) == 1


@pytest.mark.slow  # loads a training split and builds a model before refusing
def test_train_never_overwrites_a_users_files_named_like_its_own(train_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "train_config.json").write_text("my notes")
    args = [
        "train",
        "--variant",
        "XS",
        "--data-dir",
        str(train_dir),
        "--epochs",
        "1",
        "--warmup-epochs",
        "0",
        "--batch-size",
        "4",
        "--output",
        str(out),
    ]
    result = runner.invoke(app, [*args, "--workers", "0"])
    assert result.exit_code == 1 and "train_config.json already exists" in result.stderr, result.output
    assert (out / "train_config.json").read_text() == "my notes" and not (out / "train_log.jsonl").exists()


def test_a_cached_split_reads_the_same_images_from_any_directory(
    h36m_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cnp_core import SplitOptions
    from cnp_h36m.dataset import Human36M

    options = SplitOptions.of({"protocol": 1}, cache_dir=tmp_path / "cache")
    monkeypatch.chdir(h36m_dir.parent)
    first = Human36M().load_split(Path(h36m_dir.name), options)
    monkeypatch.chdir(tmp_path)
    again = Human36M().load_split(h36m_dir, options)  # from the cache, another working directory
    assert first.image_paths == again.image_paths and all(Path(p).is_absolute() and Path(p).is_file() for p in again.image_paths)


def _train(train_dir: Path, out: Path, *extra: str) -> object:
    args = ["train", "--variant", "XS", "--data-dir", str(train_dir), "--epochs", "1", "--warmup-epochs", "0"]
    return runner.invoke(app, [*args, "--batch-size", "4", "--workers", "0", "--output", str(out), *extra])


@pytest.mark.slow  # a training run
def test_a_diverging_training_stops_at_that_step_and_saves_nothing(train_dir: Path, tmp_path: Path) -> None:
    result = _train(train_dir, tmp_path / "out", "--lr", "1e6")
    assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
    err = result.stderr  # type: ignore[attr-defined]
    err = err[err.index("error: ") :]
    assert err.count("\n") == 1 and "training diverged at epoch 0, step" in err and "--lr" in err, err
    assert not list((tmp_path / "out").glob("snapshot_*"))
    for line in (tmp_path / "out" / "train_log.jsonl").read_text().splitlines():
        json.loads(line, parse_constant=lambda name: pytest.fail(f"bare {name} in the log"))


@pytest.mark.slow  # two trainings
def test_the_seed_reproduces_the_initial_weights(train_dir: Path, tmp_path: Path) -> None:
    losses = []
    for name in ("a", "b"):
        assert _train(train_dir, tmp_path / name, "--deterministic", "--seed", "0").exit_code == 0  # type: ignore[attr-defined]
        first = json.loads((tmp_path / name / "train_log.jsonl").read_text().splitlines()[0])
        losses.append(first["loss"])
    assert losses[0] == losses[1]


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda t: t.to(__import__("torch").int32), "is int32, not floating point"),
        (lambda t: t.fill_(float("nan")), "NaN or infinite value(s)"),
        (lambda t: t.fill_(float("inf")), "NaN or infinite value(s)"),
    ],
)
def test_weights_that_are_not_real_finite_numbers_are_the_checkpoints_fault(tmp_path: Path, change: object, said: str) -> None:
    from cnp_core import random_state_dict, write_checkpoint

    state = random_state_dict("XS", seed=2)
    state["head.final_layer.weight"] = change(state["head.final_layer.weight"].clone())  # type: ignore[operator]
    ckpt = write_checkpoint(state, tmp_path / "w.safetensors", form="safetensors")
    result = runner.invoke(app, ["eval", "--variant", "XS", "--demo", "--checkpoint", str(ckpt), "--output", str(tmp_path / "o")])
    assert result.exit_code == 1, result.output
    err = result.stderr[result.stderr.index("error: ") :]
    assert err.count("\n") == 1 and said in err and "head.final_layer.weight" in err, err
    assert not (tmp_path / "o").exists() or not any(p for p in (tmp_path / "o").iterdir() if not p.name.startswith("."))


def _fake_run(folder: Path, errors: np.ndarray, ids: np.ndarray, **record: object) -> Path:
    folder.mkdir()
    base = {"variant": "XS", "dataset": "h36m", "metric": "MPJPE", "alignment": "none", "per_action_mm": {}}
    (folder / "metrics.json").write_text(json.dumps({**base, "total_mm": float(np.nanmean(errors)), **record}))
    np.savez(folder / "samples.npz", image_id=ids, headline=errors)
    return folder


def test_compare_pairs_the_same_frames_in_any_order_and_only_on_the_same_data(tmp_path: Path) -> None:
    from cnp_core._evaluation.comparison import load_run, paired_difference

    rng = np.random.default_rng(3)
    errors = rng.gamma(4.0, 12.0, size=(200, 17))
    ids = np.arange(200) * 7
    base = load_run(_fake_run(tmp_path / "base", errors, ids, data_fingerprint="A"))
    flipped = load_run(_fake_run(tmp_path / "flipped", (errors + 3.0)[::-1], ids[::-1], data_fingerprint="A"))
    paired = paired_difference(flipped, base)
    assert paired["paired"] is True and paired["delta_ci95"] == pytest.approx([3.0, 3.0]) and paired["verdict"] == "regression"
    elsewhere = load_run(_fake_run(tmp_path / "elsewhere", errors, ids, data_fingerprint="B"))
    other = paired_difference(elsewhere, base)
    assert other["paired"] is False and "different data" in other["reason"]
    broken = errors.copy()
    broken[5, 3] = np.nan
    nan_run = load_run(_fake_run(tmp_path / "nan", broken, ids, data_fingerprint="A"))
    assert paired_difference(nan_run, base)["paired"] is False


def test_impossible_totals_and_resource_settings_are_refused(tmp_path: Path) -> None:
    run = _fake_run(tmp_path / "neg", np.full((4, 17), 10.0), np.arange(4))
    record = json.loads((run / "metrics.json").read_text())
    record["total_mm"] = -4.0
    (run / "metrics.json").write_text(json.dumps(record))
    result = runner.invoke(app, ["compare", str(run)])
    assert result.exit_code == 1 and "-4.0 mm is impossible" in result.stderr
    for flag, value, said in (("--bootstrap", "1", "100 to 100000 resamples"), ("--workers", "1000", "from 0 to 64")):
        refused = runner.invoke(app, ["eval", "--variant", "XS", "--demo", "--output", str(tmp_path / "o"), flag, value])
        err = refused.stderr[refused.stderr.index("error: ") :]  # after the demo's notice
        assert refused.exit_code == 1 and err.startswith(f"error: {flag} {value}") and said in err, refused.output


def test_a_second_rootnet_entry_for_one_image_is_an_error_not_a_silent_winner(tmp_path: Path) -> None:
    from cnp_core import DataError
    from cnp_h36m.rootnet import load_bbox_root

    entry = {"image_id": 7, "bbox": [10, 10, 100, 100], "root_cam": [0, 0, 5000]}
    path = tmp_path / "bbox_root_human36m_output.json"
    path.write_text(json.dumps([entry, {**entry, "image_id": 8}, {**entry, "root_cam": [0, 0, 4000]}]))
    with pytest.raises(DataError, match=r"image_id 7 has two entries \(0 and 2\)"):
        load_bbox_root(path)


@pytest.mark.slow  # two short trainings
def test_resume_refuses_a_changed_recipe_or_variant_unless_asked(train_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert _train(train_dir, out).exit_code == 0  # type: ignore[attr-defined]
    changed = _train(train_dir, out, "--resume", "--epochs", "2", "--lr", "0.0005")
    err = changed.stderr  # type: ignore[attr-defined]
    assert changed.exit_code == 1 and "changed recipe (epochs 1 -> 2, lr 0.001 -> 0.0005)" in err and "--resume-changed" in err, (
        err
    )  # type: ignore[attr-defined]
    other = runner.invoke(
        app,
        [
            "train",
            "--variant",
            "S",
            "--data-dir",
            str(train_dir),
            "--epochs",
            "1",
            "--warmup-epochs",
            "0",
            "--batch-size",
            "4",
            "--workers",
            "0",
            "--output",
            str(out),
            "--resume",
        ],
    )
    assert other.exit_code == 1 and "are of variant XS, not S" in other.stderr, other.output
    frozen = _train(train_dir, out, "--resume", "--freeze-backbone", "--resume-changed")
    assert frozen.exit_code == 1 and "cannot switch freeze_backbone" in frozen.stderr  # type: ignore[attr-defined]
    accepted = _train(train_dir, out, "--resume", "--epochs", "2", "--lr", "0.0005", "--resume-changed")
    assert accepted.exit_code == 0, accepted.output  # type: ignore[attr-defined]
    config = json.loads((out / "train_config.json").read_text())
    assert config["recipe_changes"] == [{"from_epoch": 1, "changed": {"epochs": [1, 2], "lr": [0.001, 0.0005]}}]
    assert (out / "snapshot_1.pth.tar").is_file()


def test_devices_cnp_cannot_run_on_and_ignored_checkpoints_are_one_line(tmp_path: Path) -> None:
    for device in ("meta", "mps"):
        result = runner.invoke(app, ["eval", "--variant", "XS", "--demo", "--device", device, "--output", str(tmp_path)])
        err = result.stderr[result.stderr.index("error: ") :]
        assert result.exit_code == 1 and err.startswith(f"error: --device '{device}': cnp runs on cpu or cuda"), result.output
    both = runner.invoke(
        app, ["eval", "--variant", "XS", "--backend", "onnxruntime", "--model", "m.onnx", "--checkpoint", "c.pth"]
    )
    assert both.exit_code == 1 and "--model FILE.onnx is the whole model" in both.stderr, both.output


def _editable(h36m_dir: Path, dest: Path) -> Path:
    """A data folder sharing the images (a link) with editable copies of the JSON files."""
    import shutil

    shutil.copytree(h36m_dir / "annotations", dest / "annotations")
    shutil.copytree(h36m_dir / "bbox_root", dest / "bbox_root")
    (dest / "images").symlink_to(h36m_dir / "images")
    return dest


@pytest.mark.slow  # parses and evaluates edited copies of the data
def test_skipped_boxes_are_counted_and_named_bad_cameras_and_ids_refused(h36m_dir: Path, tmp_path: Path) -> None:
    from cnp_core import random_state_dict, write_checkpoint

    data = _editable(h36m_dir, tmp_path / "H")
    ann_file = data / "annotations" / "Human36M_subject11_data.json"
    content = json.loads(ann_file.read_text())
    first = content["annotations"][0]
    first["bbox"] = [5000.0, 5000.0, 100.0, 100.0]  # wholly outside the 1000x1002 image: the official loader drops it
    ann_file.write_text(json.dumps(content))
    checked = runner.invoke(app, ["data", "check", str(data), "--protocol", "1", "--json"])
    report = json.loads(checked.stdout)
    assert checked.exit_code == 0 and report["ok"] and "1 GT box(es) are empty once clipped" in report["notes"][0], checked.output
    ckpt = write_checkpoint(random_state_dict("XS"), tmp_path / "x.safetensors", form="safetensors")
    args = ["eval", "--variant", "XS", "--checkpoint", str(ckpt), "--data-dir", str(data), "--protocol", "1", "--no-flip"]
    result = runner.invoke(app, [*args, "--workers", "0", "--output", str(tmp_path / "o"), "--bootstrap", "0"])
    assert result.exit_code == 0 and "1 sample(s) skipped" in result.stderr and f"image {first['image_id']}" in result.stderr, (
        result.output
    )
    # two images with one id
    content["annotations"][0]["bbox"] = content["annotations"][1]["bbox"]
    content["images"][1]["id"] = content["images"][0]["id"]
    ann_file.write_text(json.dumps(content))
    dup = runner.invoke(app, [*args, "--workers", "0", "--output", str(tmp_path / "o2")])
    assert dup.exit_code == 1 and "is used by" in dup.stderr and "every image needs its own id" in dup.stderr, dup.output
    # a camera that puts the subject behind it
    shutil_data = _editable(h36m_dir, tmp_path / "C")
    cam_file = shutil_data / "annotations" / "Human36M_subject11_camera.json"
    cameras = json.loads(cam_file.read_text())
    cameras["1"]["t"] = [0.0, 0.0, -20000.0]
    cam_file.write_text(json.dumps(cameras))
    behind = runner.invoke(
        app,
        [
            "eval",
            "--variant",
            "XS",
            "--checkpoint",
            str(ckpt),
            "--data-dir",
            str(shutil_data),
            "--protocol",
            "1",
            "--output",
            str(tmp_path / "o3"),
        ],
    )
    assert behind.exit_code == 1 and "behind the camera" in behind.stderr, behind.output


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ('epochs = "ten"', "setting epochs = 'ten': expected a whole number"),
        ("epochs = 2.5", "setting epochs = 2.5: expected a whole number"),
        ("batch_size = 1.5", "setting batch_size = 1.5: expected a whole number"),
        ("betas = [2.0, 3.0]", "setting betas = (2.0, 3.0): use two numbers from 0 to below 1"),
        ("seed = -1", "setting seed = -1: use 0 or a positive whole number"),
        ('augment = "no"', "setting augment = 'no': expected true or false"),
        ("lr = inf", "setting lr = inf: expected a finite number"),
    ],
)
def test_a_recipe_file_with_a_wrong_setting_is_named_before_anything_runs(tmp_path: Path, setting: str, said: str) -> None:
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(setting + "\n")
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["train", "--variant", "XS", "--data-dir", str(tmp_path), "--config", str(recipe), "--output", str(out)]
    )
    assert result.exit_code == 1 and result.stderr.startswith(f"error: config file {recipe}: {said}"), result.output
    assert not out.exists()  # refused before anything was written


def test_the_library_names_a_config_of_the_wrong_type(tmp_path: Path) -> None:
    from cnp_core import ParameterError, train_model

    with pytest.raises(ParameterError, match=r"config 'dict': pass a cnp_core\.TrainConfig"):
        train_model("XS", tmp_path, dataset="h36m", output_dir=tmp_path / "o", config={"epochs": 1})  # type: ignore[arg-type]


@pytest.mark.parametrize("epoch", [float("nan"), float("inf"), "70"])
def test_a_damaged_epoch_label_does_not_stop_inspect_or_convert(tmp_path: Path, epoch: object) -> None:
    import torch

    from cnp_core import random_state_dict

    path = tmp_path / "snapshot.pth.tar"
    torch.save({"epoch": epoch, "network": {f"module.{k}": v for k, v in random_state_dict("XS").items()}}, path)
    shown = runner.invoke(app, ["inspect", str(path), "--json"])
    assert shown.exit_code == 0 and json.loads(shown.stdout)["epoch"] is None, shown.output
    converted = runner.invoke(app, ["convert", str(path), str(tmp_path / "w.safetensors"), "--variant", "XS"])
    assert converted.exit_code == 0, converted.output


@pytest.mark.slow  # a whole evaluation
def test_an_unusable_cache_folder_means_running_uncached(h36m_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cnp_core import random_state_dict, write_checkpoint

    blocker = tmp_path / "cache-is-a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("CNP_CACHE_DIR", str(blocker))
    ckpt = write_checkpoint(random_state_dict("XS"), tmp_path / "x.safetensors", form="safetensors")
    args = ["eval", "--variant", "XS", "--checkpoint", str(ckpt), "--data-dir", str(h36m_dir), "--protocol", "1", "--no-flip"]
    with pytest.warns(UserWarning, match="patch cache unusable"):
        result = runner.invoke(app, [*args, "--workers", "0", "--output", str(tmp_path / "o"), "--json", "--bootstrap", "0"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["num_samples"] == 60 and blocker.read_text() == "not a folder"


@pytest.mark.parametrize("field", ["id", "frame_idx", "width"])
def test_a_string_where_a_number_belongs_is_named_by_data_check(h36m_dir: Path, tmp_path: Path, field: str) -> None:
    data = _editable(h36m_dir, tmp_path / "H")
    ann_file = data / "annotations" / "Human36M_subject11_data.json"
    content = json.loads(ann_file.read_text())
    content["images"][0][field] = str(content["images"][0][field])
    ann_file.write_text(json.dumps(content))
    result = runner.invoke(app, ["data", "check", str(data), "--protocol", "1", "--json"])
    problems = json.loads(result.stdout)["problems"]
    assert result.exit_code == 1 and any(f"field '{field}'" in p and "not a whole number" in p for p in problems), result.output


def test_a_hostile_checkpoint_gets_cnps_words_never_torchs_advice(tmp_path: Path) -> None:
    import torch

    class Evil:
        def __reduce__(self) -> tuple[object, ...]:
            return (eval, ("1 + 1",))

    path = tmp_path / "evil.pth"
    torch.save({"network": Evil()}, path)
    result = runner.invoke(app, ["inspect", str(path)])
    assert result.exit_code == 1 and "refused to load" in result.stderr, result.output
    for advice in ("weights_only=False", "add_safe_globals", "safe_globals", "allowlist"):
        assert advice not in result.stderr


def test_predict_on_a_one_pixel_image_is_one_line(tmp_path: Path) -> None:
    import cv2

    from cnp_core import random_state_dict, write_checkpoint

    image = tmp_path / "one.png"
    cv2.imwrite(str(image), np.zeros((1, 1, 3), dtype=np.uint8))
    ckpt = write_checkpoint(random_state_dict("XS"), tmp_path / "x.safetensors", form="safetensors")
    result = runner.invoke(app, ["predict", str(image), "-v", "XS", "-c", str(ckpt)])
    assert result.exit_code == 1 and result.stderr.startswith("error: the image is 1x1 pixels: too small"), result.output


@pytest.mark.parametrize(
    ("field", "value"),
    [("per_joint_mm", [1, 2]), ("metrics", "x"), ("metrics", {"mpjpe": {"label": "MPJPE", "unit": "mm", "total": "a"}})],
)
def test_compare_and_report_name_a_malformed_metrics_field(tmp_path: Path, field: str, value: object) -> None:
    run = _fake_run(tmp_path / "run", np.full((4, 17), 10.0), np.arange(4))
    record = json.loads((run / "metrics.json").read_text())
    record[field] = value
    (run / "metrics.json").write_text(json.dumps(record))
    for command in (["compare", str(run)], ["report", str(run), "--out", str(tmp_path / "r.md")]):
        result = runner.invoke(app, command)
        assert result.exit_code == 1 and result.stderr.startswith("error: ") and field in result.stderr, result.output
        assert "Traceback" not in result.output


def test_a_malformed_samples_table_is_not_paired_and_not_a_crash(tmp_path: Path) -> None:
    base = _fake_run(tmp_path / "base", np.full((4, 17), 10.0), np.arange(4))
    other = _fake_run(tmp_path / "other", np.full((4, 17), 12.0), np.arange(4))
    (other / "samples.npz").write_bytes(b"PK\\x03\\x04 not a real archive")
    result = runner.invoke(app, ["compare", str(base), str(other), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"][1]["paired"]["paired"] is False
    report = runner.invoke(app, ["report", str(base), str(other), "--out", str(tmp_path / "r.md")])
    assert report.exit_code == 0, report.output


@pytest.mark.parametrize("opset", ["7", "99"])
def test_an_onnx_opset_out_of_range_is_one_line(tmp_path: Path, opset: str) -> None:
    result = runner.invoke(
        app,
        [
            "export",
            "--variant",
            "XS",
            "--checkpoint",
            str(tmp_path / "none.pth"),
            "--opset",
            opset,
            "--out",
            str(tmp_path / "m.onnx"),
        ],
    )
    assert result.exit_code == 1 and result.stderr.startswith(f"error: --opset {opset}: use 11 to 20"), result.output


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"checkpoints": "model.tar"}, "checkpoints"),
        ({"checkpoints": [None]}, "checkpoints"),
        ({"data_dir": None}, "data_dir"),
        ({"options": [("protocol", 1)]}, "options"),
        ({"exclude": "S9_Greeting"}, "exclude"),
    ],
)
def test_library_evaluate_names_an_argument_of_the_wrong_kind(tmp_path: Path, kwargs: dict[str, object], named: str) -> None:
    import cnp_core

    call: dict[str, object] = {"checkpoints": [tmp_path / "m.tar"], "data_dir": tmp_path, "dataset": "h36m", **kwargs}
    checkpoints, data_dir = call.pop("checkpoints"), call.pop("data_dir")
    with pytest.raises(cnp_core.ParameterError, match=f"^{named} "):
        cnp_core.evaluate("XS", checkpoints, data_dir, output_dir=tmp_path / "o", **call)  # type: ignore[arg-type]


@pytest.mark.slow  # a training run with a loader worker
def test_a_training_image_that_vanishes_is_one_line_even_from_a_loader_worker(train_dir: Path, tmp_path: Path) -> None:
    import shutil

    data = tmp_path / "H"
    shutil.copytree(train_dir, data)
    victim = next((data / "images").rglob("*.jpg"))
    victim.write_bytes(b"\xff\xd8 broken")
    args = ["train", "--variant", "XS", "--data-dir", str(data), "--epochs", "1", "--warmup-epochs", "0", "--batch-size", "4"]
    result = runner.invoke(app, [*args, "--workers", "1", "--output", str(tmp_path / "run")])
    assert result.exit_code == 1, result.output
    err = result.stderr[result.stderr.index("error: ") :]
    assert (
        err.count("\n") == 1 and "cannot read training image" in err and "DataLoader worker" not in err and "Traceback" not in err
    ), err


@pytest.mark.slow  # a training run
def test_training_says_which_samples_it_skips_as_the_official_loader_does(train_dir: Path, tmp_path: Path) -> None:
    data = _editable(train_dir, tmp_path / "H")
    ann_file = data / "annotations" / "Human36M_subject1_data.json"
    content = json.loads(ann_file.read_text())
    content["annotations"][0]["bbox"] = [9000.0, 9000.0, 50.0, 50.0]
    ann_file.write_text(json.dumps(content))
    with pytest.warns(UserWarning, match=r"1 sample\(s\) of the Protocol 2 training split skipped.*empty once clipped"):
        result = _train(data, tmp_path / "run")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    sets = json.loads((tmp_path / "run" / "train_config.json").read_text())["sets"]
    assert sets[0]["samples"] == 19 and "skipped" in sets[0]["notes"][0]


def test_a_name_too_long_once_staged_is_refused_before_any_work(tmp_path: Path) -> None:
    from cnp_core import random_state_dict, write_checkpoint

    long_name = "w" * 230 + ".safetensors"  # 242 bytes: the file fits (255); its run folder (249) does, staged (265) not
    ckpt = write_checkpoint(random_state_dict("XS"), tmp_path / "w.safetensors", form="safetensors").rename(tmp_path / long_name)
    result = runner.invoke(app, ["eval", "--variant", "XS", "--demo", "--checkpoint", str(ckpt), "--output", str(tmp_path / "o")])
    err = result.stderr[result.stderr.index("error: ") :]
    assert result.exit_code == 1 and "too long for this file system" in err and err.count("\n") == 1, result.output
    assert "img/s" not in result.stderr  # refused before inference
