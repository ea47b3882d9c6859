"""The built-in demo: a small synthetic Human3.6M and random-weight checkpoints, cached once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cnp_core._output.atomic import OutputError, staged_dir, write_json

DEMO_VERSION = 3  # 2: complete.json records every file's size; 3: one folder per dataset


def demo_root(cache_dir: Path | None = None) -> Path:
    from cnp_core._output.cache_dir import default_cache_dir

    return (cache_dir or default_cache_dir()) / "demo" / f"v{DEMO_VERSION}"


def _manifest(folder: Path) -> dict[str, int]:
    return {
        str(p.relative_to(folder)): p.stat().st_size
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "complete.json"
    }


def _intact(data: Path) -> bool:
    """The cached demo folder as it was written (every file there, same sizes); else it is rebuilt."""
    try:
        recorded = json.loads((data / "complete.json").read_text())
        return isinstance(recorded, dict) and recorded.get("files") == _manifest(data)
    except (OSError, ValueError):
        return False


def demo_data(root: Path, dataset: str = "h36m") -> Path:
    """The dataset's declared demo data (``DatasetInfo.demo``), written on first use and again
    whenever a file of it is missing or changed size."""
    from cnp_core import get_host
    from cnp_core._errors import CnpError

    writer = get_host().registry("dataset").get(dataset).info.demo
    if writer is None:
        raise CnpError(f"dataset {dataset} declares no demo data; pass --data-dir instead of --demo")
    data = root / dataset
    if _intact(data):
        return data
    from cnp_core._plugins.host import owner, plugin_callback

    with _cache_errors(root), staged_dir(data) as tmp:
        with plugin_callback(owner("dataset", dataset), f"dataset {dataset}'s demo"):
            writer(tmp)
        write_json(tmp / "complete.json", {"dataset": dataset, "files": _manifest(tmp)})
    return data


@contextmanager
def _cache_errors(root: Path) -> Iterator[None]:
    try:
        yield
    except OutputError as exc:
        raise OutputError(f"{exc} (the demo cache; set CNP_CACHE_DIR to a writable folder)") from None


def demo_checkpoint(root: Path, variant: str) -> Path:
    """A random-weight checkpoint in the published ``ConvNeXtPose_{V}.tar`` form (zip of snapshot_0.pth/)."""
    from cnp_core._checkpoints import read_checkpoint, write_checkpoint
    from cnp_core._checkpoints.synthetic import random_state_dict
    from cnp_core._errors import CheckpointError

    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in variant)
    path = root / "checkpoints" / f"ConvNeXtPose_{safe}.tar"
    if path.is_file():
        try:
            read_checkpoint(path)
            return path
        except CheckpointError:
            pass  # damaged: write it again
    with _cache_errors(root):
        style = "legacy-head-keys" if variant in ("M", "L") else None  # as the M/L releases name the head
        write_checkpoint(random_state_dict(variant, seed=0), path, form="zip-tar", epoch=0, key_style=style)
    return path
