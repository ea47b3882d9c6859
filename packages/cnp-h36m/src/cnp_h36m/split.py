"""Build the Human3.6M test split exactly as the reference's ``Human36M.load_data`` (test mode)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from cnp_core.plugin import DataError, EvalSplit, TrainSplit, finite_rows, numbers, process_bbox
from cnp_h36m import constants as C
from cnp_h36m.jsonio import read_json
from cnp_h36m.layout import annotation_file, default_bbox_root, images_dir
from cnp_h36m.options import H36MOptions
from cnp_h36m.rootnet import load_bbox_root, require_ids

_ACT = re.compile(r"act_(\d+)")


# Fields that are whole numbers in the parsed release; a string there ("3") is a malformed file.
_INTEGER_FIELDS = frozenset(
    {"id", "image_id", "subject", "action_idx", "subaction_idx", "cam_idx", "frame_idx", "width", "height"}
)


def _field(record: Mapping[str, Any], key: str, path: Path, what: str) -> Any:
    try:
        value = record[key]
    except (KeyError, TypeError):
        raise DataError(f"malformed {what} in {path}: an entry lacks field {key!r}") from None
    if key in _INTEGER_FIELDS and (isinstance(value, bool) or not isinstance(value, int)):
        where = f" ({record.get('file_name')})" if isinstance(record, Mapping) and "file_name" in record else ""
        raise DataError(f"malformed {what} in {path}{where}: field {key!r} is {value!r}, not a whole number")
    return value


def action_of(file_name: str) -> int:
    """Action index 0..14 read from ``act_XX`` in the file name (XX - 2), as the reference does."""
    match = _ACT.search(file_name)
    if not match:
        raise DataError(f"image file name {file_name!r} has no act_XX part; cannot tell its action")
    return int(match.group(1)) - C.FIRST_ACTION_IDX


_CAMERA_FIELDS = (
    ("R", (3, 3), "rotation R", False),
    ("t", (3,), "translation t", False),
    ("f", (2,), "focal length f", True),
    ("c", (2,), "principal point c", False),
)


def _camera(cameras: Mapping[str, Any], subject: int, cam_idx: int, path: Path) -> tuple[np.ndarray, ...]:
    try:
        cam = cameras[str(cam_idx)]
        raw = [cam[key] for key, *_ in _CAMERA_FIELDS]
    except (KeyError, TypeError):
        raise DataError(f"camera {cam_idx} of subject {subject} missing or malformed in {path}") from None
    where = f"camera {cam_idx} of subject {subject} in {path}"
    return tuple(
        numbers(value, shape=shape, what=what, where=where, positive=positive).astype(np.float32)
        for value, (_, shape, what, positive) in zip(raw, _CAMERA_FIELDS, strict=True)
    )


def _subject_samples(data_dir: Path, subject: int, options: H36MOptions, sampling: int = C.TEST_SAMPLING) -> dict[str, list[Any]]:
    data_path = annotation_file(data_dir, subject, "data")
    cam_path = annotation_file(data_dir, subject, "camera")
    joint_path = annotation_file(data_dir, subject, "joint_3d")
    data = read_json(data_path, "annotation file")
    cameras = read_json(cam_path, "camera file")
    joints = read_json(joint_path, "joint file")
    if not isinstance(data, Mapping) or "images" not in data or "annotations" not in data:
        raise DataError(f"malformed annotation file {data_path}: expected a COCO-style object with 'images' and 'annotations'")
    images: dict[int, Mapping[str, Any]] = {}
    for img in data["images"]:
        if _field(img, "subject", data_path, "image") != subject:
            continue
        if _field(img, "frame_idx", data_path, "image") % sampling != 0:
            continue
        image_id = _field(img, "id", data_path, "image")
        if image_id in images:  # one id, two images: the annotation could go to either
            raise DataError(
                f"{data_path}: image id {image_id} is used by {images[image_id].get('file_name')} and {img.get('file_name')}; "
                "every image needs its own id (re-extract the annotation file)"
            )
        images[image_id] = img
    aspect = options.input_shape[1] / options.input_shape[0]
    out: dict[str, list[Any]] = {
        k: [] for k in ("id", "file", "bbox", "joint_world", "R", "t", "f", "c", "wh", "subaction", "camera", "frame", "skipped")
    }
    for ann in data["annotations"]:
        img = images.get(_field(ann, "image_id", data_path, "annotation"))
        if img is None:
            continue
        act, sub, frame = (_field(img, k, data_path, "image") for k in ("action_idx", "subaction_idx", "frame_idx"))
        file_name = _field(img, "file_name", data_path, "image")
        try:
            world = joints[str(act)][str(sub)][str(frame)]
        except (KeyError, TypeError):
            raise DataError(
                f"{joint_path} has no joints for action {act}, subaction {sub}, frame {frame} "
                f"(image {file_name}); the annotation files do not belong together"
            ) from None
        if options.bbox_source == "gt":
            where = f"annotation of image {img.get('id')} in {data_path}"
            raw_box = numbers(_field(ann, "bbox", data_path, "annotation"), shape=(4,), what="bbox", where=where)
            size = (_field(img, "width", data_path, "image"), _field(img, "height", data_path, "image"))
            bbox = process_bbox(raw_box, *size, aspect)
            if bbox is None:  # as the official loader: no sample, but said (see collect)
                out["skipped"].append(
                    f"image {img.get('id')} ({file_name}): box {list(raw_box)} is empty once clipped to {size[0]}x{size[1]}"
                )
                continue
            out["bbox"].append(bbox.astype(np.float64))
        cam_idx = _field(img, "cam_idx", data_path, "image")
        R, t, f, c = _camera(cameras, subject, cam_idx, cam_path)
        out["id"].append(int(img["id"]))
        out["subaction"].append(int(sub))
        out["camera"].append(int(cam_idx))
        out["frame"].append(int(frame))
        out["file"].append(str(file_name))
        out["joint_world"].append(world)
        for key, value in (("R", R), ("t", t), ("f", f), ("c", c)):
            out[key].append(value)
    return out


def collect(
    data_dir: Path, subjects: tuple[int, ...], options: H36MOptions, sampling: int, what: str
) -> tuple[dict[str, list[Any]], list[int], np.ndarray]:
    """Columns of every ``sampling``-th frame of ``subjects``, their subjects, and the (N, 18, 3)
    camera-space joints (Thorax appended, computed in world space)."""
    cols: dict[str, list[Any]] = {}
    subject_of: list[int] = []
    for subject in subjects:
        part = _subject_samples(data_dir, subject, options, sampling)
        subject_of.extend([subject] * len(part["id"]))
        for key, values in part.items():
            cols.setdefault(key, []).extend(values)
    skipped = cols.pop("skipped", [])
    if not cols.get("id"):
        raise DataError(f"{data_dir}: the {what} split is empty (no frame_idx % {sampling} == 0 images of subjects {subjects})")
    try:
        world = np.array(cols["joint_world"], dtype=np.float32)
    except ValueError:
        raise DataError(f"{data_dir}: joint entries are not all 17x3 lists of numbers") from None
    if world.ndim != 3 or world.shape[1:] != (17, 3):
        raise DataError(f"{data_dir}: joint entries must be 17x3, found shape {world.shape[1:]}")
    finite_rows(world, what="3D joints", where=f"{data_dir}/annotations (joint_3d files)", labels=cols["file"])
    thorax = (world[:, C.L_SHOULDER, :] + world[:, C.R_SHOULDER, :]) * 0.5
    world = np.concatenate([world, thorax[:, None, :]], axis=1)
    R, t = np.stack(cols["R"]), np.stack(cols["t"])
    joint_cam = (np.matmul(R, world.transpose(0, 2, 1)).transpose(0, 2, 1) + t[:, None, :]).astype(np.float32)
    behind = np.flatnonzero(joint_cam[:, C.ROOT_INDEX, 2] <= 0)
    if len(behind):
        k = int(behind[0])
        raise DataError(
            f"{data_dir}: {len(behind)} sample(s) put the root joint behind the camera (camera-space Z <= 0), first "
            f"{cols['file'][k]} (subject {subject_of[k]}, camera {cols['camera'][k]}, Z {joint_cam[k, C.ROOT_INDEX, 2]:.1f} mm); "
            "check the camera file's R and t"
        )
    cols["skipped"] = skipped
    return cols, subject_of, joint_cam


def build_train_split(data_dir: Path, options: H36MOptions) -> TrainSplit:
    """The training split (SPEC section 5): Protocol 2 subjects 1, 5, 6, 7, 8 (Protocol 1 adds 9),
    every 5th frame, GT boxes processed as for testing, every joint visible; targets are pixel x, y
    in the image and depth relative to the root in mm."""
    subjects = C.TRAIN_SUBJECTS[options.protocol]
    gt_boxes = H36MOptions(protocol=options.protocol, bbox_source="gt", input_shape=options.input_shape)
    cols, _, joint_cam = collect(data_dir, subjects, gt_boxes, C.TRAIN_SAMPLING, f"Protocol {options.protocol} training")
    focal, center = np.stack(cols["f"])[:, None, :], np.stack(cols["c"])[:, None, :]
    joints = np.empty_like(joint_cam, dtype=np.float64)
    joints[:, :, :2] = joint_cam[:, :, :2] / joint_cam[:, :, 2:3] * focal + center
    joints[:, :, 2] = joint_cam[:, :, 2] - joint_cam[:, C.ROOT_INDEX : C.ROOT_INDEX + 1, 2]
    root = images_dir(data_dir)
    return TrainSplit(
        name=f"h36m-p{options.protocol}-train",
        image_paths=tuple(str(root / f) for f in cols["file"]),
        bboxes=np.stack(cols["bbox"]).astype(np.float64),
        joints=joints,
        visible=np.ones(joint_cam.shape[:2], dtype=np.float32),
        has_depth=np.ones(len(joint_cam), dtype=np.float32),
        joint_names=C.JOINT_NAMES,
        flip_pairs=C.FLIP_PAIRS,
        bbox_3d_depth_mm=C.BBOX_3D_DEPTH_MM,
        notes=_skipped_note(cols["skipped"], f"Protocol {options.protocol} training"),
    )


def _skipped_note(skipped: list[str], what: str) -> tuple[str, ...]:
    if not skipped:
        return ()
    return (
        f"{len(skipped)} sample(s) of the {what} split skipped: their GT box is empty once clipped to the image (the official loader skips them too); first: {skipped[0]}",
    )


def build_split(data_dir: Path, options: H36MOptions) -> EvalSplit:
    """Parse only the test subjects' files and keep every 64th frame (no cache; see ``cache.py``)."""
    if options.protocol not in C.TEST_SUBJECTS:
        raise DataError(f"unknown protocol {options.protocol}; Human3.6M has protocols 1 and 2")
    if options.bbox_source not in ("gt", "rootnet"):
        raise DataError(f"unknown bbox source {options.bbox_source!r}; use gt or rootnet")
    subjects = C.TEST_SUBJECTS[options.protocol]
    cols, subject_of, joint_cam = collect(data_dir, subjects, options, C.TEST_SAMPLING, f"Protocol {options.protocol} test")
    ids = np.array(cols["id"], dtype=np.int64)
    if options.bbox_source == "gt":
        bboxes = np.stack(cols["bbox"]).astype(np.float64)
        root_cam = joint_cam[:, C.ROOT_INDEX, :].astype(np.float64)
        bbox_file = None
    else:
        bbox_file = options.bbox_root_file or default_bbox_root(data_dir)
        table = load_bbox_root(bbox_file)
        require_ids(table, ids, np.array(subject_of), options.protocol, bbox_file)
        bboxes = np.stack([table[int(i)][0] for i in ids]).astype(np.float64)
        root_cam = np.stack([table[int(i)][1] for i in ids]).astype(np.float64)
    root = images_dir(data_dir)
    actions = np.array([action_of(f) for f in cols["file"]], dtype=np.int64)
    subjects_col = np.array(subject_of, dtype=np.int64)
    subaction = np.array(cols["subaction"], dtype=np.int64)
    names = np.array(C.ACTIONS)[np.clip(actions, 0, len(C.ACTIONS) - 1)]
    return EvalSplit(
        name=f"h36m-p{options.protocol}-{options.bbox_source}",
        image_ids=ids,
        image_paths=tuple(str(root / f) for f in cols["file"]),
        bboxes=bboxes,
        root_cam=root_cam,
        joint_cam=joint_cam,
        focal=np.stack(cols["f"]).astype(np.float32),
        center=np.stack(cols["c"]).astype(np.float32),
        actions=actions,
        action_names=C.ACTIONS,
        joint_names=C.JOINT_NAMES,
        flip_pairs=C.FLIP_PAIRS,
        root_index=C.ROOT_INDEX,
        eval_joints=C.EVAL_JOINTS,
        bbox_3d_depth_mm=C.BBOX_3D_DEPTH_MM,
        estimated_root=options.bbox_source == "rootnet",
        sample_columns={
            "subject": subjects_col,
            "subaction": subaction,
            "camera": np.array(cols["camera"], dtype=np.int64),
            "frame": np.array(cols["frame"], dtype=np.int64),
            "sequence": np.array([f"S{s}_{a}_{b}" for s, a, b in zip(subjects_col, names, subaction, strict=True)]),
        },
        meta={
            "summary": {
                "subjects": list(subjects),
                "bbox_root_file": str(bbox_file) if bbox_file else None,
                # GT boxes the official loader also drops (empty once clipped to the image): counted and named
                "skipped_boxes": len(cols["skipped"]),
                "skipped_first": cols["skipped"][:5],
            },
            "subjects": list(subjects),
            "data_dir": str(data_dir),
        },
    )
