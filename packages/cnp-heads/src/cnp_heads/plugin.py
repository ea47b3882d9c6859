"""cnp plugin: the ``deconv-2up`` and ``deconv-3up`` heads, the published XS/S/M/L variants that use
them, and the key adapter for the M/L files' position-named head layers (torch imported on use)."""

from __future__ import annotations

from typing import Any

from cnp_core import hookimpl


def deconv_2up(**kwargs: Any) -> Any:
    """2-UP head: layers 1 and 2 upsample (32x32 output for a 256x256 input)."""
    from cnp_heads.deconv import build_2up

    return build_2up(**kwargs)


def deconv_3up(**kwargs: Any) -> Any:
    """3-UP head: all three layers upsample (64x64 output for a 256x256 input)."""
    from cnp_heads.deconv import build_3up

    return build_3up(**kwargs)


def _describe_deconv(shapes: dict[str, tuple[int, ...]], joint_num: int = 18) -> dict[str, Any]:
    """``head_channels`` (the first layer's pointwise conv) and ``depth_dim`` (classifier / joints);
    in the published family depth_dim 32 goes with 2-UP and 64 with 3-UP (SPEC section 2)."""
    facts: dict[str, Any] = {}
    head = shapes.get("head.deconv_layers_1.pwconv.weight")
    if head:
        facts["head_channels"] = head[0]
    final = shapes.get("head.final_layer.weight")
    if final:
        if final[0] % joint_num == 0:
            facts["depth_dim"] = final[0] // joint_num
            ups = {32: 2, 64: 3}.get(facts["depth_dim"])
            if ups:
                facts["upsample_layers"] = ups
        else:
            facts["final_channels"] = final[0]
    return facts


deconv_2up.describe_state = _describe_deconv  # type: ignore[attr-defined]
deconv_3up.describe_state = _describe_deconv  # type: ignore[attr-defined]


@hookimpl
def cnp_register_heads(registrar: Any) -> None:
    registrar.register("deconv-2up", deconv_2up)
    registrar.register("deconv-3up", deconv_3up)


@hookimpl
def cnp_register_variants(registrar: Any) -> None:
    from cnp_heads.zoo import PUBLISHED_VARIANTS

    for variant in PUBLISHED_VARIANTS:
        registrar.register(variant.name, variant)


@hookimpl
def cnp_register_key_adapters(registrar: Any) -> None:
    from cnp_heads.legacy_keys import legacy_head_keys

    registrar.register("legacy-head-keys", legacy_head_keys)
