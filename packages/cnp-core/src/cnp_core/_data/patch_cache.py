"""Decode once: the cropped uint8 patches of a split, kept on disk and reused by every checkpoint,
variant and epoch evaluated on it.

An entry is keyed by the image files (path, size, modification time), the boxes and the input
shape, so it holds exactly the bytes the decoder and the warp would produce again. It is a
``(N, H, W, 3)`` uint8 ``.npy`` (memory-mapped; rows are filled as they are first decoded, so an
interrupted run keeps what it did) with a ``filled.npy`` row mask beside it. Entries are bounded
in total size: the least recently used are removed to make room, and a split larger than the
bound is not cached.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnp_core._output.atomic import OutputError, atomic_path, make_dirs
from cnp_core._output.cache_dir import disk_bytes

VERSION = 1
DATA, FILLED, META = "patches.npy", "filled.npy", "meta.json"


class PatchCacheWarning(UserWarning):
    """The patch cache could not be used; the run went on without it."""


FREE_MARGIN = 1024**3  # leave this much disk free


@dataclass(frozen=True)
class PatchCacheConfig:
    """Where entries live and how much disk they may take together."""

    folder: Path
    limit_bytes: int = 20 * 1024**3


def default_patch_cache(limit_gb: float = 20.0) -> PatchCacheConfig:
    """Beside the split cache: ``<cache dir>/patches`` (``CNP_CACHE_DIR`` moves both), ``limit_gb`` in all."""
    from cnp_core._output.cache_dir import default_cache_dir

    return PatchCacheConfig(default_cache_dir() / "patches", int(limit_gb * 1024**3))


def entry_key(image_paths: Sequence[str], bboxes: np.ndarray, input_shape: tuple[int, int]) -> str:
    digest = hashlib.sha256(json.dumps({"v": VERSION, "shape": list(input_shape)}).encode())
    for path in image_paths:
        try:
            st = os.stat(path)
            digest.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        except OSError:
            digest.update(f"{path}\0missing\n".encode())
    digest.update(np.ascontiguousarray(bboxes, dtype=np.float64).tobytes())
    return digest.hexdigest()[:32]


class PatchCache:
    """One split's entry: which rows are filled, reading them, and storing new ones."""

    def __init__(self, config: PatchCacheConfig, image_paths: Sequence[str], bboxes: np.ndarray, input_shape: tuple[int, int]):
        self.config = config
        self.shape = (len(image_paths), int(input_shape[0]), int(input_shape[1]), 3)
        self.folder = Path(config.folder) / entry_key(image_paths, bboxes, input_shape)
        self.nbytes = int(np.prod(self.shape))
        self.enabled = 0 < self.nbytes <= config.limit_bytes
        self.filled = np.zeros(len(image_paths), dtype=bool)
        self._data: np.ndarray | None = None
        if self.enabled and (self.folder / FILLED).is_file() and (self.folder / DATA).is_file():
            try:
                filled = np.load(self.folder / FILLED, allow_pickle=False)
                if filled.shape == self.filled.shape and filled.dtype == bool:
                    self.filled = filled
            except (OSError, ValueError):
                pass

    @property
    def data_path(self) -> Path:
        return self.folder / DATA

    def _open(self, write: bool) -> np.ndarray:
        if self._data is None or (write and not self._data.flags.writeable):
            if write and not self.data_path.is_file():
                self._make_room()
                make_dirs(self.folder)
                if shutil.disk_usage(self.folder).free < self.nbytes + FREE_MARGIN:
                    raise OSError("not enough free disk for the patch cache")
                self._data = np.lib.format.open_memmap(self.data_path, mode="w+", dtype=np.uint8, shape=self.shape)
                # Reserve the blocks now: writing into a memory map on a full disk kills the process
                # (SIGBUS) instead of raising, so a cache that cannot be stored must fail here.
                with self.data_path.open("rb+") as fh:
                    os.posix_fallocate(fh.fileno(), 0, self.data_path.stat().st_size)
                (self.folder / META).write_text(json.dumps({"shape": list(self.shape), "version": VERSION}))
            else:
                self._data = np.load(self.data_path, mmap_mode="r+" if write else "r", allow_pickle=False)
        return self._data

    def read(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """The stored patches of filled ``rows`` (a copy)."""
        return np.array(self._open(write=False)[np.asarray(rows)])

    def store(self, rows: Sequence[int] | np.ndarray, patches: np.ndarray) -> None:
        """Keep newly decoded patches (a disk error just leaves the cache as it was)."""
        if not self.enabled:
            return
        try:
            data = self._open(write=True)
            data[np.asarray(rows)] = patches
            self.filled[np.asarray(rows)] = True
        except (OSError, OutputError) as exc:  # an unusable cache folder: run uncached, and say so once
            self.enabled = False
            self._data = None
            shutil.rmtree(self.folder, ignore_errors=True)
            warnings.warn(
                f"patch cache unusable ({' '.join(str(exc).split())}); this run decodes every image (set CNP_CACHE_DIR "
                "to a writable folder, or pass --no-patch-cache)",
                PatchCacheWarning,
                stacklevel=2,
            )

    def flush(self) -> None:
        """Make what was stored durable: the data, then the mask that says which rows hold it."""
        if not self.enabled or self._data is None or not self._data.flags.writeable:
            return
        try:
            self._data.flush()  # type: ignore[attr-defined]
            with atomic_path(self.folder / FILLED) as tmp, tmp.open("wb") as fh:
                np.save(fh, self.filled)
            os.utime(self.folder)  # most recently used
        except OSError:
            self.enabled = False

    def _make_room(self) -> None:
        """Remove the least recently used entries until this one fits within the bound."""
        root = Path(self.config.folder)
        if not root.is_dir():
            return
        # only entries this cache wrote (their meta.json): a folder of the user's there is never removed
        ours = (p for p in root.iterdir() if p.is_dir() and p != self.folder and (p / META).is_file())
        entries = sorted(ours, key=lambda p: p.stat().st_mtime)
        total = sum(disk_bytes(p) for p in entries)
        while entries and total + self.nbytes > self.config.limit_bytes:
            oldest = entries.pop(0)
            total -= disk_bytes(oldest)
            shutil.rmtree(oldest, ignore_errors=True)


def cache_size(folder: Path) -> int:
    """Bytes the entries under ``folder`` take on disk."""
    return sum(disk_bytes(p) for p in Path(folder).iterdir() if p.is_dir()) if Path(folder).is_dir() else 0


__all__ = ["PatchCache", "PatchCacheConfig", "cache_size", "default_patch_cache", "entry_key"]
