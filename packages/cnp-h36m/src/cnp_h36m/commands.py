"""``cnp data ...``: synthesise a Human3.6M-format dataset, or check a folder.

Added to the ``cnp`` command by this plugin's ``cnp_register_commands`` hook; needs Typer and rich,
which the CLI brings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cnp_core.plugin import fail, print_json, user_errors

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


app = typer.Typer(help="Create and validate Human3.6M-format data.", no_args_is_help=True)


@app.command("synth")
@user_errors
def synth_command(
    out_dir: Annotated[Path, typer.Argument(metavar="OUT", help="Folder to create (the Human36M/ root).")],
    subjects: Annotated[
        list[int] | None, typer.Option(help="Subjects (repeatable); default 9 and 11 (with --train also 1, 5, 6, 7, 8).")
    ] = None,
    frames: Annotated[int, typer.Option(min=1, help="Frames per sequence and camera (frame_idx = k * frame-step).")] = 4,
    frame_step: Annotated[
        int | None,
        typer.Option(min=1, help="Spacing of frame indices; default 32 (test / non-test frames alternate), 5 with --train."),
    ] = None,
    train: Annotated[
        bool, typer.Option("--train", help="Also the training subjects 1, 5, 6, 7, 8, every 5th frame (for `cnp train`).")
    ] = False,
    subactions: Annotated[int, typer.Option(min=1, max=2, help="Subactions per action (1 or 2).")] = 2,
    cameras: Annotated[int, typer.Option(min=1, max=4, help="Cameras per subject (1..4).")] = 4,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same dataset.")] = 0,
    no_images: Annotated[bool, typer.Option("--no-images", help="Annotations only (for load benchmarks).")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print counts as JSON on stdout.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace OUT even if it is not a folder this command wrote (e.g. a real dataset).")
    ] = False,
) -> None:
    """Write a synthetic Human3.6M (cameras, poses for all 15 actions, JPEGs, annotations, bbox_root).

    OUT must be new, empty, or an earlier `cnp data synth` folder; anything else needs --force.
    """
    from cnp_core.plugin import claim_output, staged_dir
    from cnp_h36m.synth import SynthConfig, generate, is_synthetic

    config = SynthConfig(
        subjects=tuple(subjects or ((1, 5, 6, 7, 8, 9, 11) if train else (9, 11))),
        subactions=tuple(range(1, subactions + 1)),
        cameras=tuple(range(1, cameras + 1)),
        frames=frames,
        frame_step=frame_step or (5 if train else 32),
        seed=seed,
        images=not no_images,
    )
    claim_output(out_dir, force=force, owned=is_synthetic)
    with staged_dir(out_dir) as tmp:
        counts = generate(tmp, config)
    if json_out:
        print_json({"out": str(out_dir), **counts})
    else:
        err.print(
            f"wrote {out_dir}: {counts['images']} images, {counts['test_frames']} test frames, {counts['bbox_root_entries']} RootNet entries"
        )


@app.command("synth-mpii")
@user_errors
def synth_mpii_command(
    out_dir: Annotated[Path, typer.Argument(metavar="OUT", help="Folder to create (the MPII/ root).")],
    source: Annotated[Path, typer.Option("--from", help="A (synthetic) Human3.6M folder with training subjects.")],
    force: Annotated[bool, typer.Option("--force", help="Replace OUT even if this command did not write it.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print counts as JSON on stdout.")] = False,
) -> None:
    """Write an MPII-format 2D set (COCO annotations, 16 joints) from a Human3.6M folder's training frames."""
    from cnp_core.plugin import claim_output, staged_dir
    from cnp_h36m.mpii import write_synthetic
    from cnp_h36m.synth import is_synthetic, mark_synthetic

    claim_output(out_dir, force=force, owned=is_synthetic)
    with staged_dir(out_dir) as tmp:
        counts = write_synthetic(tmp, source)
        mark_synthetic(tmp)
    if json_out:
        print_json({"out": str(out_dir), **counts})
    else:
        err.print(f"wrote {out_dir}: {counts['images']} images, {counts['annotations']} annotations")


@app.command("check")
@user_errors
def check_command(
    data_dir: Annotated[Path, typer.Argument(help="Human3.6M folder (or MPII folder with --dataset mpii).")],
    dataset: Annotated[
        str, typer.Option(help="h36m (test split), mpii (training set) or another dataset that declares a check.")
    ] = "h36m",
    protocol: Annotated[int, typer.Option(help="Protocol whose test split to check (1 or 2).")] = 2,
    bbox: Annotated[
        str | None, typer.Option(help="gt or rootnet (also checks the RootNet file); default: the dataset's.")
    ] = None,
    bbox_root: Annotated[Path | None, typer.Option(help="RootNet file to check instead of the default.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print problems as JSON on stdout.")] = False,
) -> None:
    """Validate a folder for `cnp eval`; list exactly what is missing or malformed (exit 1 if anything)."""
    from cnp_core.plugin import ParameterError, SplitOptions
    from cnp_h36m.check import check_folder
    from cnp_h36m.options import h36m_options

    notes: list[str] = []
    if dataset == "mpii":
        from cnp_h36m.mpii import check_mpii

        problems, notes = check_mpii(data_dir)
    elif dataset == "h36m":
        settings = h36m_options(SplitOptions.of({"protocol": protocol, "bbox": bbox or "gt", "bbox_root": bbox_root}))
        problems = check_folder(data_dir, settings, notes=notes)
    else:
        from cnp_core.plugin import ChecksData, registry

        entry = registry("dataset").get(dataset)  # an unknown name lists the registered ones
        if not isinstance(entry, ChecksData):
            raise ParameterError("dataset", dataset, "declares no folder check (cnp_core.plugin.ChecksData)")
        declared = {o.name for o in registry("dataset").get(dataset).info.options}
        given = {k: v for k, v in {"bbox": bbox, "bbox_root": bbox_root}.items() if k in declared and v}
        problems = list(entry.check(data_dir, SplitOptions.of(given)))
    if json_out:
        print_json({"data_dir": str(data_dir), "dataset": dataset, "ok": not problems, "problems": problems, "notes": notes})
    elif not problems:
        for note in notes:
            err.print(note)
        what = {"mpii": "training with cnp train", "h36m": f"Protocol {protocol} with {bbox or 'gt'} boxes"}.get(
            dataset, f"cnp eval --dataset {dataset}"
        )
        out.print(f"{data_dir}: OK for {what}")
    else:
        for p in problems:
            err.print(f"- {p}")
    if problems:
        raise fail(f"{data_dir}: {len(problems)} problem(s) found")
