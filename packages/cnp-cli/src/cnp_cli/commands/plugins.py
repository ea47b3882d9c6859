"""``cnp plugins``: each plugin, its distribution and version, what it registered, load errors."""

from __future__ import annotations

from typing import Annotated

import typer

from cnp_cli.console import out, print_json, user_errors


@user_errors
def plugins_command(
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """List the plugins found through the ``cnp`` entry-point group and what each registered."""
    from cnp_core import get_host

    infos = get_host().plugins()
    if json_out:
        print_json([i.to_dict() for i in infos])
        return
    from rich.table import Table

    table = Table(title="cnp plugins")
    for col in ("plugin", "distribution", "version", "registers", "error"):
        table.add_column(col)
    for i in infos:
        regs = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in i.registered.items())
        table.add_row(i.name, i.distribution or "-", i.version or "-", regs or "-", i.error or "")
    out.print(table)
