"""A Markdown report of finished runs: environment, variants, results, the paper, plots beside it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cnp_core._errors import ParameterError, checked_arguments
from cnp_core._evaluation.comparison import Run, compare_runs, setting
from cnp_core._evaluation.metrics import table_value as fmt_metric
from cnp_core._output.atomic import claim_output, write_text

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
    from cnp_core import get_variant
    from cnp_core._errors import UnknownNameError
    from cnp_core._model.catalogue import describe_variant

    rows = []
    for name in dict.fromkeys(str(run.record["variant"]) for run in runs):
        try:
            v = describe_variant(get_variant(name))
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


def _plot_path(out: Path, setting: str, metric: Any, alignment: Any, kind: str = "") -> Path:
    return out.with_name(f"{out.stem}_{_slug(f'{setting} {metric} {alignment} {kind}')}.png")


def _metrics_rows(members: Sequence[Run]) -> list[tuple[Any, ...]]:
    """Every metric of every run: total with its 95% interval."""

    names: dict[str, str] = {}
    for run in members:
        names.update({k: m["label"] for k, m in (run.record.get("metrics") or {}).items()})
    rows = []
    for key, label in names.items():
        cells = []
        for run in members:
            m = (run.record.get("metrics") or {}).get(key)
            if m is None:
                cells.append("-")
                continue
            ci = m.get("ci95")
            fmt = m.get("format", ".2f")
            cells.append(
                fmt_metric(m["total"], m["unit"], fmt)
                + (f" ({fmt_metric(ci[0], m['unit'], fmt)}-{fmt_metric(ci[1], m['unit'], fmt)})" if ci else "")
            )
        rows.append((label, *cells))
    return rows


def _other_options(row: dict[str, Any], setting: str) -> str:
    """The run's dataset options besides its headline setting (e.g. which boxes a dataset used), or ``-``."""
    shown = [str(v) for k, v in row["options"].items() if v is not None and f"{k} {v}" != setting]
    return ", ".join(shown) or "-"


def _verdict(row: dict[str, Any]) -> str:
    """``better``/``worse`` than the baseline, with the paired verdict where the runs pair."""
    if row["versus_base"] is None:
        return "baseline"
    paired = row.get("paired") or {}
    return row["versus_base"] + (f" ({paired['verdict']})" if paired.get("verdict") else "")


def build_report(
    runs: Sequence[Run],
    out: Path,
    *,
    baseline: str | None = None,
    title: str | None = None,
    force: bool = False,
    worst: int = 3,
    training: Sequence[Path] = (),
) -> dict[str, Any]:
    """Write ``out`` (Markdown) and one PNG per setting/metric group beside it; returns what was written.

    Files there that cnp did not write are refused before anything is written, unless ``force``.
    """
    from cnp_core._report.plots import drawn_by_cnp

    out = Path(out)
    groups: dict[tuple[Any, ...], list[Run]] = {}
    for run in runs:
        groups.setdefault(setting(run.record), []).append(run)
    claim_output(out, force=force, owned=written_by_cnp)
    for folder in training:
        claim_output(_training_plot_path(out, folder), force=force, owned=drawn_by_cnp)
    for (_, setting_words, metric, alignment), members in groups.items():
        kinds = ["", "cdf", "joints", *(f"worst {r.label}" for r in members)]
        for kind in kinds:
            claim_output(_plot_path(out, setting_words, metric, alignment, kind), force=force, owned=drawn_by_cnp)
    lines = [MARKER, f"# {title or 'ConvNeXtPose evaluation report'}", ""]
    made = f"{len(runs)} run(s)" + (f" and {len(training)} training run(s)" if training else "")
    lines.append(f"Generated {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC by `cnp report` from {made}.")
    plots: list[str] = []
    if runs:
        lines += ["", "## Environment", "", *_environment(runs), "", "## Variants", "", *_variants(runs)]
    lines.append("")
    for folder in training:
        section, plot = _training_section(folder, out)
        lines += section
        plots.append(str(plot))
    paper_rows = []
    for (dataset, setting_words, metric, alignment), members in groups.items():
        base = baseline if baseline and any(baseline in (r.label, str(r.record["variant"])) for r in members) else None
        comparison = compare_runs(members, baseline=base)
        head = members[0].headline
        unit = f" {head.unit}" if head.unit else ""

        def show(value: Any, signed: bool = False, head: Any = head) -> str:
            return str(head.show(value, signed=signed, unit=False))

        heading = f"{dataset} {setting_words}: {metric} ({alignment} alignment)".replace(" :", ":")
        figures = _group_figures(members, comparison, out, (setting_words, metric, alignment), worst)
        plots += [str(p) for p in figures["paths"]]
        plot = figures["paths"][0]
        lines += [
            f"## {heading}",
            "",
            f"{head.label} in {head.unit or 'no unit'}, {head.direction}. Baseline: `{comparison['baseline']}`; "
            f"best: `{comparison['best']}`.",
            "",
        ]
        rows = [
            (
                f"`{r['label']}`",
                r["variant"],
                "-" if r["epoch"] is None else r["epoch"],
                _other_options(r, setting_words),
                {True: "on", False: "off"}.get(r["flip"], "-"),
                r["num_samples"] or "-",
                show(r["total"]),
                show(r["action_mean"]),
                show(r["delta"], signed=True),
                "-" if r["delta_pct"] is None else f"{r['delta_pct']:+.1f}%",
                _verdict(r),
            )
            for r in comparison["rows"]
        ]
        header = (
            "run",
            "variant",
            "epoch",
            "options",
            "flip",
            "samples",
            f"total{unit}",
            f"action mean{unit}",
            f"Δ base{unit}",
            "Δ base rel.",
            "vs base",
        )
        lines += _table(header, rows)
        lines += ["", f"Per action ({metric}, {head.unit or 'no unit'}, {head.direction}):", ""]
        action_rows = [(a, *(show(r["per_action"].get(a)) for r in comparison["rows"])) for a in comparison["actions"]]
        action_rows.append(("**Total**", *(f"**{show(r['total'])}**" for r in comparison["rows"])))
        lines += _table(("action", *(f"`{r['label']}`" for r in comparison["rows"])), action_rows)
        lines += ["", f"![{heading}]({plot.name})", ""]
        lines += ["Every metric (frame-wise total, 95% bootstrap interval over frames):", ""]
        lines += _table(("metric", *(f"`{r.label}`" for r in members)), _metrics_rows(members))
        lines += ["", *figures["markdown"]]
        paper_rows += [
            (
                r["variant"],
                f"{setting_words} {metric}".strip(),
                f"`{r['label']}`",
                head.show(r["total"]),
                head.show(r["paper"]),
                head.show(r["paper_delta"], signed=True),
                r["paper_source"] or "-",
            )
            for r in comparison["rows"]
        ]
    if runs:
        lines += ["## Comparison with the paper", ""]
        lines += _table(("variant", "metric", "run", "ours", "paper", "Δ", "source"), paper_rows)
        lines += [
            "",
            "`-`: no figure was published for that variant and setting. Runs with random weights or synthetic",
            "data check the pipeline only and are not comparable to published figures.",
            "",
        ]
    write_text(out, "\n".join(lines))
    return {
        "report": str(out),
        "plots": plots,
        "runs": [r.label for r in runs],
        "training": [str(t) for t in training],
        "groups": len(groups),
    }


def _training_plot_path(out: Path, folder: Path) -> Path:
    return out.with_name(f"{out.stem}_{_slug(f'training {folder.name}')}.png")


def is_training_run(path: Path) -> bool:
    """A folder `cnp train` wrote (it holds train_log.jsonl)."""
    from cnp_core._training.loop import LOG_FILE

    return (Path(path) / LOG_FILE).is_file()


def _training_section(folder: Path, out: Path) -> tuple[list[str], Path]:
    """The Markdown of one training run (configuration, losses, evaluations) and its curves."""
    import json

    from cnp_core._errors import DataError
    from cnp_core._report.plots import training_plot
    from cnp_core._training.loop import CONFIG_FILE, LOG_FILE

    records = []
    for n, line in enumerate((folder / LOG_FILE).read_text(encoding="utf-8").splitlines(), 1):
        try:
            records.append(json.loads(line))
        except ValueError:
            raise DataError(f"{folder / LOG_FILE} line {n} is not JSON; it was not written by `cnp train`") from None
    steps = [r for r in records if "loss" in r]
    evaluations = [r for r in records if "eval" in r]
    try:
        config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    variant = config.get("variant", {}).get("name", "?")
    plot = training_plot(steps, evaluations, f"{folder.name} ({variant})", _training_plot_path(out, folder))
    recipe = config.get("config", {})
    lines = [f"## Training: `{folder.name}`", ""]
    rows = [
        ("variant", variant),
        ("data", ", ".join(f"{s['name']} ({s['samples']})" for s in config.get("sets", [])) or config.get("dataset", "-")),
        ("epochs done", len({s["epoch"] for s in steps})),
        ("steps", len(steps)),
        ("loss first / last", f"{steps[0]['loss']:.4f} / {steps[-1]['loss']:.4f}" if steps else "-"),
        ("recipe", ", ".join(f"{k}={v}" for k, v in recipe.items()) or "-"),
    ]
    rows += [
        (
            f"test {e['eval'].get('metric', '')} after epoch {e['epoch']}",
            fmt_metric(e["eval"].get("total", e["eval"].get("total_mm")), e["eval"].get("unit", "mm")),
        )
        for e in evaluations
    ]
    lines += _table(("", "value"), rows)
    lines += ["", f"![training curves of {folder.name}]({plot.name})", ""]
    return lines, plot


def _group_figures(
    members: Sequence[Run], comparison: dict[str, Any], out: Path, key: tuple[str, Any, Any], worst: int
) -> dict[str, Any]:
    """Bars with intervals, error CDFs, per-joint bars and each run's worst frames, with their Markdown."""
    from cnp_core._evaluation.comparison import per_sample_headline, run_samples
    from cnp_core._report.figures import dataset_drawing, per_action_intervals, worst_frames
    from cnp_core._report.plots import cdf_plot, comparison_plot, joint_plot, worst_frames_plot

    metric = str(key[1])
    samples = {run.label: run_samples(run) for run in members}
    for row in comparison["rows"]:
        table = samples.get(row["label"])
        row["per_action_ci95"] = per_action_intervals(table) if table is not None else {}
    paths = [comparison_plot(comparison, _plot_path(out, *key))]
    markdown: list[str] = []
    head = members[0].headline
    errors = {label: e for label, t in samples.items() if t is not None and (e := per_sample_headline(t)) is not None}
    if errors:
        paths.append(cdf_plot(errors, metric, _plot_path(out, *key, "cdf"), head.unit))
        markdown += [f"![distribution of per-sample {metric}]({paths[-1].name})", ""]
    paths.append(joint_plot(comparison["rows"], metric, _plot_path(out, *key, "joints")))
    markdown += [f"![{metric} per joint]({paths[-1].name})", ""]
    for run in members:
        table = samples.get(run.label)
        skeleton, root = dataset_drawing(str(run.record["dataset"]))
        frames = (
            worst_frames(table, root, worst, higher_is_better=head.higher_is_better, unit=head.unit)
            if table is not None and worst > 0
            else []
        )
        if not frames:
            continue
        path = worst_frames_plot(frames, skeleton, f"{run.label}: worst frames", _plot_path(out, *key, f"worst {run.label}"))
        paths.append(path)
        listed = ", ".join(f"{f['image_id']} ({f['label']}, {head.show(f['value'])})" for f in frames)
        which = "lowest" if head.higher_is_better else "highest"
        markdown += [
            f"Worst frames of `{run.label}` ({which} per-sample {metric}): {listed}.",
            "",
            f"![worst frames of {run.label}]({path.name})",
            "",
        ]
    return {"paths": paths, "markdown": markdown}


@checked_arguments
def write_report(
    runs: Sequence[str | Path],
    out: str | Path = "report.md",
    *,
    baseline: str | None = None,
    title: str | None = None,
    force: bool = False,
    worst: int = 3,
) -> dict[str, Any]:
    """A Markdown write-up of finished runs at ``out`` with PNG plots beside it: ``runs`` are run
    folders of ``cnp eval`` (or their metrics.json, any schema version) and training folders of
    ``cnp train``. Returns what was written (``report``, ``plots``). What ``cnp report`` calls;
    needs the report extra (matplotlib)."""
    from cnp_core._output.run_folder import read_run

    if isinstance(runs, str | Path):
        raise ParameterError("runs", str(runs), 'pass a list of run folders, e.g. ["output/result/M_..."]')
    training = [Path(r) for r in runs if is_training_run(Path(r))]
    evaluated = [read_run(r) for r in runs if not is_training_run(Path(r))]
    return build_report(evaluated, Path(out), baseline=baseline, title=title, force=force, worst=worst, training=training)


__all__ = ["build_report", "write_report"]
