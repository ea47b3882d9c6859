"""``cnp inspect FILE``: what a checkpoint really contains, and whether it fits a variant."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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
    from cnp_core import get_variant
    from cnp_core._checkpoints import inspect_state, read_checkpoint
    from cnp_core._checkpoints.loading import mismatch_message
    from cnp_core._checkpoints.matching import diff, expected_shapes, format_architecture, shapes_of
    from cnp_core._inference.export import check_export_fits, read_export_metadata

    exported = read_export_metadata(file)
    if exported is not None:
        exported = {"file": str(file), "kind": "exported model", **exported}
        if variant is not None:
            check_export_fits(exported, get_variant(variant), file)
        if json_out:
            print_json(exported)
        else:
            for key, value in exported.items():
                out.print(f"{key:<14}{'dynamic' if key == 'batch_size' and value is None else value}")
        return
    raw = read_checkpoint(file)
    info, state = inspect_state(raw)
    record: dict[str, Any] = info.to_dict()
    reason = None
    if variant is not None:
        spec = get_variant(variant)
        shape_diff = diff(shapes_of(state), expected_shapes(spec))
        record["variant"] = spec.name
        record["fits"] = shape_diff.fits
        reason = None if shape_diff.fits else mismatch_message(info, spec, shape_diff)
        record["reason"] = reason
    if json_out:
        print_json(record)
    else:
        out.print(f"file        {info.path}")
        out.print(f"format      {info.format}")
        out.print(f"epoch       {info.epoch if info.epoch is not None else 'unknown'}")
        out.print(f"tensors     {info.tensor_count}")
        out.print(f"parameters  {info.param_count:,} ({info.param_count / 1e6:.3f}M)")
        out.print(f"remaps      {', '.join(info.remaps) or 'none'}")
        out.print(f"contents    {format_architecture(info.architecture)}")
        detected = ", ".join(info.detected_variants) or "none of the registered variants"
        out.print(f"variant     {detected}")
        if variant is not None:
            out.print(f"fits {record['variant']:<6} {'yes' if record['fits'] else 'no'}")
    if reason:
        raise fail(reason)
