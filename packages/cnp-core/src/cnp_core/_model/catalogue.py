"""What ``cnp variants`` and ``cnp report`` say about a variant: its configuration, its measured
size (remembered in the cache folder) and the results every registered dataset publishes for it."""

from __future__ import annotations

from typing import Any


def describe_variant(v: Any, plugin: str | None = None) -> dict[str, Any]:
    """One variant's configuration, measured params/GMACs (remembered in the cache folder) and paper numbers."""
    from cnp_core._model.size_memo import variant_size
    from cnp_core._output.cache_dir import default_cache_dir
    from cnp_core._plugins.host import registry

    bb, hd = v.backbone_kwargs, v.head_kwargs
    try:
        for kind, name in (("backbone", v.backbone), ("head", v.head)):
            registry(kind).get(name)  # its plugin may have failed to load: this row says so, the others stand
        size = variant_size(v, default_cache_dir() / "variant_sizes.json")
    except Exception as exc:
        return {"name": v.name, "backbone": v.backbone, "head": v.head, "plugin": plugin, "error": " ".join(str(exc).split())}
    return {
        "name": v.name,
        "backbone": v.backbone,
        "depths": list(bb.get("depths", [])),
        "dims": list(bb.get("dims", [])),
        "head": v.head,
        "head_channels": hd.get("channels"),
        "upsample_layers": size["upsample_layers"],
        "output_shape": list(v.output_shape),
        "depth_dim": v.depth_dim,
        "input_shape": list(v.input_shape),
        "joint_num": v.joint_num,
        "params_m": round(size["params"] / 1e6, 3),
        "gmacs": round(size["gmacs"], 3),
        "paper_source": v.paper.source,
        "published": published_results(v.name),
        "plugin": plugin,
    }


def published_results(variant: str) -> list[dict[str, Any]]:
    """What every registered dataset declares as published for ``variant``: one row per setting."""
    from cnp_core import get_host

    rows = []
    for entry in get_host().registry("dataset").entries():
        info = entry.obj.info
        for p in info.published:
            if p.variant == variant:
                metric = info.metric_names[p.setting]
                setting = {info.headline_option: p.setting} if info.headline_option else {}
                name = info.headline_metrics.get(p.setting)
                unit = get_host().registry("metric").get(name).unit if name else "mm"
                row = {"dataset": entry.name, "setting": setting, "metric": metric, "value": p.value, "unit": unit}
                rows.append({**row, **({"mm": p.value} if unit == "mm" else {}), "source": p.source})
    return rows


def describe_variants() -> list[dict[str, Any]]:
    """One :func:`describe_variant` record per registered variant (what ``cnp variants`` lists)."""
    from cnp_core._plugins.host import get_host

    return [describe_variant(entry.obj, entry.plugin) for entry in get_host().registry("variant").entries()]


__all__ = ["describe_variant", "describe_variants", "published_results"]
