"""The library's front door to evaluation: :func:`evaluate` returns typed :class:`RunRecord` s.

>>> from cnp_core import evaluate
>>> (run,) = evaluate("M", ["model.tar"], "data/set", dataset="my-set", options={"protocol": 1})
>>> run.total_mm, run.total_ci95_mm, run.metrics["p_mpjpe"]["total"]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnp_core.errors import checked_arguments
from cnp_core.variants import Variant


@dataclass(frozen=True)
class RunRecord:
    """One finished run: the headline, every metric, and where its files are.

    ``record`` is the whole ``metrics.json`` document (environment, configuration hash, ...).
    """

    variant: str
    checkpoint: Path
    epoch: int | None
    dataset: str
    options: Mapping[str, Any]
    metric: str
    alignment: str
    total_mm: float
    total_ci95_mm: tuple[float, float] | None
    action_mean_mm: float | None
    per_action_mm: Mapping[str, float | None]
    per_joint_mm: Mapping[str, float]
    num_samples: int
    metrics: Mapping[str, Mapping[str, Any]]
    run_dir: Path
    resumed: bool = False
    record: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> RunRecord:
        """The typed view of a ``metrics.json`` document (as :func:`evaluate_checkpoints` returns it)."""
        ci = record.get("total_ci95_mm")
        return cls(
            variant=str(record["variant"]),
            checkpoint=Path(record["checkpoint"]),
            epoch=record.get("epoch"),
            dataset=str(record["dataset"]),
            options={k: record.get(k) for k in record.get("dataset_options", ())},
            metric=str(record["metric"]),
            alignment=str(record["alignment"]),
            total_mm=float(record["total_mm"]),
            total_ci95_mm=(float(ci[0]), float(ci[1])) if ci else None,
            action_mean_mm=record.get("action_mean_mm"),
            per_action_mm=dict(record["per_action_mm"]),
            per_joint_mm=dict(record.get("per_joint_mm") or {}),
            num_samples=int(record["num_samples"]),
            metrics=dict(record.get("metrics") or {}),
            run_dir=Path(record["run_dir"]),
            resumed=bool(record.get("resumed", False)),
            record=dict(record),
        )


@checked_arguments
def evaluate(
    variant: str | Variant,
    checkpoints: Sequence[str | Path],
    data_dir: str | Path,
    *,
    dataset: str,
    options: Mapping[str, Any] | None = None,
    flip: bool = True,
    alignment: str | None = None,
    batch_size: int = 16,
    workers: int | None = None,
    device: str = "auto",
    output_dir: str | Path = "output/result",
    optimize: bool = True,
    bootstrap: int = 1000,
    seed: int = 0,
    exclude: Sequence[str] = (),
    resume: bool = False,
    force: bool = False,
    patch_cache: bool = True,
) -> list[RunRecord]:
    """Evaluate ``checkpoints`` of ``variant`` on ``dataset``'s split in ``data_dir`` (with the
    dataset's declared ``options``, e.g. ``{"protocol": 1}``); one run folder each under
    ``output_dir``. Errors are :class:`cnp_core.CnpError` s naming the parameter."""
    from cnp_core.datasets import SplitOptions
    from cnp_core.engine import InferenceConfig
    from cnp_core.patch_cache import default_patch_cache
    from cnp_core.runs import EvalJob, evaluate_checkpoints
    from cnp_core.scoring import BootstrapOptions
    from cnp_core.variants import get_variant

    spec = get_variant(variant)
    job = EvalJob(
        variant=spec,
        data_dir=Path(data_dir),
        dataset=dataset,
        split=SplitOptions.of(options, input_shape=spec.input_shape),
        inference=InferenceConfig(
            batch_size=batch_size,
            workers=workers,
            device=device,
            flip=flip,
            batched_flip=optimize,
            patch_cache=default_patch_cache() if patch_cache else None,
        ),
        alignment=alignment,
        output_dir=Path(output_dir),
        optimize=optimize,
        force=force,
        bootstrap=BootstrapOptions(resamples=bootstrap, seed=seed),
        exclude=tuple(exclude),
    )
    records = evaluate_checkpoints(job, [Path(c) for c in checkpoints], resume=resume)
    return [RunRecord.from_record(r) for r in records]


__all__ = ["RunRecord", "evaluate"]
