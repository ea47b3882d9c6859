"""`cnp eval --dataset mupots` as a user runs it: the official result files, the scores against an
independent reading of those files and annot.mat, every option, and bad input in one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.io import loadmat
from typer.testing import CliRunner

from cnp_cli.app import app

from .test_scoring import matlab_eval, matlab_groups, matlab_tables

runner = CliRunner()


def _eval(data: Path, ckpt: Path, out: Path, *extra: str) -> dict[str, object]:
    args = ["eval", "--variant", "XS-muco", "--dataset", "mupots", "--checkpoint", str(ckpt), "--data-dir", str(data)]
    result = runner.invoke(app, [*args, "--output", str(out), "--workers", "0", "--json", "--bootstrap", "0", *extra])
    assert result.exit_code == 0, result.output
    (record,) = json.loads(result.stdout)
    return record  # type: ignore[no-any-return]


def _official_evaluate(
    data: Path, coords: np.ndarray, boxes: str
) -> tuple[dict[str, list[np.ndarray]], dict[str, list[np.ndarray]]]:
    """The official MuPoTS loader and ``evaluate`` arithmetic, transcribed (output 32x32x32, 2000 mm)."""
    db = json.loads((data / "data" / "MuPoTS-3D.json").read_text())
    images = {img["id"]: img for img in db["images"]}
    samples = []
    if boxes == "gt":
        from cnp_core._data.crops import process_bbox  # the reference's own box processing, as in cnp's oracle tests

        for ann in db["annotations"]:
            if ann["is_valid"] == 0:
                continue
            img = images[ann["image_id"]]
            bbox = process_bbox(np.array(ann["bbox"]), img["width"], img["height"])
            if bbox is None:
                continue
            samples.append((img, bbox, np.array(ann["keypoints_cam"])[14]))
    else:
        for entry in json.loads((data / "bbox_root" / "bbox_root_mupots_output.json").read_text()):
            samples.append(
                (images[entry["image_id"]], np.array(entry["bbox"]).reshape(4), np.array(entry["root_cam"]).reshape(3))
            )
    pred_2d_save: dict[str, list[np.ndarray]] = {}
    pred_3d_save: dict[str, list[np.ndarray]] = {}
    for n, (img, bbox, root) in enumerate(samples):
        fx, fy, cx, cy = img["intrinsic"]
        f, c = np.array([fx, fy]), np.array([cx, cy])
        parts = ("data/MultiPersonTestSet/" + img["file_name"]).split("/")
        name = parts[-2] + "_" + parts[-1].split(".")[0]
        kpt = coords[n].copy()
        kpt = np.take(kpt, tuple(range(17)), axis=0)
        kpt[:, 0] = kpt[:, 0] / 32 * bbox[2] + bbox[0]
        kpt[:, 1] = kpt[:, 1] / 32 * bbox[3] + bbox[1]
        kpt[:, 2] = (kpt[:, 2] / 32 * 2 - 1) * (2000 / 2.0) + root[2]
        pred_2d_save.setdefault(name, []).append(kpt[:, :2])
        x = (kpt[:, 0] - c[0]) / f[0] * kpt[:, 2]
        y = (kpt[:, 1] - c[1]) / f[1] * kpt[:, 2]
        pred_3d_save.setdefault(name, []).append(np.concatenate((x[:, None], y[:, None], kpt[:, 2][:, None]), 1))
    return pred_2d_save, pred_3d_save


def _mat_body(data: bytes) -> bytes:
    return data[128:]  # after the header, whose text holds the time it was written


@pytest.mark.parametrize("boxes", ["rootnet", pytest.param("gt", marks=pytest.mark.slow)])
def test_the_mat_files_are_what_the_official_evaluate_writes(
    mupots_dir: Path, muco_checkpoint: Path, tmp_path: Path, boxes: str
) -> None:
    import io

    from scipy.io import savemat

    record = _eval(mupots_dir, muco_checkpoint, tmp_path, "--bbox", boxes)
    run = Path(str(record["run_dir"]))
    coords = np.load(run / "coords_heatmap.npy")
    pred_2d, pred_3d = _official_evaluate(mupots_dir, coords, boxes)
    for name, content in (("preds_2d_kpt_mupots.mat", pred_2d), ("preds_3d_kpt_mupots.mat", pred_3d)):
        buffer = io.BytesIO()
        savemat(buffer, content)
        assert _mat_body((run / name).read_bytes()) == _mat_body(buffer.getvalue()), name
    assert record["files"] == ["mupots_scores.json", "preds_2d_kpt_mupots.mat", "preds_3d_kpt_mupots.mat", "samples.npz"]


def _truth(data: Path, sequence: str) -> list[tuple[str, list[np.ndarray], list[np.ndarray]]]:
    """annot.mat read here with scipy alone: per frame the valid people's annot2 and univ_annot3."""
    cells = loadmat(str(data / "data" / "MultiPersonTestSet" / sequence / "annot.mat"))["annotations"]
    frames = []
    for i in range(cells.shape[0]):
        valid = [cells[i, k] for k in range(cells.shape[1]) if cells[i, k]["isValidFrame"][0, 0][0, 0]]
        frames.append(
            (f"{sequence}_img_{i:06d}", [v["annot2"][0, 0].T for v in valid], [v["univ_annot3"][0, 0].T for v in valid])
        )
    return frames


@pytest.mark.parametrize(
    ("people", "coords", "boxes"),
    [
        ("all", "relative", "rootnet"),
        pytest.param("matched", "relative", "rootnet", marks=pytest.mark.slow),
        pytest.param("all", "absolute", "gt", marks=pytest.mark.slow),
        pytest.param("matched", "absolute", "rootnet", marks=pytest.mark.slow),
    ],
)
def test_scores_equal_the_matlab_semantics_on_the_written_files(
    mupots_dir: Path, muco_checkpoint: Path, tmp_path: Path, people: str, coords: str, boxes: str
) -> None:
    record = _eval(mupots_dir, muco_checkpoint, tmp_path, "--bbox", boxes, "--people", people, "--coords", coords)
    run = Path(str(record["run_dir"]))
    preds_2d = {k: v for k, v in loadmat(str(run / "preds_2d_kpt_mupots.mat")).items() if not k.startswith("__")}
    preds_3d = {k: v for k, v in loadmat(str(run / "preds_3d_kpt_mupots.mat")).items() if not k.startswith("__")}
    sequences = [(s, _truth(mupots_dir, s)) for s in ("TS1", "TS2", "TS7")]
    errors = matlab_eval(sequences, preds_2d, preds_3d, 0 if people == "all" else 1, int(coords == "relative"))
    pcks, aucs, pck_total, auc_total = matlab_tables(errors)
    assert record["metric"] == "3DPCK" and record["unit"] == "%" and record["higher_is_better"] is True
    assert record["total"] == pytest.approx(pck_total, abs=1e-9)
    assert record["metrics"]["mupots_auc"]["total"] == pytest.approx(auc_total, abs=1e-9)
    assert record["per_action"] == pytest.approx(pcks, abs=1e-9)
    groups = matlab_groups(errors)
    for group, value in record["per_joint"].items():  # type: ignore[union-attr]
        assert value == pytest.approx(np.mean([g[group] for g in groups.values()]), abs=1e-9), group
    assert "total_mm" not in record and set(record["metrics"]) == {
        "mupots_auc",
        "mupots_pck_pooled",
        "mupots_auc_pooled",
        "mupots_mpjpe",
    }
    scores = json.loads((run / "mupots_scores.json").read_text())
    assert scores["per_sequence"]["TS7"]["auc"] == pytest.approx(aucs["TS7"], abs=1e-9)
    assert Path(run / "samples.npz").is_file() and len(np.load(run / "samples.npz")["frame"]) == record["num_samples"]


def _one_error(result: object, *fragments: str) -> None:
    assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
    err = result.stderr  # type: ignore[attr-defined]
    err = err[err.index("error: ") :]
    assert err.count("\n") == 1 and "Traceback" not in result.output, err  # type: ignore[attr-defined]
    for fragment in fragments:
        assert fragment in err, err


def test_bad_input_is_one_line(mupots_dir: Path, muco_checkpoint: Path, tmp_path: Path) -> None:
    import shutil

    base = ["eval", "--dataset", "mupots", "--data-dir", str(mupots_dir), "--workers", "0", "--output", str(tmp_path / "o")]
    _one_error(
        runner.invoke(app, [*base, "--variant", "XS-muco", "--checkpoint", str(muco_checkpoint), "--people", "some"]),
        "--people",
        "all or matched",
    )
    _one_error(runner.invoke(app, [*base, "--variant", "XS", "--demo"]), "predicts 18 joints but dataset mupots has 21")
    other = tmp_path / "h36m_rootnet.json"
    other.write_text(json.dumps([{"image_id": 99999, "bbox": [0, 0, 10, 10], "root_cam": [0, 0, 5000]}]))
    _one_error(
        runner.invoke(app, [*base, "--variant", "XS-muco", "--checkpoint", str(muco_checkpoint), "--bbox-root", str(other)]),
        "image 99999",
        "another dataset",
    )
    broken = tmp_path / "MuPoTS"
    shutil.copytree(mupots_dir, broken)
    (broken / "data" / "MultiPersonTestSet" / "TS2" / "annot.mat").unlink()
    result = runner.invoke(app, [*base[:4], str(broken), *base[5:], "--variant", "XS-muco", "--checkpoint", str(muco_checkpoint)])
    _one_error(result, "TS2", "annot.mat")
    assert not any(p for p in (tmp_path / "o").glob("XS-muco*"))


@pytest.mark.slow  # writes the demo set (20 sequences) once
def test_the_demo_runs_out_of_the_box(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["eval", "--variant", "XS-muco", "--dataset", "mupots", "--demo", "--json", "--output", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    (record,) = json.loads(result.stdout)
    assert len(record["per_action"]) == 20 and 0 <= record["total"] <= 100


def test_data_check_lists_every_problem_of_a_folder(mupots_dir: Path, tmp_path: Path) -> None:
    import shutil

    fine = runner.invoke(app, ["data", "check", "--dataset", "mupots", str(mupots_dir), "--json"])
    assert fine.exit_code == 0 and json.loads(fine.stdout)["ok"], fine.output
    broken = tmp_path / "MuPoTS"
    shutil.copytree(mupots_dir, broken)
    (broken / "data" / "MultiPersonTestSet" / "TS7" / "img_000001.jpg").unlink()
    (broken / "data" / "MultiPersonTestSet" / "TS1" / "img_000000.jpg").write_bytes(b"GIF89a not a jpeg")
    (broken / "data" / "MultiPersonTestSet" / "TS2" / "occlusion.mat").unlink()
    rootnet = broken / "bbox_root" / "bbox_root_mupots_output.json"
    entries = json.loads(rootnet.read_text())
    entries += [
        {"image_id": 4242, "bbox": [0, 0, 10, 10], "root_cam": [0, 0, 4000]},
        {"image_id": entries[0]["image_id"], "bbox": [-500, -500, 100, 100], "root_cam": [0, 0, 4000]},
        {"image_id": entries[0]["image_id"], "bbox": [10, 10, 50, 50], "root_cam": [0, 0, float("nan")]},
    ]
    rootnet.write_text(json.dumps(entries))
    result = runner.invoke(app, ["data", "check", "--dataset", "mupots", str(broken), "--json"])
    assert result.exit_code == 1
    problems = json.loads(result.stdout)["problems"]
    expected = ["missing image", "not a JPEG image", "occlusion.mat", "image 4242", "outside its", "non-finite"]
    assert all(any(word in p for p in problems) for word in expected), problems
    assert len(problems) == len(expected)
