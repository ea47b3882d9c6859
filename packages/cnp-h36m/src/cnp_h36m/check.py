"""``cnp data check``: list exactly what is missing or malformed in a Human3.6M folder."""

from __future__ import annotations

from pathlib import Path

from cnp_core.plugin import DataError
from cnp_h36m import constants as C
from cnp_h36m.jsonio import read_json
from cnp_h36m.layout import KINDS, annotation_file, default_bbox_root, images_dir
from cnp_h36m.options import H36MOptions

_IMAGE_FIELDS = ("id", "file_name", "width", "height", "subject", "action_idx", "subaction_idx", "cam_idx", "frame_idx")
_ANN_FIELDS = ("id", "image_id", "bbox")


def check_folder(data_dir: Path, options: H36MOptions, max_listed: int = 20, notes: list[str] | None = None) -> list[str]:
    """Problems found (empty when the folder can be evaluated with ``options``); ``notes`` receives
    what is not a problem but worth saying (boxes the official loader skips too)."""
    problems: list[str] = []
    if not data_dir.is_dir():
        return [f"{data_dir}: folder does not exist"]
    for subject in C.TEST_SUBJECTS.get(options.protocol, ()):
        for kind in KINDS:
            path = annotation_file(data_dir, subject, kind)
            try:
                read_json(path, f"{kind} file")
            except DataError as exc:
                problems.append(str(exc))
        path = annotation_file(data_dir, subject, "data")
        try:
            data = read_json(path, "annotation file")
        except DataError:
            continue
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("images"), list)
            or not isinstance(data.get("annotations"), list)
        ):
            problems.append(f"{path}: expected an object with 'images' and 'annotations' lists")
            continue
        for n, img in enumerate(data["images"]):
            lacking = [f for f in _IMAGE_FIELDS if not isinstance(img, dict) or f not in img]
            if lacking:
                problems.append(f"{path}: images[{n}] lacks {', '.join(lacking)}")
                break
        for n, ann in enumerate(data["annotations"]):
            lacking = [f for f in _ANN_FIELDS if not isinstance(ann, dict) or f not in ann]
            if lacking:
                problems.append(f"{path}: annotations[{n}] lacks {', '.join(lacking)}")
                break
    if problems:
        return problems
    from cnp_h36m.dataset import Human36M

    try:
        split = Human36M().load(data_dir, options, cache_dir=None)
    except DataError as exc:
        return [str(exc)]
    skipped = split.meta.get("summary", {}).get("skipped_boxes", 0)
    if skipped and notes is not None:
        first = split.meta["summary"]["skipped_first"][0]
        notes.append(
            f"{skipped} GT box(es) are empty once clipped to their image and are skipped, as the official loader skips them; first: {first}"
        )
    missing, corrupt = [], []
    for image_path in split.image_paths:
        p = Path(image_path)
        if not p.is_file():
            missing.append(image_path)
            continue
        with p.open("rb") as fh:
            head = fh.read(3)
        if head[:2] != b"\xff\xd8" and head[:3] != b"\x89PN":
            corrupt.append(image_path)
    for label, paths in (("missing image", missing), ("not a JPEG/PNG image", corrupt)):
        problems.extend(f"{label}: {p}" for p in paths[:max_listed])
        if len(paths) > max_listed:
            problems.append(f"... and {len(paths) - max_listed} more ({label}) under {images_dir(data_dir)}")
    if options.bbox_source == "rootnet" and not (options.bbox_root_file or default_bbox_root(data_dir)).is_file():
        problems.append(f"missing RootNet file {options.bbox_root_file or default_bbox_root(data_dir)}")
    return problems
