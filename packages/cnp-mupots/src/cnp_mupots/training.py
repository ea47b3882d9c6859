"""The training sets of the MuPoTS-3D model, as the official loaders read them (SPEC section 5):
MuCo-3DHP (3D, 21 joints) and MS COCO 2017 keypoints (2D, mapped onto the 21 joints by name).

Layouts::

    MuCo/                                  <- --dataset muco --data-dir MuCo
      data/MuCo-3DHP.json                  COCO format: images {id, file_name, width, height, f, c},
      data/<file_name>                     annotations {image_id, bbox, keypoints_img (21x2), keypoints_cam (21x3)}
    MSCOCO/                                <- --mix coco=MSCOCO
      annotations/person_keypoints_train2017.json
      images/train2017/<file_name>
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from cnp_core.plugin import DataError, DatasetInfo, EvalSplit, SplitOptions, TrainSplit, process_bbox
from cnp_mupots.variants import JOINTS_21, ROOT_21

MUCO_FLIP_PAIRS = ((2, 5), (3, 6), (4, 7), (8, 11), (9, 12), (10, 13), (17, 18), (19, 20))
MUCO_SKELETON = (
    (0, 16), (16, 1), (1, 15), (15, 14), (14, 8), (14, 11), (8, 9), (9, 10), (10, 19), (11, 12), (12, 13), (13, 20),
    (1, 2), (2, 3), (3, 4), (4, 17), (1, 5), (5, 6), (6, 7), (7, 18),
)  # fmt: skip
# COCO's 17 keypoints, then Thorax and Pelvis as the official loader adds them
COCO_JOINTS = (
    "Nose", "L_Eye", "R_Eye", "L_Ear", "R_Ear", "L_Shoulder", "R_Shoulder", "L_Elbow", "R_Elbow", "L_Wrist",
    "R_Wrist", "L_Hip", "R_Hip", "L_Knee", "R_Knee", "L_Ankle", "R_Ankle", "Thorax", "Pelvis",
)  # fmt: skip
MUCO_JSON = Path("data") / "MuCo-3DHP.json"
COCO_JSON = Path("annotations") / "person_keypoints_train2017.json"
COCO_IMAGES = Path("images") / "train2017"
APART_MM = 500.0  # MuCo: a person is cropped only when every other person is at least this far away


def _read(path: Path, what: str, hint: str) -> dict[str, Any]:
    if not path.is_file():
        raise DataError(f"missing {what} {path}; {hint}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"{path} is not valid JSON ({exc}); re-extract the {what}") from None
    if not isinstance(data, dict) or not isinstance(data.get("images"), list) or not isinstance(data.get("annotations"), list):
        raise DataError(f"{path}: expected a COCO-format object with 'images' and 'annotations' lists")
    return data


def _by_image(annotations: list[dict[str, Any]]) -> dict[Any, list[dict[str, Any]]]:
    grouped: dict[Any, list[dict[str, Any]]] = {}
    for ann in annotations:
        grouped.setdefault(ann.get("image_id"), []).append(ann)
    return grouped


def _picked(anns: list[dict[str, Any]]) -> list[int]:
    """The official choice: the person closest to the camera, then each other person whose root is
    at least 500 mm from every other person's (in 2D, X and Y, and in 3D)."""
    roots = [np.asarray(a["keypoints_cam"], dtype=np.float64)[ROOT_21] for a in anns]
    depths = [float(r[2]) for r in roots]
    closest = depths.index(min(depths))
    picked = [closest]
    for i in range(len(anns)):
        if i == closest:
            continue
        far = True
        for j in range(len(anns)):
            if i == j:
                continue
            d = (roots[i] - roots[j]) ** 2
            if math.sqrt(float(np.sum(d[:2]))) < APART_MM or math.sqrt(float(np.sum(d))) < APART_MM:
                far = False
        if far:
            picked.append(i)
    return picked


def load_muco(data_dir: Path, options: SplitOptions) -> TrainSplit:
    """MuCo-3DHP's training samples: per image (file order) the people the official loader crops,
    x, y in image pixels and depth relative to the pelvis in mm, every joint visible."""
    path = Path(data_dir) / MUCO_JSON
    data = _read(path, "MuCo-3DHP annotation file", "pass the MuCo folder (data/MuCo-3DHP.json and the images under data/)")
    aspect = options.input_shape[1] / options.input_shape[0]
    grouped = _by_image(data["annotations"])
    paths, boxes, joints = [], [], []
    for n, img in enumerate(data["images"]):
        anns = grouped.get(img.get("id"), [])
        if not anns:
            continue
        try:
            width, height = int(img["width"]), int(img["height"])
            for pid in _picked(anns):
                ann = anns[pid]
                cam = np.asarray(ann["keypoints_cam"], dtype=np.float64).reshape(len(JOINTS_21), 3)
                pixels = np.asarray(ann["keypoints_img"], dtype=np.float64).reshape(len(JOINTS_21), 2)
                box = process_bbox(ann["bbox"], width, height, aspect)
                if box is None:
                    continue
                joint = np.concatenate([pixels, cam[:, 2:] - cam[ROOT_21, 2]], axis=1)
                paths.append(str(Path(data_dir) / "data" / img["file_name"]))
                boxes.append(np.asarray(box, dtype=np.float64))
                joints.append(joint)
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{path}: image {n} or one of its annotations is malformed ({type(exc).__name__}: {exc})") from None
    if not paths:
        raise DataError(f"{path}: no annotated person to train on")
    return TrainSplit(
        name="muco-train",
        image_paths=tuple(paths),
        bboxes=np.stack(boxes),
        joints=np.stack(joints),
        visible=np.ones((len(paths), len(JOINTS_21)), dtype=np.float32),
        has_depth=np.ones(len(paths), dtype=np.float32),
        joint_names=JOINTS_21,
        flip_pairs=MUCO_FLIP_PAIRS,
    )


# COCO joint k -> MuCo joint TO_MUCO[k] (None: MuCo has no such joint)
TO_MUCO = tuple(JOINTS_21.index(n) if n in JOINTS_21 else None for n in COCO_JOINTS)


def load_coco(data_dir: Path, options: SplitOptions) -> TrainSplit:
    """COCO 2017 keypoints for training: every non-crowd person with a keypoint (file order), Thorax
    and Pelvis added as the official loader adds them, joints mapped onto MuCo's 21 by name (the
    others invisible), no depth."""
    path = Path(data_dir) / COCO_JSON
    data = _read(
        path, "COCO keypoint file", "pass the MSCOCO folder (annotations/person_keypoints_train2017.json, images/train2017/)"
    )
    images = {img.get("id"): img for img in data["images"]}
    aspect = options.input_shape[1] / options.input_shape[0]
    l_sh, r_sh, l_hip, r_hip = (COCO_JOINTS.index(n) for n in ("L_Shoulder", "R_Shoulder", "L_Hip", "R_Hip"))
    paths, boxes, joints, visible = [], [], [], []
    for n, ann in enumerate(data["annotations"]):
        try:
            img = images.get(ann["image_id"])
            if img is None or ann.get("iscrowd") or int(ann.get("num_keypoints", 0)) == 0:
                continue
            box = process_bbox(ann["bbox"], int(img["width"]), int(img["height"]), aspect)
            if box is None:
                continue
            kpt = np.asarray(ann["keypoints"], dtype=np.float64).reshape(-1, 3)
            thorax = (kpt[l_sh] + kpt[r_sh]) * 0.5
            thorax[2] = kpt[l_sh, 2] * kpt[r_sh, 2]
            pelvis = (kpt[l_hip] + kpt[r_hip]) * 0.5
            pelvis[2] = kpt[l_hip, 2] * kpt[r_hip, 2]
            kpt = np.concatenate([kpt, thorax[None], pelvis[None]])
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{path}: annotation {n} is malformed ({type(exc).__name__}: {exc})") from None
        mapped = np.zeros((len(JOINTS_21), 3))
        vis = np.zeros(len(JOINTS_21), dtype=np.float32)
        for k, target in enumerate(TO_MUCO):
            if target is not None:
                mapped[target, :2] = kpt[k, :2]
                vis[target] = float(kpt[k, 2] > 0)
        paths.append(str(Path(data_dir) / COCO_IMAGES / img["file_name"]))
        boxes.append(np.asarray(box, dtype=np.float64))
        joints.append(mapped)
        visible.append(vis)
    if not paths:
        raise DataError(f"{path}: no person with keypoints to train on")
    return TrainSplit(
        name="coco-train",
        image_paths=tuple(paths),
        bboxes=np.stack(boxes),
        joints=np.stack(joints),
        visible=np.stack(visible),
        has_depth=np.zeros(len(paths), dtype=np.float32),
        joint_names=JOINTS_21,
        flip_pairs=MUCO_FLIP_PAIRS,
    )


def _no_test_split(name: str) -> Any:
    def load_split(self: Any, data_dir: Path, options: SplitOptions) -> EvalSplit:
        raise DataError(f"{name} is a training set without a test split; evaluate on mupots")

    return load_split


def _training_info(train: Any) -> DatasetInfo:
    return DatasetInfo(
        joint_names=JOINTS_21,
        flip_pairs=MUCO_FLIP_PAIRS,
        root_index=ROOT_21,
        evaluators={},
        default_alignment={},
        metric_names={},
        skeleton=MUCO_SKELETON,
        train_split=train,
    )


class MuCo:
    """MuCo-3DHP (3D, 21 joints): the training set of the MuPoTS-3D models."""

    name = "muco"
    description = "MuCo-3DHP (3D, 21 joints, official COCO-format annotations); training only"
    info = _training_info(lambda data_dir, options: load_muco(Path(data_dir), options))
    load_split = _no_test_split("muco")


class Coco:
    """MS COCO 2017 keypoints (2D) mapped onto MuCo-3DHP's 21 joints; training only."""

    name = "coco"
    description = "MS COCO 2017 keypoints (2D) mapped onto MuCo-3DHP's 21 joints; training only"
    info = _training_info(lambda data_dir, options: load_coco(Path(data_dir), options))
    load_split = _no_test_split("coco")


__all__ = ["COCO_JOINTS", "MUCO_FLIP_PAIRS", "TO_MUCO", "Coco", "MuCo", "load_coco", "load_muco"]
