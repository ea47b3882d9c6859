"""Output helpers: human text and progress on stderr, ``--json`` documents alone on stdout."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

from rich.console import Console

from cnp_core.commands import fail, print_json, user_errors

# Piped or captured stderr keeps each message on one line (rich would wrap paths at 80 columns).
err = Console(stderr=True, highlight=False, soft_wrap=not sys.stderr.isatty())
# Piped output keeps whole tables (rich would otherwise assume 80 columns).
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)

F = TypeVar("F", bound=Callable[..., Any])


def fmt_mm(value: float | None, signed: bool = False) -> str:
    """Millimetres with two decimals (``+`` sign for deltas); ``-`` for a missing value."""
    if value is None:
        return "-"
    return f"{value:+.2f}" if signed else f"{value:.2f}"


def fmt_metric(value: float | None, unit: str) -> str:
    """A metric's value as shown: millimetres with two decimals, fractions as a percentage."""
    if value is None:
        return "-"
    return f"{100 * value:.1f}%" if unit == "fraction" else f"{value:.2f}"


__all__ = ["err", "fail", "fmt_metric", "fmt_mm", "out", "print_json", "user_errors"]
