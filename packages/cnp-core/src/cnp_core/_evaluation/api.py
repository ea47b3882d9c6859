"""The library's front door to evaluation: :func:`evaluate` returns typed :class:`RunRecord` s.

>>> from cnp_core import evaluate
>>> (run,) = evaluate("M", ["model.tar"], "data/set", dataset="my-set", options={"protocol": 1})
>>> run.total, run.unit, run.total_ci95, run.metrics["p_mpjpe"]["total"]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cnp_core._errors import ParameterError, checked_arguments
from cnp_core._model.variants import Variant
from cnp_core._output.run_folder import RunRecord


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
    patch_cache_gb: float = 20.0,
    models: Sequence[str | Path] = (),
    progress: bool = True,
    on_result: Callable[[RunRecord], None] | None = None,
    on_notes: Callable[[list[str]], None] | None = None,
) -> list[RunRecord]:
    """Evaluate ``checkpoints`` of ``variant`` on ``dataset``'s split in ``data_dir`` (with the
    dataset's declared ``options``, e.g. ``{"protocol": 1}``); one run folder each under
    ``output_dir``. What ``cnp eval`` calls.

    - ``models``: ONNX files from ``cnp export`` to run with onnxruntime instead of checkpoints;
    - ``patch_cache``: keep the cropped patches (bounded by ``patch_cache_gb``) so later runs
      decode nothing; off under torchrun, where ranks would race for one entry;
    - ``on_result(run)``: hears each finished (or, with ``resume``, skipped) run as it lands;
      ``on_notes(notes)``: which inference rewrites applied (once); ``progress``: bars on stderr.

    Under ``torchrun`` call it inside :func:`cnp_core.distributed_session`: every rank infers its
    shard and rank 0 scores and writes. Errors are :class:`cnp_core.CnpError` s naming the parameter.
    """
    from cnp_core._data.patch_cache import default_patch_cache
    from cnp_core._data.records import SplitOptions
    from cnp_core._evaluation.evaluators import ALIGNMENTS
    from cnp_core._evaluation.pipeline import EvalJob, exported_sources, run_evaluation
    from cnp_core._evaluation.scoring import BootstrapOptions
    from cnp_core._inference import distributed
    from cnp_core._inference.engine import InferenceConfig
    from cnp_core._model.variants import get_variant

    _check_arguments(checkpoints, data_dir, dataset, options, exclude)
    if alignment is not None and alignment not in ALIGNMENTS:
        raise ParameterError("alignment", alignment, f"use one of {', '.join(ALIGNMENTS)}")
    if models and checkpoints:
        raise ParameterError("models", str(models), "an exported model is the whole model: evaluate checkpoints in another run")
    if not models and not checkpoints:
        raise ParameterError("checkpoints", "[]", "give at least one checkpoint (or exported models)")
    spec = get_variant(variant)
    dist = distributed.current()
    job = EvalJob(
        variant=spec,
        data_dir=Path(data_dir),
        dataset=dataset,
        split=SplitOptions.of(options, input_shape=spec.input_shape),
        inference=InferenceConfig(
            batch_size=batch_size,
            workers=workers,
            device=dist.device if dist.active else device,
            flip=flip,
            batched_flip=optimize,
            progress=progress,
            patch_cache=default_patch_cache(patch_cache_gb) if patch_cache and not dist.active else None,
        ),
        alignment=alignment,
        output_dir=Path(output_dir),
        optimize=optimize,
        force=force,
        bootstrap=BootstrapOptions(resamples=bootstrap, seed=seed),
        exclude=tuple(exclude),
    )

    def landed(record: dict[str, Any], _: Any) -> None:
        if on_result is not None:
            on_result(RunRecord.from_record(record))

    records = run_evaluation(
        job,
        [Path(c) for c in checkpoints],
        sources=exported_sources(job, [Path(m) for m in models]) if models else None,
        resume=resume,
        on_result=landed,
        on_notes=on_notes,
    )
    return [RunRecord.from_record(r) for r in records]


__all__ = ["RunRecord", "evaluate"]
