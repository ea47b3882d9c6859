"""``cnp predict``: one image in; 2D joints (pixels), root-relative 3D joints (mm) and a drawing out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cnp_cli.completion import variant_names
from cnp_cli.console import err, out, print_json, user_errors


def _floats(value: str | None, count: int, option: str, example: str) -> tuple[float, ...] | None:
    from cnp_core import CnpError

    if value is None:
        return None
    try:
        numbers = tuple(float(v) for v in value.split(","))
    except ValueError:
        numbers = ()
    if len(numbers) != count:
        raise CnpError(f"{option} {value!r}: give {count} comma-separated numbers, e.g. {option} {example}")
    return numbers


@user_errors
def predict_command(
    image: Annotated[Path, typer.Argument(help="Image file (JPEG, PNG, ...).")],
    variant: Annotated[str, typer.Option("--variant", "-v", help="Model variant.", autocompletion=variant_names)],
    checkpoint: Annotated[Path, typer.Option("--checkpoint", "-c", help="Checkpoint of that variant.")],
    bbox: Annotated[str | None, typer.Option(help="Person box x,y,w,h in pixels (default: the whole image).")] = None,
    root_depth: Annotated[
        float | None, typer.Option(help="Root (pelvis) depth in mm (default: RootNet's prior from the box size).")
    ] = None,
    focal: Annotated[str, typer.Option(help="Focal lengths fx,fy in pixels (default: the official demo's).")] = "1500,1500",
    principal_point: Annotated[str | None, typer.Option(help="cx,cy in pixels (default: the image centre).")] = None,
    out_png: Annotated[
        Path | None, typer.Option("--out", help="Draw the 2D skeleton over the image and a 3D view to this PNG.")
    ] = None,
    flip: Annotated[bool, typer.Option("--flip/--no-flip", help="Flip test.")] = True,
    optimize: Annotated[
        bool, typer.Option("--optimize/--no-optimize", help="Inference-optimised model or the literal one.")
    ] = True,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda, cuda:N.")] = "auto",
    dataset: Annotated[
        str, typer.Option(help="Dataset whose joint set the model predicts (names, skeleton, flip pairs).")
    ] = "h36m",
    json_out: Annotated[bool, typer.Option("--json", help="Print the prediction as one JSON document on stdout.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace --out even if it is not a drawing cnp made.")] = False,
) -> None:
    """Predict the 3D pose of the person in IMAGE (inside --bbox, or the whole image)."""
    import cnp_core

    box = _floats(bbox, 4, "--bbox", "120,80,300,600")
    options = cnp_core.PoseInput(
        bbox=box,  # type: ignore[arg-type]
        root_depth_mm=root_depth,
        focal=_floats(focal, 2, "--focal", "1500,1500"),  # type: ignore[arg-type]
        principal_point=_floats(principal_point, 2, "--principal-point", "500,500"),  # type: ignore[arg-type]
        flip=flip,
        device=device,
    )
    record = cnp_core.predict_image(
        variant, checkpoint, image, options, dataset=dataset, optimize=optimize, drawing=out_png, force=force
    )
    if out_png is not None:
        err.print(f"drawing written to {out_png}")
    if json_out:
        print_json(record)
        return
    _show(record)


def _show(record: dict[str, Any]) -> None:
    from rich.table import Table

    depth = f"{record['root_depth_mm']:.0f} mm" + (" (estimated from the box)" if record["root_depth_estimated"] else "")
    table = Table(title=f"{record['variant']} on {record['image']}: root depth {depth}")
    for name in ("joint", "u px", "v px", "X mm", "Y mm", "Z mm"):
        table.add_column(name, justify="left" if name == "joint" else "right")
    for name, (u, v), (x, y, z) in zip(record["joint_names"], record["joints_2d_px"], record["joints_3d_mm"], strict=True):
        table.add_row(name, f"{u:.1f}", f"{v:.1f}", f"{x:.1f}", f"{y:.1f}", f"{z:.1f}")
    out.print(table)
