"""One evaluation run per checkpoint: verify, load the split, infer, score, write results atomically."""

from __future__ import annotations

import hashlib
import platform
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from cnp_core.atomic import staged_dir, write_json
from cnp_core.checkpoints import check_fits, inspect_state, read_checkpoint
from cnp_core.datasets import EvalSplit, SplitOptions
from cnp_core.engine import InferenceConfig, predict_coords, resolve_device
from cnp_core.errors import CnpError
from cnp_core.evaluation import EvalResult
from cnp_core.plugins import PluginHost, registry
from cnp_core.variants import Variant

RESULT_FILE = "bbox_root_pose_human36m_output.json"
METRICS_FILE = "metrics.json"
CHECKPOINT_PATTERNS = ("snapshot_{n}.pth.tar", "snapshot_{n}.pth", "snapshot_{n}.tar", "snapshot_{n}.safetensors", "snapshot_{n}")


@dataclass(frozen=True)
class EvalJob:
    """Everything one ``cnp eval`` needs besides the checkpoints."""

    variant: Variant
    data_dir: Path
    split: SplitOptions = field(default_factory=SplitOptions)
    inference: InferenceConfig = field(default_factory=InferenceConfig)
    dataset: str = "h36m"
    alignment: str | None = None
    output_dir: Path = Path("output/result")
    optimize: bool = True


def parse_epochs(spec: str) -> list[int]:
    """``70`` -> [70]; ``70-72`` -> [70, 71, 72] (inclusive); ``68,70`` -> [68, 70]."""
    epochs: list[int] = []
    for part in spec.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not match:
            raise CnpError(f"--epochs {spec!r}: use N, N-M (inclusive) or a comma list")
        lo, hi = int(match.group(1)), int(match.group(2) or match.group(1))
        if hi < lo:
            raise CnpError(f"--epochs {spec!r}: range end {hi} is below its start {lo}")
        epochs.extend(range(lo, hi + 1))
    return epochs


def find_checkpoints(model_dir: Path, epochs: Sequence[int]) -> list[Path]:
    """``snapshot_{N}.pth.tar`` (official naming) or another published form, per epoch."""
    if not model_dir.is_dir():
        raise CnpError(f"--model-dir {model_dir} does not exist")
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
    names = ("cnp-core", "cnp-heads", "cnp-h36m", "cnp-cli", "torch", "numpy", "opencv-python-headless", "timm")
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def evaluator_for(job: EvalJob, host: PluginHost | None = None) -> Any:
    """The evaluator of ``job``: the dataset's default for its protocol unless an alignment is given."""
    dataset = registry("dataset", host).get(job.dataset)
    alignment = job.alignment or getattr(dataset, "default_alignment", {}).get(job.split.protocol, "none")
    for entry in registry("evaluator", host).entries():
        if entry.obj.alignment == alignment:
            return entry.obj
    raise CnpError(f"no evaluator with alignment {alignment!r} is registered")


def metric_label(evaluator: Any, job: EvalJob, host: PluginHost | None = None) -> str:
    dataset = registry("dataset", host).get(job.dataset)
    official = getattr(dataset, "default_alignment", {}).get(job.split.protocol)
    if evaluator.alignment == official:
        return str(getattr(dataset, "metric_names", {}).get(job.split.protocol, evaluator.metric))
    return str(evaluator.metric)


def run_name(job: EvalJob, checkpoint: Path, alignment: str) -> str:
    stem = checkpoint.name.split(".")[0] if not checkpoint.is_dir() else checkpoint.name.replace(".", "_")
    name = f"{job.variant.name}_{stem}_p{job.split.protocol}_{job.split.bbox_source}_{'flip' if job.inference.flip else 'noflip'}"
    return name if job.alignment is None else f"{name}_{alignment}"


def result_records(split: EvalSplit, result: EvalResult) -> list[dict[str, Any]]:
    """The official result file: image_id, joint_cam (root-relative, aligned for P1), bbox, root_cam."""
    return [
        {
            "image_id": int(split.image_ids[i]),
            "joint_cam": result.poses_mm[i].tolist(),
            "bbox": split.bboxes[i].tolist(),
            "root_cam": split.root_cam[i].tolist(),
        }
        for i in range(len(split))
    ]


def verify_checkpoints(job: EvalJob, checkpoints: Sequence[Path], host: PluginHost | None = None) -> list[Any]:
    """Read every checkpoint and check it fits the variant, before any data is touched."""
    verified = []
    for path in checkpoints:
        info, state = inspect_state(read_checkpoint(path, host), host)
        check_fits(info, state, job.variant, host)
        verified.append((path, info, state))
    return verified


def evaluate_checkpoints(
    job: EvalJob,
    checkpoints: Sequence[Path],
    *,
    host: PluginHost | None = None,
    prepare_model: Callable[[Any], Any] | None = None,
    on_result: Callable[[dict[str, Any], EvalResult], None] | None = None,
) -> list[dict[str, Any]]:
    """Evaluate each checkpoint on the job's split; returns the metrics records (also written to disk)."""
    from cnp_core.model import build_model

    verified = verify_checkpoints(job, checkpoints, host)
    dataset = registry("dataset", host).get(job.dataset)
    evaluator = evaluator_for(job, host)
    split = dataset.load_split(job.data_dir, job.split)
    device = resolve_device(job.inference.device)
    records = []
    for path, info, state in verified:
        model = build_model(job.variant, host=host)
        model.load_state_dict(state, strict=True)
        if prepare_model is not None:
            model = prepare_model(model)
        start = time.perf_counter()
        coords = predict_coords(
            model,
            split.image_paths,
            split.bboxes,
            job.inference,
            flip_pairs=split.flip_pairs,
            output_width=job.variant.output_shape[1],
            input_shape=job.variant.input_shape,
            description=f"{job.variant.name} {path.name}",
        )
        elapsed = time.perf_counter() - start
        result = evaluator.evaluate(split, coords, job.variant)
        record = {
            "variant": job.variant.name,
            "checkpoint": str(path),
            "checkpoint_sha256": sha256_of(path),
            "checkpoint_format": info.format,
            "epoch": info.epoch,
            "dataset": job.dataset,
            "protocol": job.split.protocol,
            "metric": metric_label(evaluator, job, host),
            "evaluator": evaluator.name,
            **result.summary(),
            "flip": job.inference.flip,
            "bbox_source": job.split.bbox_source,
            "bbox_root_file": split.meta.get("bbox_root_file"),
            "data_dir": str(job.data_dir),
            "elapsed_s": round(elapsed, 3),
            "images_per_s": round(len(split) / elapsed, 3) if elapsed > 0 else None,
            "batch_size": job.inference.batch_size,
            "optimized": job.optimize,
            "device": str(device),
            "versions": package_versions(),
        }
        run_dir = job.output_dir / run_name(job, path, evaluator.alignment)
        record["run_dir"] = str(run_dir)
        with staged_dir(run_dir) as tmp:
            write_json(tmp / RESULT_FILE, result_records(split, result), indent=None)
            np.save(tmp / "coords_heatmap.npy", coords)
            write_json(tmp / METRICS_FILE, record)
        records.append(record)
        if on_result is not None:
            on_result(record, result)
    return records
