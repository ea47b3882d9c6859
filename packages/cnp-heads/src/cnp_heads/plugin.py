"""cnp plugin: registers the ``deconv-2up`` and ``deconv-3up`` heads."""

from __future__ import annotations

from typing import Any

from cnp_core import hookimpl
from cnp_heads.deconv import build_2up, build_3up


@hookimpl
def cnp_register_heads(registrar: Any) -> None:
    registrar.register("deconv-2up", build_2up)
    registrar.register("deconv-3up", build_3up)
