"""A Markdown report of finished runs: environment, variants, results, the paper, plots beside it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cnp_cli.console import fmt_mm
from cnp_core.atomic import claim_output, write_text
from cnp_core.comparison import Run, compare_runs, setting

MARKER = "<!-- written by cnp report; `cnp report --out` may replace this file -->"


def written_by_cnp(path: Path) -> bool:
    """A report :func:`build_report` wrote (it starts with :data:`MARKER`)."""
    try:
        with Path(path).open(encoding="utf-8", errors="replace") as fh:
            return fh.readline().rstrip("\n") == MARKER
    except OSError:
        return False


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _environment(runs: Sequence[Run]) -> list[str]:
    keys: list[str] = []
    for run in runs:
        keys += [k for k in run.record.get("versions", {}) if k not in keys]
    rows = []
    for key in keys:
        values = sorted({str(run.record.get("versions", {}).get(key, "-")) for run in runs})
        rows.append((key, ", ".join(values)))
    devices = sorted({str(run.record.get("device", "-")) for run in runs})
    rows.append(("device", ", ".join(devices)))
    rows.append(("optimized model", ", ".join(sorted({str(run.record.get("optimized", "-")) for run in runs}))))
    return _table(("component", "version / value"), rows)


def _variants(runs: Sequence[Run]) -> list[str]:
    from cnp_cli.commands.variants import variant_row
    from cnp_core import get_variant
    from cnp_core.errors import UnknownNameError

    rows = []
    for name in dict.fromkeys(str(run.record["variant"]) for run in runs):
        try:
            v = variant_row(get_variant(name))
        except UnknownNameError:
            rows.append((name, "not registered here", "-", "-", "-", "-", "-", "-"))
            continue
        rows.append(
            (
                v["name"],
                v["backbone"],
                "/".join(map(str, v["depths"])),
                "/".join(map(str, v["dims"])),
                f"{v['head']} ({v['head_channels']} ch)",
                f"{v['output_shape'][0]}x{v['output_shape'][1]}x{v['depth_dim']}",
                f"{v['params_m']:.3f}",
                f"{v['gmacs']:.3f}",
            )
        )
    return _table(("variant", "backbone", "depths", "dims", "head", "heatmap", "params (M)", "GMACs"), rows)


def _plot_path(out: Path, setting: str, metric: Any, alignment: Any) -> Path:
    return out.with_name(f"{out.stem}_{_slug(f'{setting} {metric} {alignment}')}.png")


def _other_options(row: dict[str, Any], setting: str) -> str:
    """The run's dataset options besides its headline setting (Human3.6M: the boxes), or ``-``."""
    shown = [str(v) for k, v in row["options"].items() if v is not None and f"{k} {v}" != setting]
    return ", ".join(shown) or "-"


def build_report(
    runs: Sequence[Run], out: Path, *, baseline: str | None = None, title: str | None = None, force: bool = False
) -> dict[str, Any]:
    """Write ``out`` (Markdown) and one PNG per setting/metric group beside it; returns what was written.

    Files there that cnp did not write are refused before anything is written, unless ``force``.
    """
    from cnp_cli.plots import comparison_plot, drawn_by_cnp

    out = Path(out)
    groups: dict[tuple[Any, ...], list[Run]] = {}
    for run in runs:
        groups.setdefault(setting(run.record), []).append(run)
    claim_output(out, force=force, owned=written_by_cnp)
    for _, setting_words, metric, alignment in groups:
        claim_output(_plot_path(out, setting_words, metric, alignment), force=force, owned=drawn_by_cnp)
    lines = [MARKER, f"# {title or 'ConvNeXtPose evaluation report'}", ""]
    lines.append(f"Generated {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC by `cnp report` from {len(runs)} run(s).")
    lines += ["", "## Environment", "", *_environment(runs), "", "## Variants", "", *_variants(runs), ""]
    plots: list[str] = []
    paper_rows = []
    for (dataset, setting_words, metric, alignment), members in groups.items():
        base = baseline if baseline and any(baseline in (r.label, str(r.record["variant"])) for r in members) else None
        comparison = compare_runs(members, baseline=base)
        heading = f"{dataset} {setting_words}: {metric} ({alignment} alignment)".replace(" :", ":")
        plot = _plot_path(out, setting_words, metric, alignment)
        comparison_plot(comparison, plot)
        plots.append(str(plot))
        lines += [f"## {heading}", "", f"Baseline: `{comparison['baseline']}`.", ""]
        rows = [
            (
                f"`{r['label']}`",
                r["variant"],
                "-" if r["epoch"] is None else r["epoch"],
                _other_options(r, setting_words),
                {True: "on", False: "off"}.get(r["flip"], "-"),
                r["num_samples"] or "-",
                fmt_mm(r["total_mm"]),
                fmt_mm(r["action_mean_mm"]),
                fmt_mm(r["delta_mm"], signed=True),
                "-" if r["delta_pct"] is None else f"{r['delta_pct']:+.1f}%",
            )
            for r in comparison["rows"]
        ]
        header = ("run", "variant", "epoch", "options", "flip", "samples", "total mm", "action mean mm", "Δ base mm", "Δ base %")
        lines += _table(header, rows)
        lines += ["", f"Per action ({metric}, mm):", ""]
        action_rows = [(a, *(fmt_mm(r["per_action_mm"].get(a)) for r in comparison["rows"])) for a in comparison["actions"]]
        action_rows.append(("**Total**", *(f"**{fmt_mm(r['total_mm'])}**" for r in comparison["rows"])))
        lines += _table(("action", *(f"`{r['label']}`" for r in comparison["rows"])), action_rows)
        lines += ["", f"![{heading}]({plot.name})", ""]
        paper_rows += [
            (
                r["variant"],
                f"{setting_words} {metric}".strip(),
                f"`{r['label']}`",
                fmt_mm(r["total_mm"]),
                fmt_mm(r["paper_mm"]),
                fmt_mm(r["paper_delta_mm"], signed=True),
                r["paper_source"] or "-",
            )
            for r in comparison["rows"]
        ]
    lines += ["## Comparison with the paper", ""]
    lines += _table(("variant", "metric", "run", "ours mm", "paper mm", "Δ mm", "source"), paper_rows)
    lines += [
        "",
        "`-`: no figure was published for that variant and setting. Runs with random weights or synthetic",
        "data check the pipeline only and are not comparable to published figures.",
        "",
    ]
    write_text(out, "\n".join(lines))
    return {"report": str(out), "plots": plots, "runs": [r.label for r in runs], "groups": len(groups)}


__all__ = ["build_report"]
