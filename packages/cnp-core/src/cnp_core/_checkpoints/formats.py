"""Built-in checkpoint formats. None of them ever runs code from a file.

- ``torch-zip``: torch's zip serialization under any name (``.pth``, ``.pth.tar``, the published ``.tar``)
- ``torch-folder``: that zip extracted to disk (``snapshot_83.pth/data.pkl``, ``data/0``, ...)
- ``tar``: a real tar archive wrapping such a folder
- ``torch-legacy``: torch's pre-1.6 pickle format
- ``safetensors``
"""

from __future__ import annotations

import io
import json
import pickle
import re
import struct
import tarfile
import zipfile
from pathlib import Path
from typing import IO, Protocol, runtime_checkable

import torch

from cnp_core._checkpoints.raw import RawCheckpoint, unpack
from cnp_core._errors import CheckpointError, UnsafeCheckpointError


@runtime_checkable
class CheckpointFormat(Protocol):
    """A way of storing weights. ``priority`` orders detection (higher first, default 0)."""

    name: str
    description: str

    def detect(self, path: Path) -> bool:
        """Cheaply say whether this format reads ``path``."""
        ...

    def read(self, path: Path) -> RawCheckpoint:
        """Read the tensors; never execute code from the file."""
        ...


def safe_torch_load(source: str | Path | IO[bytes], path: Path) -> object:
    """``torch.load(weights_only=True)`` with one-line errors; code in a pickle is refused, never run."""
    try:
        return torch.load(source, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        # cnp's own words only: torch's message goes on to suggest weights_only=False or allowlisting
        # the global, which is exactly what must not be done with a file one does not trust
        names = re.findall(r"GLOBAL ([\w.]+)", str(exc))
        reason = f"it names {names[0]}" if names else "not a weights-only pickle"
        raise UnsafeCheckpointError(
            f"{path}: refused to load: the file's pickle would create objects or run code that plain "
            f"weights never need ({reason}); only use files you trust, "
            f"or convert a trusted one to safetensors with `cnp convert`"
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "weights_only" in first or "safe_globals" in first or "Weights only" in first:
            first = "not a weights-only torch file"
        raise CheckpointError(f"{path}: cannot read the torch checkpoint ({first}); is the file complete?") from None


def _find_folder(path: Path) -> Path | None:
    if (path / "data.pkl").is_file():
        return path
    children = [c for c in path.iterdir() if c.is_dir() and (c / "data.pkl").is_file()] if path.is_dir() else []
    return children[0] if len(children) == 1 else None


def _zip_of_files(prefix: str, files: list[tuple[str, bytes]]) -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as out:
        for rel, data in files:
            out.writestr(f"{prefix}/{rel}", data)
    buf.seek(0)
    return buf


class TorchZipFormat:
    name = "torch-zip"
    description = "torch zip serialization under any extension (.pth, .pth.tar, published .tar)"
    priority = 10

    def detect(self, path: Path) -> bool:
        return path.is_file() and zipfile.is_zipfile(path) and _zip_has_pickle(path)

    def read(self, path: Path) -> RawCheckpoint:
        with zipfile.ZipFile(path) as zf:
            inner = next(n for n in zf.namelist() if n.endswith("data.pkl")).rsplit("/", 1)[0]
        return unpack(safe_torch_load(path, path), path, self.name, inner)


def _zip_has_pickle(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return any(n.endswith("data.pkl") for n in zf.namelist())
    except zipfile.BadZipFile:
        return False


class TorchFolderFormat:
    name = "torch-folder"
    description = "an extracted torch serialization folder (snapshot_N.pth/ with data.pkl, data/0, ...)"
    priority = 10

    def detect(self, path: Path) -> bool:
        return path.is_dir() and _find_folder(path) is not None

    def read(self, path: Path) -> RawCheckpoint:
        folder = _find_folder(path)
        if folder is None:
            raise CheckpointError(f"{path}: no data.pkl found; point at the extracted snapshot_N.pth folder")
        files = [(str(f.relative_to(folder)), f.read_bytes()) for f in sorted(folder.rglob("*")) if f.is_file()]
        buf = _zip_of_files(folder.name, files)
        return unpack(safe_torch_load(buf, path), path, self.name, folder.name)


class TarFormat:
    name = "tar"
    description = "a real tar archive wrapping an extracted torch serialization folder"
    priority = 5

    def detect(self, path: Path) -> bool:
        if not path.is_file() or zipfile.is_zipfile(path):
            return False
        try:
            return tarfile.is_tarfile(path)
        except OSError:
            return False

    def read(self, path: Path) -> RawCheckpoint:
        try:
            with tarfile.open(path) as tf:
                members = [m for m in tf.getmembers() if m.isfile()]
                pkl = [m for m in members if m.name.endswith("data.pkl")]
                if len(pkl) != 1:
                    raise CheckpointError(f"{path}: the tar holds {len(pkl)} torch folders (data.pkl); expected exactly one")
                root = pkl[0].name[: -len("data.pkl")].rstrip("/")
                files = []
                for m in members:
                    if m.name.startswith(root + "/") or not root:
                        handle = tf.extractfile(m)
                        if handle is not None:
                            files.append((m.name[len(root) + 1 :] if root else m.name, handle.read()))
        except (tarfile.TarError, EOFError) as exc:
            raise CheckpointError(f"{path}: corrupt tar archive ({exc}); download or re-create it") from None
        name = root.rsplit("/", 1)[-1] or "archive"
        return unpack(safe_torch_load(_zip_of_files(name, files), path), path, self.name, name)


class TorchLegacyFormat:
    name = "torch-legacy"
    description = "torch's legacy (pre-zip) pickle serialization"
    priority = 0

    def detect(self, path: Path) -> bool:
        if not path.is_file():
            return False
        with path.open("rb") as fh:
            head = fh.read(2)
        return head == b"\x80\x02"

    def read(self, path: Path) -> RawCheckpoint:
        return unpack(safe_torch_load(path, path), path, self.name)


class SafetensorsFormat:
    name = "safetensors"
    description = "safetensors (metadata may carry epoch and variant)"
    priority = 10

    def detect(self, path: Path) -> bool:
        if not path.is_file() or path.stat().st_size < 10:
            return False
        with path.open("rb") as fh:
            (size,) = struct.unpack("<Q", fh.read(8))
            return 2 <= size <= 100_000_000 and fh.read(1) == b"{"

    def read(self, path: Path) -> RawCheckpoint:
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            state = load_file(str(path))
            with path.open("rb") as fh:
                (size,) = struct.unpack("<Q", fh.read(8))
                meta = json.loads(fh.read(size)).get("__metadata__", {}) or {}
        except (SafetensorError, ValueError, OSError) as exc:
            raise CheckpointError(f"{path}: corrupt safetensors file ({exc}); re-create it") from None
        epoch = str(meta.get("epoch", ""))
        return RawCheckpoint(dict(state), self.name, str(path), int(epoch) if epoch.isdigit() else None, dict(meta))


BUILTIN_FORMATS: tuple[CheckpointFormat, ...] = (
    TorchZipFormat(),
    TorchFolderFormat(),
    SafetensorsFormat(),
    TarFormat(),
    TorchLegacyFormat(),
)
