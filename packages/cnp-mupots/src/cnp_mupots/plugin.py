"""cnp plugin: the MuPoTS-3D models (variants ``XS-muco`` .. ``L-muco``, 21 joints)."""

from __future__ import annotations

from typing import Any

from cnp_core import hookimpl


@hookimpl
def cnp_register_variants(registrar: Any) -> None:
    from cnp_mupots.variants import MUCO_VARIANTS

    for variant in MUCO_VARIANTS:
        registrar.register(variant.name, variant)
