"""Checks for plugin authors and for cnp's own tests.

- contract checks over every registry (:func:`check_contracts`): variants build and give their
  declared shapes and sizes, datasets' evaluators exist and fit, no checkpoint format runs code;
- tolerances derived from float32 error analysis (:func:`soft_argmax_tolerance`).

Two computations of the soft-argmax of (nearly) the same logits never agree bit for bit: BatchNorm
folding, a reordered classifier, another SIMD width or a fused tail all round differently. How far
apart they may be follows from how far apart their logits are, which the caller measures, and from
the float32 steps each computation takes; :func:`soft_argmax_tolerance` turns both into a bound.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from cnp_core._errors import checked_arguments
from cnp_core._plugins.host import PluginHost, registry

#: float32 unit roundoff: one rounding changes a value by at most this relative amount.
FLOAT32_UNIT_ROUNDOFF = 2.0**-24
#: the longest run of float32 additions in :mod:`cnp_core._model.integral` and the fused tails (one axis).
FLOAT32_RUN = 64


def log_weight_error(max_abs_logit: float, *, upsampled: bool, run: int = FLOAT32_RUN) -> float:
    """Bound on the relative error of one softmax weight (as a log) from a path's own float32 steps.

    - the shift ``l - max``: one rounding of a value at most ``2 * max_abs_logit`` -> ``2 L u``;
    - ``exp`` in float32: at most 2 ulp -> ``2 u``;
    - bilinear x2 done on logits as two lerps of two roundings each (``upsampled``) -> ``4 L u``
      absolute in the logit, hence relative in the weight;
    - a float32 sum of ``run`` positive terms: relative error at most ``(run - 1) u / (1 - (run - 1) u)``
      (the classical worst case of recursive summation; every longer reduction is float64).
    """
    u = FLOAT32_UNIT_ROUNDOFF
    shift = 2.0 * max_abs_logit * u
    lerps = 4.0 * max_abs_logit * u if upsampled else 0.0
    summation = (run - 1) * u / (1.0 - (run - 1) * u)
    return shift + 2.0 * u + lerps + summation


def soft_argmax_tolerance(logits_a: torch.Tensor, logits_b: torch.Tensor, grid: int, *, margin: float = 2.0) -> float:
    """Largest |coordinate difference| between two soft-argmax paths over these full-resolution logits.

    ``logits_a``/``logits_b``: what each path's logits are (same shape, any layout); ``grid``: the
    largest axis of the volume (W, H or depth bins). Derivation: with per-cell log-weight
    differences of at most ``E`` (measured logit difference plus both paths' own float32 errors from
    :func:`log_weight_error`), normalised weights differ by a factor within ``exp(+-2E)``, so an
    expectation over coordinates spanning ``grid - 1`` moves by at most ``(grid - 1) / 2 *
    (exp(2E) - 1)``. Add the float32 rounding of the outputs and of the flip average (a few half-ulps
    of values below ``grid``), then multiply by ``margin``.
    """
    a, b = logits_a.double(), logits_b.double()
    measured = float((a - b).abs().max())
    largest = float(torch.maximum(a.abs().max(), b.abs().max()))
    own = 2.0 * log_weight_error(largest, upsampled=True)  # each path's own steps (upsampling counted for both)
    spread = (grid - 1) / 2.0 * math.expm1(2.0 * (measured + own))
    output_rounding = 8.0 * grid * FLOAT32_UNIT_ROUNDOFF
    return margin * (spread + output_rounding)


# --- contract checks a plugin author runs on their own plugin -------------------------------------


class _RunsCode:
    """Unpickling this would create ``marker``: a checkpoint format must never let that happen."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        import pathlib

        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def _names(
    only: Sequence[str] | str | PluginHost | None, host: PluginHost | None, kind: str
) -> tuple[list[str], PluginHost | None]:
    """The names to check (``only``, or every registered one) and the host (``only`` may be the host)."""
    if isinstance(only, PluginHost):
        return registry(kind, only).names(), only
    if only is None:
        return registry(kind, host).names(), host
    names = [only] if isinstance(only, str) else list(only)
    known = registry(kind, host)
    for name in names:
        known.entry(name)  # an unknown name raises UnknownNameError listing the registered ones
    return names, host


@checked_arguments
def check_variants(only: Sequence[str] | str | None = None, host: PluginHost | None = None) -> list[str]:
    """Every variant (or those named in ``only``) builds (its backbone and head registered), gives
    its declared output shapes, and matches its declared parameter count (``paper.params_m``,
    within 0.5%) where it has one. Returns one line per problem (empty: all kept); an unknown name
    in ``only`` raises :class:`cnp_core.UnknownNameError`."""
    from cnp_core._model.pose_model import build_model

    names, host = _names(only, host, "variant")
    problems = []
    for name in names:
        entry = registry("variant", host).entry(name)
        spec = entry.obj
        where = f"variant {name!r} (plugin {entry.plugin!r})"
        try:
            model = build_model(spec, host=host)
            with torch.inference_mode():
                logits = model.heatmaps(torch.zeros(1, 3, *spec.input_shape))
                coords = model(torch.zeros(1, 3, *spec.input_shape))
        except Exception as exc:
            problems.append(f"{where}: does not build or run: {type(exc).__name__}: {exc}")
            continue
        want = (1, spec.joint_num * spec.depth_dim, *spec.output_shape)
        if tuple(logits.shape) != want:
            problems.append(f"{where}: head gives logits {tuple(logits.shape)}, the variant declares {want}")
        if tuple(coords.shape) != (1, spec.joint_num, 3) or not bool(torch.isfinite(coords).all()):
            problems.append(f"{where}: coordinates of shape {tuple(coords.shape)} (finite: {bool(torch.isfinite(coords).all())})")
        params = sum(p.numel() for p in model.parameters()) / 1e6
        declared = spec.paper.params_m
        if declared is not None and abs(params - declared) > 0.005 * declared:
            problems.append(f"{where}: {params:.3f}M parameters, the variant declares {declared}M")
    return problems


@checked_arguments
def check_datasets(only: Sequence[str] | str | None = None, host: PluginHost | None = None) -> list[str]:
    """Every dataset (or those named in ``only``): its declared evaluators exist, offer the
    alignment they are declared for and can score; its ``headline_metrics`` name registered
    metrics. Returns one line per problem (empty: all kept)."""
    names, host = _names(only, host, "dataset")
    problems = []
    evaluators = registry("evaluator", host)
    metrics = registry("metric", host)
    for entry in (registry("dataset", host).entry(n) for n in names):
        info = entry.obj.info
        for setting, metric in info.headline_metrics.items():
            if metric not in metrics:
                problems.append(
                    f"dataset {entry.name!r} (plugin {entry.plugin!r}): headline_metrics[{setting!r}] names metric {metric!r}, "
                    "which no plugin registers (cnp_register_metrics)"
                )
        for alignment, name in info.evaluators.items():
            where = f"dataset {entry.name!r} (plugin {entry.plugin!r}), evaluator {name!r}"
            if name not in evaluators:
                problems.append(f"{where}: no evaluator of that name is registered")
                continue
            evaluator = evaluators.get(name)
            if getattr(evaluator, "alignment", None) != alignment:
                problems.append(
                    f"{where}: declared for alignment {alignment!r} but its alignment is {getattr(evaluator, 'alignment', None)!r}"
                )
            if not callable(getattr(evaluator, "evaluate", None)) or not isinstance(getattr(evaluator, "metric", None), str):
                problems.append(f"{where}: needs a `metric` label and an evaluate(split, coords, variant) method")
    return problems


@checked_arguments
def check_metrics(only: Sequence[str] | str | None = None, host: PluginHost | None = None) -> list[str]:
    """Every metric (or those named in ``only``) is a :class:`cnp_core.plugin.Metric` registered
    under its own name, and one with ``compute`` gives finite (N, K) or (N, 1) values on a
    synthetic run (3 samples of 5 joints, 4 scored). Returns one line per problem."""
    import numpy as np

    from cnp_core._evaluation.metrics import Metric, Poses

    names, host = _names(only, host, "metric")
    rng = np.random.default_rng(0)
    gt = rng.normal(0.0, 300.0, (3, 5, 3)) + np.array([0.0, 0.0, 4000.0])
    poses = Poses(gt + rng.normal(0.0, 40.0, gt.shape), gt, 0, (1, 2, 3, 4))
    problems = []
    for entry in (registry("metric", host).entry(n) for n in names):
        where = f"metric {entry.name!r} (plugin {entry.plugin!r})"
        metric = entry.obj
        if not isinstance(metric, Metric) or metric.name != entry.name:
            problems.append(f"{where}: not a cnp_core.plugin.Metric named {entry.name!r}")
            continue
        if metric.compute is None:
            continue
        try:
            values = np.asarray(metric.compute(poses), dtype=np.float64)
        except Exception as exc:
            problems.append(f"{where}: compute(poses) raised {type(exc).__name__}: {exc}")
            continue
        if values.shape not in ((3, 4), (3, 1)) or not np.isfinite(values).all():
            problems.append(
                f"{where}: compute gave shape {values.shape} (finite: {bool(np.isfinite(values).all())}); expected (3, 4) or (3, 1)"
            )
    return problems


@checked_arguments
def check_formats(workdir: str | Path, host: PluginHost | None = None) -> list[str]:
    """No checkpoint format runs code from a file: files whose pickle would create a marker, under every
    usual checkpoint name, are offered to every format that claims them; the marker must never appear.
    ``workdir`` is a scratch folder (created if missing). Returns one line per problem."""
    import pickle

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    marker = workdir / "code-ran"
    problems = []
    for suffix in (".pth", ".pth.tar", ".tar", ".pt", ".ckpt", ".bin", ".npz", ".safetensors"):
        for kind in ("zip", "pickle"):
            path = workdir / f"evil-{kind}{suffix}"
            if kind == "zip":
                torch.save({"network": _RunsCode(str(marker))}, path)
            else:
                path.write_bytes(pickle.dumps({"network": _RunsCode(str(marker))}))
            for entry in registry("checkpoint format", host).entries():
                try:
                    if entry.obj.detect(path):
                        entry.obj.read(path)
                except Exception:  # refusing is right; only running the code is wrong
                    pass
                if marker.exists():
                    problems.append(f"checkpoint format {entry.name!r} (plugin {entry.plugin!r}) ran code from {path.name}")
                    marker.unlink()
    return problems


@checked_arguments
def check_contracts(workdir: str | Path, host: PluginHost | None = None) -> None:
    """Run every contract check (:func:`check_variants`, :func:`check_datasets`,
    :func:`check_metrics`, :func:`check_formats`) over every installed plugin's registrations;
    ``workdir`` is a scratch folder for the format check. Raises ``AssertionError`` listing every
    problem, one line each naming the plugin; returns None when all hold."""
    problems = [
        *check_variants(host=host),
        *check_datasets(host=host),
        *check_metrics(host=host),
        *check_formats(workdir, host),
    ]
    if problems:
        raise AssertionError("cnp plugin contract broken:\n- " + "\n- ".join(problems))


__all__ = [
    "FLOAT32_RUN",
    "FLOAT32_UNIT_ROUNDOFF",
    "check_contracts",
    "check_datasets",
    "check_formats",
    "check_metrics",
    "check_variants",
    "log_weight_error",
    "soft_argmax_tolerance",
]
