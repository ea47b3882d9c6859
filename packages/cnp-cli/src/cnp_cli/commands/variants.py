"""``cnp variants``: every registered variant with its measured size and the paper's numbers."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cnp_cli.console import err, out, print_json, user_errors


def variant_row(v: Any, plugin: str | None = None) -> dict[str, Any]:
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


def variant_rows() -> list[dict[str, Any]]:
    """One record per registered variant."""
    from cnp_core import get_host

    return [variant_row(entry.obj, entry.plugin) for entry in get_host().registry("variant").entries()]


def _published(rows: list[dict[str, Any]]) -> str:
    """``h36m protocol 2 MPJPE 51.05; ...``, or ``-``."""
    words = [
        " ".join([r["dataset"], *(f"{k} {v}" for k, v in r["setting"].items()), r["metric"], f"{r['value']} {r['unit']}".strip()])
        for r in rows
    ]
    return "; ".join(words) or "-"


def _fmt(x: object) -> str:
    return "-" if x is None else str(x)


@user_errors
def variants_command(
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """List every registered variant: depths, dims, head, output grid, params, GMACs, paper numbers."""
    rows = variant_rows()
    if json_out:
        print_json(rows)
        return
    from rich.table import Table

    table = Table(title="ConvNeXtPose variants (params and GMACs measured on the 256x256 model)")
    for col in (
        "variant",
        "depths",
        "dims",
        "head",
        "UP",
        "output",
        "depth",
        "params",
        "GMACs",
        "published",
        "plugin",
    ):
        table.add_column(col)
    for r in rows:
        if "error" in r:
            table.add_row(r["name"], "-", "-", r["head"], *("-" for _ in range(6)), r["plugin"])
            continue
        table.add_row(
            r["name"],
            ",".join(map(str, r["depths"])),
            ",".join(map(str, r["dims"])),
            f"{r['head']} ({_fmt(r['head_channels'])} ch)",
            _fmt(r["upsample_layers"]),
            "x".join(map(str, r["output_shape"])),
            str(r["depth_dim"]),
            f"{r['params_m']:.3f}M",
            f"{r['gmacs']:.3f}",
            _published(r["published"]),
            r["plugin"],
        )
    out.print(table)
    for r in rows:
        if "error" in r:
            err.print(f"warning: variant {r['name']} cannot be built: {r['error']}")
