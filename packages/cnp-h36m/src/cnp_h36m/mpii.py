"""MPII Human Pose as the official 2D training companion of Human3.6M (SPEC section 5).

Layout (as the official code reads it): ``MPII/annotations/train.json`` in COCO format (read with
pycocotools), 16 joints per annotation, each image at ``MPII/<file_name>`` (the official release's
file names start with ``images/``). Where every image is missing there but present at
``MPII/images/<file_name>`` (file names without the folder, as cnp's earlier versions read them),
that layout is used instead; ``cnp data check --dataset mpii`` says which. Joints are mapped by name onto
the 18 Human3.6M joints (Torso and Nose, which MPII lacks, get visibility 0); there is no depth.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np

from cnp_core.plugin import DataError, DatasetInfo, EvalSplit, SplitOptions, TrainSplit, process_bbox
from cnp_h36m import constants as C

JOINT_NAMES = (
    "R_Ankle",
    "R_Knee",
    "R_Hip",
    "L_Hip",
    "L_Knee",
    "L_Ankle",
    "Pelvis",
    "Thorax",
    "Neck",
    "Head",
    "R_Wrist",
    "R_Elbow",
    "R_Shoulder",
    "L_Shoulder",
    "L_Elbow",
    "L_Wrist",
)
FLIP_PAIRS = ((0, 5), (1, 4), (2, 3), (10, 15), (11, 14), (12, 13))
ANNOTATIONS = "annotations/train.json"
# MPII joint k -> Human3.6M joint TO_H36M[k]
TO_H36M = tuple(C.JOINT_NAMES.index(name) for name in JOINT_NAMES)


def load_train(data_dir: Path, options: SplitOptions) -> TrainSplit:
    """Every annotated person with at least one keypoint, boxes processed as Human3.6M's, joints
    mapped onto the Human3.6M joints with visibility from the keypoint triplets."""
    from pycocotools.coco import COCO

    path = Path(data_dir) / ANNOTATIONS
    if not path.is_file():
        raise DataError(f"missing MPII annotation file {path}; pass the MPII folder (images/, annotations/train.json)")
    try:
        db = _quiet(COCO, str(path))
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{path} is not a COCO-format annotation file ({type(exc).__name__}: {exc})") from None
    aspect = options.input_shape[1] / options.input_shape[0]
    root, _ = image_root(Path(data_dir), [str(img.get("file_name", "")) for img in db.imgs.values()])
    paths, boxes, joints, visible = [], [], [], []
    skipped: list[str] = []
    for aid in db.anns:  # file order, as the official loader
        ann: dict[str, Any] = db.anns[aid]
        if int(ann.get("num_keypoints", 0)) == 0:
            continue
        try:
            img = db.imgs[ann["image_id"]]
            keypoints = np.asarray(ann["keypoints"], dtype=np.float64).reshape(len(JOINT_NAMES), 3)
            box = process_bbox(ann["bbox"], int(img["width"]), int(img["height"]), aspect)
        except (KeyError, ValueError, TypeError) as exc:
            raise DataError(f"{path}: annotation {aid} is malformed ({type(exc).__name__}: {exc})") from None
        if box is None:  # as the official loader: no sample, but counted and named (TrainSplit.notes)
            skipped.append(f"annotation {aid} (image {img.get('file_name')}): box {ann['bbox']} is empty once clipped")
            continue
        mapped = np.zeros((len(C.JOINT_NAMES), 3))
        vis = np.zeros(len(C.JOINT_NAMES), dtype=np.float32)
        mapped[list(TO_H36M), :2] = keypoints[:, :2]
        vis[list(TO_H36M)] = (keypoints[:, 2] > 0).astype(np.float32)
        paths.append(str(root / img["file_name"]))
        boxes.append(box)
        joints.append(mapped)
        visible.append(vis)
    if not paths:
        raise DataError(f"{path}: no annotation with keypoints; nothing to train on")
    return TrainSplit(
        name="mpii-train",
        image_paths=tuple(paths),
        bboxes=np.stack(boxes).astype(np.float64),
        joints=np.stack(joints),
        visible=np.stack(visible),
        has_depth=np.zeros(len(paths), dtype=np.float32),
        joint_names=C.JOINT_NAMES,
        flip_pairs=C.FLIP_PAIRS,
        bbox_3d_depth_mm=C.BBOX_3D_DEPTH_MM,
        notes=(f"{len(skipped)} MPII person(s) skipped (the official loader skips them too); first: {skipped[0]}",)
        if skipped
        else (),
    )


def image_root(data_dir: Path, file_names: list[str], sample: int = 64) -> tuple[Path, str]:
    """The folder the annotations' file names are relative to, and which layout that is: the
    official ``data_dir`` itself, or ``data_dir/images`` where (on a sample of the first file
    names) no image is where the official loader looks and every one is there."""
    names = [n for n in file_names[:sample] if n]
    official = [(data_dir / n).is_file() for n in names]
    legacy = [(data_dir / "images" / n).is_file() for n in names]
    if names and not any(official) and all(legacy):
        return data_dir / "images", f"{data_dir}/images/<file_name> (file names without images/; not the official layout)"
    return data_dir, f"{data_dir}/<file_name> (the official layout)"


def check_mpii(data_dir: Path, max_listed: int = 20) -> tuple[list[str], list[str]]:
    """(problems, notes) of an MPII folder for ``cnp train --dataset mpii`` / ``--mix mpii=``."""
    from cnp_core.plugin import SplitOptions

    path = Path(data_dir) / ANNOTATIONS
    if not path.is_file():
        return [f"missing MPII annotation file {path}"], []
    try:
        split = load_train(Path(data_dir), SplitOptions())
    except DataError as exc:
        return [str(exc)], []
    from pycocotools.coco import COCO

    db = _quiet(COCO, str(path))
    _, layout = image_root(Path(data_dir), [str(img.get("file_name", "")) for img in db.imgs.values()])
    missing = sorted({p for p in split.image_paths if not Path(p).is_file()})
    problems = [f"missing image: {p}" for p in missing[:max_listed]]
    if len(missing) > max_listed:
        problems.append(f"... and {len(missing) - max_listed} more missing images")
    return problems, [f"images read from {layout}", f"{len(split)} training samples"]


def _quiet(factory: Any, *args: Any) -> Any:
    """pycocotools prints progress on stdout; keep stdout for --json."""
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        return factory(*args)


class MPII:
    """MPII Human Pose (2D): a training set for Human3.6M models; it has no test split here."""

    name = "mpii"
    description = "MPII Human Pose (2D, COCO-format annotations) mapped onto the Human3.6M joints; training only"
    info = DatasetInfo(
        joint_names=C.JOINT_NAMES,
        flip_pairs=C.FLIP_PAIRS,
        root_index=C.ROOT_INDEX,
        evaluators={},
        default_alignment={},
        metric_names={},
        skeleton=C.SKELETON,
        train_split=lambda data_dir, options: load_train(Path(data_dir), options),
    )

    def load_split(self, data_dir: Path, options: SplitOptions) -> EvalSplit:
        raise DataError("mpii is a training set without a test split; evaluate on h36m")


def write_synthetic(out: Path, h36m_dir: Path, protocol: int = 2) -> dict[str, int]:
    """A small MPII-format set from a (synthetic) Human3.6M folder: its training images, the joints
    projected to 2D in MPII's order (every keypoint visible), COCO-format annotations."""
    from cnp_core.plugin import write_json
    from cnp_h36m.options import H36MOptions
    from cnp_h36m.split import build_train_split

    split = build_train_split(h36m_dir, H36MOptions(protocol=protocol))
    images, annotations = [], []
    from cnp_core.plugin import read_image

    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "annotations").mkdir(parents=True, exist_ok=True)
    for i, source in enumerate(split.image_paths):
        name = f"{i:06d}.jpg"
        shutil.copyfile(source, out / "images" / name)
        image = read_image(source)
        if image is None:
            raise DataError(f"cannot read {source}")
        height, width = image.shape[:2]
        keypoints = np.zeros((len(JOINT_NAMES), 3))
        keypoints[:, :2] = split.joints[i, list(TO_H36M), :2]
        keypoints[:, 2] = 1
        x, y, w, h = (float(v) for v in split.bboxes[i])
        images.append({"id": i, "file_name": f"images/{name}", "width": width, "height": height})  # the official layout
        annotations.append(
            {
                "id": i,
                "image_id": i,
                "category_id": 1,
                "iscrowd": 0,
                "area": w * h,
                "bbox": [x + w * 0.1, y + h * 0.1, w * 0.8, h * 0.8],  # undo most of the 1.25 widening
                "num_keypoints": len(JOINT_NAMES),
                "keypoints": keypoints.reshape(-1).round(2).tolist(),
            }
        )
    categories = [{"id": 1, "name": "person", "keypoints": list(JOINT_NAMES), "skeleton": []}]
    write_json(out / ANNOTATIONS, {"images": images, "annotations": annotations, "categories": categories}, indent=None)
    return {"images": len(images), "annotations": len(annotations)}


__all__ = ["FLIP_PAIRS", "JOINT_NAMES", "MPII", "TO_H36M", "check_mpii", "image_root", "load_train", "write_synthetic"]
