"""``cnp eval``: the paper's Human3.6M evaluation of one or more checkpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cnp_cli.completion import variant_names
from cnp_cli.console import err, out, print_json, user_errors


def _workers(value: str) -> int | None:
    from cnp_core.errors import CnpError

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
    data_dir: Annotated[Path, typer.Option(help="Human3.6M folder (images/, annotations/, bbox_root/).")] = Path("data/Human36M"),
    protocol: Annotated[int, typer.Option(help="1: S11, PA MPJPE; 2: S9+S11, MPJPE.")] = 2,
    flip: Annotated[bool, typer.Option("--flip/--no-flip", help="Flip test (average with the mirrored image).")] = True,
    bbox: Annotated[str, typer.Option(help="gt: ground-truth boxes and root; rootnet: RootNet boxes and root.")] = "gt",
    bbox_root: Annotated[
        Path | None, typer.Option(help="RootNet file (default: DATA_DIR/bbox_root/bbox_root_human36m_output.json).")
    ] = None,
    alignment: Annotated[
        str | None, typer.Option(help="Override the protocol's alignment: none, rigid (official P1) or similarity (scaled).")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Images per batch.")] = 16,
    workers: Annotated[str, typer.Option(help="DataLoader processes, or auto.")] = "auto",
    device: Annotated[str, typer.Option(help="auto (CUDA if available), cpu, cuda, cuda:N.")] = "auto",
    output: Annotated[Path, typer.Option(help="Folder for run folders (metrics.json + result file).")] = Path("output/result"),
    optimize: Annotated[
        bool, typer.Option("--optimize/--no-optimize", help="Inference-optimised model (same weights) or the literal one.")
    ] = True,
    dataset: Annotated[str, typer.Option(help="Registered dataset.")] = "h36m",
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
) -> None:
    """Evaluate checkpoints on the Human3.6M test split and write metrics.json + the official result file."""
    from cnp_core import distributed, get_variant
    from cnp_core.datasets import SplitOptions
    from cnp_core.distributed import distributed_session
    from cnp_core.engine import InferenceConfig
    from cnp_core.errors import CnpError
    from cnp_core.evaluation import ALIGNMENTS
    from cnp_core.runs import EvalJob, evaluate_checkpoints, exported_sources, find_checkpoints, parse_epochs

    with distributed_session(device) as dist:
        spec = get_variant(variant)
        if backend not in ("torch", "onnxruntime"):
            raise CnpError(f"--backend {backend!r}: use torch or onnxruntime")
        if (backend == "onnxruntime") != bool(model):
            raise CnpError("--backend onnxruntime goes with --model FILE.onnx (from `cnp export`), and --model needs it")
        if bbox not in ("gt", "rootnet"):
            raise CnpError(f"--bbox {bbox!r}: use gt or rootnet")
        if alignment is not None and alignment not in ALIGNMENTS:
            raise CnpError(f"--alignment {alignment!r}: use one of {', '.join(ALIGNMENTS)}")
        if protocol not in (1, 2):
            raise CnpError(f"--protocol {protocol}: Human3.6M has protocols 1 and 2")
        paths = list(checkpoint or [])
        if demo:
            from cnp_cli.demo import demo_checkpoint, demo_data, demo_root

            root = demo_root()
            if dist.is_main:
                err.print(
                    "[bold yellow]demo:[/] synthetic Human3.6M and RANDOM weights: the numbers check the pipeline only, they say nothing about the model."
                )
            else:
                distributed.barrier()  # wait until rank 0 has written the demo files
            data_dir = demo_data(root, dataset)
            paths = paths or [demo_checkpoint(root, spec.name)]
            if dist.is_main:
                distributed.barrier()  # written: let the other ranks read them
        elif model_dir is not None or epochs is not None:
            if model_dir is None or epochs is None:
                raise CnpError("--model-dir and --epochs go together (e.g. --model-dir output/model_dump --epochs 70-72)")
            paths += find_checkpoints(model_dir, parse_epochs(epochs))
        if not paths and not model:
            raise CnpError("no checkpoint given: use --checkpoint FILE, --model-dir DIR --epochs N, or --demo")
        job = EvalJob(
            variant=spec,
            data_dir=data_dir,
            split=SplitOptions(protocol=protocol, bbox_source=bbox, bbox_root_file=bbox_root, input_shape=spec.input_shape),
            inference=InferenceConfig(
                batch_size=batch_size, workers=_workers(workers), device=dist.device, flip=flip, batched_flip=optimize
            ),
            dataset=dataset,
            alignment=alignment,
            output_dir=output,
            optimize=optimize,
            force=force,
        )
        prepare = None
        if optimize:
            from cnp_core.optimize import optimize_for_inference

            shown = False

            def prepare(model: Any) -> Any:
                nonlocal shown
                optimized, notes = optimize_for_inference(model)
                if verbose and dist.is_main and not shown:  # the same for every checkpoint of the variant
                    shown = True
                    for note in dict.fromkeys(notes):
                        err.print(f"[dim]optimize: {note}[/]")
                return optimized

        sources = exported_sources(job, model) if model else None
        records = evaluate_checkpoints(
            job, paths, prepare_model=prepare, on_result=None if json_out else _show, sources=sources, resume=resume
        )
        if json_out and dist.is_main:
            print_json(records)


def _show(record: dict[str, Any], result: Any) -> None:
    from rich.table import Table

    if record.get("resumed"):
        err.print(f"[dim]resume: {record['run_dir']} already holds these results (same configuration); skipped[/]")
    title = (
        f"{record['variant']} {Path(record['checkpoint']).name} (epoch {record['epoch']}): Protocol {record['protocol']} "
        f"{record['metric']} ({record['alignment']} alignment), {record['bbox_source']} boxes, flip {'on' if record['flip'] else 'off'}"
    )
    out.print(f"\n[bold]{title}[/]")
    out.print(
        f"tot (frame-wise): [bold]{record['total_mm']:.2f} mm[/]   action-wise average: {record['action_mean_mm']:.2f} mm   samples: {record['num_samples']}"
    )
    table = Table(title="per action (mm)")
    table.add_column("action")
    table.add_column(record["metric"], justify="right")
    for name, value in record["per_action_mm"].items():
        table.add_row(name, "-" if value is None else f"{value:.2f}")
    joints = Table(title="per joint (mm)")
    joints.add_column("joint")
    joints.add_column(record["metric"], justify="right")
    for name, value in record["per_joint_mm"].items():
        joints.add_row(name, f"{value:.2f}")
    from rich.columns import Columns

    out.print(Columns([table, joints]))
    out.print(f"{record['images_per_s']} images/s on {record['device']}; results in {record['run_dir']}")
