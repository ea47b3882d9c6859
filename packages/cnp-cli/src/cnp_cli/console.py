"""Output helpers: human text and progress on stderr, ``--json`` documents alone on stdout."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

# Piped or captured stderr keeps each message on one line (rich would wrap paths at 80 columns).
err = Console(stderr=True, highlight=False, soft_wrap=not sys.stderr.isatty())
# Piped output keeps whole tables (rich would otherwise assume 80 columns).
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: message`` as one line on stderr; return the Exit to raise."""
    text = " ".join(str(message).split())
    print(f"error: {text}", file=sys.stderr)
    return typer.Exit(code)


def fmt_mm(value: float | None, signed: bool = False) -> str:
    """Millimetres with two decimals (``+`` sign for deltas); ``-`` for a missing value."""
    if value is None:
        return "-"
    return f"{value:+.2f}" if signed else f"{value:.2f}"


def print_json(data: Any) -> None:
    """The one JSON document of a ``--json`` run, on stdout (strict: NaN or infinity is an error, not a token)."""
    from cnp_core.atomic import strict_json

    sys.stdout.write(strict_json(json.loads(json.dumps(data, default=str))) + "\n")
    sys.stdout.flush()


def user_errors(func: F) -> F:
    """Turn errors the user can fix into one stderr line and exit code 1 (CNP_DEBUG=1: traceback)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from cnp_core.errors import CnpError

        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except CnpError as exc:
            if os.environ.get("CNP_DEBUG"):
                raise
            raise fail(str(exc)) from None
        except KeyboardInterrupt:
            raise fail("interrupted; finished results were kept, nothing half-written remains", 130) from None

    return wrapper  # type: ignore[return-value]
