"""cnp-core's own plugin (entry point ``cnp-core``): the ConvNeXt-BN backbone, the published
variants, the built-in checkpoint formats and key adapters. Imports nothing heavy."""

from __future__ import annotations

from typing import Any

from cnp_core.hookspecs import hookimpl
from cnp_core.zoo import PUBLISHED_VARIANTS


def convnext_bn(**config: Any) -> Any:
    """Backbone factory ``convnext-bn`` (see :mod:`cnp_core.backbones.convnext_bn`)."""
    from cnp_core.backbones.convnext_bn import ConvNeXtBN

    return ConvNeXtBN(**config)


@hookimpl
def cnp_register_backbones(registrar: Any) -> None:
    registrar.register("convnext-bn", convnext_bn)


@hookimpl
def cnp_register_variants(registrar: Any) -> None:
    for variant in PUBLISHED_VARIANTS:
        registrar.register(variant.name, variant)


@hookimpl
def cnp_register_checkpoint_formats(registrar: Any) -> None:
    from cnp_core.checkpoints.formats import BUILTIN_FORMATS

    for fmt in BUILTIN_FORMATS:
        registrar.register(fmt.name, fmt)


@hookimpl
def cnp_register_key_adapters(registrar: Any) -> None:
    from cnp_core.checkpoints.key_adapters import legacy_head_keys, strip_module_prefix

    registrar.register("strip-module-prefix", strip_module_prefix)
    registrar.register("legacy-head-keys", legacy_head_keys)
