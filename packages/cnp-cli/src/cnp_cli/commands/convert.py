"""``cnp convert FILE OUT``: to safetensors, or back to a ``.pth.tar`` training snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cnp_cli.completion import variant_names
from cnp_cli.console import err, user_errors


@user_errors
def convert_command(
    file: Annotated[Path, typer.Argument(help="Checkpoint in any readable format.")],
    out_path: Annotated[
        Path, typer.Argument(metavar="OUT", help="*.safetensors, or *.pth / *.pth.tar / *.tar for a torch snapshot dict.")
    ],
    variant: Annotated[
        str | None,
        typer.Option("--variant", "-v", help="Refuse unless the file fits this variant.", autocompletion=variant_names),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace OUT if it exists (cnp cannot tell that it wrote it).")] = False,
) -> None:
    """Convert a checkpoint, writing canonical key names (remaps applied) and keeping the epoch."""
    from cnp_core import convert_checkpoint

    info = convert_checkpoint(file, out_path, variant=variant, force=force)
    err.print(f"wrote {out_path} ({info.tensor_count} tensors, epoch {info.epoch}, from {info.format})")
