"""``cnp inspect FILE``: what a checkpoint really contains, and whether it fits a variant."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cnp_cli.completion import variant_names
from cnp_cli.console import fail, out, print_json, user_errors


@user_errors
def inspect_command(
    file: Annotated[Path, typer.Argument(help="Checkpoint file or extracted snapshot folder.")],
    variant: Annotated[
        str | None, typer.Option("--variant", "-v", help="Check the file against this variant.", autocompletion=variant_names)
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """Show format, epoch, tensor and parameter counts, key remaps and the variant the file really is."""
    import cnp_core

    record = cnp_core.inspect_file(file, variant)
    if json_out:
        print_json(record)
    elif record.get("kind") == "exported model":
        for key, value in record.items():
            out.print(f"{key:<14}{'dynamic' if key == 'batch_size' and value is None else value}")
    else:
        out.print(f"file        {record['path']}")
        out.print(f"format      {record['format']}")
        out.print(f"epoch       {record['epoch'] if record['epoch'] is not None else 'unknown'}")
        out.print(f"tensors     {record['tensor_count']}")
        out.print(f"parameters  {record['param_count']:,} ({record['param_count'] / 1e6:.3f}M)")
        out.print(f"remaps      {', '.join(record['remaps']) or 'none'}")
        out.print(f"contents    {record['contents']}")
        detected = ", ".join(record["detected_variants"]) or "none of the registered variants"
        out.print(f"variant     {detected}")
        if variant is not None:
            out.print(f"fits {record['variant']:<6} {'yes' if record['fits'] else 'no'}")
    if record.get("reason"):
        raise fail(record["reason"])
