"""Output helpers: human text and progress on stderr, ``--json`` documents alone on stdout."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

from rich.console import Console

from cnp_core.plugin import fail, print_json, user_errors

# Piped or captured stderr keeps each message on one line (rich would wrap paths at 80 columns).
err = Console(stderr=True, highlight=False, soft_wrap=not sys.stderr.isatty())
# Piped output keeps whole tables (rich would otherwise assume 80 columns).
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)

F = TypeVar("F", bound=Callable[..., Any])


__all__ = ["err", "fail", "out", "print_json", "user_errors"]
