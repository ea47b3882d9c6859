"""The library's front door to evaluation: :func:`evaluate` returns typed :class:`RunRecord` s.

>>> from cnp_core import evaluate
>>> (run,) = evaluate("M", ["model.tar"], "data/set", dataset="my-set", options={"protocol": 1})
>>> run.total, run.unit, run.total_ci95, run.metrics["p_mpjpe"]["total"]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnp_core._errors import CnpError, checked_arguments
from cnp_core._model.variants import Variant


@dataclass(frozen=True)
class RunRecord:
    """One finished run: the headline with its declaration, every metric, and where its files are.

    - ``metric`` (label), ``metric_name``, ``unit`` (``mm``, ``%``, ``ratio`` or ``""``) and
      ``higher_is_better``: what the headline is;
    - ``total`` (frame-wise mean), ``total_ci95``, ``action_mean``, ``per_action``, ``per_joint``:
      its values in that unit; ``total_mm`` and the other ``*_mm`` names of earlier versions are
      readable for millimetre headlines (a :class:`cnp_core.CnpError` otherwise);
    - ``metrics``: every metric's summary, each with its declaration (``metrics.json`` ``metrics``);
    - ``record``: the whole ``metrics.json`` document (environment, configuration hash, ...).
    """

    variant: str
    checkpoint: Path
    epoch: int | None
    dataset: str
    options: Mapping[str, Any]
    metric: str
    metric_name: str
    unit: str
    higher_is_better: bool
    alignment: str
    total: float
    total_ci95: tuple[float, float] | None
    action_mean: float | None
    per_action: Mapping[str, float | None]
    per_joint: Mapping[str, float]
    num_samples: int
    metrics: Mapping[str, Mapping[str, Any]]
    run_dir: Path
    resumed: bool = False
    record: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> RunRecord:
        """The typed view of a ``metrics.json`` document (as :func:`evaluate_checkpoints` returns it;
        records of earlier versions read as millimetres, lower is better)."""
        from cnp_core._evaluation.comparison import Headline

        h = Headline.of(dict(record))
        return cls(
            variant=str(record["variant"]),
            checkpoint=Path(record["checkpoint"]),
            epoch=record.get("epoch"),
            dataset=str(record["dataset"]),
            options={k: record.get(k) for k in record.get("dataset_options", ())},
            metric=h.label,
            metric_name=h.name,
            unit=h.unit,
            higher_is_better=h.higher_is_better,
            alignment=str(record["alignment"]),
            total=h.total,
            total_ci95=h.total_ci95,
            action_mean=h.action_mean,
            per_action=h.per_action,
            per_joint=h.per_joint,
            num_samples=int(record["num_samples"]),
            metrics=dict(record.get("metrics") or {}),
            run_dir=Path(record["run_dir"]),
            resumed=bool(record.get("resumed", False)),
            record=dict(record),
        )

    def _millimetres(self, value: Any, name: str) -> Any:
        if self.unit != "mm":
            raise CnpError(
                f"{name}: this run's headline ({self.metric}) is in {self.unit or 'no unit'}, not mm; read {name[:-3]}"
            )
        return value

    @property
    def total_mm(self) -> float:
        return float(self._millimetres(self.total, "total_mm"))

    @property
    def total_ci95_mm(self) -> tuple[float, float] | None:
        return self._millimetres(self.total_ci95, "total_ci95_mm")  # type: ignore[no-any-return]

    @property
    def action_mean_mm(self) -> float | None:
        return self._millimetres(self.action_mean, "action_mean_mm")  # type: ignore[no-any-return]

    @property
    def per_action_mm(self) -> Mapping[str, float | None]:
        return self._millimetres(self.per_action, "per_action_mm")  # type: ignore[no-any-return]

    @property
    def per_joint_mm(self) -> Mapping[str, float]:
        return self._millimetres(self.per_joint, "per_joint_mm")  # type: ignore[no-any-return]


def _check_arguments(checkpoints: Any, data_dir: Any, dataset: Any, options: Any, exclude: Any) -> None:
    """The front door's arguments of the right kinds, each named (a string is not a list of files)."""
    from cnp_core._errors import ParameterError

    if isinstance(checkpoints, str | Path) or not isinstance(checkpoints, Sequence):
        raise ParameterError("checkpoints", str(checkpoints), 'pass a list of checkpoint paths, e.g. ["ConvNeXtPose_M.tar"]')
    if not all(isinstance(c, str | Path) for c in checkpoints):
        raise ParameterError("checkpoints", str(checkpoints), "every item must be a path")
    if not isinstance(data_dir, str | Path):
        raise ParameterError("data_dir", str(data_dir), "pass the data folder as a path")
    if not isinstance(dataset, str):
        raise ParameterError("dataset", str(dataset), "pass a registered dataset's name (`cnp plugins` lists them)")
    if options is not None and not isinstance(options, Mapping):
        raise ParameterError("options", str(options), 'pass a mapping of the dataset\'s options, e.g. {"protocol": 1}')
    if isinstance(exclude, str) or not isinstance(exclude, Sequence):
        raise ParameterError("exclude", str(exclude), 'pass a list of sequence patterns, e.g. ["S9_Greeting"]')


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
    from cnp_core._data.patch_cache import default_patch_cache
    from cnp_core._data.records import SplitOptions
    from cnp_core._evaluation.pipeline import EvalJob, evaluate_checkpoints
    from cnp_core._evaluation.scoring import BootstrapOptions
    from cnp_core._inference.engine import InferenceConfig
    from cnp_core._model.variants import get_variant

    _check_arguments(checkpoints, data_dir, dataset, options, exclude)
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
