"""A dataset's declared demo data (``DatasetInfo.demo``), written once into the cache folder."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cnp_core._output.atomic import OutputError, staged_dir, write_json


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


def demo_data(root: Path, dataset: str) -> Path:
    """The dataset's declared demo data (``DatasetInfo.demo``), written on first use and again
    whenever a file of it is missing or changed size."""
    from cnp_core._errors import CnpError
    from cnp_core._plugins.host import get_host

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


__all__ = ["demo_data"]
