"""Numbers read from files, checked in one place: each failure names the file, the entry and the fix.

A dataset plugin reads its files its own way, then passes what it read through :func:`numbers`;
NaN, infinity, ``null``, a string or a wrong shape never reach the evaluation as silent ``nan``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cnp_core._errors import DataError


def numbers(
    value: Any,
    *,
    shape: tuple[int, ...],
    what: str,
    where: str,
    positive: bool = False,
) -> np.ndarray:
    """``value`` as a float64 array of ``shape``, every entry finite (and > 0 with ``positive``).

    ``what`` names the quantity ("focal length f"), ``where`` the file and entry it came from
    ("camera 2 in .../cameras.json").
    """
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(
            f"{where}: {what} must be {_describe(shape)}, found {_short(value)}; fix or regenerate the file"
        ) from None
    if array.shape != shape:
        raise DataError(f"{where}: {what} must be {_describe(shape)}, found {_short(value)}; fix or regenerate the file")
    if not np.isfinite(array).all():
        raise DataError(f"{where}: {what} is not finite ({_short(value)}); fix or regenerate the file")
    if positive and not (array > 0).all():
        raise DataError(f"{where}: {what} must be positive, found {_short(value)}; fix or regenerate the file")
    return array


def finite_rows(array: np.ndarray, *, what: str, where: str, labels: Any) -> None:
    """Every row of ``array`` finite; otherwise name the first bad row by ``labels[i]``."""
    bad = ~np.isfinite(np.asarray(array, dtype=np.float64).reshape(len(array), -1)).all(axis=1)
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"{where}: {what} of {labels[i]} is not finite; fix or regenerate the file")


def _describe(shape: tuple[int, ...]) -> str:
    if len(shape) == 1:
        return f"{shape[0]} numbers"
    return "x".join(map(str, shape)) + " numbers"


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value.tolist() if isinstance(value, np.ndarray) else value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = ["finite_rows", "numbers"]
