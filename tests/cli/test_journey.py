"""After ``cnp eval``: compare, report, benchmark and predict, on real runs of generated data."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from cnp_cli.app import app

runner = CliRunner()
ACTIONS = (
    "Directions Discussion Eating Greeting Phoning Posing Purchases Sitting SittingDown Smoking Photo Waiting "
    "Walking WalkDog WalkTogether"
).split()


def invoke(*args: str) -> object:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def assert_real_png(path: Path, min_size: tuple[int, int] = (200, 300)) -> np.ndarray:
    """A decodable PNG with drawn content: not one flat colour, several distinct colours."""
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = cv2.imread(str(path))
    assert image is not None and image.shape[0] >= min_size[0] and image.shape[1] >= min_size[1]
    assert image.std() > 10
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 20
    return image


@pytest.fixture(scope="module")
def runs(h36m_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three XS runs: P2 with two checkpoints (seeds 1 and 2), and P1 with the first."""
    from cnp_core import random_state_dict, write_checkpoint

    root = tmp_path_factory.mktemp("journey")
    ckpts = {}
    for seed in (1, 2):
        ckpts[seed] = root / f"snapshot_{seed}.pth.tar"
        write_checkpoint(random_state_dict("XS", seed=seed), ckpts[seed], form="pth", epoch=seed)
    out = root / "runs"
    common = ["eval", "--variant", "XS", "--data-dir", str(h36m_dir), "--output", str(out), "--batch-size", "32", "--json"]
    common += ["--workers", "0", "--no-flip"]
    made = {}
    for name, seed, protocol in (("a", 1, 2), ("b", 2, 2), ("p1", 1, 1)):
        result = invoke(*common, "--checkpoint", str(ckpts[seed]), "--protocol", str(protocol))
        made[name] = Path(json.loads(result.stdout)[0]["run_dir"])  # type: ignore[attr-defined]
    made["checkpoint"] = ckpts[1]
    return made


def test_compare_json_is_consistent_with_the_runs(runs: dict[str, Path]) -> None:
    result = invoke("compare", str(runs["a"]), str(runs["b"] / "metrics.json"), "--baseline", "2", "--json")
    data = json.loads(result.stdout)  # type: ignore[attr-defined]
    metrics = [json.loads((runs[k] / "metrics.json").read_text()) for k in ("a", "b")]
    assert data["baseline"] == runs["b"].name and data["mixed"] is False
    assert data["actions"] == ACTIONS
    base = metrics[1]["total_mm"]
    for row, m in zip(data["rows"], metrics, strict=True):
        assert (
            row["variant"] == "XS" and row["epoch"] == m["epoch"] and row["setting"] == "protocol 2" and row["metric"] == "MPJPE"
        )
        assert row["options"] == {"protocol": 2, "bbox": "gt", "bbox_root": None}
        assert row["total_mm"] == m["total_mm"]
        assert row["delta_mm"] == pytest.approx(m["total_mm"] - base)
        assert row["delta_pct"] == pytest.approx(100 * (m["total_mm"] - base) / base)
        assert row["paper_mm"] == 56.61
        assert row["paper_delta_mm"] == pytest.approx(m["total_mm"] - 56.61)
        assert row["per_action_mm"] == m["per_action_mm"]
    assert data["rows"][1]["delta_mm"] == 0.0
    assert data["rows"][0]["epoch"] == 1 and data["rows"][1]["epoch"] == 2


def test_compare_table_and_plot(runs: dict[str, Path], tmp_path: Path) -> None:
    plot = tmp_path / "cmp.png"
    result = invoke("compare", str(runs["a"]), str(runs["b"]), "--plot", str(plot))
    text = result.stdout  # type: ignore[attr-defined]
    assert runs["a"].name in text and "56.61" in text and all(a in text for a in ACTIONS)
    assert_real_png(plot)


def test_compare_refuses_mixed_protocols(runs: dict[str, Path]) -> None:
    result = runner.invoke(app, ["compare", str(runs["a"]), str(runs["p1"])])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "--allow-mixed" in result.stderr and "PA MPJPE" in result.stderr
    mixed = json.loads(invoke("compare", str(runs["a"]), str(runs["p1"]), "--allow-mixed", "--json").stdout)  # type: ignore[attr-defined]
    assert mixed["mixed"] is True
    assert mixed["rows"][1]["paper_mm"] is None  # XS has no published Protocol 1 figure


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: d / "nothing-here", "does not exist"),
        (lambda d: (d / "metrics.json").write_text("{not json") and d, "not valid JSON"),
        (lambda d: (d / "metrics.json").write_text('{"variant": "XS"}') and d, "not a `cnp eval` metrics.json"),
    ],
)
def test_compare_bad_input(runs: dict[str, Path], tmp_path: Path, make: object, expected: str) -> None:
    target = make(tmp_path)  # type: ignore[operator]
    result = runner.invoke(app, ["compare", str(runs["a"]), str(target)])
    assert result.exit_code == 1 and expected in result.stderr and result.stderr.count("\n") == 1


def test_compare_baseline_errors(runs: dict[str, Path]) -> None:
    unknown = runner.invoke(app, ["compare", str(runs["a"]), str(runs["b"]), "--baseline", "XX"])
    assert unknown.exit_code == 1 and "unknown baseline 'XX'" in unknown.stderr and "Did you mean 'XS'" in unknown.stderr
    ambiguous = runner.invoke(app, ["compare", str(runs["a"]), str(runs["b"]), "--baseline", "xs"])
    assert ambiguous.exit_code == 1 and "matches several runs" in ambiguous.stderr


@pytest.mark.slow  # ~10 s: nine figures, three of them 3D
def test_report_lists_actions_paper_deltas_and_plots(runs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "rep" / "report.md"
    result = invoke("report", str(runs["a"]), str(runs["b"]), str(runs["p1"]), "--out", str(out), "--json", "--worst", "2")
    written = json.loads(result.stdout)  # type: ignore[attr-defined]
    text = out.read_text()
    # per group: action bars with intervals, error CDFs, per-joint bars, and each run's worst frames
    assert written["report"] == str(out) and written["groups"] == 2 and len(written["plots"]) == 5 + 4
    for plot in written["plots"]:
        assert Path(plot).parent == out.parent
        assert f"]({Path(plot).name})" in text
        assert_real_png(Path(plot))
    for action in ACTIONS:
        assert f"| {action} |" in text
    a = json.loads((runs["a"] / "metrics.json").read_text())
    assert f"{a['total_mm']:.2f}" in text and f"{a['total_mm'] - 56.61:+.2f}" in text
    assert "## Comparison with the paper" in text and "## Environment" in text
    assert "| XS | convnext-bn | 2/2/6/2 | 40/80/160/320 | deconv-2up (128 ch) | 32x32x32 | 3.528 | 0.815 |" in text
    assert f"| torch | {a['versions']['torch']} |" in text
    assert not list(out.parent.glob(".*.tmp"))
    assert "| PA-MPJPE (rigid) |" in text and "| 3DPCK@150mm |" in text
    with np.load(runs["a"] / "samples.npz") as table:
        worst = np.argsort(-table["headline"].astype(np.float64).mean(axis=1))[:2]
        ids = [int(table["image_id"][i]) for i in worst]
    line = next(x for x in text.splitlines() if x.startswith(f"Worst frames of `{runs['a'].name}`"))
    assert [int(part.split(" (")[0]) for part in line.split(": ", 1)[1].split("), ")] == ids
    assert sum("worst" in Path(p).name for p in written["plots"]) == 3


def test_benchmark_xs_cpu_one_iteration() -> None:
    result = invoke("benchmark", "--variant", "XS", "--batch-size", "1,2", "--iters", "1", "--device", "cpu", "--json")
    (report,) = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert report["variant"] == "XS" and report["params_m"] == pytest.approx(3.528008)
    assert report["gmacs"] == pytest.approx(0.8152, abs=1e-3)
    assert report["device"] == "cpu" and report["device_name"] and report["torch_threads"] >= 1
    assert report["flip"] is True and report["iters"] == 1
    assert set(report["modes"]) == {"optimized", "literal"}
    for rows in report["modes"].values():
        assert [r["batch_size"] for r in rows] == [1, 2]
        for r in rows:
            assert 0 < r["latency_ms_p50"] <= r["latency_ms_p90"]
            assert r["images_per_s"] == pytest.approx(r["batch_size"] * 1000 / r["latency_ms_p50"], rel=1e-3)
            assert r["peak_memory_mb"] > 100 and "RSS" in r["peak_memory_kind"]
    assert set(report["speedup"]) == {"1", "2"}
    table = invoke("benchmark", "--variant", "xs", "--batch-size", "1", "--iters", "1", "--mode", "optimized")
    assert "optimized" in table.stdout and "literal" not in table.stdout  # type: ignore[attr-defined]


def test_benchmark_bad_sizes() -> None:
    result = runner.invoke(app, ["benchmark", "--variant", "XS", "--batch-size", "1,x"])
    assert result.exit_code == 1 and "positive integers" in result.stderr


def test_predict_json_and_drawing(h36m_dir: Path, runs: dict[str, Path], tmp_path: Path) -> None:
    image = next((h36m_dir / "images").rglob("*.jpg"))
    png = tmp_path / "pose.png"
    args = ["predict", str(image), "--variant", "XS", "--checkpoint", str(runs["checkpoint"])]
    result = invoke(*args, "--bbox", "300,150,400,700", "--root-depth", "5000", "--out", str(png), "--json")
    data = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert len(data["joint_names"]) == 18 and data["joint_names"][0] == "Pelvis"
    joints2d, joints3d, cam = (np.array(data[k]) for k in ("joints_2d_px", "joints_3d_mm", "joints_cam_mm"))
    assert joints2d.shape == (18, 2) and joints3d.shape == (18, 3)
    x, y, w, h = data["crop_box"]
    assert (
        data["bbox"] == [300, 150, 400, 700] and w == pytest.approx(h) and w == pytest.approx(699 * 1.25)
    )  # reference: x2 = x1 + w - 1
    assert np.all((joints2d[:, 0] >= x) & (joints2d[:, 0] <= x + w) & (joints2d[:, 1] >= y) & (joints2d[:, 1] <= y + h))
    assert np.allclose(joints3d[0], 0) and np.allclose(joints3d, cam - cam[0], atol=2e-3)
    assert data["root_depth_mm"] == 5000 and not data["root_depth_estimated"]
    assert np.all(np.abs(cam[:, 2] - 5000) <= 1000.001)  # the depth grid spans +-1 m around the root
    fx, fy = data["focal"]
    cx, cy = data["principal_point"]
    assert np.allclose(cam[:, 0], (joints2d[:, 0] - cx) / fx * cam[:, 2], atol=0.01)
    assert np.allclose(cam[:, 1], (joints2d[:, 1] - cy) / fy * cam[:, 2], atol=0.01)
    assert_real_png(png)
    whole = json.loads(invoke(*args, "--no-flip", "--json").stdout)  # type: ignore[attr-defined]
    assert whole["bbox"] == [0, 0, 1000, 1002] and whole["root_depth_estimated"] is True
    table = invoke(*args)
    assert "Pelvis" in table.stdout and "R_Wrist" in table.stdout  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--bbox", "1,2,3"], "4 comma-separated numbers"),
        (["--variant", "M"], "--variant XS"),
        (["--variant", "XL"], "Did you mean"),
    ],
)
def test_predict_bad_input(h36m_dir: Path, runs: dict[str, Path], extra: list[str], expected: str) -> None:
    image = next((h36m_dir / "images").rglob("*.jpg"))
    args = ["predict", str(image), "--variant", "XS", "--checkpoint", str(runs["checkpoint"]), *extra]
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and expected in result.stderr and result.stderr.count("\n") == 1


def test_predict_corrupt_image(runs: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8 not really a jpeg")
    result = runner.invoke(app, ["predict", str(bad), "-v", "XS", "-c", str(runs["checkpoint"])])
    assert result.exit_code == 1 and "cannot decode" in result.stderr


def test_compare_pairs_runs_on_the_same_frames(runs: dict[str, Path]) -> None:
    result = invoke("compare", str(runs["a"]), str(runs["b"]), str(runs["p1"]), "--allow-mixed", "--json")
    rows = json.loads(result.stdout)["rows"]  # type: ignore[attr-defined]
    assert rows[0]["paired"] is None  # the baseline itself
    paired = rows[1]["paired"]
    assert paired["paired"] is True and paired["samples"] == 120
    lo, hi = paired["delta_ci95_mm"]
    assert lo <= rows[1]["delta_mm"] <= hi and paired["significant"] == (not lo <= 0 <= hi)
    with np.load(runs["a"] / "samples.npz") as a, np.load(runs["b"] / "samples.npz") as b:
        difference = b["headline"].astype(np.float64).mean(axis=1) - a["headline"].astype(np.float64).mean(axis=1)
    assert difference.mean() == pytest.approx(rows[1]["delta_mm"], abs=1e-4)
    assert rows[2]["paired"]["paired"] is False and "different frames" in rows[2]["paired"]["reason"]
    table = invoke("compare", str(runs["a"]), str(runs["b"]))
    assert "Δ 95% CI" in table.stdout  # type: ignore[attr-defined]
