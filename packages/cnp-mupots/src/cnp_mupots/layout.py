"""MuPoTS-3D on disk (the official layout) and its readers: the COCO-format json, RootNet's boxes,
and each sequence's ``annot.mat`` / ``occlusion.mat``.

::

    MuPoTS/                                   <- --data-dir
      data/MultiPersonTestSet/TS{1..20}/img_000000.jpg, ..., annot.mat, occlusion.mat
      data/MuPoTS-3D.json
      bbox_root/bbox_root_mupots_output.json
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cnp_core.plugin import DataError
from cnp_mupots.scoring import FrameTruth, SequenceTruth

SEQUENCES = tuple(f"TS{n}" for n in range(1, 21))


def images_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "data" / "MultiPersonTestSet"


def annotation_json(data_dir: Path) -> Path:
    return Path(data_dir) / "data" / "MuPoTS-3D.json"


def default_bbox_root(data_dir: Path) -> Path:
    return Path(data_dir) / "bbox_root" / "bbox_root_mupots_output.json"


def frame_key(file_name: str) -> str:
    """``TS1/img_000000.jpg`` -> ``TS1_img_000000`` (the official result files' key)."""
    parts = file_name.replace("\\", "/").split("/")
    return parts[-2] + "_" + parts[-1].split(".")[0]


def sequence_of(file_name: str) -> str:
    return file_name.replace("\\", "/").split("/")[-2]


def _read_json(path: Path, what: str) -> Any:
    if not path.is_file():
        raise DataError(f"missing {what} {path}; check --data-dir (the MuPoTS folder holding data/ and bbox_root/)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"{path} is not valid JSON ({exc}); re-extract the {what}") from None


@dataclass(frozen=True)
class ImageInfo:
    """One image of MuPoTS-3D.json: its file (relative to MultiPersonTestSet/), size and camera."""

    id: int
    file_name: str
    width: int
    height: int
    intrinsic: tuple[float, float, float, float]  # fx, fy, cx, cy


def read_annotations(data_dir: Path) -> tuple[dict[int, ImageInfo], list[dict[str, Any]]]:
    """(image id -> :class:`ImageInfo`, annotations in file order) of MuPoTS-3D.json, checked."""
    path = annotation_json(data_dir)
    data = _read_json(path, "annotation file")
    if not isinstance(data, dict) or not isinstance(data.get("images"), list) or not isinstance(data.get("annotations"), list):
        raise DataError(f"{path}: expected a COCO-format object with 'images' and 'annotations' lists")
    images: dict[int, ImageInfo] = {}
    for n, img in enumerate(data["images"]):
        try:
            fx, fy, cx, cy = (float(v) for v in img["intrinsic"])
            info = ImageInfo(int(img["id"]), str(img["file_name"]), int(img["width"]), int(img["height"]), (fx, fy, cx, cy))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{path}: images[{n}] lacks or mangles {exc} (id, file_name, width, height, intrinsic)") from None
        if info.id in images:
            raise DataError(f"{path}: image id {info.id} appears twice (images[{n}]); each image needs its own id")
        if not re.fullmatch(r"TS\d+/img_\d+\.jpg", info.file_name.replace("\\", "/")):
            raise DataError(f"{path}: images[{n}] file_name {info.file_name!r} is not of the form TS<n>/img_<frame>.jpg")
        images[info.id] = info
    for n, ann in enumerate(data["annotations"]):
        missing = [k for k in ("image_id", "bbox", "keypoints_cam", "is_valid") if not isinstance(ann, dict) or k not in ann]
        if missing:
            raise DataError(f"{path}: annotations[{n}] lacks {', '.join(missing)}")
        if ann["image_id"] not in images:
            raise DataError(f"{path}: annotations[{n}] refers to image {ann['image_id']}, which images does not list")
    return images, data["annotations"]


def read_rootnet(path: Path, images: dict[int, ImageInfo]) -> list[dict[str, Any]]:
    """RootNet's entries in file order, each checked: a known image id, a 4-number box, a 3-number root."""
    entries = _read_json(path, "RootNet file")
    if not isinstance(entries, list):
        raise DataError(f"{path}: expected a list of {{image_id, bbox, root_cam}} (RootNet's output)")
    for n, e in enumerate(entries):
        try:
            box = np.asarray(e["bbox"], dtype=np.float64).reshape(4)
            root = np.asarray(e["root_cam"], dtype=np.float64).reshape(3)
            image_id = e["image_id"]
        except (KeyError, TypeError, ValueError):
            raise DataError(f"{path}: entry {n} is not {{image_id, bbox [x, y, w, h], root_cam [X, Y, Z]}}") from None
        if image_id not in images:
            raise DataError(
                f"{path}: entry {n} is for image {image_id}, which MuPoTS-3D.json does not list; "
                "is this RootNet file for another dataset? pass MuPoTS's with --bbox-root"
            )
        if not (np.isfinite(box).all() and np.isfinite(root).all()):
            raise DataError(f"{path}: entry {n} (image {image_id}) holds a non-finite number")
        if box[2] <= 0 or box[3] <= 0:
            raise DataError(f"{path}: entry {n} (image {image_id}) has a box of size {box[2]} x {box[3]}")
        if root[2] <= 0:
            raise DataError(f"{path}: entry {n} (image {image_id}) puts the root behind the camera (Z {root[2]})")
    return entries


def _cell(array: np.ndarray, i: int, j: int) -> Any:
    return array[i, j]


def _field(struct: Any, name: str, path: Path) -> np.ndarray:
    try:
        return np.asarray(struct[name][0, 0])
    except (KeyError, ValueError, IndexError, TypeError):
        raise DataError(f"{path}: an annotation lacks the field {name!r} (annot2, univ_annot3, isValidFrame)") from None


def read_sequence(data_dir: Path, sequence: str) -> SequenceTruth:
    """``TS<n>/annot.mat``: per frame, its valid people (``isValidFrame``) in annotation order with
    ``annot2`` (2 x 17 px) and ``univ_annot3`` (3 x 17 mm) — what the MATLAB script scores against."""
    from scipy.io import loadmat

    path = images_dir(data_dir) / sequence / "annot.mat"
    if not path.is_file():
        raise DataError(f"missing {path}; every sequence needs its annot.mat (from the MuPoTS-3D release)")
    try:
        cells = loadmat(str(path))["annotations"]
    except (OSError, ValueError, KeyError, TypeError, NotImplementedError) as exc:
        raise DataError(f"{path} is not a MuPoTS annot.mat with an 'annotations' cell array ({type(exc).__name__})") from None
    cells = np.asarray(cells, dtype=object)
    if cells.ndim != 2:
        raise DataError(f"{path}: 'annotations' is not a frames x people cell array")
    frames = []
    for i in range(cells.shape[0]):
        poses_2d, poses_3d, people = [], [], []
        for j in range(cells.shape[1]):
            struct = _cell(cells, i, j)
            if not int(np.asarray(_field(struct, "isValidFrame", path)).reshape(-1)[0]):
                continue
            annot2 = _field(struct, "annot2", path).astype(np.float64)
            univ = _field(struct, "univ_annot3", path).astype(np.float64)
            if annot2.shape != (2, 17) or univ.shape != (3, 17):
                raise DataError(
                    f"{path}: frame {i}, person {j}: annot2 {annot2.shape} / univ_annot3 {univ.shape}, expected 2x17 / 3x17"
                )
            if not (np.isfinite(annot2).all() and np.isfinite(univ).all()):
                raise DataError(f"{path}: frame {i}, person {j} holds a non-finite number")
            poses_2d.append(annot2.T)
            poses_3d.append(univ.T)
            people.append(j)
        frames.append(
            FrameTruth(
                f"{sequence}_img_{i:06d}",
                np.array(poses_2d).reshape(-1, 17, 2),
                np.array(poses_3d).reshape(-1, 17, 3),
                np.array(people, dtype=np.int64),
            )
        )
    return SequenceTruth(sequence, tuple(frames))


__all__ = [
    "SEQUENCES",
    "ImageInfo",
    "annotation_json",
    "default_bbox_root",
    "frame_key",
    "images_dir",
    "read_annotations",
    "read_rootnet",
    "read_sequence",
    "sequence_of",
]
