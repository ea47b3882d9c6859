"""One evaluation run per checkpoint: verify, load the split, infer, score, write results atomically."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import platform
import re
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from cnp_core._checkpoints import fitting_state, read_checkpoint, with_counters
from cnp_core._data.patch_cache import PatchCache
from cnp_core._data.records import EvalSplit, SplitOptions, check_joints_fit
from cnp_core._errors import CnpError, ParameterError
from cnp_core._evaluation.evaluators import EvalResult
from cnp_core._evaluation.metrics import Metric, legacy_millimetres
from cnp_core._evaluation.scoring import BootstrapOptions, exclusion, score_predictions
from cnp_core._inference.engine import InferenceConfig, predict_coords, resolve_device, shard_indices
from cnp_core._model.variants import Variant
from cnp_core._output.atomic import claim_output, writable_dir
from cnp_core._output.run_folder import finished_record, new_record, write_run, written_by_cnp
from cnp_core._plugins.hookspecs import ListsInputFiles
from cnp_core._plugins.host import PluginHost, owner, plugin_callback, registry

_CALLBACKS = {"evaluator": "evaluate", "metric": "compute"}
CHECKPOINT_PATTERNS = ("snapshot_{n}.pth.tar", "snapshot_{n}.pth", "snapshot_{n}.tar", "snapshot_{n}.safetensors", "snapshot_{n}")


@dataclass(frozen=True)
class EvalJob:
    """Everything one ``cnp eval`` needs besides the checkpoints."""

    variant: Variant
    data_dir: Path
    dataset: str
    split: SplitOptions = field(default_factory=SplitOptions)
    inference: InferenceConfig = field(default_factory=InferenceConfig)
    alignment: str | None = None
    output_dir: Path = Path("output/result")
    optimize: bool = True
    block_batches: int = 32  # batches per saved block of predictions (the unit --resume keeps)
    force: bool = False  # replace run folders that cnp did not write
    bootstrap: BootstrapOptions = field(default_factory=BootstrapOptions)
    exclude: tuple[str, ...] = ()  # sequence patterns left out (see cnp_core._evaluation.scoring.exclusion)


def parse_epochs(spec: str) -> list[int]:
    """``70`` -> [70]; ``70-72`` -> [70, 71, 72] (inclusive); ``68,70`` -> [68, 70]."""
    epochs: list[int] = []
    for part in spec.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not match:
            raise ParameterError("epochs", spec, "use N, N-M (inclusive) or a comma list")
        lo, hi = int(match.group(1)), int(match.group(2) or match.group(1))
        if hi < lo:
            raise ParameterError("epochs", spec, f"range end {hi} is below its start {lo}")
        epochs.extend(range(lo, hi + 1))
    return epochs


def find_checkpoints(model_dir: Path, epochs: Sequence[int]) -> list[Path]:
    """``snapshot_{N}.pth.tar`` (official naming) or another published form, per epoch."""
    if not model_dir.is_dir():
        raise ParameterError("model_dir", str(model_dir), "does not exist")
    found = []
    for n in epochs:
        candidates = [model_dir / p.format(n=n) for p in CHECKPOINT_PATTERNS]
        hit = next((c for c in candidates if c.exists()), None)
        if hit is None:
            have = sorted({int(m.group(1)) for f in model_dir.iterdir() if (m := re.match(r"snapshot_(\d+)", f.name))})
            listing = ", ".join(map(str, have)) or "none"
            raise CnpError(
                f"no checkpoint for epoch {n} in {model_dir} (looked for snapshot_{n}.pth.tar and other forms); epochs there: {listing}"
            )
        found.append(hit)
    return found


def find_snapshots(model_dir: str | Path, epochs: str | Sequence[int]) -> list[Path]:
    """The checkpoint of each epoch in ``model_dir`` (``snapshot_{N}.pth.tar`` or another published
    form); ``epochs`` as ``70``, ``70-72`` (inclusive), ``68,70`` or a list of numbers."""
    numbers = parse_epochs(epochs) if isinstance(epochs, str) else [int(e) for e in epochs]
    return find_checkpoints(Path(model_dir), numbers)


def sha256_of(path: Path) -> str:
    """Hash of a file, or of a folder's files in name order."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def package_versions() -> dict[str, str]:
    plugins = sorted({ep.dist.metadata["Name"] for ep in metadata.entry_points(group="cnp") if ep.dist is not None})
    names = ("cnp-core", *(p for p in plugins if p != "cnp-core"), "cnp-cli", "torch", "numpy", "opencv-python-headless")
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def resolve_job(job: EvalJob, host: PluginHost | None = None) -> EvalJob:
    """``job`` with the dataset's options checked against its declaration and defaults filled in."""
    info = registry("dataset", host).get(job.dataset).info
    return replace(job, split=job.split.resolved(info))


def evaluator_for(job: EvalJob, host: PluginHost | None = None) -> Any:
    """The evaluator of ``job``: the one the dataset declares for the alignment (its
    headline alignment unless ``job.alignment``); another plugin's evaluator never scores it."""
    info = registry("dataset", host).get(job.dataset).info
    if not info.evaluators:
        raise ParameterError("dataset", job.dataset, "is a training set without a test split; evaluate on another dataset")
    alignment = job.alignment or info.headline(info.resolve(job.split.given))[0]
    return registry("evaluator", host).get(info.evaluator_name(alignment))


def headline_declaration(evaluator: Any, job: EvalJob, host: PluginHost | None = None) -> Metric:
    """The declared record of the run's headline, labelled as the dataset names it.

    The dataset's headline evaluator is described by its ``headline_metrics`` entry for the setting;
    an evaluator chosen with ``alignment`` by the entry of the setting whose default alignment it
    is. Where the dataset names no metric, the headline is millimetres, lower is better.
    """
    info = registry("dataset", host).get(job.dataset).info
    values = info.resolve(job.split.given)
    alignment, label = info.headline(values)
    if evaluator.alignment == alignment:
        name = info.headline_metric_name(values)
    else:
        label = str(evaluator.metric)
        keys = [k for k, a in info.default_alignment.items() if a == evaluator.alignment and k in info.headline_metrics]
        name = info.headline_metrics[keys[0]] if keys else None
    if name is None:
        return legacy_millimetres(label, str(getattr(evaluator, "description", "") or ""))
    return replace(registry("metric", host).get(name), label=label)


def metric_label(evaluator: Any, job: EvalJob, host: PluginHost | None = None) -> str:
    """The dataset's name for its headline metric, or the evaluator's for another alignment."""
    return headline_declaration(evaluator, job, host).label


def _every_action(per_action: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """``per_action`` over every action of the dataset's split, in its order (None where left out)."""
    return {**{n: per_action.get(n) for n in names}, **{n: v for n, v in per_action.items() if n not in names}}


def headline_fields(
    result: EvalResult, declaration: Metric, ci: tuple[float, float] | None, actions: Sequence[str] = ()
) -> dict[str, Any]:
    """The headline's part of ``metrics.json``: its values beside its declaration (``per_action``
    over ``actions`` too, None where one has no samples), and, for a millimetre headline, the
    ``*_mm`` names of earlier versions with the same values."""
    fields: dict[str, Any] = {
        "metric": declaration.label,
        "metric_name": declaration.name,
        "unit": declaration.unit,
        "higher_is_better": declaration.higher_is_better,
        "format": declaration.format,
        "definition": declaration.definition,
        "alignment": result.alignment,
        "total": result.total,
        "total_ci95": list(ci) if ci else None,
        "action_mean": result.action_mean,
        "per_action": _every_action(result.per_action, actions),
        "per_joint": result.per_joint,
        "num_samples": result.num_samples,
    }
    if declaration.unit == "mm":
        fields.update(
            total_mm=result.total,
            total_ci95_mm=fields["total_ci95"],
            action_mean_mm=result.action_mean,
            per_action_mm=fields["per_action"],
            per_joint_mm=result.per_joint,
        )
    return fields


def _stem(checkpoint: Path) -> str:
    """``snapshot_70.pth.tar`` -> ``snapshot_70``; a folder ``snapshot_70.pth`` -> ``snapshot_70_pth``."""
    return checkpoint.name.split(".")[0] if not checkpoint.is_dir() else checkpoint.name.replace(".", "_")


def run_name(job: EvalJob, checkpoint: Path, alignment: str, stem: str | None = None, host: PluginHost | None = None) -> str:
    """``{variant}_{checkpoint}_{dataset}_{option values with choices}_{flip}[_{alignment}]``."""
    info = registry("dataset", host).get(job.dataset).info
    values = job.split.given
    tags = [f"{o.tag}{values.get(o.name, o.default)}" for o in info.options if o.choices]
    flip = "flip" if job.inference.flip else "noflip"
    name = "_".join([job.variant.name, stem or _stem(checkpoint), job.dataset, *tags, flip])
    if job.exclude:
        name += "_excl-" + hashlib.sha256(",".join(sorted(job.exclude)).encode()).hexdigest()[:8]
    return name if job.alignment is None else f"{name}_{alignment}"


def run_names(job: EvalJob, checkpoints: Sequence[Path], alignment: str, host: PluginHost | None = None) -> list[str]:
    """One run folder name per checkpoint, unique within the run: where two files share a name, the
    parent folder's name joins it (``runA-snapshot_70``); where that is shared too, the whole file
    name (``runA-w_pth_tar``); and where even that is (the same file twice), an index."""
    names = [run_name(job, c, alignment, host=host) for c in checkpoints]
    for level in (1, 2):
        clashing = {n for n in names if names.count(n) > 1}
        for i, (name, path) in enumerate(zip(names, checkpoints, strict=True)):
            if name in clashing:
                file_part = _stem(path) if level == 1 else path.name.replace(".", "_")
                names[i] = run_name(job, path, alignment, f"{path.resolve().parent.name}-{file_part}", host)
    taken: set[str] = set()
    unique = []
    for name in names:
        candidate, n = name, 1
        while candidate in taken:
            n += 1
            candidate = f"{name}_{n}"
        taken.add(candidate)
        unique.append(candidate)
    return unique


@dataclass(frozen=True)
class ModelSource:
    """One thing to evaluate: a checkpoint (or exported model) and how to build the model from it."""

    path: Path
    format: str
    epoch: int | None
    load: Callable[[], Any]
    backend: str = "torch"


def verify_checkpoints(job: EvalJob, checkpoints: Sequence[Path], host: PluginHost | None = None) -> list[ModelSource]:
    """Read every checkpoint and check it fits the variant, before any data is touched."""
    from cnp_core._model.pose_model import build_model

    verified = []
    for path in checkpoints:
        raw = read_checkpoint(path, host)
        state = fitting_state(raw, job.variant, host)

        def load(state: dict[str, Any] = state) -> Any:
            model = build_model(job.variant, host=host)
            model.load_state_dict(with_counters(state, model), strict=True)
            return model

        verified.append(ModelSource(path, raw.format, raw.epoch, load))
    return verified


def exported_sources(job: EvalJob, files: Sequence[Path]) -> list[ModelSource]:
    """ONNX files from ``cnp export``, run by onnxruntime; each checked against the variant first."""
    from cnp_core._inference.export import OnnxRuntimeModel, check_export_fits, read_export_metadata

    sources = []
    for path in files:
        meta = read_export_metadata(path)
        if meta is None or meta.get("format") != "onnx":
            raise CnpError(f"{path} is not an ONNX file exported by `cnp export --format onnx`")
        check_export_fits(meta, job.variant, path)
        load = functools.partial(OnnxRuntimeModel, path)
        sources.append(ModelSource(Path(path), "onnx", None, load, backend="onnxruntime"))
    return sources


def data_fingerprint(job: EvalJob, dataset: Any, split: EvalSplit) -> dict[str, Any]:
    """What identifies the evaluated data: the dataset's input files (size, mtime) and the image list."""
    files: list[Path] = []
    if isinstance(dataset, ListsInputFiles):  # the optional capability (cnp_core._plugins.hookspecs)
        with plugin_callback(owner("dataset", job.dataset), f"dataset {job.dataset}'s input_files"):
            files = list(dataset.input_files(job.data_dir, job.split))
    return {
        "dataset": job.dataset,
        "data_files": [(str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files if f.is_file()],
        "images": hashlib.sha256("\n".join(split.image_paths).encode()).hexdigest(),
    }


def config_hash(
    job: EvalJob, source: ModelSource, checkpoint_sha: str, data: dict[str, Any], evaluator: Any, versions: dict[str, str]
) -> str:
    """Fingerprint of everything that determines a run's numbers: weights, data, variant and options."""
    key = {
        "checkpoint_sha256": checkpoint_sha,
        "backend": source.backend,
        "variant": job.variant.to_dict(),
        **data,
        "options": job.split.given,
        "evaluator": evaluator.name,
        "flip": job.inference.flip,
        "batch_size": job.inference.batch_size,
        "optimize": job.optimize,
        "exclude": sorted(job.exclude),
        "bootstrap": [job.bootstrap.resamples, job.bootstrap.seed],
        "cnp_core": versions.get("cnp-core"),
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()


def plan_blocks(n: int, batch_size: int, world_size: int, max_batches: int = 32) -> list[tuple[int, int]]:
    """Sample ranges on the single-process batch grid, so every batch (and so every number) is the
    same whatever the world size; about ``world_size`` or more blocks, at most ``max_batches`` each."""
    batches = -(-n // batch_size)
    per_block = max(1, min(max_batches, -(-batches // max(1, world_size))))
    step = per_block * batch_size
    return [(start, min(start + step, n)) for start in range(0, n, step)]


def _load_block(path: Path, rows: int) -> np.ndarray | None:
    try:
        block = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    return block if block.ndim == 3 and len(block) == rows else None


def infer_shard(
    model: Any,
    split: EvalSplit,
    job: EvalJob,
    blocks: Sequence[tuple[int, int]],
    partial: Path,
    resume: bool,
    show: bool,
    label: str,
    patch_cache: Any = None,
) -> np.ndarray:
    """This rank's blocks of coordinates; each finished block is saved to ``partial`` for --resume."""
    from tqdm import tqdm

    from cnp_core._output.atomic import atomic_path, make_dirs

    total = sum(stop - start for start, stop in blocks)
    bar = tqdm(total=total, desc=label, unit="img", disable=not (show and job.inference.progress), leave=False)
    quiet = replace(job.inference, progress=False)
    parts = []
    try:
        for start, stop in blocks:
            file = partial / f"coords_{start:07d}_{stop:07d}.npy"
            block = _load_block(file, stop - start) if resume else None
            if block is None:
                block = predict_coords(
                    model,
                    split.image_paths,
                    split.bboxes,
                    quiet,
                    flip_pairs=split.flip_pairs,
                    output_width=job.variant.output_shape[1],
                    input_shape=job.variant.input_shape,
                    indices=np.arange(start, stop),
                    patch_cache=patch_cache,
                )
                make_dirs(partial)
                with atomic_path(file) as tmp, tmp.open("wb") as fh:
                    np.save(fh, block)
            parts.append(block)
            bar.update(stop - start)
    finally:
        bar.close()
    return np.concatenate(parts) if parts else np.zeros((0, job.variant.joint_num, 3), dtype=np.float32)


def _prepare(
    model: Any, job: EvalJob, prepare_model: Callable[[Any], Any] | None, on_notes: Callable[[list[str]], None] | None
) -> Any:
    if prepare_model is not None:
        return prepare_model(model)
    if not job.optimize:
        return model
    from cnp_core._model.optimize import optimize_for_inference

    optimized, notes = optimize_for_inference(model)
    if on_notes is not None:
        on_notes(list(dict.fromkeys(notes)))
    return optimized


def run_evaluation(
    job: EvalJob,
    checkpoints: Sequence[Path] = (),
    *,
    host: PluginHost | None = None,
    prepare_model: Callable[[Any], Any] | None = None,
    on_result: Callable[[dict[str, Any], EvalResult | None], None] | None = None,
    sources: Sequence[ModelSource] | None = None,
    resume: bool = False,
    on_notes: Callable[[list[str]], None] | None = None,
) -> list[dict[str, Any]]:
    """Evaluate each checkpoint on the job's split; returns the metrics records (also written to disk).

    With ``job.optimize`` each model is rewritten by :func:`cnp_core._model.optimize.optimize_for_inference`
    (``on_notes`` hears what applied, once) unless ``prepare_model`` replaces that step.

    Under torchrun each rank infers its shard and rank 0 scores and writes. With ``resume``, runs
    whose results exist for the same configuration are skipped, and saved blocks of an
    interrupted run are reused.
    """
    from cnp_core._inference import distributed

    dist = distributed.current()
    dataset = registry("dataset", host).get(job.dataset)
    job = resolve_job(job, host)
    if dist.active and job.inference.patch_cache is not None:  # ranks would race to create one entry
        job = replace(job, inference=replace(job.inference, patch_cache=None))
    check_joints_fit(job.variant, dataset.info, job.dataset)
    sources = list(sources) if sources is not None else verify_checkpoints(job, checkpoints, host)
    evaluator = evaluator_for(job, host)
    declaration = headline_declaration(evaluator, job, host)
    metrics = tuple(registry("metric", host).get(n) for n in registry("metric", host).names())
    names = run_names(job, [s.path for s in sources], evaluator.alignment, host)
    if dist.is_main:
        writable_dir(job.output_dir)
        for name in names:
            claim_output(job.output_dir / name, force=job.force, owned=written_by_cnp)
    with plugin_callback(owner("dataset", job.dataset, host), f"dataset {job.dataset}'s load_split"):
        split = dataset.load_split(job.data_dir, job.split)
    if split.flip_pairs != dataset.info.flip_pairs or split.joint_names != dataset.info.joint_names:
        raise CnpError(f"dataset {job.dataset}'s split disagrees with its declaration (joint names or flip pairs); a plugin bug")
    kept, excluded = exclusion(split, job.exclude)
    all_actions = split.action_names
    if excluded:  # evaluators see only what is left; the record lists every action (None: left out)
        split = split.subset(kept).only_present_actions()
    device = resolve_device(job.inference.device)
    cache_config = job.inference.patch_cache
    patch_cache = PatchCache(cache_config, split.image_paths, split.bboxes, job.variant.input_shape) if cache_config else None
    versions = package_versions()
    data = data_fingerprint(job, dataset, split)
    records = []
    noted = False
    for source, name in zip(sources, names, strict=True):
        sha = sha256_of(source.path)
        fingerprint = config_hash(job, source, sha, data, evaluator, versions)
        run_dir = job.output_dir / name
        partial = job.output_dir / ".partial" / run_dir.name
        done = finished_record(run_dir, fingerprint) if resume else None
        if done is not None:
            records.append({**done, "resumed": True})
            if on_result is not None and dist.is_main:
                on_result(records[-1], None)
            continue
        model = source.load()
        if source.backend == "torch":
            model = _prepare(model, job, prepare_model, on_notes if not noted else None)
            noted = True
        blocks = plan_blocks(len(split), job.inference.batch_size, dist.world_size, job.block_batches)
        mine = [blocks[i] for i in shard_indices(len(blocks), dist.rank, dist.world_size)]
        start = time.perf_counter()
        label = f"{job.variant.name} {source.path.name}" + (f" (rank 0 of {dist.world_size})" if dist.active else "")
        shards = distributed.gather_shards(
            functools.partial(
                infer_shard, model, split, job, mine, partial / fingerprint[:16], resume, dist.is_main, label, patch_cache
            )
        )
        elapsed = time.perf_counter() - start
        coords = np.concatenate(shards)
        scores = score_predictions(
            split,
            coords,
            job.variant,
            evaluator,
            job.bootstrap,
            metrics=metrics,
            declaration=declaration,
            dataset=job.dataset,
            only=dataset.info.metrics,
            guard=lambda kind, name: plugin_callback(owner(kind, name, host), f"{kind} {name}'s {_CALLBACKS[kind]}"),
        )
        result = scores.headline
        for summary in scores.metrics.values():
            summary["per_action"] = _every_action(summary["per_action"], all_actions)
        record = {
            "variant": job.variant.name,
            "checkpoint": str(source.path),
            "checkpoint_sha256": sha,
            "checkpoint_format": source.format,
            "epoch": source.epoch,
            "dataset": job.dataset,
            **job.split.given,
            "dataset_options": [o.name for o in dataset.info.options],
            "setting": {dataset.info.headline_option: dataset.info.setting(job.split.given)}
            if dataset.info.headline_option
            else {},
            "evaluator": evaluator.name,
            **headline_fields(result, declaration, scores.headline_ci, all_actions),
            "metrics": scores.metrics,
            "degenerate_predictions": scores.degenerate,
            "bootstrap": {"resamples": job.bootstrap.resamples, "seed": job.bootstrap.seed, "level": 0.95, "over": "frames"},
            "excluded": excluded or None,
            "flip": job.inference.flip,
            "split": split.meta.get("summary", {}),
            "data_dir": str(job.data_dir),
            "elapsed_s": round(elapsed, 3),
            "images_per_s": round(len(split) / elapsed, 3) if elapsed > 0 else None,
            "batch_size": job.inference.batch_size,
            "backend": source.backend,
            "optimized": job.optimize if source.backend == "torch" else None,
            "device": str(device),
            "world_size": dist.world_size,
            "config_hash": fingerprint,
            "data_fingerprint": hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest(),
            "versions": versions,
            "run_dir": str(run_dir),
        }
        results: Mapping[str, Any] = {}
        if dataset.info.result_files is not None:
            with plugin_callback(owner("dataset", job.dataset, host), f"dataset {job.dataset}'s result_files"):
                results = dict(dataset.info.result_files(split, result))
        record = new_record(record, results)
        if dist.is_main:
            write_run(run_dir, record, scores.samples, coords, results)
            shutil.rmtree(partial, ignore_errors=True)
            with contextlib.suppress(OSError):
                partial.parent.rmdir()  # only when no other run has blocks there
        distributed.barrier()
        records.append(record)
        if on_result is not None and dist.is_main:
            on_result(record, result)
    return records
