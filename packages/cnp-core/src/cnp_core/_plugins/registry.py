"""Case-insensitive registries that remember which plugin registered each entry."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from cnp_core._errors import DuplicateNameError, UnknownNameError

T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One registered object, its name as registered and the plugin that registered it."""

    name: str
    obj: T
    plugin: str


class Registry(Generic[T]):
    """Names to objects of one kind (variant, head, ...); lookups ignore case."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry[T]] = {}

    def add(self, name: str, obj: T, plugin: str) -> None:
        """Add ``obj`` under ``name``; a name taken by another registration is an error naming both."""
        if not isinstance(name, str) or not name.strip():
            raise DuplicateNameError(f"plugin {plugin!r} registered a {self.kind} with an empty name")
        key = name.lower()
        if key in self._entries:
            first = self._entries[key]
            raise DuplicateNameError(
                f"{self.kind} {name!r} is registered twice: by plugin {first.plugin!r} and by plugin "
                f"{plugin!r}; uninstall one of them or disable it with CNP_DISABLE_PLUGINS={plugin}"
            )
        self._entries[key] = Entry(name, obj, plugin)

    def remove(self, name: str) -> None:
        """Drop ``name`` (a registration that failed validation)."""
        self._entries.pop(name.lower(), None)

    def entry(self, name: str) -> Entry[T]:
        """The entry for ``name`` (any case); unknown names raise :class:`UnknownNameError`."""
        try:
            return self._entries[name.lower()]
        except KeyError:
            raise UnknownNameError(self.kind, name, self.names()) from None

    def get(self, name: str) -> T:
        """The object registered under ``name`` (any case)."""
        return self.entry(name).obj

    def names(self) -> list[str]:
        """Registered names in registration order, spelled as registered."""
        return [e.name for e in self._entries.values()]

    def entries(self) -> list[Entry[T]]:
        """All entries in registration order."""
        return list(self._entries.values())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)


class Registrar(Generic[T]):
    """What a ``cnp_register_*`` hook receives: ``register(name, obj)`` adds to one registry."""

    def __init__(self, registry: Registry[T], plugin: str) -> None:
        self._registry = registry
        self.plugin = plugin
        self.registered: list[str] = []

    def register(self, name: str, obj: T) -> None:
        """Register ``obj`` under ``name`` on behalf of this registrar's plugin."""
        self._registry.add(name, obj, self.plugin)
        self.registered.append(name)
