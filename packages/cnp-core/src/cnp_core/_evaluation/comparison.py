"""Compare finished evaluation runs: totals, per-action errors, deltas to a baseline and to the paper."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cnp_core._errors import CnpError, ParameterError, UnknownNameError
from cnp_core._output.run_folder import SAMPLES_FILE, Headline, RunRecord, per_sample_headline, read_run, read_samples
from cnp_core._plugins.host import PluginHost, registry

Run = RunRecord  # one finished run as compare and report read it
load_run = read_run
run_samples = read_samples


def paper_number(record: Mapping[str, Any], host: PluginHost | None = None) -> tuple[float | None, str]:
    """The published figure the run's dataset declares for its variant and setting, with its source
    ((None, "") if none, or if the run measured another metric than the setting's headline)."""
    try:
        info = registry("dataset", host).get(str(record["dataset"])).info
    except UnknownNameError:
        return None, ""
    values = {o.name: record.get(o.name, o.default) for o in info.options}
    if str(record["alignment"]) != info.headline(values)[0]:
        return None, ""
    published = info.published_for(str(record["variant"]), info.setting(values))
    return (None, "") if published is None else (float(published.value), published.source)


def describe_setting(record: Mapping[str, Any]) -> str:
    """The run's headline setting in words (``protocol 2``), or ``""``."""
    return " ".join(f"{k} {v}" for k, v in (record.get("setting") or {}).items())


def setting(record: Mapping[str, Any]) -> tuple[Any, ...]:
    """What must agree for two runs to be compared: dataset, headline setting, metric and alignment."""
    return (record["dataset"], describe_setting(record), record["metric"], record["alignment"])


def check_comparable(runs: Sequence[Run], allow_mixed: bool = False) -> None:
    """Refuse runs of different protocols or metrics unless ``allow_mixed``; runs whose headlines
    have different units or directions are never compared (their differences mean nothing)."""
    kinds = {(r.headline.unit, r.headline.higher_is_better) for r in runs}
    if len(kinds) > 1:
        described = "; ".join(
            f"{r.label}: {r.headline.label} in {r.headline.unit or 'no unit'}, {r.headline.direction}" for r in runs
        )
        raise CnpError(f"runs have headlines of different units or directions ({described}); compare runs of one metric")
    settings = {setting(r.record) for r in runs}
    if len(settings) > 1 and not allow_mixed:
        described = "; ".join(
            f"{r.label}: {r.record['dataset']} {describe_setting(r.record)} {r.record['metric']} ({r.record['alignment']} alignment)"
            for r in runs
        )
        raise CnpError(f"runs measure different things ({described}); compare like with like, or pass --allow-mixed")


def pick_baseline(runs: Sequence[Run], baseline: str | None) -> int:
    """Index of the baseline: a variant name, a run label, or a 1-based position (default: the first run)."""
    if baseline is None:
        return 0
    if baseline.isdigit() and 1 <= int(baseline) <= len(runs):
        return int(baseline) - 1
    by_label = [i for i, r in enumerate(runs) if r.label == baseline or str(r.path.parent) == baseline]
    if len(by_label) == 1:
        return by_label[0]
    by_variant = [i for i, r in enumerate(runs) if str(r.record["variant"]).lower() == baseline.lower()]
    if len(by_variant) == 1:
        return by_variant[0]
    if len(by_variant) > 1:
        names = ", ".join(runs[i].label for i in by_variant)
        raise ParameterError("baseline", baseline, f"matches several runs ({names}); name one run folder instead")
    raise UnknownNameError("baseline", baseline, [r.label for r in runs] + sorted({str(r.record["variant"]) for r in runs}))


def _matching_rows(ids: np.ndarray, base_ids: np.ndarray) -> np.ndarray | None:
    """Indices putting ``ids`` in the order of ``base_ids`` (each id's n-th occurrence to the base's
    n-th), or None when the two are not the same multiset of image ids."""
    if len(ids) != len(base_ids):
        return None
    if np.array_equal(ids, base_ids):
        return np.arange(len(ids))

    def keyed(values: np.ndarray) -> list[tuple[str, int]]:
        seen: dict[str, int] = {}
        out = []
        for v in values.tolist():
            k = str(v)
            seen[k] = seen.get(k, 0) + 1
            out.append((k, seen[k]))
        return out

    position = {key: i for i, key in enumerate(keyed(ids))}
    try:
        return np.array([position[key] for key in keyed(base_ids)], dtype=np.int64)
    except KeyError:
        return None


def _per_sample(run: Run) -> tuple[np.ndarray, np.ndarray] | str:
    """(image ids, per-sample headline error) from the run's samples.npz, or why there are none."""
    file = run.path.parent / SAMPLES_FILE
    if not file.is_file():
        return f"{run.label} has no {SAMPLES_FILE} (written by cnp eval since per-sample results exist)"
    table = run_samples(run, ("image_id", "headline"))
    if table is None:
        if run_samples(run, ("image_id",)) is not None:
            return f"{run.label}'s evaluator gives no per-sample headline (its samples are not what it scores, or it kept none)"
        return f"{file} is unreadable or lacks image_id/headline columns"
    errors = per_sample_headline(table)
    if errors is None or len(errors) != len(table["image_id"]):
        return f"{file} has malformed headline columns"
    return table["image_id"], errors


def paired_difference(run: Run, base: Run, resamples: int = 1000, seed: int = 0) -> dict[str, Any]:
    """``run`` minus ``base`` on the same frames: mean difference of the headline per sample, its
    paired bootstrap 95% interval, whether the interval excludes zero, and the verdict that follows
    from the headline's direction (``improvement``, ``regression`` or ``no clear difference``). Runs
    over different frame sets are not paired, and the answer says why."""
    from cnp_core._evaluation.metrics import bootstrap_intervals

    mine, theirs = _per_sample(run), _per_sample(base)
    reason = next((x for x in (mine, theirs) if isinstance(x, str)), None)
    prints = (run.record.get("data_fingerprint"), base.record.get("data_fingerprint"))
    if reason is None:
        assert not isinstance(mine, str) and not isinstance(theirs, str)
        order = _matching_rows(mine[0], theirs[0])
        if order is None:
            reason = f"different frames ({len(mine[0])} vs {len(theirs[0])} samples, or other image ids)"
        elif None not in prints and prints[0] != prints[1]:
            reason = (
                "different data (another data folder, or changed annotation files): the same image ids are not the same frames"
            )
        else:
            mine = (theirs[0], mine[1][order])  # the run's rows in the baseline's order
            if not (np.isfinite(mine[1]).all() and np.isfinite(theirs[1]).all()):
                reason = "a per-sample headline is NaN or infinite; no interval can be computed"
    mm = run.headline.unit == "mm"
    if reason is not None:
        out: dict[str, Any] = {"paired": False, "reason": reason, "delta_ci95": None, "significant": None, "verdict": None}
        return {**out, "delta_ci95_mm": None} if mm else out
    assert not isinstance(mine, str) and not isinstance(theirs, str)
    difference = mine[1] - theirs[1]
    interval = bootstrap_intervals({"d": difference}, resamples, seed).get("d")
    significant = None if interval is None else not (interval[0] <= 0.0 <= interval[1])
    verdict = None
    if significant is not None:
        up = interval is not None and interval[0] > 0.0
        verdict = (
            "no clear difference" if not significant else ("improvement" if up == run.headline.higher_is_better else "regression")
        )
    out = {
        "paired": True,
        "reason": None,
        "samples": len(difference),
        "delta_ci95": list(interval) if interval else None,
        "significant": significant,
        "verdict": verdict,
    }
    return {**out, "delta_ci95_mm": out["delta_ci95"]} if mm else out


def _delta(value: float | None, reference: float | None) -> float | None:
    return None if value is None or reference is None else value - reference


def _better(headline: Headline, value: float, reference: float) -> str:
    """``better``, ``worse`` or ``equal``: ``value`` against ``reference`` in the headline's direction."""
    if value == reference:
        return "equal"
    return "better" if (value > reference) == headline.higher_is_better else "worse"


def compare_runs(
    runs: Sequence[Run | str | Path],
    *,
    baseline: str | None = None,
    allow_mixed: bool = False,
    host: PluginHost | None = None,
    resamples: int = 1000,
    seed: int = 0,
    plot: str | Path | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """A JSON-ready comparison: one row per run with deltas (in the headline's unit, and %) to the
    baseline and to the paper, which run is better (by the headline's direction) and, for runs on
    the baseline's frames, the paired bootstrap interval of the delta with its verdict.

    Each row has ``total``, ``delta``, ``paper``, ... in the headline's unit (``unit``); rows of
    millimetre headlines also keep the names of earlier versions (``total_mm``, ``delta_mm``, ...).
    ``runs`` may be run folders (any schema version) or records read before; ``plot``: also draw
    per-action bars and totals to this PNG (claimed before any work; needs the report extra).
    What ``cnp compare`` calls.
    """
    if plot is not None:  # before any work: a file of the user's there is never replaced silently
        from cnp_core._output.atomic import claim_output
        from cnp_core._report.plots import drawn_by_cnp

        claim_output(plot, force=force, owned=drawn_by_cnp)
    loaded = [r if isinstance(r, RunRecord) else read_run(r) for r in runs]
    comparison = _compare(loaded, baseline, allow_mixed, host, resamples, seed)
    if plot is not None:
        from cnp_core._report.plots import comparison_plot

        comparison["plot"] = str(comparison_plot(comparison, Path(plot)))
    return comparison


def _compare(
    runs: Sequence[Run], baseline: str | None, allow_mixed: bool, host: PluginHost | None, resamples: int, seed: int
) -> dict[str, Any]:
    if not runs:
        raise CnpError("no runs to compare; pass run folders written by `cnp eval`")
    check_comparable(runs, allow_mixed)
    base = pick_baseline(runs, baseline)
    base_total = runs[base].headline.total
    actions: list[str] = []
    for run in runs:
        actions += [a for a in run.headline.per_action if a not in actions]
    rows = []
    for run in runs:
        r, h = run.record, run.headline
        total = h.total
        paper, source = paper_number(r, host)
        delta = total - base_total
        paired = paired_difference(run, runs[base], resamples, seed) if run is not runs[base] else None
        row: dict[str, Any] = {
            "label": run.label,
            "path": str(run.path),
            "variant": r["variant"],
            "epoch": r.get("epoch"),
            "dataset": r["dataset"],
            "setting": describe_setting(r),
            "options": {k: r.get(k) for k in r.get("dataset_options", ())},
            "metric": r["metric"],
            "metric_name": h.name,
            "unit": h.unit,
            "higher_is_better": h.higher_is_better,
            "format": h.format,
            "alignment": r["alignment"],
            "flip": r.get("flip"),
            "num_samples": r.get("num_samples"),
            "total": total,
            "action_mean": h.action_mean,
            "delta": delta,
            "delta_pct": 100.0 * delta / base_total if base_total else None,
            "versus_base": None if run is runs[base] else _better(h, total, base_total),
            "total_ci95": list(h.total_ci95) if h.total_ci95 else None,
            "paired": paired,
            "paper": paper,
            "paper_delta": _delta(total, paper),
            "versus_paper": None if paper is None else _better(h, total, paper),
            "paper_source": source,
            "per_action": {a: h.per_action.get(a) for a in actions},
            "per_joint": h.per_joint,
        }
        if h.unit == "mm":
            row.update(
                total_mm=total,
                action_mean_mm=h.action_mean,
                delta_mm=delta,
                total_ci95_mm=row["total_ci95"],
                paper_mm=paper,
                paper_delta_mm=row["paper_delta"],
                per_action_mm=row["per_action"],
                per_joint_mm=row["per_joint"],
            )
        rows.append(row)
    best = (max if runs[base].headline.higher_is_better else min)(rows, key=lambda row: row["total"])
    for row in rows:
        row["best"] = row is best
    return {
        "baseline": runs[base].label,
        "mixed": len({setting(r.record) for r in runs}) > 1,
        "metric": runs[base].headline.label,
        "unit": runs[base].headline.unit,
        "higher_is_better": runs[base].headline.higher_is_better,
        "best": best["label"],
        "actions": actions,
        "rows": rows,
    }


__all__ = [
    "Headline",
    "Run",
    "check_comparable",
    "compare_runs",
    "describe_setting",
    "load_run",
    "paired_difference",
    "paper_number",
    "pick_baseline",
]
