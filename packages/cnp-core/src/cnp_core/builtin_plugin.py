"""cnp-core's own plugin (entry point ``cnp-core``): the ConvNeXt-BN backbone, the built-in
checkpoint formats and the DataParallel key adapter. Imports nothing heavy. Heads, and the
variants that need them, come from head plugins (the published XS/S/M/L: cnp-heads)."""

from __future__ import annotations

from typing import Any

from cnp_core.hookspecs import hookimpl


def convnext_bn(**config: Any) -> Any:
    """Backbone factory ``convnext-bn`` (see :mod:`cnp_core.backbones.convnext_bn`)."""
    from cnp_core.backbones.convnext_bn import ConvNeXtBN

    return ConvNeXtBN(**config)


@hookimpl
def cnp_register_backbones(registrar: Any) -> None:
    registrar.register("convnext-bn", convnext_bn)


@hookimpl
def cnp_register_checkpoint_formats(registrar: Any) -> None:
    from cnp_core.checkpoints.formats import BUILTIN_FORMATS

    for fmt in BUILTIN_FORMATS:
        registrar.register(fmt.name, fmt)


@hookimpl
def cnp_register_key_adapters(registrar: Any) -> None:
    from cnp_core.checkpoints.key_adapters import strip_module_prefix

    registrar.register("strip-module-prefix", strip_module_prefix)
