"""``cnp report``: a Markdown write-up of finished runs with PNG plots beside it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cnp_cli.console import err, print_json, user_errors


@user_errors
def report_command(
    runs: Annotated[
        list[Path], typer.Argument(help="Run folders of `cnp eval` (or their metrics.json), and training folders of `cnp train`.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Markdown file to write; plots go beside it.")] = Path("report.md"),
    baseline: Annotated[
        str | None, typer.Option(help="Baseline run (variant name, run folder name or 1-based position).")
    ] = None,
    title: Annotated[str | None, typer.Option(help="Report title.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print what was written as JSON on stdout.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace files at --out (and its plots) that cnp did not write.")
    ] = False,
    worst: Annotated[int, typer.Option(min=0, help="Worst frames drawn per run (0: none).")] = 3,
) -> None:
    """Environment, variants, totals with intervals, every metric, per-action and per-joint plots, error
    distributions, each run's worst frames drawn, and the paper's numbers."""
    from cnp_core import write_report

    written = write_report(runs, out, baseline=baseline, title=title, force=force, worst=worst)
    if json_out:
        print_json(written)
    else:
        err.print(f"report written to {written['report']} with {len(written['plots'])} plot(s)")
