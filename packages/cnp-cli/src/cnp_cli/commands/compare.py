"""``cnp compare``: finished runs side by side, with deltas to a baseline and to the paper."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cnp_cli.console import err, out, print_json, user_errors


@user_errors
def compare_command(
    runs: Annotated[list[Path], typer.Argument(help="Run folders written by `cnp eval`, or their metrics.json files.")],
    baseline: Annotated[
        str | None,
        typer.Option(help="Baseline run: a variant name, a run folder name or a 1-based position (default: the first)."),
    ] = None,
    plot: Annotated[Path | None, typer.Option(help="Also draw per-action grouped bars and totals to this PNG.")] = None,
    allow_mixed: Annotated[
        bool, typer.Option("--allow-mixed", help="Compare runs of different settings (e.g. protocols) or metrics.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the comparison as one JSON document on stdout.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace a --plot file that cnp did not draw.")] = False,
) -> None:
    """Compare evaluation runs: totals, deltas to the baseline and the paper, and all 15 actions."""
    from cnp_core import compare_runs, read_run

    comparison = compare_runs([read_run(r) for r in runs], baseline=baseline, allow_mixed=allow_mixed, plot=plot, force=force)
    if plot is not None:
        err.print(f"plot written to {plot}")
    if json_out:
        print_json(comparison)
        return
    show_comparison(comparison)


def show_comparison(comparison: dict[str, Any]) -> None:
    from rich.table import Table

    from cnp_core import format_value

    rows = comparison["rows"]
    unit = comparison.get("unit", "mm")
    fmt = rows[0].get("format", ".2f") if rows else ".2f"
    direction = "higher is better" if comparison.get("higher_is_better") else "lower is better"
    u = f" {unit}" if unit else ""

    def show(value: float | None, signed: bool = False) -> str:
        return format_value(value, "", fmt, signed=signed)

    if comparison["mixed"]:
        err.print("[yellow]warning:[/] these runs measure different things (--allow-mixed); deltas mix metrics")
    table = Table(
        title=f"Runs: {comparison.get('metric', '')}{f' ({unit}, {direction})'} — baseline {comparison['baseline']}; "
        "verdict: the paired 95% interval of the delta excludes 0"
    )
    columns = (
        "run",
        "variant",
        "epoch",
        "setting",
        "metric",
        f"total{u}",
        "95% CI",
        f"Δ base{u}",
        "vs base",
        "Δ 95% CI (paired)",
    )
    for name in (*columns, "Δ base rel.", f"paper{u}", f"Δ paper{u}"):
        table.add_column(name, justify="left" if name in ("run", "variant", "metric", "vs base") else "right")
    for r in rows:
        paired = r["paired"]
        verdict = r["versus_base"] or "baseline"
        if paired and paired.get("verdict"):
            verdict = f"{verdict}: {paired['verdict']}"
        table.add_row(
            r["label"] + (" (best)" if r.get("best") and len(rows) > 1 else ""),
            str(r["variant"]),
            "-" if r["epoch"] is None else str(r["epoch"]),
            r["setting"] or "-",
            str(r["metric"]),
            show(r["total"]),
            _interval(r["total_ci95"], show),
            show(r["delta"], signed=True),
            verdict,
            _paired(paired, show),
            "-" if r["delta_pct"] is None else f"{r['delta_pct']:+.1f}%",
            show(r["paper"]),
            show(r["paper_delta"], signed=True),
        )
    out.print(table)
    unpaired = [f"{r['label']}: {r['paired']['reason']}" for r in rows if r["paired"] and not r["paired"]["paired"]]
    for line in unpaired:
        err.print(f"[dim]not paired with the baseline: {line}[/]")
    actions = Table(title=f"Per action ({unit or 'no unit'}, {direction})")
    actions.add_column("action")
    for r in rows:
        actions.add_column(r["label"], justify="right")
    for name in comparison["actions"]:
        actions.add_row(name, *(show(r["per_action"].get(name)) for r in rows))
    out.print(actions)


def _interval(ci: list[float] | None, show: Any, signed: bool = False) -> str:
    return "-" if not ci else f"{show(ci[0], signed)} to {show(ci[1], signed)}"


def _paired(paired: dict[str, Any] | None, show: Any) -> str:
    """The paired interval of the delta, starred where it excludes zero; ``-`` if not paired."""
    if not paired or not paired["paired"] or not paired["delta_ci95"]:
        return "-"
    return _interval(paired["delta_ci95"], show, signed=True) + (" *" if paired["significant"] else "")
