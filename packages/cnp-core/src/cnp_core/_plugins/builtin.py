"""cnp-core's own plugin (entry point ``cnp-core``): the ConvNeXt-BN backbone, cnp's metrics, the
built-in checkpoint formats and the DataParallel key adapter. Imports nothing heavy. Heads, and the
variants that need them, come from head plugins (the published XS/S/M/L: cnp-heads)."""

from __future__ import annotations

from typing import Any

from cnp_core._plugins.hookspecs import hookimpl


def convnext_bn(**config: Any) -> Any:
    """Backbone factory ``convnext-bn`` (see :mod:`cnp_core._model.backbones.convnext_bn`)."""
    from cnp_core._model.backbones.convnext_bn import ConvNeXtBN

    return ConvNeXtBN(**config)


def _describe_convnext_bn(shapes: dict[str, tuple[int, ...]]) -> dict[str, Any]:
    """``dims`` from the stem and downsampling convolutions, ``depths`` from the block indices."""
    import re

    facts: dict[str, Any] = {}
    keys = ["backbone.downsample_layers.0.0.weight", *(f"backbone.downsample_layers.{i}.1.weight" for i in (1, 2, 3))]
    if all(k in shapes for k in keys):
        facts["dims"] = [shapes[k][0] for k in keys]
    blocks: dict[int, set[int]] = {}
    for key in shapes:
        match = re.match(r"^backbone\.stages\.(\d+)\.(\d+)\.", key)
        if match:
            blocks.setdefault(int(match.group(1)), set()).add(int(match.group(2)))
    if blocks:
        facts["depths"] = [len(blocks.get(i, ())) for i in range(max(blocks) + 1)]
    return facts


convnext_bn.describe_state = _describe_convnext_bn  # type: ignore[attr-defined]


@hookimpl
def cnp_register_backbones(registrar: Any) -> None:
    registrar.register("convnext-bn", convnext_bn)


@hookimpl
def cnp_register_metrics(registrar: Any) -> None:
    from cnp_core._evaluation.metrics import METRICS

    for metric in METRICS:
        registrar.register(metric.name, metric)


@hookimpl
def cnp_register_checkpoint_formats(registrar: Any) -> None:
    from cnp_core._checkpoints.formats import BUILTIN_FORMATS

    for fmt in BUILTIN_FORMATS:
        registrar.register(fmt.name, fmt)


@hookimpl
def cnp_register_key_adapters(registrar: Any) -> None:
    from cnp_core._checkpoints.key_adapters import strip_module_prefix

    registrar.register("strip-module-prefix", strip_module_prefix)
