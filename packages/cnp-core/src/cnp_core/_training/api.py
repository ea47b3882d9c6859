"""The front door of training (what ``cnp train`` calls): a variant, a dataset's training split,
the recipe, and optionally the dataset's test split evaluated every few epochs."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cnp_core._errors import ParameterError, checked_arguments
from cnp_core._model.variants import Variant
from cnp_core._training.recipe import TrainConfig


class SkippedSamplesWarning(UserWarning):
    """A training set left samples out (as the official loader does); the message says which."""


@checked_arguments
def train_model(
    variant: str | Variant,
    data_dir: str | Path,
    *,
    dataset: str,
    output_dir: str | Path,
    options: Mapping[str, Any] | None = None,
    config: TrainConfig | None = None,
    init: str | Path | None = None,
    resume: bool = False,
    resume_changed: bool = False,
    device: str = "auto",
    workers: int | None = None,
    progress: bool = True,
    on_step: Callable[[dict[str, Any]], None] | None = None,
    mix: Sequence[tuple[str, str | Path]] = (),
) -> list[dict[str, Any]]:
    """Train ``variant`` on ``dataset``'s training split in ``data_dir``, mixed with the training
    splits of ``mix`` ((dataset, folder) pairs, e.g. ``("mpii", "data/MPII")``: 3D and 2D sets are
    balanced as the official code does); snapshots, the resolved configuration and the step log go
    to ``output_dir``. Returns the log records of this call."""
    from cnp_core._data.records import SplitOptions, check_joints_fit
    from cnp_core._inference.engine import auto_workers, resolve_device
    from cnp_core._model.variants import get_variant
    from cnp_core._plugins.host import owner, plugin_callback, registry
    from cnp_core._training.loop import TrainingJob, combine, train

    if config is not None and not isinstance(config, TrainConfig):
        raise ParameterError("config", type(config).__name__, "pass a cnp_core.TrainConfig, e.g. TrainConfig(epochs=10, lr=5e-4)")
    config = config or TrainConfig()
    spec = get_variant(variant)
    info = registry("dataset").get(dataset).info
    split_options = SplitOptions.of(options, input_shape=spec.input_shape).resolved(info)
    if config.eval_every and not info.evaluators:
        raise ParameterError("eval_every", config.eval_every, f"dataset {dataset} has no test split to evaluate")
    splits = []
    for name, folder, given in [(dataset, data_dir, split_options), *((n, f, None) for n, f in mix)]:
        declared = registry("dataset").get(name).info
        if declared.train_split is None:
            raise ParameterError("dataset", name, "declares no training split (it is for evaluation only)")
        check_joints_fit(spec, declared, name)
        settings = given or SplitOptions(input_shape=spec.input_shape).resolved(declared)
        with plugin_callback(owner("dataset", name), f"dataset {name}'s train_split"):
            splits.append(declared.train_split(Path(folder), settings))
    split = combine(splits)
    for note in split.notes:  # samples left out as the official loaders leave them out: said, never silent
        warnings.warn(note, SkippedSamplesWarning, stacklevel=2)
    target = resolve_device(device)
    workers = auto_workers(target) if workers is None else workers
    output = Path(output_dir)

    def evaluate_epoch(path: Path, epoch: int) -> dict[str, Any]:
        from cnp_core._evaluation.api import evaluate

        (run,) = evaluate(
            spec,
            [path],
            data_dir,
            dataset=dataset,
            options=split_options.given,
            batch_size=config.batch_size,
            workers=workers,
            device=str(target),
            output_dir=output / "eval",
            force=True,
            bootstrap=0,
            progress=False,  # the same test split every few epochs: the patch cache decodes it once
        )
        keep = ("metric", "metric_name", "unit", "higher_is_better", "total", "total_mm", "run_dir")
        return {k: run.record[k] for k in keep if k in run.record}

    run = TrainingJob(
        variant=spec,
        split=split,
        output_dir=output,
        config=config,
        device=str(target),
        workers=workers,
        init=Path(init) if init is not None else None,
        resume=resume,
        resume_changed=resume_changed,
        describe={
            "dataset": dataset,
            "options": split_options.given,
            "data_dir": str(data_dir),
            "mix": [{"dataset": n, "data_dir": str(f)} for n, f in mix],
            "sets": [
                {"name": s.name, "samples": len(s), "has_depth": bool(s.has_depth.any()), "notes": list(s.notes)} for s in splits
            ],
        },
    )
    return train(run, on_step=on_step, evaluate_epoch=evaluate_epoch if config.eval_every else None, progress=progress)


__all__ = ["train_model"]
