"""Where cnp keeps what it can rebuild: one cache folder for every package and plugin."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def default_cache_dir() -> Path:
    """``$CNP_CACHE_DIR``, else ``$XDG_CACHE_HOME/cnp``, else ``~/.cache/cnp``."""
    if os.environ.get("CNP_CACHE_DIR"):
        return Path(os.environ["CNP_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cnp"


# What cnp keeps under the cache folder, each rebuilt on demand when missing.
CACHE_PARTS = {
    "splits": "parsed test splits",
    "patches": "cropped uint8 patches (the patch cache)",
    "demo": "the built-in demo's data and checkpoints",
    "variant_sizes.json": "measured variant sizes",
}


def disk_bytes(path: Path) -> int:
    """Bytes ``path`` (a file, or a folder's files) takes on disk (sparse files count what they hold)."""
    if path.is_file():
        return path.stat().st_blocks * 512
    return sum(f.stat().st_blocks * 512 for f in path.rglob("*") if f.is_file()) if path.is_dir() else 0


def cache_report(root: Path | None = None) -> dict[str, dict[str, Any]]:
    """Each part of the cache folder: what it holds, its path and the bytes it takes on disk."""
    root = root or default_cache_dir()
    return {
        name: {"what": what, "path": str(root / name), "bytes": disk_bytes(root / name)} for name, what in CACHE_PARTS.items()
    }


def clear_cache(root: Path | None = None, parts: tuple[str, ...] = tuple(CACHE_PARTS)) -> int:
    """Remove ``parts`` of the cache folder (only what cnp keeps there); returns the bytes freed."""
    import shutil

    root = root or default_cache_dir()
    freed = 0
    for name in parts:
        path = root / name
        freed += disk_bytes(path)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        elif path.exists():
            path.unlink()
    return freed
