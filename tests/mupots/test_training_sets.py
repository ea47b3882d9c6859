"""MuCo-3DHP and COCO read as the official loaders read them, and `cnp train` on the mix."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cnp_cli.app import app
from cnp_core import SplitOptions
from cnp_mupots.training import load_coco, load_muco
from cnp_mupots.variants import JOINTS_21

runner = CliRunner()


def _person(root: tuple[float, float, float], image_id: int) -> dict[str, object]:
    cam = np.zeros((21, 3)) + np.array(root)
    cam[:, 1] += np.linspace(-700, 800, 21)  # a vertical line of joints
    cam[14] = root  # the pelvis
    pixels = cam[:, :2] / cam[:, 2:] * 1000 + 256
    return {"image_id": image_id, "bbox": [100, 50, 200, 300], "keypoints_cam": cam.tolist(), "keypoints_img": pixels.tolist()}


def test_muco_crops_the_closest_person_and_those_far_from_everyone(tmp_path: Path) -> None:
    people = [
        _person((0, 0, 4000), 0),
        _person((2000, 0, 5000), 0),  # 224 mm from the next one: neither is cropped
        _person((2200, 0, 5100), 0),
        _person((-1500, 0, 6000), 1),  # image 1: two people 3 m apart, both cropped, the closer first
        _person((1500, 0, 5000), 1),
    ]
    images = [
        {"id": i, "file_name": f"images/{i}.jpg", "width": 512, "height": 512, "f": [1000, 1000], "c": [256, 256]} for i in (0, 1)
    ]
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "MuCo-3DHP.json").write_text(json.dumps({"images": images, "annotations": people}))
    split = load_muco(tmp_path, SplitOptions())
    assert len(split) == 3 and split.image_paths == tuple(str(tmp_path / "data" / f"images/{i}.jpg") for i in (0, 1, 1))
    np.testing.assert_allclose(split.joints[1, :, :2], np.asarray(people[4]["keypoints_img"]))  # the closer of image 1
    # depth relative to the pelvis; every joint visible; 3D
    cam = np.asarray(people[0]["keypoints_cam"])
    np.testing.assert_allclose(split.joints[0, :, 2], cam[:, 2] - cam[14, 2])
    assert split.visible.all() and split.has_depth.all() and split.joint_names == JOINTS_21
    assert split.flip_pairs[-2:] == ((17, 18), (19, 20))  # training flips hands and toes too


def test_coco_adds_thorax_and_pelvis_and_maps_names_onto_muco(tmp_path: Path) -> None:
    kpt = np.zeros((17, 3))
    kpt[:, :2] = np.arange(34).reshape(17, 2) * 10.0
    kpt[:, 2] = 2
    kpt[5, 2], kpt[6, 2] = 1, 0  # L_Shoulder occluded, R_Shoulder not labelled: Thorax = 1 * 0 -> invisible
    person = {"image_id": 1, "bbox": [10, 10, 200, 300], "iscrowd": 0, "num_keypoints": 16, "keypoints": kpt.reshape(-1).tolist()}
    crowd = {**person, "iscrowd": 1}
    empty = {**person, "num_keypoints": 0}
    data = {"images": [{"id": 1, "file_name": "a.jpg", "width": 640, "height": 480}], "annotations": [crowd, person, empty]}
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "person_keypoints_train2017.json").write_text(json.dumps(data))
    split = load_coco(tmp_path, SplitOptions())
    assert len(split) == 1 and split.image_paths == (str(tmp_path / "images" / "train2017" / "a.jpg"),)
    joints, vis = split.joints[0], split.visible[0]
    name = JOINTS_21.index
    np.testing.assert_allclose(joints[name("L_Shoulder"), :2], kpt[5, :2])
    np.testing.assert_allclose(joints[name("R_Ankle"), :2], kpt[16, :2])
    np.testing.assert_allclose(joints[name("Thorax"), :2], (kpt[5, :2] + kpt[6, :2]) / 2)
    np.testing.assert_allclose(joints[name("Pelvis"), :2], (kpt[11, :2] + kpt[12, :2]) / 2)
    assert vis[name("Thorax")] == 0 and vis[name("Pelvis")] == 1 and vis[name("L_Shoulder")] == 1 and vis[name("R_Shoulder")] == 0
    assert vis[[name(n) for n in ("Head_top", "Spine", "Head", "R_Hand", "L_Hand", "R_Toe", "L_Toe")]].sum() == 0
    assert not split.has_depth.any() and (joints[:, 2] == 0).all()


@pytest.mark.slow  # a training epoch
def test_train_on_muco_mixed_with_coco(tmp_path: Path) -> None:
    for command, name in (("synth-muco", "MuCo"), ("synth-coco", "MSCOCO")):
        assert runner.invoke(app, ["data", command, str(tmp_path / name)]).exit_code == 0
    args = [
        "train",
        "--variant",
        "XS-muco",
        "--dataset",
        "muco",
        "--data-dir",
        str(tmp_path / "MuCo"),
        "--mix",
        f"coco={tmp_path / 'MSCOCO'}",
    ]
    result = runner.invoke(
        app,
        [
            *args,
            "--epochs",
            "1",
            "--warmup-epochs",
            "0",
            "--batch-size",
            "4",
            "--workers",
            "0",
            "--output",
            str(tmp_path / "run"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "run" / "train_config.json").read_text())
    assert [s["name"] for s in config["sets"]] == ["muco-train", "coco-train"] and (
        tmp_path / "run" / "snapshot_0.pth.tar"
    ).is_file()
    wrong = runner.invoke(
        app,
        ["train", "--variant", "XS", "--dataset", "muco", "--data-dir", str(tmp_path / "MuCo"), "--output", str(tmp_path / "w")],
    )
    assert wrong.exit_code == 1 and "predicts 18 joints but dataset muco has 21" in wrong.stderr
