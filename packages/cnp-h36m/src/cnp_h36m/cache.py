"""On-disk cache of parsed test splits: numpy arrays + JSON, no pickle, keyed by files and options."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from cnp_core.plugin import EvalSplit, atomic_path, write_json
from cnp_h36m.options import H36MOptions

CACHE_VERSION = 5  # 4: image paths stored absolute (resolved); 5: skipped boxes in the summary
_ARRAYS = ("image_ids", "bboxes", "root_cam", "joint_cam", "focal", "center", "actions")


def _stamp(path: Path) -> list[Any]:
    try:
        st = path.stat()
        return [str(path.resolve()), st.st_size, st.st_mtime_ns]
    except FileNotFoundError:
        return [str(path), None, None]


def cache_key(data_dir: Path, options: H36MOptions, files: list[Path]) -> str:
    """Changes whenever an input file (size, mtime) or an option that shapes the split changes."""
    opts = asdict(options)
    opts["bbox_root_file"] = str(options.bbox_root_file) if options.bbox_root_file else None
    payload = {"v": CACHE_VERSION, "dir": str(data_dir.resolve()), "options": opts, "files": [_stamp(f) for f in files]}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:24]


def load_cached(folder: Path) -> EvalSplit | None:
    """The split stored in ``folder`` or None if absent or unreadable."""
    meta_path, arrays_path = folder / "split.json", folder / "arrays.npz"
    if not (meta_path.is_file() and arrays_path.is_file()):
        return None
    try:
        meta = json.loads(meta_path.read_text())
        with np.load(arrays_path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in _ARRAYS}
            columns = {k: npz[f"column_{k}"] for k in meta["sample_columns"]}
    except (OSError, ValueError, KeyError):
        return None
    return EvalSplit(
        name=meta["name"],
        image_paths=tuple(meta["image_paths"]),
        action_names=tuple(meta["action_names"]),
        joint_names=tuple(meta["joint_names"]),
        flip_pairs=tuple(tuple(p) for p in meta["flip_pairs"]),  # type: ignore[misc]
        root_index=meta["root_index"],
        eval_joints=tuple(meta["eval_joints"]),
        bbox_3d_depth_mm=meta["bbox_3d_depth_mm"],
        estimated_root=meta["estimated_root"],
        sample_columns=columns,
        meta=meta["meta"],
        **arrays,
    )


def store(folder: Path, split: EvalSplit) -> None:
    """Write ``split`` to ``folder`` (arrays first, then the JSON that makes the entry valid)."""
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(folder / "arrays.npz") as tmp:
        with tmp.open("wb") as fh:
            columns = {f"column_{k}": np.asarray(v) for k, v in split.sample_columns.items()}
            np.savez(fh, **{k: getattr(split, k) for k in _ARRAYS}, **columns)  # type: ignore[arg-type]
    write_json(
        folder / "split.json",
        {
            "name": split.name,
            "image_paths": list(split.image_paths),
            "action_names": list(split.action_names),
            "joint_names": list(split.joint_names),
            "flip_pairs": [list(p) for p in split.flip_pairs],
            "root_index": split.root_index,
            "eval_joints": list(split.eval_joints),
            "bbox_3d_depth_mm": split.bbox_3d_depth_mm,
            "estimated_root": split.estimated_root,
            "sample_columns": list(split.sample_columns),
            "meta": split.meta,
        },
        indent=None,
    )
