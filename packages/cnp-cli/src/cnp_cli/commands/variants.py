"""``cnp variants``: every registered variant with its measured size and the paper's numbers."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cnp_cli.console import err, out, print_json, user_errors


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
    from cnp_core import describe_variants

    rows = describe_variants()
    if json_out:
        print_json(rows)
        return
    out.print(_table(rows))
    for r in rows:
        if "error" in r:
            err.print(f"warning: variant {r['name']} cannot be built: {r['error']}")


def _table(rows: list[dict[str, Any]]) -> Any:
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
    return table
