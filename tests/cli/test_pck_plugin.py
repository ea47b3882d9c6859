"""The plugin guide's second plugin (docs/plugins.md) (a higher-is-better headline with its own metrics), from
tests/plugins/cnp-pck-plugin, which is the guide's two blocks verbatim: installed with pip into its
own folder and run through `cnp eval`, `compare` and `report` as a user would."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).parents[2]
PLUGIN = ROOT / "tests" / "plugins" / "cnp-pck-plugin"


def test_the_plugin_folder_is_the_readme_example() -> None:
    blocks = re.findall(r"```(?:toml|python)\n(.*?)```", (ROOT / "docs" / "plugins.md").read_text(), flags=re.DOTALL)
    assert (PLUGIN / "pyproject.toml").read_text() in blocks
    assert (PLUGIN / "my_pck_plugin.py").read_text() in blocks


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("pck_plugin")
    site = root / "site"
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", str(site)]
    subprocess.run([*pip, str(PLUGIN)], check=True, capture_output=True)
    out = dict(os.environ)
    out.update(PYTHONPATH=str(site), CNP_CACHE_DIR=str(root / "cache"))
    return out


def _cnp(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cnp_cli", *args], env=env, cwd=cwd, capture_output=True, text=True)


def _checkpoints(env: dict[str, str], cwd: Path) -> None:
    save = (
        "import torch, pathlib; from cnp_core import build_model, write_checkpoint\n"
        "for seed in (1, 2):\n"
        "    torch.manual_seed(seed); state = build_model('XS-reach').state_dict()\n"
        "    write_checkpoint(state, pathlib.Path(f'seed{seed}.safetensors'), form='safetensors')\n"
    )
    done = subprocess.run([sys.executable, "-c", save], env=env, cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.slow  # pip builds the plugin, then six `cnp` processes
def test_a_higher_is_better_headline_through_eval_compare_and_report(env: dict[str, str], tmp_path: Path) -> None:
    shown = _cnp(env, tmp_path, "eval", "--variant", "XS-reach", "--dataset", "reach4", "--demo", "--output", "demo")
    assert shown.returncode == 0, shown.stderr
    assert re.search(r"tot \(frame-wise\): 3DPCK@100 \d+\.\d %", shown.stdout) and "(higher is better)" in shown.stdout
    assert " mm" not in shown.stdout.split("tot (frame-wise):")[1].split("\n")[0]

    _checkpoints(env, tmp_path)
    run = _cnp(
        env,
        tmp_path,
        "eval",
        "--variant",
        "XS-reach",
        "--dataset",
        "reach4",
        "--demo",
        "--output",
        "runs",
        "--checkpoint",
        "seed1.safetensors",
        "--checkpoint",
        "seed2.safetensors",
        "--json",
    )
    assert run.returncode == 0, run.stderr
    records = json.loads(run.stdout)
    for record in records:
        assert record["metric"] == "3DPCK@100" and record["metric_name"] == "pck100"
        assert record["unit"] == "%" and record["higher_is_better"] is True
        assert not any(k.endswith("_mm") for k in record if k.startswith(("total", "per_", "action_mean")))
        table = np.load(tmp_path / record["run_dir"] / "samples.npz")
        # the headline is the percentage of the 3 scored joints within 100 mm, per sample: recomputed by hand
        pred, gt = table["pred_cam_mm"].astype(np.float64), table["gt_cam_mm"].astype(np.float64)
        errors = np.linalg.norm((pred - pred[:, :1]) - (gt - gt[:, :1]), axis=2)[:, 1:]
        assert record["total"] == pytest.approx(100.0 * (errors < 100.0).mean(), abs=1e-9)
        assert record["num_samples"] == 12 and set(record["per_action"]) == {"reach", "wave", "point"}
        metrics = record["metrics"]
        assert metrics["auc100"]["unit"] == "%" and metrics["auc100"]["higher_is_better"] is True
        thresholds = np.arange(0.0, 101.0, 10.0)
        assert metrics["auc100"]["total"] == pytest.approx(100 * (errors[..., None] < thresholds).mean(), abs=1e-4)
        assert metrics["max_joint_error"]["total"] == pytest.approx(errors.max(axis=1).mean(), rel=1e-4)
        assert metrics["pck150"]["unit"] == "%" and metrics["pck150"]["total"] == pytest.approx(
            100 * (errors < 150).mean(), abs=1e-4
        )
    totals = [r["total"] for r in records]
    assert totals[0] != totals[1], "the two seeds should score differently on the demo"
    better = int(np.argmax(totals))

    compared = _cnp(env, tmp_path, "compare", *(r["run_dir"] for r in records), "--json")
    assert compared.returncode == 0, compared.stderr
    comparison = json.loads(compared.stdout)
    assert comparison["unit"] == "%" and comparison["higher_is_better"] is True
    assert comparison["best"] == comparison["rows"][better]["label"]
    other = comparison["rows"][1]
    assert other["versus_base"] == ("better" if better == 1 else "worse")
    assert other["delta"] == pytest.approx(totals[1] - totals[0])
    paired = other["paired"]
    assert paired["paired"] is True and "delta_ci95_mm" not in paired
    if paired["significant"]:
        assert paired["verdict"] == ("improvement" if paired["delta_ci95"][0] > 0 else "regression")
        assert (paired["verdict"] == "improvement") == (better == 1)
    else:
        assert paired["verdict"] == "no clear difference"
    table_text = _cnp(env, tmp_path, "compare", *(r["run_dir"] for r in records))
    assert table_text.returncode == 0, table_text.stderr
    assert "total %" in table_text.stdout and "higher is better" in table_text.stdout and "total mm" not in table_text.stdout

    report = _cnp(env, tmp_path, "report", *(r["run_dir"] for r in records), "--out", "report/report.md", "--worst", "2")
    assert report.returncode == 0, report.stderr
    text = (tmp_path / "report" / "report.md").read_text()
    assert (
        "Per action (3DPCK@100, %, higher is better)" in text and "mm)" not in text.split("## reach4")[1].split("Every metric")[0]
    )
    for record in records:
        table = np.load(tmp_path / record["run_dir"] / "samples.npz")
        per_sample = table["headline"].astype(np.float64).mean(axis=1)
        line = next(li for li in text.splitlines() if li.startswith(f"Worst frames of `{Path(record['run_dir']).name}`"))
        assert "lowest per-sample 3DPCK@100" in line
        shown_ids = [int(i) for i in re.findall(r"(\d+) \(", line.split(":", 1)[1])]
        lowest = np.sort(per_sample)[:2]
        assert sorted(per_sample[shown_ids].tolist()) == pytest.approx(lowest.tolist())
