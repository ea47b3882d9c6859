"""cnp-core's own plugin (entry point ``cnp-core``): the ConvNeXt-BN backbone, the published
variants, the built-in checkpoint formats and key adapters."""

from __future__ import annotations

from typing import Any

from cnp_core.backbones.convnext_bn import build_convnext_bn
from cnp_core.checkpoints.formats import BUILTIN_FORMATS
from cnp_core.checkpoints.key_adapters import legacy_head_keys, strip_module_prefix
from cnp_core.hookspecs import hookimpl
from cnp_core.zoo import PUBLISHED_VARIANTS


@hookimpl
def cnp_register_backbones(registrar: Any) -> None:
    registrar.register("convnext-bn", build_convnext_bn)


@hookimpl
def cnp_register_variants(registrar: Any) -> None:
    for variant in PUBLISHED_VARIANTS:
        registrar.register(variant.name, variant)


@hookimpl
def cnp_register_checkpoint_formats(registrar: Any) -> None:
    for fmt in BUILTIN_FORMATS:
        registrar.register(fmt.name, fmt)


@hookimpl
def cnp_register_key_adapters(registrar: Any) -> None:
    registrar.register("strip-module-prefix", strip_module_prefix)
    registrar.register("legacy-head-keys", legacy_head_keys)
