"""Shell completion from the registries, so plugin names complete too."""

from __future__ import annotations


def variant_names(incomplete: str) -> list[str]:
    from cnp_core import list_variants

    return [v for v in list_variants() if v.lower().startswith(incomplete.lower())]
