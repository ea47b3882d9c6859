"""Split building, caching and every bad input with its own one-line error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from cnp_core import DataError, SplitOptions
from cnp_h36m.dataset import Human36M


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_split_contents(h36m_dir: Path) -> None:
    split = Human36M().load_split(h36m_dir, SplitOptions.of({"protocol": 2}, use_cache=False))
    assert len(split) == 120  # 2 subjects x 15 actions x 2 cameras x frames {0, 64}
    assert set(split.sample_columns["subject"]) == {9, 11} and set(split.sample_columns["camera"]) == {1, 2}
    assert set(split.sample_columns["frame"]) == {0, 64} and set(split.sample_columns["subaction"]) == {1}
    for i in (0, 77):  # the sequence label spells subject, action and subaction
        action = split.action_names[split.actions[i]]
        assert split.sample_columns["sequence"][i] == f"S{split.sample_columns['subject'][i]}_{action}_1"
    assert not split.estimated_root
    assert all(int(Path(p).stem[-6:]) - 1 in (0, 64) for p in split.image_paths)
    assert sorted(set(split.actions.tolist())) == list(range(15))
    thorax = (split.joint_cam[:, 11] + split.joint_cam[:, 14]) / 2
    np.testing.assert_allclose(split.joint_cam[:, 17], thorax, atol=1e-2)
    p1 = Human36M().load_split(h36m_dir, SplitOptions.of({"protocol": 1}, use_cache=False))
    assert len(p1) == 60 and set(p1.sample_columns["subject"]) == {11}


def test_cache_is_used_and_invalidated(h36m_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import cnp_h36m.dataset as dataset_module

    data = _copy(h36m_dir, tmp_path / "H")
    opts = SplitOptions(cache_dir=tmp_path / "cache")
    first = Human36M().load_split(data, opts)

    def no_parsing(*args: object) -> None:
        raise AssertionError("the cached split should have been used")

    monkeypatch.setattr(dataset_module, "build_split", no_parsing)
    second = Human36M().load_split(data, opts)  # from the cache: parsing would raise
    monkeypatch.undo()
    np.testing.assert_array_equal(first.bboxes, second.bboxes)
    assert first.image_paths == second.image_paths and first.estimated_root == second.estimated_root
    assert first.sample_columns.keys() == second.sample_columns.keys()
    for name, column in first.sample_columns.items():
        np.testing.assert_array_equal(column, second.sample_columns[name])
    joints = data / "annotations" / "Human36M_subject9_joint_3d.json"
    table = json.loads(joints.read_text())
    table["2"]["1"]["0"][0][0] += 100.0
    joints.write_text(json.dumps(table))
    third = Human36M().load_split(data, opts)
    assert not np.array_equal(third.joint_cam, first.joint_cam)


def test_rootnet_boxes_used_as_they_are(h36m_dir: Path) -> None:
    split = Human36M().load_split(h36m_dir, SplitOptions.of({"bbox": "rootnet"}, use_cache=False))
    assert split.estimated_root
    entries = {e["image_id"]: e for e in json.loads((h36m_dir / "bbox_root/bbox_root_human36m_output.json").read_text())}
    for i in (0, 57, 119):
        entry = entries[int(split.image_ids[i])]
        np.testing.assert_array_equal(split.bboxes[i], entry["bbox"])
        np.testing.assert_array_equal(split.root_cam[i], entry["root_cam"])


def test_rootnet_file_of_protocol_1_is_explained(h36m_dir: Path, tmp_path: Path) -> None:
    entries = json.loads((h36m_dir / "bbox_root/bbox_root_human36m_output.json").read_text())
    s11 = [e for e in entries if e["image_id"] >= 11_000_000]
    path = tmp_path / "p1.json"
    path.write_text(json.dumps(s11))
    with pytest.raises(DataError) as info:
        Human36M().load_split(h36m_dir, SplitOptions.of({"bbox": "rootnet", "bbox_root": path}, use_cache=False))
    message = str(info.value)
    assert "lacks 60 of 120 image ids" in message and "subject 9: 60" in message
    assert "Protocol 1 file" in message and "--protocol 1" in message


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda d: (d / "annotations/Human36M_subject11_camera.json").unlink(), "missing annotation file"),
        (lambda d: (d / "annotations/Human36M_subject9_data.json").write_text("{not json"), "malformed JSON"),
        (lambda d: (d / "annotations/Human36M_subject9_joint_3d.json").write_text("{}"), "has no joints for action"),
        (
            lambda d: (d / "annotations/Human36M_subject9_data.json").write_text('{"images": [{"id": 1}], "annotations": []}'),
            "lacks field 'subject'",
        ),
    ],
)
def test_bad_annotation_files(h36m_dir: Path, tmp_path: Path, damage, expected: str) -> None:  # type: ignore[no-untyped-def]
    data = _copy(h36m_dir, tmp_path / "H")
    damage(data)
    with pytest.raises(DataError, match=expected) as info:
        Human36M().load_split(data, SplitOptions(use_cache=False))
    assert "\n" not in str(info.value)


def test_missing_and_corrupt_images_fail_clearly(h36m_dir: Path, tmp_path: Path) -> None:
    import cnp_core
    from cnp_core._inference.engine import InferenceConfig, predict_coords

    data = _copy(h36m_dir, tmp_path / "H")
    split = Human36M().load_split(data, SplitOptions(use_cache=False))
    model = cnp_core.build_model("XS")
    config = InferenceConfig(batch_size=4, workers=0, progress=False, flip=False)
    Path(split.image_paths[5]).write_bytes(b"\xff\xd8 this is not really a jpeg")
    with pytest.raises(DataError, match="corrupt, cut short or not an image"):
        predict_coords(model, split.image_paths[:8], split.bboxes[:8], config, output_width=32)
    # a JPEG cut short: OpenCV would decode its first half and grey the rest; cnp refuses it
    whole = Path(split.image_paths[6]).read_bytes()
    Path(split.image_paths[5]).write_bytes(whole)
    Path(split.image_paths[6]).write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataError, match=r"cannot read image .*cut short"):
        predict_coords(model, split.image_paths[:8], split.bboxes[:8], config, output_width=32)
    Path(split.image_paths[6]).write_bytes(whole + b"\x00" * 10)  # padding after the end marker is fine
    predict_coords(model, split.image_paths[:8], split.bboxes[:8], config, output_width=32)
    Path(split.image_paths[3]).unlink()
    with pytest.raises(DataError, match="1 of 8 images are missing"):
        predict_coords(model, split.image_paths[:8], split.bboxes[:8], config, output_width=32)


def test_data_check_lists_problems(h36m_dir: Path, tmp_path: Path) -> None:
    from cnp_h36m.check import check_folder
    from cnp_h36m.options import H36MOptions

    assert check_folder(h36m_dir, H36MOptions()) == []
    data = _copy(h36m_dir, tmp_path / "H")
    split = Human36M().load_split(data, SplitOptions(use_cache=False))
    Path(split.image_paths[0]).unlink()
    Path(split.image_paths[1]).write_bytes(b"garbage")
    problems = check_folder(data, H36MOptions())
    assert any(p.startswith("missing image") and split.image_paths[0] in p for p in problems)
    assert any(p.startswith("not a JPEG/PNG image") and split.image_paths[1] in p for p in problems)
