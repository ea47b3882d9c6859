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
    from cnp_core import get_variant
    from cnp_core.atomic import claim_output
    from cnp_core.checkpoints import check_fits, inspect_state, read_checkpoint, write_checkpoint
    from cnp_core.errors import CnpError

    claim_output(out_path, force=force)
    raw = read_checkpoint(file)
    info, state = inspect_state(raw)
    if variant is not None:
        check_fits(info, state, get_variant(variant))
    name = out_path.name.lower()
    if name.endswith(".safetensors"):
        meta = {"source_format": info.format}
        if info.detected_variants:
            meta["variant"] = info.detected_variants[0]
        write_checkpoint(state, out_path, form="safetensors", epoch=info.epoch or 0, metadata=meta)
    elif name.endswith((".pth", ".tar", ".pth.tar", ".pt")):
        write_checkpoint(state, out_path, form="pth", epoch=info.epoch or 0)
    else:
        raise CnpError(f"{out_path}: unknown output type; name it *.safetensors or *.pth.tar")
    err.print(f"wrote {out_path} ({info.tensor_count} tensors, epoch {info.epoch}, from {info.format})")
