"""RootNet boxes and roots (``bbox_root_human36m_output.json``)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from cnp_core.plugin import DataError, numbers
from cnp_h36m.constants import TEST_SUBJECTS
from cnp_h36m.jsonio import read_json

BboxRoot = dict[int, tuple[np.ndarray, np.ndarray]]


def load_bbox_root(path: Path) -> BboxRoot:
    """image_id -> (bbox [x, y, w, h], root_cam [X, Y, Z]), used as they are (no re-processing)."""
    entries = read_json(path, "RootNet bbox_root file")
    if not isinstance(entries, list):
        raise DataError(f"malformed RootNet file {path}: expected a list of {{image_id, bbox, root_cam}}")
    table: BboxRoot = {}
    for n, entry in enumerate(entries):
        try:
            image_id, bbox, root = int(entry["image_id"]), entry["bbox"], entry["root_cam"]
        except (KeyError, TypeError, ValueError):
            raise DataError(f"malformed RootNet file {path}: entry {n} lacks image_id, bbox or root_cam") from None
        where = f"RootNet file {path}, entry {n} (image_id {image_id})"
        box = numbers(bbox, shape=(4,), what="bbox [x, y, w, h]", where=where)
        numbers(box[2:], shape=(2,), what="bbox width and height", where=where, positive=True)
        root_cam = numbers(root, shape=(3,), what="root_cam [X, Y, Z]", where=where)
        numbers(root_cam[2:], shape=(1,), what="root depth Z", where=where, positive=True)
        if image_id in table:  # Human3.6M has one person per image: a second box is a broken file, not a choice
            first = next(k for k, e in enumerate(entries) if isinstance(e, dict) and str(e.get("image_id")) == str(image_id))
            raise DataError(
                f"RootNet file {path}: image_id {image_id} has two entries ({first} and {n}); Human3.6M has one person "
                "per image, so the file is broken or merged twice: pass the file RootNet wrote with --bbox-root"
            )
        table[image_id] = (box, root_cam)
    return table


def require_ids(table: BboxRoot, ids: np.ndarray, subjects: np.ndarray, protocol: int, path: Path) -> None:
    """Every split image id must be in the file; otherwise say how many miss and what the file covers."""
    present = np.array([int(i) in table for i in ids], dtype=bool)
    if present.all():
        return
    missing = int((~present).sum())
    covered = sorted({int(s) for s in subjects[present]})
    missing_by = Counter(int(s) for s in subjects[~present])
    detail = ", ".join(f"subject {s}: {c}" for s, c in sorted(missing_by.items()))
    if covered:
        seems = next((p for p, subs in TEST_SUBJECTS.items() if list(subs) == covered), None)
        cover = f"it covers subject(s) {', '.join(map(str, covered))} only" + (
            f", like the Protocol {seems} file (S11 only)" if seems == 1 else ""
        )
    else:
        cover = "it covers none of this split's images"
    hint = f"use --protocol {seems}" if covered and seems and seems != protocol else "pass the matching file with --bbox-root"
    raise DataError(
        f"RootNet file {path} lacks {missing} of {len(ids)} image ids of the Protocol {protocol} test split "
        f"({detail}); {cover}; {hint}"
    )
