"""``cnp export``: the inference form of a checkpoint as ONNX or TorchScript."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cnp_cli.completion import variant_names
from cnp_cli.console import err, print_json, user_errors


@user_errors
def export_command(
    variant: Annotated[str, typer.Option("--variant", "-v", help="Model variant.", autocompletion=variant_names)],
    checkpoint: Annotated[Path, typer.Option("--checkpoint", "-c", help="Checkpoint of that variant.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write (e.g. convnextpose_m.onnx).")],
    format: Annotated[str, typer.Option("--format", "-f", help="onnx or torchscript.")] = "onnx",
    batch_size: Annotated[int | None, typer.Option(min=1, help="Fixed batch size; default: a dynamic batch axis.")] = None,
    opset: Annotated[int, typer.Option(help="ONNX opset.")] = 17,
    optimize: Annotated[
        bool,
        typer.Option("--optimize/--no-optimize", help="Export the inference-optimised form (same weights) or the literal model."),
    ] = True,
    json_out: Annotated[bool, typer.Option("--json", help="Print the file's metadata as JSON on stdout.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace --out if it exists (cnp cannot tell that it wrote it).")
    ] = False,
) -> None:
    """Export a checkpoint: images (N, 3, H, W) in, joint coordinates (N, J, 3) in heatmap units out."""
    import cnp_core

    options = cnp_core.ExportOptions(format=format, batch_size=batch_size, opset=opset, optimize=optimize)  # checked first
    with err.status(f"exporting {variant} to {format} ..."):
        meta = cnp_core.export_model(variant, checkpoint, out, options, force=force)
    spec = cnp_core.get_variant(variant)
    if json_out:
        print_json(meta)
    else:
        batch = "dynamic batch" if batch_size is None else f"batch {batch_size}"
        err.print(f"wrote {out} ({format}, {spec.name}, {batch}, {out.stat().st_size / 2**20:.1f} MiB)")
