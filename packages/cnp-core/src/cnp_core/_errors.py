"""Errors a user can fix. Each message is one line: what was wrong and how to fix it."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import Any, TypeVar


class CnpError(Exception):
    """Base class of every error caused by input the user controls."""


class ParameterError(CnpError, ValueError):
    """A bad value for one named parameter of a library call.

    The message names the parameter as the library spells it (``epochs '7-x': use N, N-M ...``);
    :meth:`render` spells it another way, which is how the CLI shows the matching ``--flag``.
    """

    def __init__(self, parameter: str, value: Any, problem: str) -> None:
        self.parameter = parameter
        self.value = value
        self.problem = problem
        super().__init__(self.render(str))

    def render(self, spell: Callable[[str], str]) -> str:
        shown = "" if self.value is None else f" {self.value!r}" if isinstance(self.value, str) else f" {self.value}"
        return f"{spell(self.parameter)}{shown}: {self.problem}"


F = TypeVar("F", bound=Callable[..., Any])


def checked_arguments(func: F) -> F:
    """A library front door whose wrong arguments are a :class:`ParameterError` listing the valid
    ones (an unknown keyword, a missing or repeated argument), instead of Python's bare TypeError."""
    import functools
    import inspect

    signature = inspect.signature(func)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            signature.bind(*args, **kwargs)
        except TypeError as exc:
            unknown = [k for k in kwargs if k not in signature.parameters]
            valid = ", ".join(signature.parameters)
            if unknown:
                raise ParameterError(
                    unknown[0], None, f"is not a parameter of {func.__name__}(); its parameters: {valid}"
                ) from None
            raise ParameterError(func.__name__, None, f"{exc}; its parameters: {valid}") from None
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


class UnknownNameError(CnpError, KeyError):
    """A name that no registry entry has; the message lists what exists and the closest match."""

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        self.kind = kind
        self.name = name
        self.known = sorted(known, key=str.lower)
        lowered = {k.lower(): k for k in self.known}
        close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.4)
        hint = f" Did you mean {lowered[close[0]]!r}?" if close else ""
        listing = ", ".join(self.known) if self.known else "none (is the plugin that provides it installed?)"
        self.message = f"unknown {kind} {name!r}.{hint} Known {kind}s: {listing}."
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


class DuplicateNameError(CnpError):
    """Two plugins registered the same name in one registry."""


class PluginError(CnpError):
    """A plugin broke a rule of the hook contract."""


class CheckpointError(CnpError):
    """A checkpoint file that cannot be read."""


class UnsafeCheckpointError(CheckpointError):
    """A checkpoint whose unpickling would run code or build arbitrary objects; it was refused."""


class CheckpointMismatchError(CheckpointError):
    """A checkpoint whose tensors do not fit the chosen variant."""


class DataError(CnpError):
    """A dataset folder or file that is missing or malformed."""
