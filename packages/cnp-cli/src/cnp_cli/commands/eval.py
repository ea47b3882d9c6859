"""``cnp eval``: the paper's Human3.6M evaluation of one or more checkpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cnp_cli.completion import variant_names
from cnp_cli.console import err, out, print_json, user_errors
from cnp_core import CnpError


def parse_workers(value: str) -> int | None:
    if value == "auto":
        return None
    if not value.isdigit():
        raise CnpError(f"--workers {value!r}: use a number or auto")
    return int(value)


@user_errors
def eval_command(
    variant: Annotated[
        str, typer.Option("--variant", "-v", help="Model variant (XS, S, M, L or a plugin's).", autocompletion=variant_names)
    ],
    checkpoint: Annotated[
        list[Path] | None, typer.Option("--checkpoint", "-c", help="Checkpoint file or folder; repeatable.")
    ] = None,
    model_dir: Annotated[Path | None, typer.Option(help="Folder of snapshot_{N}.pth.tar files (with --epochs).")] = None,
    epochs: Annotated[str | None, typer.Option(help="Epoch N, inclusive range N-M, or list N,M (with --model-dir).")] = None,
    data_dir: Annotated[Path, typer.Option(help="The dataset's folder (Human3.6M: images/, annotations/, bbox_root/).")] = Path(
        "data/Human36M"
    ),
    flip: Annotated[bool, typer.Option("--flip/--no-flip", help="Flip test (average with the mirrored image).")] = True,
    alignment: Annotated[
        str | None,
        typer.Option(help="Override the headline metric's alignment: none, rigid (official P1) or similarity (scaled)."),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Images per batch.")] = 16,
    workers: Annotated[str, typer.Option(help="DataLoader processes, or auto.")] = "auto",
    device: Annotated[str, typer.Option(help="auto (CUDA if available), cpu, cuda, cuda:N.")] = "auto",
    output: Annotated[Path, typer.Option(help="Folder for run folders (metrics.json + result file).")] = Path("output/result"),
    optimize: Annotated[
        bool, typer.Option("--optimize/--no-optimize", help="Inference-optimised model (same weights) or the literal one.")
    ] = True,
    dataset: Annotated[str, typer.Option(help="Registered dataset (`cnp plugins` lists them); its own options follow.")] = "h36m",
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the list of metrics records as one JSON document on stdout.")
    ] = False,
    demo: Annotated[
        bool, typer.Option("--demo", help="Use a built-in synthetic dataset and random weights (pipeline check only).")
    ] = False,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Skip runs whose results exist for the same configuration; continue interrupted ones."),
    ] = False,
    backend: Annotated[str, typer.Option(help="torch, or onnxruntime (with --model FILE.onnx from `cnp export`).")] = "torch",
    model: Annotated[
        list[Path] | None, typer.Option("--model", help="Exported ONNX model for --backend onnxruntime; repeatable.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace run folders under --output that cnp did not write (no metrics.json).")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Also say which inference rewrites applied.")] = False,
    bootstrap: Annotated[
        int, typer.Option(min=0, help="Bootstrap resamples over frames for the 95% intervals (0: none).")
    ] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap (same seed, same intervals).")] = 0,
    exclude: Annotated[
        str | None,
        typer.Option(help="Comma list of sequences to leave out, e.g. S9_Greeting,S9_SittingDown (prefix or shell pattern)."),
    ] = None,
    patch_cache: Annotated[
        bool,
        typer.Option(
            "--patch-cache/--no-patch-cache",
            help="Keep the cropped patches of the split (CNP_CACHE_DIR/patches) so later runs decode nothing.",
        ),
    ] = True,
    patch_cache_gb: Annotated[float, typer.Option(min=0, help="Bound on the patch cache's disk use (GB).")] = 20.0,
    dataset_options: dict[str, Any] | None = None,
) -> None:
    """Evaluate checkpoints on a dataset's test split (Human3.6M by default) and write metrics.json + its result files.

    ``dataset_options`` holds the values of the dataset's declared options (``--protocol 1``); the
    command line offers every registered dataset's options (see :func:`with_dataset_options`).
    """
    import functools

    import cnp_core

    with cnp_core.distributed_session(device) as dist:
        paths = _checkpoints(checkpoint, model_dir, epochs, backend, model)
        if demo:
            from cnp_cli.demo import demo_inputs

            data_dir, paths = demo_inputs(variant, dataset, paths, dist)
        if not paths and not model:
            raise CnpError("no checkpoint given: use --checkpoint FILE, --model-dir DIR --epochs N, or --demo")
        runs = cnp_core.evaluate(
            variant, paths, data_dir, dataset=dataset, options=dataset_options, flip=flip, alignment=alignment,
            batch_size=batch_size, workers=parse_workers(workers), device=dist.device, output_dir=output,
            optimize=optimize, bootstrap=bootstrap, seed=seed, resume=resume, force=force,
            exclude=[p.strip() for p in (exclude or "").split(",") if p.strip()],
            patch_cache=patch_cache, patch_cache_gb=patch_cache_gb, models=model or [],
            on_result=None if json_out else _show,
            on_notes=functools.partial(_show_notes, verbose and dist.is_main),
        )  # fmt: skip
        if json_out and dist.is_main:
            print_json([dict(r.record) for r in runs])


def _show_notes(show: bool, notes: list[str]) -> None:
    for note in notes if show else ():
        err.print(f"[dim]optimize: {note}[/]")


def _checkpoints(
    checkpoint: list[Path] | None, model_dir: Path | None, epochs: str | None, backend: str, model: list[Path] | None
) -> list[Path]:
    """The checkpoint files the flags name (``--checkpoint``, or ``--model-dir`` with ``--epochs``)."""
    import cnp_core

    if backend not in ("torch", "onnxruntime"):
        raise CnpError(f"--backend {backend!r}: use torch or onnxruntime")
    if (backend == "onnxruntime") != bool(model):
        raise CnpError("--backend onnxruntime goes with --model FILE.onnx (from `cnp export`), and --model needs it")
    if model and (checkpoint or model_dir is not None or epochs is not None):
        raise CnpError(
            "--model FILE.onnx is the whole model: drop --checkpoint/--model-dir/--epochs, or evaluate those in another run"
        )
    paths = list(checkpoint or [])
    if model_dir is not None or epochs is not None:
        if model_dir is None or epochs is None:
            raise CnpError("--model-dir and --epochs go together (e.g. --model-dir output/model_dump --epochs 70-72)")
        paths += cnp_core.find_snapshots(model_dir, epochs)
    return paths


def _show(run: Any) -> None:
    from rich.table import Table

    record = run.record

    if record.get("resumed"):
        err.print(f"[dim]resume: {record['run_dir']} already holds these results (same configuration); skipped[/]")
    options = ", ".join(f"{k} {record[k]}" for k in record.get("dataset_options", ()) if record.get(k) is not None)
    title = (
        f"{record['variant']} {Path(record['checkpoint']).name} (epoch {record['epoch']}): {record['dataset']}"
        f"{' ' + options if options else ''}: "
        f"{record['metric']} ({record['alignment']} alignment), flip {'on' if record['flip'] else 'off'}"
    )
    out.print(f"\n[bold]{title}[/]")
    h = run.headline
    ci = h.total_ci95
    interval = f" (95% CI {h.show(ci[0], unit=False)}-{h.show(ci[1], unit=False)})" if ci else ""
    out.print(
        f"tot (frame-wise): [bold]{h.label} {h.show(h.total)}[/]{interval}   action-wise average: "
        f"{h.show(h.action_mean)}   samples: {record['num_samples']}   ({h.direction})"
    )
    split = record.get("split") or {}
    if split.get("skipped_boxes"):
        err.print(
            f"[yellow]note:[/] {split['skipped_boxes']} sample(s) skipped: their GT box is empty once clipped to the image "
            f"(the official loader skips them too); first: {split['skipped_first'][0]}"
        )
    if record.get("degenerate_predictions"):
        err.print(
            f"[yellow]note:[/] {record['degenerate_predictions']} predictions are collapsed or not finite: "
            "their alignment fits fell back (metrics.json: degenerate_predictions)"
        )
    if record.get("excluded"):
        excluded = record["excluded"]
        out.print(
            f"excluded {excluded['samples']} samples of {len(excluded['sequences'])} sequences ({', '.join(excluded['patterns'])})"
        )
    out.print(_metrics_table(record.get("metrics") or {}))
    unit = f" ({h.unit})" if h.unit else ""
    table = Table(title=f"per action{unit}")
    table.add_column("action")
    table.add_column(record["metric"], justify="right")
    for name, value in h.per_action.items():
        table.add_row(name, h.show(value, unit=False))
    joints = Table(title=f"per joint{unit}")
    joints.add_column("joint")
    joints.add_column(record["metric"], justify="right")
    for name, value in h.per_joint.items():
        joints.add_row(name, h.show(value, unit=False))
    from rich.columns import Columns

    out.print(Columns([table, joints]))
    out.print(f"{record['images_per_s']} images/s on {record['device']}; results in {record['run_dir']}")


def _metrics_table(metrics: dict[str, Any]) -> Any:
    """Every metric: frame-wise total with its interval, the action-wise mean, unit and direction."""
    from rich.table import Table

    from cnp_core import format_value

    table = Table(title="all metrics (frame-wise total, 95% bootstrap interval, action-wise mean)")
    for column in ("metric", "total", "95% CI", "action-wise", "unit", "better"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for m in metrics.values():

        def show(value: float | None, m: dict[str, Any] = m) -> str:
            return format_value(value, m["unit"], m.get("format", ".2f"), show_unit=False)

        ci = m.get("ci95")
        interval = f"{show(ci[0])}-{show(ci[1])}" if ci else "-"
        better = {True: "higher", False: "lower"}.get(m.get("higher_is_better", m["unit"] != "mm"), "-")
        unit = "%" if m["unit"] == "fraction" else m["unit"]
        table.add_row(m["label"], show(m["total"]), interval, show(m["action_mean"]), unit or "-", better)
    return table


def own_parameters(command: Any) -> set[str]:
    """The names of a command's own parameters (what a dataset option may never be called)."""
    import inspect

    return {p for p in inspect.signature(command).parameters if p != "dataset_options"}


def with_dataset_options(command: Any, datasets: Any) -> Any:
    """``command`` with one ``--NAME`` option per option the registered ``datasets`` declare
    (``(name, DatasetInfo)`` pairs), help listing each one's choices and default; the values given
    reach ``command`` as ``dataset_options`` (checked there against the chosen dataset). An option
    named like one of the command's own parameters is not added (the command's flag stays cnp's)."""
    import functools
    import inspect

    from cnp_core.plugin import as_flag

    own = own_parameters(command)
    declared: dict[str, list[tuple[str, Any]]] = {}
    for name, info in datasets:
        for option in info.options:
            if option.name not in own:
                declared.setdefault(option.name, []).append((name, option))
    signature = inspect.signature(command, eval_str=True)
    params = [p for p in signature.parameters.values() if p.name != "dataset_options"]
    extra = []
    for option_name, owners in declared.items():
        first = owners[0][1]
        choices = f"; choices: {', '.join(map(str, first.choices))}" if first.choices else ""
        default = f"; default: {first.default}" if first.default is not None else ""
        help_text = f"{first.help} (dataset {', '.join(n for n, _ in owners)}{choices}{default})"
        option = typer.Option(as_flag(option_name), help=help_text, show_default=False)
        extra.append(
            inspect.Parameter(option_name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[str | None, option])
        )

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> Any:
        given = {name: kwargs.pop(name) for name in declared if kwargs.get(name) is not None}
        for name in declared:
            kwargs.pop(name, None)
        return command(**kwargs, dataset_options=given)

    wrapper.__signature__ = signature.replace(parameters=[*params, *extra])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in wrapper.__signature__.parameters.values()}  # type: ignore[attr-defined]
    return wrapper
