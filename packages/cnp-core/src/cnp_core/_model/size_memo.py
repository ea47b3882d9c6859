"""Measured variant sizes (parameters, GMACs), remembered: building every model to count it takes
seconds, and the numbers change only when the variant record or the plugins' code does."""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

from cnp_core._model.variants import Variant


def _code_versions() -> list[tuple[str, str]]:
    """Versions of cnp-core and of every installed cnp plugin distribution (their code builds the models)."""
    names = {"cnp-core"} | {ep.dist.metadata["Name"] for ep in metadata.entry_points(group="cnp") if ep.dist is not None}
    out = []
    for name in sorted(names):
        try:
            out.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            continue
    return out


def size_key(variant: Variant) -> str:
    payload = json.dumps({"variant": variant.to_dict(), "code": _code_versions()}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def variant_size(variant: Variant, cache_file: Path | None = None) -> dict[str, Any]:
    """``{"params": int, "gmacs": float, "upsample_layers": int | None}`` of ``variant``'s literal
    model at its input size, from ``cache_file`` when known there, else measured (and remembered)."""
    from cnp_core._output.atomic import write_json

    key = size_key(variant)
    known: dict[str, Any] = {}
    if cache_file is not None:
        try:
            known = json.loads(Path(cache_file).read_text())
        except (OSError, ValueError):
            known = {}
        if isinstance(known, dict) and isinstance(known.get(key), dict):
            return dict(known[key])
    from cnp_core._model.counting import count_gmacs, count_params
    from cnp_core._model.pose_model import build_model

    model = build_model(variant)
    size = {
        "params": count_params(model),
        "gmacs": count_gmacs(model, variant.input_shape),
        "upsample_layers": getattr(model.head, "upsample_layers", None),
    }
    if cache_file is not None:
        try:
            write_json(cache_file, {**(known if isinstance(known, dict) else {}), key: size})
        except Exception:  # a read-only cache must not stop a listing
            pass
    return size


__all__ = ["size_key", "variant_size"]
