"""The run folder: one record type, written with a schema version, and the previous layout still read.

``tests/fixtures/runs_v1`` holds two run folders written by cnp 0.1 (before ``schema_version``):
``cnp eval --variant XS --demo --bootstrap 100``, with and without flip.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cnp_core
from cnp_cli.app import app

runner = CliRunner()
V1 = Path(__file__).resolve().parents[1] / "fixtures" / "runs_v1"
V1_RUNS = sorted(V1.iterdir())


def test_a_run_folder_of_the_previous_layout_reads_as_schema_1() -> None:
    raw = json.loads((V1_RUNS[0] / "metrics.json").read_text())
    assert "schema_version" not in raw
    run = cnp_core.read_run(V1_RUNS[0])
    assert run.schema_version == 1
    assert run.total == raw["total"] and run.total_mm == raw["total_mm"] and run.unit == "mm"
    assert run.label == V1_RUNS[0].name and run.folder == V1_RUNS[0]
    assert dict(run.per_action) == raw["per_action"]


def test_previous_layout_runs_compare() -> None:
    result = runner.invoke(app, ["compare", *map(str, V1_RUNS), "--json"])
    assert result.exit_code == 0, result.output
    comparison = json.loads(result.stdout)
    totals = {row["label"]: row["total"] for row in comparison["rows"]}
    for folder in V1_RUNS:
        assert totals[folder.name] == json.loads((folder / "metrics.json").read_text())["total"]


@pytest.mark.slow
def test_previous_layout_runs_report(tmp_path: Path) -> None:
    report = runner.invoke(app, ["report", *map(str, V1_RUNS), "--out", str(tmp_path / "r.md"), "--worst", "0", "--json"])
    assert report.exit_code == 0, report.output
    assert "MPJPE" in (tmp_path / "r.md").read_text()


@pytest.mark.slow  # a whole evaluation; tests/core/test_core_alone.py checks the round trip quickly
def test_new_runs_carry_the_schema_version_and_round_trip(tmp_path: Path) -> None:
    (run,) = cnp_core.evaluate(
        "XS",
        [_demo_checkpoint()],
        _demo_folder(),
        dataset="h36m",
        output_dir=tmp_path,
        bootstrap=0,
        progress=False,
        patch_cache=False,
    )
    written = json.loads((run.folder / "metrics.json").read_text())
    assert written["schema_version"] == cnp_core.SCHEMA_VERSION == 2
    again = cnp_core.RunRecord.from_json(json.loads(run.to_json()), run.path)
    assert again == cnp_core.read_run(run.folder)
    assert (
        (again.total, again.unit, again.metric)
        == (run.total, run.unit, run.metric)
        == (written["total"], "mm", written["metric"])
    )


def test_a_newer_schema_is_refused_in_one_line(tmp_path: Path) -> None:
    folder = tmp_path / V1_RUNS[0].name
    shutil.copytree(V1_RUNS[0], folder)
    record = json.loads((folder / "metrics.json").read_text())
    (folder / "metrics.json").write_text(json.dumps({**record, "schema_version": 99}))
    result = runner.invoke(app, ["compare", str(folder), str(V1_RUNS[1])])
    assert result.exit_code == 1 and result.stderr.count("\n") == 1, result.output
    assert "schema_version 99" in result.stderr and "upgrade cnp" in result.stderr
    with pytest.raises(cnp_core.DataError, match="newer than this cnp reads"):
        cnp_core.read_run(folder)


def _demo_folder() -> Path:
    from cnp_cli.demo import demo_root

    return cnp_core.demo_data(demo_root(), "h36m")


def _demo_checkpoint() -> Path:
    from cnp_cli.demo import demo_checkpoint, demo_root

    return demo_checkpoint(demo_root(), "XS")
