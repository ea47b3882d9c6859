"""Fast JSON reading with one-line errors naming the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from cnp_core.plugin import DataError


def read_json(path: Path, what: str) -> Any:
    """Parse ``path``; a missing or malformed file is a :class:`DataError` saying which and how to fix."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"missing {what}: {path}; check --data-dir (expected the parsed Human3.6M layout)") from None
    except OSError as exc:
        raise DataError(f"cannot read {what} {path}: {exc.strerror}") from None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise DataError(f"malformed JSON in {what} {path}: {exc}; re-download or regenerate the file") from None
