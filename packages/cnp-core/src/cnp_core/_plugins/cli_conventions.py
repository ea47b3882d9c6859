"""For commands a plugin adds through ``cnp_register_commands(app)``: the CLI's error conventions.

:func:`print_json` writes a ``--json`` document. A command decorated with :func:`user_errors` turns every :class:`cnp_core.CnpError` into one
``error: ...`` line (a :class:`cnp_core.ParameterError` names the ``--flag``) on stderr and exit code 1 (``CNP_DEBUG=1``: the traceback), and Ctrl-C or
SIGTERM into ``error: interrupted ...`` and exit code 130. Typer is imported on use.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 1) -> Any:
    """Print ``error: message`` as one line on stderr; return the ``typer.Exit`` to raise."""
    import typer

    text = " ".join(str(message).split())
    print(f"error: {text}", file=sys.stderr)
    return typer.Exit(code)


def print_json(data: Any) -> None:
    """The one JSON document of a ``--json`` run, on stdout (strict: NaN or infinity is an error, not a
    token; paths and other objects as strings)."""
    from cnp_core._output.atomic import strict_json

    sys.stdout.write(strict_json(data, default=str) + "\n")
    sys.stdout.flush()


def as_flag(parameter: str) -> str:
    """A library parameter as the command line spells it: ``batch_size`` -> ``--batch-size``."""
    return "--" + parameter.replace("_", "-")


def user_errors(func: F) -> F:
    """Turn errors the user can fix into one stderr line and exit code 1 (CNP_DEBUG=1: traceback)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import typer

        from cnp_core._errors import CnpError, ParameterError

        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except CnpError as exc:
            if os.environ.get("CNP_DEBUG"):
                raise
            raise fail(exc.render(as_flag) if isinstance(exc, ParameterError) else str(exc)) from None
        except KeyboardInterrupt:
            raise fail("interrupted; finished results were kept, nothing half-written remains", 130) from None

    return wrapper  # type: ignore[return-value]


__all__ = ["as_flag", "fail", "print_json", "user_errors"]
