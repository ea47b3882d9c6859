"""``cnp data synth-mupots`` / ``synth-muco`` / ``synth-coco``: synthetic MuPoTS-3D, MuCo-3DHP and COCO
in the official layouts (added to ``cnp data``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from cnp_core.plugin import print_json, user_errors

MARKER_FILE = ".cnp-synthetic.json"  # what cnp wrote and may replace


def _ours(folder: Path) -> bool:
    return (Path(folder) / MARKER_FILE).is_file()


@user_errors
def synth_mupots_command(
    out_dir: Annotated[Path, typer.Argument(metavar="OUT", help="Folder to create (the MuPoTS/ root: data/, bbox_root/).")],
    sequences: Annotated[list[int] | None, typer.Option(help="Sequences TS<n> (repeatable, 1..20); default all 20.")] = None,
    frames: Annotated[int, typer.Option(min=1, help="Frames per sequence.")] = 2,
    people: Annotated[int, typer.Option(min=1, help="Annotated people per sequence.")] = 3,
    image_scale: Annotated[
        float, typer.Option(min=0.05, max=1.0, help="Image size as a fraction of the official (2048x2048, 1920x1080).")
    ] = 0.25,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same data.")] = 0,
    force: Annotated[bool, typer.Option("--force", help="Replace OUT even if this command did not write it.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print counts as JSON on stdout.")] = False,
) -> None:
    """Write a synthetic MuPoTS-3D (images, annot.mat, occlusion.mat, MuPoTS-3D.json, RootNet boxes): several
    people per image, invalid people, occluded joints, people cut by the border, RootNet files with more
    and fewer boxes than people. Deterministic for a seed."""
    from cnp_core.plugin import ParameterError, claim_output, staged_dir
    from cnp_mupots.synth import MupotsSynthConfig, generate

    chosen = tuple(sequences or range(1, 21))
    bad = [s for s in chosen if not 1 <= s <= 20]
    if bad:
        raise ParameterError("sequences", bad[0], "MuPoTS-3D has sequences 1 to 20")
    claim_output(out_dir, force=force, owned=_ours)
    config = MupotsSynthConfig(sequences=chosen, frames=frames, people=people, image_scale=image_scale, seed=seed)
    with staged_dir(out_dir) as tmp:
        counts = generate(tmp, config)
        (tmp / MARKER_FILE).write_text(json.dumps({"generator": "cnp data synth-mupots", "seed": seed}))
    if json_out:
        print_json({"out": str(out_dir), **counts})
    else:
        typer.echo(
            f"wrote {out_dir}: {counts['images']} images, {counts['people']} annotated people ({counts['valid']} valid), {counts['boxes']} RootNet boxes",
            err=True,
        )


@user_errors
def synth_muco_command(
    out_dir: Annotated[
        Path, typer.Argument(metavar="OUT", help="Folder to create (the MuCo/ root: data/MuCo-3DHP.json, data/images/).")
    ],
    images: Annotated[int, typer.Option(min=1, help="Composite images (1-3 people each).")] = 6,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same data.")] = 0,
    force: Annotated[bool, typer.Option("--force", help="Replace OUT even if this command did not write it.")] = False,
) -> None:
    """Write a synthetic MuCo-3DHP training set in the official format (for `cnp train --dataset muco`)."""
    from cnp_mupots.synth import generate_muco

    _write(out_dir, force, "cnp data synth-muco", seed, lambda tmp: generate_muco(tmp, images=images, seed=seed))


@user_errors
def synth_coco_command(
    out_dir: Annotated[
        Path, typer.Argument(metavar="OUT", help="Folder to create (the MSCOCO/ root: annotations/, images/train2017/).")
    ],
    images: Annotated[int, typer.Option(min=1, help="Images (1-2 people each).")] = 6,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same data.")] = 0,
    force: Annotated[bool, typer.Option("--force", help="Replace OUT even if this command did not write it.")] = False,
) -> None:
    """Write a synthetic MS COCO 2017 keypoint set in the official format (for `cnp train --mix coco=OUT`)."""
    from cnp_mupots.synth import generate_coco

    _write(out_dir, force, "cnp data synth-coco", seed, lambda tmp: generate_coco(tmp, images=images, seed=seed))


def _write(out_dir: Path, force: bool, generator: str, seed: int, make: Any) -> None:
    from cnp_core.plugin import claim_output, staged_dir

    claim_output(out_dir, force=force, owned=_ours)
    with staged_dir(out_dir) as tmp:
        counts = make(tmp)
        (tmp / MARKER_FILE).write_text(json.dumps({"generator": generator, "seed": seed}))
    typer.echo(f"wrote {out_dir}: {counts['images']} images, {counts['people']} people", err=True)


def add_to(app: Any) -> None:
    """Add the commands to the root app's ``data`` group (cnp-h36m's), or a ``data`` group of their own."""
    group = next((g.typer_instance for g in app.registered_groups if g.name == "data"), None)
    if group is None:
        group = typer.Typer(help="Create and validate datasets.", no_args_is_help=True)
        app.add_typer(group, name="data")
    group.command("synth-mupots")(synth_mupots_command)
    group.command("synth-muco")(synth_muco_command)
    group.command("synth-coco")(synth_coco_command)


__all__ = ["add_to", "synth_mupots_command"]
