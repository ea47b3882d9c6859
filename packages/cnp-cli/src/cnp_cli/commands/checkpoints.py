"""``cnp checkpoints ...``: synthesise random-weight checkpoints in every published form."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cnp_cli.completion import variant_names
from cnp_cli.console import err, user_errors

app = typer.Typer(help="Work with checkpoint files.", no_args_is_help=True)


@app.command("synth")
@user_errors
def synth_command(
    variant: Annotated[str, typer.Option("--variant", "-v", help="Variant to generate.", autocompletion=variant_names)],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="File (or folder for --form folder) to write.")],
    form: Annotated[
        str,
        typer.Option(help="pth (training snapshot), zip-tar (published .tar), folder (extracted), tar (real tar), safetensors."),
    ] = "pth",
    legacy_head: Annotated[
        bool,
        typer.Option("--legacy-head", help="Name head layers by position, like the M/L releases (--key-style legacy-head-keys)."),
    ] = False,
    key_style: Annotated[
        str | None, typer.Option(help="Write keys in a registered key adapter's style (one with an inverse).")
    ] = None,
    epoch: Annotated[int, typer.Option(help="Epoch stored in the file.")] = 0,
    seed: Annotated[int, typer.Option(help="Random seed of the weights.")] = 0,
    force: Annotated[
        bool, typer.Option("--force", help="Replace --out if it exists (cnp cannot tell that it wrote it).")
    ] = False,
) -> None:
    """Write a random-weight checkpoint of VARIANT in one of the published forms."""
    import cnp_core

    style = "legacy-head-keys" if legacy_head else key_style
    cnp_core.write_random_checkpoint(variant, out_path, form=form, epoch=epoch, seed=seed, key_style=style, force=force)
    err.print(f"wrote {out_path}: variant {cnp_core.get_variant(variant).name}, form {form}, epoch {epoch}, seed {seed}")
