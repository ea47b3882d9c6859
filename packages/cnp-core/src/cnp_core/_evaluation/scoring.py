"""Score one run completely: the headline (the dataset's evaluator), every metric, intervals, the
per-sample table, and which sequences were excluded."""

from __future__ import annotations

import contextlib
import fnmatch
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cnp_core._data.records import EvalSplit
from cnp_core._errors import ParameterError, PluginError
from cnp_core._evaluation.evaluators import EvalResult, camera_poses
from cnp_core._evaluation.metrics import METRICS, Metric, aggregate, bootstrap_intervals, degenerate_count, metric_values
from cnp_core._model.variants import Variant

MIN_RESAMPLES, MAX_RESAMPLES = 100, 100_000
CONFIDENCE = 0.95


@dataclass(frozen=True)
class BootstrapOptions:
    """Seeded percentile bootstrap over frames: ``resamples`` draws (0: no intervals)."""

    resamples: int = 1000
    seed: int = 0

    def __post_init__(self) -> None:
        r = self.resamples
        if isinstance(r, bool) or not isinstance(r, int) or not (r == 0 or MIN_RESAMPLES <= r <= MAX_RESAMPLES):
            raise ParameterError(
                "bootstrap",
                r,
                f"use 0 (no intervals) or {MIN_RESAMPLES} to {MAX_RESAMPLES} resamples (fewer cannot place a 95% "
                "interval's ends; more only costs time and memory)",
            )


def exclusion(split: EvalSplit, patterns: Sequence[str]) -> tuple[np.ndarray, dict[str, Any]]:
    """Indices of the samples kept when sequences matching ``patterns`` are left out, and a record of
    what was left out. A pattern matches a ``sequence`` label exactly, as a prefix up to ``_``
    (``S9_Greeting`` matches ``S9_Greeting_1`` and ``_2``) or as a shell pattern (``S9_*``)."""
    everything = np.arange(len(split))
    if not patterns:
        return everything, {}
    labels = split.sample_columns.get("sequence")
    if labels is None:
        raise ParameterError("exclude", ",".join(patterns), "this dataset gives no sequence labels to exclude by")
    labels = np.asarray(labels).astype(str)
    unique = sorted(set(labels.tolist()))
    hit = np.zeros(len(split), dtype=bool)
    for pattern in patterns:
        matched = [u for u in unique if u == pattern or u.startswith(pattern + "_") or fnmatch.fnmatchcase(u, pattern)]
        if not matched:
            examples = ", ".join(unique[:4]) + (", ..." if len(unique) > 4 else "")
            raise ParameterError("exclude", pattern, f"matches no sequence of this split (sequences look like {examples})")
        hit |= np.isin(labels, matched)
    if hit.all():
        raise ParameterError("exclude", ",".join(patterns), "leaves no sample to evaluate")
    left_out = sorted(set(labels[hit].tolist()))
    return everything[~hit], {"patterns": list(patterns), "sequences": left_out, "samples": int(hit.sum())}


@dataclass(frozen=True)
class RunScores:
    """The headline result (with its declaration), every metric's summary (JSON-ready), the
    per-sample columns, and how many predictions were degenerate (nothing for an alignment to fit)."""

    headline: EvalResult
    headline_ci: tuple[float, float] | None
    metrics: dict[str, dict[str, Any]]
    samples: dict[str, np.ndarray] = field(repr=False)
    declaration: Metric | None = None
    degenerate: int = 0


def score_predictions(
    split: EvalSplit,
    coords: np.ndarray,
    variant: Variant,
    evaluator: Any,
    bootstrap: BootstrapOptions,
    *,
    metrics: Sequence[Metric] = METRICS,
    declaration: Metric | None = None,
    dataset: str = "",
    only: Sequence[str] | None = None,
    guard: Callable[[str, str], AbstractContextManager[Any]] | None = None,
) -> RunScores:
    """The evaluator's headline plus every metric of ``metrics`` (those with ``compute`` that apply
    here) and the evaluator's secondary values, with bootstrap intervals over frames.

    ``metrics`` are the registered metric records (secondary values must name one of them);
    ``declaration`` is the headline's record (stored with the run); ``dataset`` the registered
    name of the split's dataset (metrics that name ``datasets`` are computed only there); ``only``
    the dataset's choice of metrics (``DatasetInfo.metrics``; None: all that apply);
    ``guard(kind, name)`` wraps each plugin callback (``evaluator``/``metric`` and its name), so a
    failure names the plugin (see :func:`cnp_core._plugins.host.plugin_callback`).
    """
    guard = guard or (lambda kind, name: contextlib.nullcontext())
    with guard("evaluator", str(getattr(evaluator, "name", evaluator))):
        headline: EvalResult = evaluator.evaluate(split, coords, variant)
    if not isinstance(headline, EvalResult):
        raise PluginError(
            f"evaluator {getattr(evaluator, 'name', evaluator)!r} returned {type(headline).__name__}, not a cnp_core.plugin.EvalResult"
        )
    by_name = {m.name: m for m in metrics}
    unknown = sorted((set(headline.secondary) | set(headline.totals)) - set(by_name))
    if unknown:
        raise PluginError(
            f"evaluator {evaluator.name!r} returned secondary values or totals {', '.join(unknown)} that no plugin registered as a metric "
            "(register a cnp_core.plugin.Metric of that name with cnp_register_metrics)"
        )
    camera = camera_poses(split, coords, variant)
    scored = tuple(split.eval_joints)
    joint_names = tuple(split.joint_names[j] for j in scored)
    computed = tuple(
        m
        for m in metrics
        if m.compute is not None and (not m.datasets or dataset in m.datasets) and (only is None or m.name in only)
    )
    values = metric_values(
        camera, split.joint_cam, split.root_index, scored, absolute=split.estimated_root, metrics=computed, guard=guard
    )
    for name, secondary in headline.secondary.items():
        array = np.asarray(secondary, dtype=np.float64)
        if array.ndim != 2 or len(array) != len(split):
            raise PluginError(
                f"evaluator {evaluator.name!r}: secondary value {name!r} has shape {array.shape}; expected (N, K) or (N, 1) "
                f"for the {len(split)} samples"
            )
        values[name] = array
    series = {name: v.mean(axis=1) for name, v in values.items()}
    if headline.values is not None:
        series["headline"] = np.asarray(headline.values, dtype=np.float64).mean(axis=1)
    intervals = bootstrap_intervals(series, bootstrap.resamples, bootstrap.seed, CONFIDENCE)
    summaries: dict[str, dict[str, Any]] = {}
    for name, v in values.items():
        means = aggregate(v, split.actions, split.action_names, joint_names if v.shape[1] == len(scored) else None)
        ci = intervals.get(name)
        summaries[name] = {
            **by_name[name].describe(),
            "total": means.total,
            "ci95": list(ci) if ci else None,
            "action_mean": means.action_mean,
            "per_action": means.per_action,
            "per_joint": means.per_joint,
        }
    for name, total in headline.totals.items():  # numbers with no per-sample values: the total alone
        summaries[name] = {
            **by_name[name].describe(),
            "total": float(total),
            "ci95": None,
            "action_mean": None,
            "per_action": {},
            "per_joint": {},
        }
    samples: dict[str, np.ndarray] = {
        "image_id": np.asarray(split.image_ids),
        "action": np.asarray(split.actions),
        "action_name": np.asarray(split.action_names)[np.clip(split.actions, 0, len(split.action_names) - 1)],
        **{name: np.asarray(col) for name, col in split.sample_columns.items() if name not in values},
        **{name: v.astype(np.float32) for name, v in values.items()},
        "image_path": np.asarray(split.image_paths),
        "bbox": np.asarray(split.bboxes, dtype=np.float32),
        "focal": np.asarray(split.focal, dtype=np.float32),
        "center": np.asarray(split.center, dtype=np.float32),
        "pred_cam_mm": camera.astype(np.float32),
        "gt_cam_mm": np.asarray(split.joint_cam, dtype=np.float32),
        "scored_joints": np.asarray(joint_names),
    }
    if headline.values is not None:
        samples["headline"] = np.asarray(headline.values, dtype=np.float32)
    ci = intervals.get("headline")
    return RunScores(headline, ci, summaries, samples, declaration, degenerate_count(camera))


__all__ = ["BootstrapOptions", "RunScores", "exclusion", "score_predictions"]
