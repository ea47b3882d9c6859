"""The one output layer: every file and folder cnp writes goes through here.

- atomic: a reader sees the old result or the new one, never half of one;
- permissions follow the umask (temporary files would otherwise stay 0600, folders 0700);
- nothing a user had is replaced unless cnp wrote it or the caller passes ``force``
  (:func:`claim_output`);
- JSON is strict: a non-finite number is an error before anything is written, never a ``NaN`` token;
- an OS error (read-only folder, a file where a folder should be, a full disk) becomes one
  :class:`OutputError` line naming the path.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cnp_core._errors import CnpError


class OutputError(CnpError):
    """An output that cannot be written, or that would replace something cnp did not write."""


def _umask() -> int:
    """The process umask: read from /proc where Linux shows it (no window in which another thread
    would create files with umask 0), else set and restored at once."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _chmod_default(path: Path, directory: bool) -> None:
    """The mode an ordinary ``open``/``mkdir`` would have given (mkstemp/mkdtemp use 0600/0700)."""
    os.chmod(path, (0o777 if directory else 0o666) & ~_umask())


@contextmanager
def os_errors(path: str | Path, action: str = "write") -> Iterator[None]:
    """Turn an OSError inside into one :class:`OutputError` line naming ``path``."""
    try:
        yield
    except OutputError:
        raise
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        culprit = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(path) else ""
        raise OutputError(f"cannot {action} {path}: {reason}{culprit}; choose a writable location") from None


def make_dirs(folder: str | Path) -> Path:
    """``mkdir -p`` with one-line errors (e.g. a file where a folder should be)."""
    folder = Path(folder)
    with os_errors(folder, "create folder"):
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def writable_dir(folder: str | Path) -> Path:
    """Create ``folder`` if needed and prove a file can be made in it, before any long work starts."""
    folder = make_dirs(folder)
    with os_errors(folder, "write into"):
        fd, probe = tempfile.mkstemp(prefix=".cnp-probe.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    return folder


# What cnp adds to a name while writing it aside: ".{name}." + 8 random + ".tmp", or ".{name}.old-{pid}".
STAGING_OVERHEAD = 16


def _check_name_length(target: Path) -> None:
    """A name that fits the file system but not once cnp adds its staging suffix fails here, before
    any work, not after it."""
    folder = next((p for p in (target.parent, *target.parent.parents) if p.is_dir()), Path("."))
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    if len(target.name.encode()) + STAGING_OVERHEAD > limit:
        raise OutputError(
            f"the name {target.name!r} ({len(target.name.encode())} bytes) is too long for this file system once cnp "
            f"writes it aside (at most {limit - STAGING_OVERHEAD}); use a shorter file or checkpoint name, or fewer excluded patterns"
        )


def claim_output(target: str | Path, *, force: bool = False, owned: Callable[[Path], bool] | None = None) -> Path:
    """Refuse to replace an existing ``target`` that cnp did not write (``owned``) unless ``force``.

    An empty folder is free to use. Call before any expensive work, so a refusal costs nothing.
    """
    target = Path(target)
    _check_name_length(target)
    if not (target.exists() or target.is_symlink()) or force:
        return target
    if target.is_dir() and not target.is_symlink() and not any(target.iterdir()):
        return target
    if owned is not None and owned(target):
        return target
    kind = "folder" if target.is_dir() else "file"
    raise OutputError(f"{target} already exists (a {kind} cnp did not write); pass --force to replace it, or choose another path")


@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target`` in one rename."""
    target = Path(target)
    make_dirs(target.parent)
    with os_errors(target):
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
    tmp = Path(tmp_name)
    try:
        with os_errors(target):
            yield tmp
        with os_errors(target):
            _chmod_default(tmp, directory=False)
            with tmp.open("rb+") as fh:
                os.fsync(fh.fileno())
            if target.is_dir() and not target.is_symlink():
                raise OutputError(f"cannot write {target}: it is a folder; choose a file name")
            os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text(target: str | Path, text: str) -> Path:
    """Write ``text`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def _first_non_finite(data: Any, path: str = "") -> str | None:
    if isinstance(data, float) and not math.isfinite(data):
        return path or "the value"
    if isinstance(data, dict):
        items: Any = data.items()
    elif isinstance(data, list | tuple):
        items = enumerate(data)
    else:
        return None
    for key, value in items:
        found = _first_non_finite(value, f"{path}[{key!r}]")
        if found:
            return found
    return None


def strict_json(data: Any, indent: int | None = 2, default: Callable[[Any], Any] | None = None) -> str:
    """JSON text that strict readers accept: a NaN or infinity raises :class:`OutputError` naming it.

    ``default`` converts other objects, as in :func:`json.dumps` (e.g. ``str`` for paths)."""
    try:
        return json.dumps(data, indent=indent, allow_nan=False, default=default)
    except ValueError:
        where = _first_non_finite(data) or "a value"
        raise OutputError(f"refusing to write a non-finite number at {where}; the inputs produced NaN or infinity") from None


def write_json(target: str | Path, data: Any, indent: int | None = 2) -> Path:
    """Write ``data`` as strict JSON to ``target`` atomically (nothing is written if it holds NaN)."""
    return write_text(target, strict_json(data, indent) + "\n")


def replace_dir(staged: str | Path, target: str | Path) -> Path:
    """Move the finished folder ``staged`` to ``target``; an earlier ``target`` is kept until then."""
    staged, target = Path(staged), Path(target)
    make_dirs(target.parent)
    backup = None
    with os_errors(target):
        if staged.is_dir():
            _chmod_default(staged, directory=True)  # temporary folders are made 0700
        if target.exists() or target.is_symlink():
            backup = target.with_name(f".{target.name}.old-{os.getpid()}")
            if backup.exists():
                shutil.rmtree(backup)
            os.replace(target, backup)
        try:
            os.replace(staged, target)
        except OSError:
            shutil.move(str(staged), str(target))
    if backup is not None:
        if backup.is_dir() and not backup.is_symlink():
            shutil.rmtree(backup, ignore_errors=True)
        else:
            backup.unlink(missing_ok=True)
    return target


@contextmanager
def staged_dir(target: str | Path) -> Iterator[Path]:
    """Yield an empty folder beside ``target``; on success it replaces ``target`` whole."""
    target = Path(target)
    make_dirs(target.parent)
    with os_errors(target):
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
        _chmod_default(tmp, directory=True)
    try:
        with os_errors(target):
            yield tmp
        replace_dir(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
