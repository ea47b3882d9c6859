"""cnp plugin: registers the ``deconv-2up`` and ``deconv-3up`` heads (torch imported on use)."""

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


@hookimpl
def cnp_register_heads(registrar: Any) -> None:
    registrar.register("deconv-2up", deconv_2up)
    registrar.register("deconv-3up", deconv_3up)
