"""Where cnp keeps what it can rebuild: one cache folder for every package and plugin."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any


def default_cache_dir() -> Path:
    """``$CNP_CACHE_DIR``, else the platform's user cache folder for cnp (platformdirs: on Linux
    ``$XDG_CACHE_HOME/cnp`` or ``~/.cache/cnp``; on macOS ``~/Library/Caches/cnp``; on Windows
    ``%LOCALAPPDATA%\\cnp\\Cache``)."""
    if os.environ.get("CNP_CACHE_DIR"):
        return Path(os.environ["CNP_CACHE_DIR"])
    import platformdirs

    return Path(platformdirs.user_cache_dir("cnp", appauthor=False))


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


def _written_by_cnp(part: str, entry: Path) -> bool:
    """Whether ``entry`` (a child of the cache part ``part``) is something cnp wrote there, by the
    files each writer leaves: a patch-cache entry's meta.json, a split's split.json + arrays.npz,
    the demo's complete.json, a demo checkpoint's ConvNeXtPose_*.tar, cnp's variant_sizes.json."""
    if part == "patches":
        return entry.is_dir() and (entry / "meta.json").is_file()
    if part == "splits":
        return entry.is_dir() and (entry / "split.json").is_file() and (entry / "arrays.npz").is_file()
    if part == "demo":
        if entry.name == "checkpoints" and entry.is_dir():
            return True  # its files are judged one by one (see clear_cache)
        return entry.is_dir() and (entry / "complete.json").is_file()
    return False


def clear_cache(root: Path | None = None, parts: tuple[str, ...] = tuple(CACHE_PARTS)) -> tuple[int, list[str]]:
    """Remove from ``parts`` (names of :data:`CACHE_PARTS`, or ``all``) of the cache folder only the
    entries cnp wrote (a folder of the user's that happens to sit there is never touched); returns
    the bytes freed and what was left, and why."""
    import json
    import shutil

    from cnp_core._errors import ParameterError

    parts = tuple(CACHE_PARTS) if "all" in parts else tuple(parts)
    unknown = [p for p in parts if p not in CACHE_PARTS]
    if unknown:
        raise ParameterError("clear", unknown[0], f"choose {', '.join(CACHE_PARTS)} or all")
    root = root or default_cache_dir()
    freed = 0
    left: list[str] = []
    for name in parts:
        path = root / name
        if name == "variant_sizes.json":
            if path.is_file():
                try:
                    ours = isinstance(json.loads(path.read_text()), dict)
                except (OSError, ValueError):
                    ours = False
                if ours:
                    freed += disk_bytes(path)
                    path.unlink()
                else:
                    left.append(f"{path} (not a file cnp wrote)")
            continue
        if not path.is_dir():
            if path.exists():
                left.append(f"{path} (not a folder cnp wrote)")
            continue
        for entry in sorted(path.iterdir()):
            if not _written_by_cnp(name, entry):
                left.append(f"{entry} (not written by cnp)")
                continue
            if name == "demo" and entry.name == "checkpoints":
                for f in sorted(entry.iterdir()):
                    if f.is_file() and f.name.startswith("ConvNeXtPose_") and f.name.endswith(".tar"):
                        freed += disk_bytes(f)
                        f.unlink()
                    else:
                        left.append(f"{f} (not written by cnp)")
                with contextlib.suppress(OSError):
                    entry.rmdir()
                continue
            freed += disk_bytes(entry)
            shutil.rmtree(entry, ignore_errors=True)
        with contextlib.suppress(OSError):
            path.rmdir()  # only when nothing else is left in it
    return freed, left
