"""Module paths of cnp 0.1 that plugins may import, kept working with a DeprecationWarning.

Until 0.2 every module of ``cnp_core`` was public. Its internals now live in underscore
subpackages; the old paths resolve to the same module objects (so a plugin written for 0.1 keeps
working, monkeypatches included) and warn once each, naming the supported import.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from types import ModuleType

#: old dotted path below ``cnp_core`` -> the module that holds it now
MOVED = {
    "errors": "_errors",
    "hookspecs": "_plugins.hookspecs",
    "plugins": "_plugins.host",
    "registry": "_plugins.registry",
    "builtin_plugin": "_plugins.builtin",
    "commands": "_plugins.cli_conventions",
    "datasets": "_data.records",
    "validate": "_data.validate",
    "patches": "_data.crops",
    "patch_cache": "_data.patch_cache",
    "engine": "_inference.engine",
    "predict": "_inference.predict",
    "benchmark": "_inference.benchmark",
    "export": "_inference.export",
    "distributed": "_inference.distributed",
    "precision": "_inference.precision",
    "model": "_model.pose_model",
    "backbones": "_model.backbones",
    "integral": "_model.integral",
    "upsampled_soft_argmax": "_model.upsampled_soft_argmax",
    "optimize": "_model.optimize",
    "variants": "_model.variants",
    "measure": "_model.counting",
    "sizes": "_model.size_memo",
    "checkpoints.synthetic": "_checkpoints.random_weights",
    "checkpoints": "_checkpoints",
    "evaluation": "_evaluation.evaluators",
    "scoring": "_evaluation.scoring",
    "metrics": "_evaluation.metrics",
    "pose_math": "_evaluation.pose_math",
    "comparison": "_evaluation.comparison",
    "runs": "_evaluation.pipeline",
    "run_records": "_evaluation.api",
    "training.run": "_training.api",
    "training": "_training",
}


def current_path(fullname: str) -> str | None:
    """Where the 0.1 module ``fullname`` lives now, or None if it is not an old path."""
    prefix = "cnp_core."
    if not fullname.startswith(prefix):
        return None
    rest = fullname[len(prefix) :]
    for old in sorted(MOVED, key=len, reverse=True):
        if rest == old or rest.startswith(old + "."):
            return prefix + MOVED[old] + rest[len(old) :]
    return None


class _OldPaths(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers imports of 0.1 paths with the module that holds their code now."""

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> importlib.machinery.ModuleSpec | None:
        if current_path(fullname) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        new = current_path(spec.name)
        assert new is not None
        warnings.warn(
            f"{spec.name} is private since cnp 0.2 (now {new}); import from cnp_core.plugin "
            "(plugin authors) or cnp_core (library users)",
            DeprecationWarning,
            stacklevel=2,
        )
        module = importlib.import_module(new)
        self._spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        module.__spec__ = self._spec  # the import system stamped the alias's spec on it; undo that


def install() -> None:
    """Serve the old paths (idempotent); they name no real module, so nothing real is shadowed."""
    if not any(isinstance(f, _OldPaths) for f in sys.meta_path):
        sys.meta_path.insert(0, _OldPaths())  # first: a submodule of an old path must not load twice
