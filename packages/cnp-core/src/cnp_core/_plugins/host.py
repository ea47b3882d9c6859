"""The plugin manager: entry-point discovery, hook calls and the registries they fill.

Nothing is loaded at import time. :func:`get_host` builds the host on first use; tests build fresh
ones with :func:`build_host`. Environment switches (read when a host is built):
``CNP_LOAD_PLUGINS`` (comma list of entry-point names to load; empty loads none) and
``CNP_DISABLE_PLUGINS`` (comma list to skip).
"""

from __future__ import annotations

import contextlib
import importlib.metadata as md
import os
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pluggy

from cnp_core._errors import CnpError, DuplicateNameError, PluginError, UnknownNameError
from cnp_core._plugins import hookspecs as hookspecs
from cnp_core._plugins.registry import Registrar, Registry

ENTRY_POINT_GROUP = "cnp"

# registry kind -> hook that fills it
REGISTER_HOOKS: dict[str, str] = {
    "backbone": "cnp_register_backbones",
    "head": "cnp_register_heads",
    "variant": "cnp_register_variants",
    "dataset": "cnp_register_datasets",
    "evaluator": "cnp_register_evaluators",
    "metric": "cnp_register_metrics",
    "checkpoint format": "cnp_register_checkpoint_formats",
    "key adapter": "cnp_register_key_adapters",
}


class PluginLoadWarning(UserWarning):
    """A plugin failed to load or register; the others keep working."""


@dataclass
class PluginInfo:
    """One plugin: where it comes from and what it registered (or why it failed)."""

    name: str
    distribution: str | None = None
    version: str | None = None
    module: str | None = None
    registered: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "module": self.module,
            "registered": self.registered,
            "error": self.error,
        }


def _validate_dataset(obj: Any, name: str, plugin: str) -> None:
    from cnp_core._data.records import dataset_info

    dataset_info(obj, name, plugin)


def _validate_metric(obj: Any, name: str, plugin: str) -> None:
    from cnp_core._evaluation.metrics import Metric

    if not isinstance(obj, Metric) or obj.name != name:
        raise PluginError(
            f"plugin {plugin!r} registered metric {name!r} that is not a cnp_core.plugin.Metric named {name!r}; "
            "see the plugin guide (docs/plugins.md)"
        )


# Contracts checked at registration, per registry kind (obj, name, plugin) -> None or PluginError.
_VALIDATORS: dict[str, Callable[[Any, str, str], None]] = {"dataset": _validate_dataset, "metric": _validate_metric}


def _switch(name: str) -> list[str] | None:
    value = os.environ.get(name)
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


class PluginHost:
    """A pluggy manager plus the registries its register hooks fill (lazily, on first access)."""

    def __init__(self, pm: pluggy.PluginManager, infos: dict[str, PluginInfo]) -> None:
        self.pm = pm
        self.infos = infos
        self._filled: dict[str, Registry[Any]] = {}

    @property
    def registries(self) -> dict[str, Registry[Any]]:
        """Every registry, filled (each kind's hook runs once, on first use of that kind)."""
        return {kind: self.registry(kind) for kind in REGISTER_HOOKS}

    def per_plugin(self, hook_name: str) -> Iterator[tuple[str, Callable[..., Any]]]:
        """Each plugin implementing ``hook_name``, in load order, with a pluggy caller of that hook
        restricted to it (``PluginManager.subset_hook_caller``): calls go through pluggy, so wrapper
        implementations, tracing and monitoring see them, and what happens is attributed to the plugin."""
        hook = getattr(self.pm.hook, hook_name)
        names = list(dict.fromkeys(impl.plugin_name for impl in reversed(hook.get_hookimpls())))
        order = {name: i for i, (name, _) in enumerate(self.pm.list_name_plugin())}  # registration order
        for name in sorted(names, key=lambda n: order.get(n, len(order))):
            others = [plugin for other, plugin in self.pm.list_name_plugin() if other != name and plugin is not None]
            yield name, self.pm.subset_hook_caller(hook_name, remove_plugins=others)

    def _fill(self, registry: Registry[Any], hook_name: str, kind: str) -> None:
        for plugin_name, call in self.per_plugin(hook_name):
            registrar: Registrar[Any] = Registrar(registry, plugin_name)
            try:
                call(registrar=registrar)
            except (DuplicateNameError, PluginError):
                raise
            except Exception as exc:  # a broken plugin must not take the others down
                info = self.infos.setdefault(plugin_name, PluginInfo(plugin_name))
                info.error = f"{hook_name} failed: {type(exc).__name__}: {exc}"
                warnings.warn(f"cnp plugin {plugin_name!r}: {info.error}", PluginLoadWarning, stacklevel=2)
            for name in self._invalid(registry, kind, registrar, plugin_name):
                registry.remove(name)
                registrar.registered.remove(name)
            info = self.infos.setdefault(plugin_name, PluginInfo(plugin_name))
            if registrar.registered:
                info.registered.setdefault(kind, []).extend(registrar.registered)

    def _invalid(self, registry: Registry[Any], kind: str, registrar: Registrar[Any], plugin_name: str) -> list[str]:
        """Names whose objects break their kind's declared contract: each is a warning naming the plugin."""
        check = _VALIDATORS.get(kind)
        bad = []
        for name in registrar.registered if check is not None else ():
            try:
                check(registry.get(name), name, plugin_name)  # type: ignore[misc]
            except PluginError as exc:
                info = self.infos.setdefault(plugin_name, PluginInfo(plugin_name))
                info.error = str(exc)
                warnings.warn(f"cnp plugin {plugin_name!r}: {exc}", PluginLoadWarning, stacklevel=3)
                bad.append(name)
        return bad

    def registry(self, kind: str) -> Registry[Any]:
        """The registry of ``kind`` (``"variant"``, ``"head"``, ...), filled on first use, so a
        command pays only for the kinds it needs (datasets without torch, for example)."""
        if kind not in self._filled:
            if kind not in REGISTER_HOOKS:
                raise KeyError(kind)
            registry: Registry[Any] = Registry(kind)
            self._fill(registry, REGISTER_HOOKS[kind], kind)
            self._filled[kind] = registry
        return self._filled[kind]

    def note_registered(self, plugin_name: str, kind: str, names: Iterable[str]) -> None:
        """Record that ``plugin_name`` added ``names`` of ``kind`` outside the registries (commands)."""
        info = self.infos.setdefault(plugin_name, PluginInfo(plugin_name))
        info.registered.setdefault(kind, []).extend(n for n in names if n not in info.registered.get(kind, []))

    def plugins(self) -> list[PluginInfo]:
        """Every plugin seen, loaded or failed, after registries are filled."""
        _ = self.registries
        return list(self.infos.values())


def _dist_of(ep: md.EntryPoint) -> tuple[str | None, str | None]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return None, None
    return dist.metadata["Name"], dist.version


def build_host(
    extra_plugins: Iterable[tuple[str, object]] = (),
    *,
    load_entry_points: bool = True,
) -> PluginHost:
    """A fresh host: entry points of group ``cnp`` (subject to the env switches) plus ``extra_plugins``."""
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    infos: dict[str, PluginInfo] = {}
    if load_entry_points:
        only = _switch("CNP_LOAD_PLUGINS")
        disabled = set(_switch("CNP_DISABLE_PLUGINS") or [])
        seen: set[str] = set()
        for ep in sorted(md.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):  # a stable load order
            if ep.name in seen or ep.name in disabled or (only is not None and ep.name not in only):
                continue
            seen.add(ep.name)
            dist, version = _dist_of(ep)
            info = PluginInfo(ep.name, dist, version, ep.value)
            infos[ep.name] = info
            try:
                pm.register(ep.load(), name=ep.name)
            except Exception as exc:
                info.error = f"failed to load: {type(exc).__name__}: {exc}"
                warnings.warn(f"cnp plugin {ep.name!r} {info.error}", PluginLoadWarning, stacklevel=2)
    for name, plugin in extra_plugins:
        infos[name] = PluginInfo(name, module=getattr(plugin, "__name__", type(plugin).__name__))
        pm.register(plugin, name=name)
    _drop_invalid(pm, infos)
    return PluginHost(pm, infos)


def _drop_invalid(pm: pluggy.PluginManager, infos: dict[str, PluginInfo]) -> None:
    """``check_pending`` per plugin: a misspelled hook unregisters that plugin with a loud warning."""
    while True:
        try:
            pm.check_pending()
            return
        except pluggy.PluginValidationError as exc:
            plugin = exc.plugin
            name = pm.get_name(plugin) or repr(plugin)
            pm.unregister(plugin)
            known = sorted(n for n in dir(pm.hook) if n.startswith("cnp_"))
            info = infos.setdefault(name, PluginInfo(name))
            info.error = f"not loaded: {exc} (known hooks: {', '.join(known)})"
            warnings.warn(f"cnp plugin {name!r} {info.error}", PluginLoadWarning, stacklevel=3)


_HOST: PluginHost | None = None


def get_host() -> PluginHost:
    """The process-wide host, built on first use from the installed entry points."""
    global _HOST
    if _HOST is None:
        _HOST = build_host()
    return _HOST


def set_host(host: PluginHost | None) -> PluginHost | None:
    """Replace the process-wide host (``None`` rebuilds on next use); returns the previous one."""
    global _HOST
    previous, _HOST = _HOST, host
    return previous


def registry(kind: str, host: PluginHost | None = None) -> Registry[Any]:
    """The registry of ``kind`` from ``host`` or the process-wide host."""
    return (host or get_host()).registry(kind)


def owner(kind: str, name: str, host: PluginHost | None = None) -> str:
    """The plugin that registered ``name`` in the registry of ``kind`` (``"?"`` if it is not registered)."""
    try:
        return registry(kind, host).entry(name).plugin
    except (UnknownNameError, KeyError):
        return "?"


@contextlib.contextmanager
def plugin_callback(plugin: str, what: str) -> Iterator[None]:
    """Run a plugin's runtime callback (``what``: ``dataset walk4's load_split``): a
    :class:`cnp_core.CnpError` it raises passes as it is (the plugin's own one-line message); any
    other exception becomes one :class:`PluginError` naming the plugin and the callback, chained to
    the original (``CNP_DEBUG=1`` shows its traceback)."""
    try:
        yield
    except CnpError:
        raise
    except Exception as exc:
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())
        raise PluginError(
            f"plugin {plugin!r}: {what} failed: {detail} (a bug in that plugin; CNP_DEBUG=1 shows the traceback)"
        ) from exc
