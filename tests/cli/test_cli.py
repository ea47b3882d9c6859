"""The ``cnp`` command: JSON purity, one-line errors, every issue-3/4 command end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cnp_cli.app import app

runner = CliRunner()


def cnp(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a user runs it."""
    exe = Path(sys.executable).with_name("cnp")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=600)


def test_variants_json() -> None:
    result = runner.invoke(app, ["variants", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["M"]["params_m"] == pytest.approx(7.587, abs=1e-3)
    assert rows["L"]["gmacs"] == pytest.approx(4.264, abs=1e-2)
    assert rows["XS"]["upsample_layers"] == 2 and rows["M"]["upsample_layers"] == 3
    published = {(p["setting"]["protocol"], p["metric"]): p["mm"] for p in rows["M"]["published"] if p["dataset"] == "h36m"}
    assert published == {(2, "MPJPE"): 51.05, (1, "PA MPJPE"): 34.5}
    assert [(p["setting"], p["mm"]) for p in rows["XS"]["published"]] == [({"protocol": 2}, 56.61)]
    assert rows["XS-wide"]["plugin"] == "cnp-example-plugin"


def test_plugins_json_shows_third_party() -> None:
    result = runner.invoke(app, ["plugins", "--json"])
    plugins = {p["name"]: p for p in json.loads(result.stdout)}
    assert plugins["cnp-example-plugin"]["registered"] == {
        "head": ["transpose-up"],
        "variant": ["XS-wide", "XS-tiny14"],
        "dataset": ["h36m-14"],
        "evaluator": ["mpjpe-14"],
        "checkpoint format": ["npz"],
    }
    assert plugins["cnp-heads"]["version"] == "0.1.0"


def test_synth_inspect_convert_roundtrip(tmp_path: Path) -> None:
    tar = tmp_path / "ConvNeXtPose_M.tar"
    result = runner.invoke(
        app, ["checkpoints", "synth", "--variant", "L", "--out", str(tar), "--form", "zip-tar", "--legacy-head", "--epoch", "83"]
    )
    assert result.exit_code == 0, result.output
    info = json.loads(runner.invoke(app, ["inspect", str(tar), "--json"]).stdout)
    assert info["format"] == "torch-zip" and info["epoch"] == 83 and info["detected_variants"] == ["L"]
    assert set(info["remaps"]) == {"strip-module-prefix", "legacy-head-keys"}
    assert info["param_count"] == 8_380_352
    bad = runner.invoke(app, ["inspect", str(tar), "--variant", "M", "--json"])
    assert bad.exit_code == 1
    assert json.loads(bad.stdout)["fits"] is False
    assert bad.stderr.startswith("error: ") and bad.stderr.count("\n") == 1 and "--variant L" in bad.stderr
    st = tmp_path / "l.safetensors"
    assert runner.invoke(app, ["convert", str(tar), str(st)]).exit_code == 0
    back = tmp_path / "snapshot_83.pth.tar"
    assert runner.invoke(app, ["convert", str(st), str(back), "--variant", "L"]).exit_code == 0
    again = json.loads(runner.invoke(app, ["inspect", str(back), "--json", "--variant", "L"]).stdout)
    assert again["fits"] and again["epoch"] == 83 and again["remaps"] == ["strip-module-prefix"]


def test_unknown_variant_is_one_line_with_suggestion(tmp_path: Path) -> None:
    result = runner.invoke(app, ["checkpoints", "synth", "--variant", "xl", "--out", str(tmp_path / "x.pth")])
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("error: unknown variant 'xl'.") and "Did you mean" in result.stderr
    assert result.stderr.count("\n") == 1


def _eval_args(data: Path, ckpt: Path, out: Path, *extra: str) -> list[str]:
    return [
        "eval",
        "--variant",
        "XS",
        "--checkpoint",
        str(ckpt),
        "--data-dir",
        str(data),
        "--output",
        str(out),
        "--workers",
        "0",
        *extra,
    ]


def test_eval_writes_official_files(h36m_dir: Path, tmp_path: Path) -> None:
    ckpt = tmp_path / "snapshot_67.pth.tar"
    runner.invoke(app, ["checkpoints", "synth", "--variant", "XS", "--out", str(ckpt), "--epoch", "67"])
    result = runner.invoke(app, _eval_args(h36m_dir, ckpt, tmp_path / "out", "--json", "--protocol", "1", "--bbox", "rootnet"))
    assert result.exit_code == 0, result.output
    (record,) = json.loads(result.stdout)
    assert record["metric"] == "PA MPJPE" and record["alignment"] == "rigid" and record["protocol"] == 1
    assert record["num_samples"] == 60 and record["epoch"] == 67 and record["bbox"] == "rootnet"
    assert record["setting"] == {"protocol": 1} and record["dataset_options"] == ["protocol", "bbox", "bbox_root"]
    assert len(record["per_action_mm"]) == 15 and len(record["per_joint_mm"]) == 17
    run = Path(record["run_dir"])
    assert json.loads((run / "metrics.json").read_text())["checkpoint_sha256"] == record["checkpoint_sha256"]
    results = json.loads((run / "bbox_root_pose_human36m_output.json").read_text())
    assert len(results) == 60 and set(results[0]) == {"image_id", "joint_cam", "bbox", "root_cam"}
    assert len(results[0]["joint_cam"]) == 17 and results[0]["joint_cam"][0] != [0.0, 0.0, 0.0]  # aligned for P1


@pytest.mark.slow
def test_eval_literal_and_optimized_agree(h36m_dir: Path, tmp_path: Path) -> None:
    ckpt = tmp_path / "m.safetensors"
    runner.invoke(app, ["checkpoints", "synth", "--variant", "M", "--out", str(ckpt), "--form", "safetensors", "--seed", "4"])
    fast = runner.invoke(app, [*_eval_args(h36m_dir, ckpt, tmp_path / "a", "--json", "--protocol", "1"), "--variant", "M"])
    slow = runner.invoke(
        app, [*_eval_args(h36m_dir, ckpt, tmp_path / "b", "--json", "--protocol", "1", "--no-optimize"), "--variant", "M"]
    )
    (a,), (b,) = json.loads(fast.stdout), json.loads(slow.stdout)
    assert abs(a["total_mm"] - b["total_mm"]) < 1e-3
    assert a["optimized"] and not b["optimized"]


def test_eval_wrong_variant_fails_before_data(tmp_path: Path) -> None:
    ckpt = tmp_path / "s.pth.tar"
    runner.invoke(app, ["checkpoints", "synth", "--variant", "S", "--out", str(ckpt)])
    result = runner.invoke(app, _eval_args(tmp_path / "no-data-here", ckpt, tmp_path / "out", "--json"))
    assert result.exit_code == 1 and result.stdout == ""
    assert "does not fit variant XS" in result.stderr and "it is variant S" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_eval_epoch_range_and_missing_epoch(h36m_dir: Path, tmp_path: Path) -> None:
    dump = tmp_path / "model_dump"
    for epoch in (68, 69):
        runner.invoke(
            app,
            ["checkpoints", "synth", "--variant", "XS", "--out", str(dump / f"snapshot_{epoch}.pth.tar"), "--epoch", str(epoch)],
        )
    ok = runner.invoke(
        app,
        [
            "eval",
            "--variant",
            "XS",
            "--model-dir",
            str(dump),
            "--epochs",
            "68-69",
            "--data-dir",
            str(h36m_dir),
            "--output",
            str(tmp_path / "o"),
            "--workers",
            "0",
            "--no-flip",
            "--json",
        ],
    )
    assert [r["epoch"] for r in json.loads(ok.stdout)] == [68, 69]
    missing = runner.invoke(
        app, ["eval", "--variant", "XS", "--model-dir", str(dump), "--epochs", "70", "--data-dir", str(h36m_dir)]
    )
    assert missing.exit_code == 1 and "epochs there: 68, 69" in missing.stderr


def test_bad_data_dir_is_one_line(tmp_path: Path) -> None:
    ckpt = tmp_path / "x.pth.tar"
    runner.invoke(app, ["checkpoints", "synth", "--variant", "XS", "--out", str(ckpt)])
    result = runner.invoke(app, _eval_args(tmp_path / "nowhere", ckpt, tmp_path / "out"))
    assert result.exit_code == 1 and result.stderr.count("\n") == 1 and "does not exist" in result.stderr


@pytest.mark.slow
def test_demo_json_stdout_is_one_document(tmp_path: Path) -> None:
    proc = cnp(
        "eval",
        "--variant",
        "XS",
        "--demo",
        "--json",
        "--output",
        str(tmp_path / "out"),
        env={"CNP_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert proc.returncode == 0, proc.stderr
    records = json.loads(proc.stdout)
    assert records[0]["num_samples"] == 60 and records[0]["variant"] == "XS"
    assert "RANDOM weights" in proc.stderr


def test_help_lists_commands_without_importing_torch() -> None:
    """`cnp --help` is fast because the CLI imports torch, numpy and the plugins only inside commands."""
    proc = cnp("--help")
    assert proc.returncode == 0
    for command in ("eval", "variants", "inspect", "convert", "plugins", "checkpoints", "data"):
        assert command in proc.stdout
    probe = "import sys, cnp_cli.app; print(sorted(m for m in ('torch', 'numpy', 'cnp_h36m', 'timm') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"


def test_eval_writes_every_metric_and_the_per_sample_table(h36m_dir: Path, tmp_path: Path) -> None:
    ckpt = tmp_path / "xs.pth"
    runner.invoke(app, ["checkpoints", "synth", "--variant", "XS", "--out", str(ckpt)])
    p1 = runner.invoke(app, _eval_args(h36m_dir, ckpt, tmp_path / "out", "--json", "--protocol", "1", "--no-flip"))
    p2 = runner.invoke(app, _eval_args(h36m_dir, ckpt, tmp_path / "out", "--json", "--no-flip", "--bbox", "rootnet"))
    (one,), (two,) = json.loads(p1.stdout), json.loads(p2.stdout)
    # the headline stays first and equals the metric of the same definition, exactly
    assert list(one)[:2] == ["variant", "checkpoint"] and one["metric"] == "PA MPJPE"
    assert one["metrics"]["pa_mpjpe_rigid"]["total"] == one["total_mm"]
    assert two["metrics"]["mpjpe"]["total"] == two["total_mm"]
    assert two["metrics"]["mpjpe"]["per_action"] == two["per_action_mm"]
    assert set(one["metrics"]) == {"mpjpe", "pa_mpjpe_rigid", "p_mpjpe", "n_mpjpe", "pck150", "auc"}
    assert set(two["metrics"]) == set(one["metrics"]) | {"mrpe", "abs_mpjpe"}  # RootNet boxes: camera-space metrics
    for m in two["metrics"].values():
        assert m["definition"] and m["ci95"][0] <= m["total"] <= m["ci95"][1]
    assert two["total_ci95_mm"] == two["metrics"]["mpjpe"]["ci95"]
    assert two["bootstrap"] == {"resamples": 1000, "seed": 0, "level": 0.95, "over": "frames"}
    # the per-sample table: numpy alone, no pickle
    run = Path(two["run_dir"])
    assert "samples.npz" in two["files"]
    with np.load(run / "samples.npz", allow_pickle=False) as table:
        n = two["num_samples"]
        assert table["image_id"].shape == (n,) and table["mpjpe"].shape == (n, 17) and table["mrpe"].shape == (n, 1)
        assert table["pred_cam_mm"].shape == (n, 18, 3) and set(table["subject"].tolist()) == {9, 11}
        assert float(table["mpjpe"].astype(np.float64).mean()) == pytest.approx(two["total_mm"], rel=1e-6)
        results = json.loads((run / "bbox_root_pose_human36m_output.json").read_text())
        assert table["image_id"].tolist() == [r["image_id"] for r in results]
        assert table["sequence"][0].startswith("S9_")


def test_exclude_leaves_sequences_out_and_says_so(h36m_dir: Path, tmp_path: Path) -> None:
    ckpt = tmp_path / "xs.pth"
    runner.invoke(app, ["checkpoints", "synth", "--variant", "XS", "--out", str(ckpt)])
    args = _eval_args(h36m_dir, ckpt, tmp_path / "out", "--json", "--protocol", "1", "--no-flip", "--bootstrap", "0")
    (full,) = json.loads(runner.invoke(app, args).stdout)
    (cut,) = json.loads(runner.invoke(app, [*args, "--exclude", "S11_Greeting,S11_Sitting*"]).stdout)
    # S11_Sitting* matches Sitting and SittingDown; every sequence holds 2 cameras x 2 frames here
    assert cut["excluded"] == {
        "patterns": ["S11_Greeting", "S11_Sitting*"],
        "sequences": ["S11_Greeting_1", "S11_SittingDown_1", "S11_Sitting_1"],
        "samples": 12,
    }
    assert cut["num_samples"] == full["num_samples"] - 12 and cut["run_dir"] != full["run_dir"]
    assert cut["per_action_mm"]["Greeting"] is None and full["per_action_mm"]["Greeting"] is not None
    assert cut["per_action_mm"]["Walking"] == full["per_action_mm"]["Walking"]
    assert full["excluded"] is None and full["total_ci95_mm"] is None
    bad = runner.invoke(app, [*args, "--exclude", "S7_Greeting"])
    assert bad.exit_code == 1 and "--exclude 'S7_Greeting': matches no sequence" in bad.stderr


def test_the_library_front_door_returns_typed_records(h36m_dir: Path, tmp_path: Path) -> None:
    import cnp_core
    from cnp_core import random_state_dict, write_checkpoint

    ckpt = write_checkpoint(random_state_dict("XS", seed=5), tmp_path / "snapshot_9.pth.tar", form="pth", epoch=9)
    common = {"dataset": "h36m", "flip": False, "workers": 0, "bootstrap": 200, "output_dir": tmp_path / "out"}
    (run,) = cnp_core.evaluate("XS", [ckpt], h36m_dir, options={"protocol": 1}, **common)
    assert isinstance(run, cnp_core.RunRecord) and run.epoch == 9 and run.num_samples == 60
    assert run.options == {"protocol": 1, "bbox": "gt", "bbox_root": None} and run.metric == "PA MPJPE"
    assert run.total_mm == run.metrics["pa_mpjpe_rigid"]["total"] and run.total_ci95_mm is not None
    assert run.total_ci95_mm[0] <= run.total_mm <= run.total_ci95_mm[1]
    assert (run.run_dir / "metrics.json").is_file() and run.record["checkpoint_sha256"]
    with pytest.raises(cnp_core.ParameterError, match=r"^protocol 3: choose 1 or 2") as caught:
        cnp_core.evaluate("XS", [ckpt], h36m_dir, options={"protocol": 3}, **common)
    assert caught.value.parameter == "protocol"


def test_cache_shows_and_clears_its_parts(h36m_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNP_CACHE_DIR", str(tmp_path / "cache"))
    ckpt = tmp_path / "xs.pth"
    runner.invoke(app, ["checkpoints", "synth", "--variant", "XS", "--out", str(ckpt)])
    made = runner.invoke(app, _eval_args(h36m_dir, ckpt, tmp_path / "out", "--protocol", "1", "--no-flip", "--bootstrap", "0"))
    assert made.exit_code == 0, made.output
    (tmp_path / "cache" / "mine.txt").write_text("not cnp's")
    report = json.loads(runner.invoke(app, ["cache", "--json"]).stdout)
    assert report["patches"]["bytes"] >= 60 * 256 * 256 * 3 and report["splits"]["bytes"] > 0
    cleared = runner.invoke(app, ["cache", "--clear", "patches", "--json"])
    assert cleared.exit_code == 0 and json.loads(cleared.stdout)["patches"]["bytes"] == 0
    assert not (tmp_path / "cache" / "patches").exists() and (tmp_path / "cache" / "splits").is_dir()
    runner.invoke(app, ["cache", "--clear", "all"])
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["mine.txt"]  # only cnp's own parts go
    bad = runner.invoke(app, ["cache", "--clear", "everything"])
    assert bad.exit_code == 1 and "--clear 'everything': choose splits, patches, demo, variant_sizes.json or all" in bad.stderr
