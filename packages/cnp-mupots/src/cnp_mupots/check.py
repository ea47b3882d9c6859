"""``cnp data check --dataset mupots DIR``: every problem in a MuPoTS-3D folder, one line each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from cnp_core.plugin import DataError
from cnp_mupots import layout


def _finite(values: Any) -> bool:
    try:
        return bool(np.isfinite(np.asarray(values, dtype=np.float64)).all())
    except (TypeError, ValueError):
        return False


def check_folder(data_dir: Path, bbox: str = "rootnet", bbox_root: Path | None = None, max_listed: int = 20) -> list[str]:
    """Missing or unreadable files (images, annot.mat, occlusion.mat), sequences without annotations,
    annotations with non-finite numbers or empty boxes, and for RootNet boxes: entries for images the
    json does not list, boxes wholly outside their image, non-finite numbers."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        return [f"{data_dir}: folder does not exist"]
    try:
        images, annotations = layout.read_annotations(data_dir)
    except DataError as exc:
        return [str(exc)]
    problems: list[str] = []
    missing, corrupt = [], []
    for img in images.values():
        path = layout.images_dir(data_dir) / img.file_name
        if not path.is_file():
            missing.append(str(path))
            continue
        with path.open("rb") as fh:
            if fh.read(2) != b"\xff\xd8":
                corrupt.append(str(path))
    for label, paths in (("missing image", missing), ("not a JPEG image", corrupt)):
        problems += [f"{label}: {p}" for p in paths[:max_listed]]
        if len(paths) > max_listed:
            problems.append(f"... and {len(paths) - max_listed} more ({label})")
    annotated = {layout.sequence_of(images[a["image_id"]].file_name) for a in annotations}
    for sequence in sorted({layout.sequence_of(i.file_name) for i in images.values()}, key=lambda s: int(s[2:])):
        if sequence not in annotated:
            problems.append(f"{layout.annotation_json(data_dir)}: sequence {sequence} has images but no annotation")
        try:
            layout.read_sequence(data_dir, sequence)
        except DataError as exc:
            problems.append(str(exc))
        if not (layout.images_dir(data_dir) / sequence / "occlusion.mat").is_file():
            problems.append(f"missing {layout.images_dir(data_dir) / sequence / 'occlusion.mat'}")
    for n, ann in enumerate(annotations):
        box = ann["bbox"]
        if not _finite(box) or not _finite(ann["keypoints_cam"]):
            problems.append(f"{layout.annotation_json(data_dir)}: annotations[{n}] holds a non-finite or non-numeric value")
        elif len(box) != 4 or box[2] <= 0 or box[3] <= 0:
            problems.append(f"{layout.annotation_json(data_dir)}: annotations[{n}] has an empty box {box}")
    if bbox == "rootnet":
        path = Path(bbox_root) if bbox_root else layout.default_bbox_root(data_dir)
        problems += _check_rootnet(path, images)
    return problems


def _check_rootnet(path: Path, images: dict[int, layout.ImageInfo]) -> list[str]:
    import json

    if not path.is_file():
        return [f"missing RootNet file {path}"]
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return [f"{path} is not valid JSON ({exc})"]
    if not isinstance(entries, list):
        return [f"{path}: expected a list of {{image_id, bbox, root_cam}}"]
    problems = []
    for n, e in enumerate(entries):
        if not isinstance(e, dict) or e.get("image_id") not in images:
            problems.append(
                f"{path}: entry {n} is for image {e.get('image_id') if isinstance(e, dict) else e!r}, which MuPoTS-3D.json does not list"
            )
            continue
        if not (_finite(e.get("bbox")) and _finite(e.get("root_cam"))):
            problems.append(f"{path}: entry {n} (image {e['image_id']}) holds a non-finite or missing bbox/root_cam")
            continue
        x, y, w, h = (float(v) for v in np.asarray(e["bbox"], dtype=np.float64).reshape(4))
        img = images[e["image_id"]]
        if w <= 0 or h <= 0 or x >= img.width or y >= img.height or x + w <= 0 or y + h <= 0:
            problems.append(
                f"{path}: entry {n} (image {e['image_id']}) has a box {[x, y, w, h]} outside its {img.width}x{img.height} image"
            )
    return problems


__all__ = ["check_folder"]
