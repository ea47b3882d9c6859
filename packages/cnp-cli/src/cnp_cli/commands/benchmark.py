"""``cnp benchmark``: model size, cost and speed per variant; no checkpoint or data needed."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cnp_cli.console import err, out, print_json, user_errors


@user_errors
def benchmark_command(
    variant: Annotated[str, typer.Option("--variant", "-v", help="Variants, comma-separated (e.g. XS,S,M,L).")] = "XS,S,M,L",
    batch_size: Annotated[str, typer.Option(help="Batch sizes, comma-separated.")] = "1,16",
    device: Annotated[str, typer.Option(help="auto (CUDA if available), cpu, cuda, cuda:N.")] = "auto",
    flip: Annotated[bool, typer.Option("--flip/--no-flip", help="Time the flip test (two forwards per image).")] = True,
    iters: Annotated[int, typer.Option(min=1, help="Timed forwards per batch size.")] = 5,
    warmup: Annotated[int, typer.Option(min=0, help="Untimed forwards first.")] = 1,
    mode: Annotated[str, typer.Option(help="both (side by side), optimized or literal.")] = "both",
    json_out: Annotated[bool, typer.Option("--json", help="Print the results as one JSON document on stdout.")] = False,
    dataset: Annotated[
        str, typer.Option(help="Dataset whose joints the variants predict (its flip pairs are swapped).")
    ] = "h36m",
) -> None:
    """Params, GMACs, latency p50/p90, images/s and peak memory; optimised and literal side by side."""
    import cnp_core

    names, config = cnp_core.benchmark_config(
        variant, batch_sizes=batch_size, mode=mode, dataset=dataset, device=device, flip=flip, iters=iters, warmup=warmup
    )
    reports = []
    for name in names:
        with err.status(f"benchmarking {name} ({', '.join(config.modes)}) ..."):
            reports.append(cnp_core.benchmark_variant(name, config))
    if json_out:
        print_json(reports)
        return
    show_benchmark(reports)


def show_benchmark(reports: list[dict[str, Any]]) -> None:
    from rich.table import Table

    first = reports[0]
    table = Table(
        title=f"{first['device_name']} ({first['device']}), torch {first['torch']}, {first['torch_threads']} threads, "
        f"flip {'on' if first['flip'] else 'off'}, {first['iters']} timed iterations"
    )
    for name in ("variant", "params M", "GMACs", "batch", "mode", "p50 ms", "p90 ms", "img/s", "peak MiB", "speedup"):
        table.add_column(name, justify="left" if name in ("variant", "mode") else "right")
    for report in reports:
        for mode, rows in report["modes"].items():
            for row in rows:
                speedup = report.get("speedup", {}).get(str(row["batch_size"])) if mode == "optimized" else None
                table.add_row(
                    report["variant"],
                    f"{report['params_m']:.3f}",
                    f"{report['gmacs']:.3f}",
                    str(row["batch_size"]),
                    mode,
                    f"{row['latency_ms_p50']:.1f}",
                    f"{row['latency_ms_p90']:.1f}",
                    f"{row['images_per_s']:.2f}",
                    f"{row['peak_memory_mb']:.0f}",
                    "-" if speedup is None else f"{speedup:.2f}x",
                )
    out.print(table)
    out.print(f"peak memory: {first['modes'][next(iter(first['modes']))][0]['peak_memory_kind']}")
