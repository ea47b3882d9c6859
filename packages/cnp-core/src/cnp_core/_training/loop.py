"""The training loop: data in worker processes, AdamW with the official schedule, one official
checkpoint per epoch (written atomically), exact resume, a JSON-lines log and periodic evaluation."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from cnp_core._data.crops import read_image
from cnp_core._errors import CnpError, DataError, ParameterError
from cnp_core._model.pose_model import PoseModel
from cnp_core._model.variants import Variant
from cnp_core._output.atomic import OutputError, atomic_path, claim_output, make_dirs, write_json
from cnp_core._training.recipe import TrainConfig, learning_rate
from cnp_core._training.samples import TrainSplit
from cnp_core._training.targets import Augmentation, draw_augmentation, make_sample

LOG_FILE = "train_log.jsonl"
CONFIG_FILE = "train_config.json"
SNAPSHOT = re.compile(r"snapshot_(\d+)\.pth\.tar$")


def combine(splits: Sequence[TrainSplit]) -> TrainSplit:
    """Several training sets as one (same joints and flip pairs required)."""
    first = splits[0]
    for other in splits[1:]:
        if other.joint_names != first.joint_names or other.flip_pairs != first.flip_pairs:
            raise CnpError(f"training sets {first.name} and {other.name} map onto different joints; they cannot be mixed")
    if len(splits) == 1:
        return first
    return TrainSplit(
        name="+".join(s.name for s in splits),
        image_paths=tuple(p for s in splits for p in s.image_paths),
        bboxes=np.concatenate([s.bboxes for s in splits]),
        joints=np.concatenate([s.joints for s in splits]),
        visible=np.concatenate([s.visible for s in splits]),
        has_depth=np.concatenate([s.has_depth for s in splits]),
        joint_names=first.joint_names,
        flip_pairs=first.flip_pairs,
        bbox_3d_depth_mm=first.bbox_3d_depth_mm,
        notes=tuple(n for s in splits for n in s.notes),
    )


def epoch_order(split: TrainSplit, config: TrainConfig, epoch: int) -> np.ndarray:
    """The samples of one epoch, in order. With both 3D and 2D samples, the official mix: each group
    is stretched to the longer one's length L (index k reads k % n, except in the last incomplete
    cycle, a random sample of the group), so an epoch holds 2 L samples; then shuffled."""
    three, two = np.flatnonzero(split.has_depth > 0), np.flatnonzero(split.has_depth <= 0)
    if len(three) and len(two):
        longest = max(len(three), len(two))
        rng = np.random.default_rng([config.seed, epoch, 1])
        parts = []
        for group in (three, two):
            k = np.arange(longest)
            fill = rng.integers(0, len(group), size=longest)
            parts.append(group[np.where(k >= len(group) * (longest // len(group)), fill, k % len(group))])
        order = np.concatenate(parts)
    else:
        order = np.arange(len(split))
    if config.shuffle:
        order = order[np.random.default_rng([config.seed, epoch]).permutation(len(order))]
    return order


class TrainData(torch.utils.data.Dataset[tuple[torch.Tensor, ...]]):
    """One epoch of a training split: every random choice is drawn from (seed, epoch, position), so
    any worker count, and a resumed run, sees the same batches."""

    def __init__(self, split: TrainSplit, variant: Variant, config: TrainConfig, epoch: int) -> None:
        self.split, self.variant, self.config, self.epoch = split, variant, config, epoch
        self.order = epoch_order(split, config, epoch)

    def __len__(self) -> int:
        return len(self.order)

    def __getitem__(self, position: int) -> tuple[torch.Tensor, ...]:
        i = int(self.order[position])
        rng = np.random.default_rng([self.config.seed, self.epoch, position])
        image = read_image(self.split.image_paths[i])
        if image is None:
            raise DataError(f"cannot read training image {self.split.image_paths[i]} (missing or not an image)")
        augmentation = draw_augmentation(rng) if self.config.augment else Augmentation()
        patch, target, visible = make_sample(
            image,
            self.split.bboxes[i],
            self.split.joints[i],
            self.split.visible[i],
            self.split.flip_pairs,
            augmentation,
            rng,
            self.variant.input_shape,
            self.variant.output_shape,
            self.variant.depth_dim,
            self.split.bbox_3d_depth_mm,
        )
        has_depth = torch.tensor(float(self.split.has_depth[i]))
        return torch.from_numpy(patch), torch.from_numpy(target), torch.from_numpy(visible), has_depth


def integral_l1_loss(coords: torch.Tensor, target: torch.Tensor, visible: torch.Tensor, has_depth: torch.Tensor) -> torch.Tensor:
    """The official loss: per joint (|dx| + |dy| + |dz| * has_depth) / 3 times visibility, mean over
    batch and joints."""
    diff = (coords - target).abs() * visible[:, :, None]
    per_joint = (diff[:, :, 0] + diff[:, :, 1] + diff[:, :, 2] * has_depth[:, None]) / 3.0
    return per_joint.mean()


def snapshot_path(folder: Path, epoch: int) -> Path:
    return folder / f"snapshot_{epoch}.pth.tar"


def latest_snapshot(folder: Path) -> int | None:
    """The highest epoch with a checkpoint in ``folder``."""
    epochs = [int(m.group(1)) for f in folder.glob("snapshot_*.pth.tar") if (m := SNAPSHOT.search(f.name))]
    return max(epochs) if epochs else None


def save_snapshot(folder: Path, epoch: int, model: nn.Module, optimizer: torch.optim.Optimizer, meta: dict[str, Any]) -> Path:
    """``snapshot_{epoch}.pth.tar`` in the official form (``module.``-prefixed ``network``, ``optimizer``),
    written aside and renamed into place."""
    network = {f"module.{k}": v.detach().cpu() for k, v in model.state_dict().items()}
    path = snapshot_path(folder, epoch)
    with atomic_path(path) as tmp:
        try:
            torch.save({"epoch": epoch, "network": network, "optimizer": optimizer.state_dict(), "cnp": meta}, tmp)
        except RuntimeError as exc:  # torch's writer reports a full disk as a RuntimeError
            full = "No space left" in str(exc) or "file write failed" in str(exc)
            why = "No space left on device" if full else " ".join(str(exc).split())[:200]
            then = f"resume with --resume (from snapshot_{epoch - 1})" if epoch > 0 else "run again (no snapshot was saved yet)"
            raise OutputError(f"cannot write {path}: {why}; free some space and {then}") from None
    return path


def load_snapshot(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a torn or foreign file: say which
        raise CnpError(
            f"cannot resume from {path}: {type(exc).__name__}: {exc}; delete it to resume from the one before"
        ) from None
    if not isinstance(data, dict) or not {"epoch", "network", "optimizer"} <= set(data):
        raise CnpError(f"{path} is not a training snapshot (epoch, network, optimizer); delete it or pick another --output")
    return data


@dataclass(frozen=True)
class TrainingJob:
    """Where a run writes and what it trains."""

    variant: Variant
    split: TrainSplit
    output_dir: Path
    config: TrainConfig = field(default_factory=TrainConfig)
    device: str = "cpu"
    workers: int = 0
    init: Path | None = None
    resume_changed: bool = False  # with resume: continue although the recipe changed (recorded per epoch)
    resume: bool = False
    describe: dict[str, Any] = field(default_factory=dict)  # dataset, options, ... for train_config.json


def _build(run: TrainingJob) -> PoseModel:
    from cnp_core._checkpoints import load_checkpoint
    from cnp_core._model.pose_model import build_model

    options = {"drop_path_rate": run.config.drop_path} if run.config.drop_path > 0 else None
    torch.manual_seed(run.config.seed)  # from-scratch weights are a function of --seed
    model = build_model(run.variant, backbone_options=options)
    if run.init is not None:
        load_checkpoint(model, run.init)  # checked against the variant: a misfit is one clear error
    if run.config.freeze_backbone:
        for p in model.backbone.parameters():
            p.requires_grad_(False)
    return model


def _set_mode(model: PoseModel, freeze_backbone: bool) -> None:
    model.train()
    if freeze_backbone:
        model.backbone.eval()  # frozen: BatchNorm keeps its running statistics


# Settings that do not change what is learned: how often to evaluate.
_CADENCE = frozenset({"eval_every"})


def _resume_changes(state: dict[str, Any], run: TrainingJob, start: int) -> dict[str, list[Any]]:
    """What differs between the snapshot's run and this one. Another variant is always refused (its
    weights do not fit); a changed recipe only with ``resume_changed`` (then it is recorded)."""
    raw = state.get("cnp")
    stored: dict[str, Any] = raw if isinstance(raw, dict) else {}
    if stored.get("variant") not in (None, run.variant.name):
        raise CnpError(
            f"--resume: the snapshots in {run.output_dir} are of variant {stored['variant']}, not {run.variant.name}; "
            f"pass --variant {stored['variant']}, or another --output for a new run"
        )
    config = stored.get("config")
    before: dict[str, Any] = config if isinstance(config, dict) else {}
    after = run.config.to_dict()
    changes = {k: [before[k], after[k]] for k in sorted(after) if k in before and k not in _CADENCE and before[k] != after[k]}
    if "freeze_backbone" in changes:
        raise CnpError(
            "--resume cannot switch freeze_backbone: the optimizer's state covers other parameters; "
            f"start a new run from the snapshot with --init {snapshot_path(run.output_dir, start - 1)} --output NEW"
        )
    if changes and not run.resume_changed:
        listed = ", ".join(f"{k} {b} -> {a}" for k, (b, a) in changes.items())
        raise CnpError(
            f"--resume with a changed recipe ({listed}); resume with the same settings, or pass --resume-changed "
            f"to continue from epoch {start} with the new ones (train_config.json records the change)"
        )
    return changes


def _recipe_history(folder: Path) -> list[Any]:
    try:
        history = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8")).get("recipe_changes", [])
    except (OSError, ValueError, AttributeError):
        return []
    return history if isinstance(history, list) else []


def _worker_errors(loader: Iterable[Any]) -> Iterator[Any]:
    """The loader's batches; an error of cnp's raised inside a loader worker comes out as its own one
    line (torch would re-raise it with the worker's whole traceback folded into the message)."""
    iterator = iter(loader)
    while True:
        try:
            batch = next(iterator)
        except StopIteration:
            return
        except CnpError as exc:
            text = str(exc)
            if "DataLoader worker process" in text:
                last = text.strip().splitlines()[-1]
                message = last.split(": ", 1)[1] if ": " in last else last
                try:
                    unfolded = type(exc)(message)
                except TypeError:  # an error class with other arguments: its words, as a plain CnpError
                    unfolded = CnpError(message)
                raise unfolded from None
            raise
        yield batch


def _diverged(epoch: int, step: int, what: str, config: TrainConfig) -> CnpError:
    """Training stopped because it diverged: one line with where, and the setting to change."""
    return CnpError(
        f"training diverged at epoch {epoch}, step {step}: {what}; nothing of this epoch was saved. "
        f"Lower the learning rate (lr {config.lr:g} now: --lr, or lr in the TOML) or check the data"
    )


def _our_config(path: Path) -> bool:
    """A train_config.json that cnp train wrote (an object with its variant and config)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    return isinstance(data, dict) and isinstance(data.get("variant"), dict) and isinstance(data.get("config"), dict)


def _our_log(path: Path) -> bool:
    """A train_log.jsonl that cnp train wrote (every line a JSON object with an epoch)."""
    try:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return all(isinstance(r := json.loads(line), dict) and "epoch" in r for line in lines)
    except (OSError, ValueError, UnicodeDecodeError):
        return False


def _log_lines(folder: Path, up_to_epoch: int) -> list[str]:
    """The log of the epochs a resumed run keeps (those before the one it restarts)."""
    log = folder / LOG_FILE
    if not log.is_file():
        return []
    kept = []
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            if int(json.loads(line)["epoch"]) <= up_to_epoch:
                kept.append(line)
        except (ValueError, KeyError, TypeError):
            continue
    return kept


def rank_positions(n: int, rank: int, world_size: int) -> np.ndarray:
    """This rank's positions in an epoch's order: every ``world_size``-th, the order padded by
    wrapping so every rank takes as many steps (a distributed sampler's split)."""
    total = -(-n // world_size) * world_size
    padded = np.concatenate([np.arange(n), np.arange(total - n) % n])
    return padded[rank::world_size]


def _tensorboard(folder: Path) -> Any:
    """A TensorBoard writer when the ``tensorboard`` package is installed, else None."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(log_dir=str(folder / "tensorboard"))


def train(
    run: TrainingJob,
    *,
    on_step: Callable[[dict[str, Any]], None] | None = None,
    evaluate_epoch: Callable[[Path, int], dict[str, Any]] | None = None,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Train ``run``; returns the log records of the steps taken now (also in ``train_log.jsonl``).

    Under torchrun every rank trains a share of each epoch (DistributedDataParallel: gloo on CPU,
    nccl on GPUs, ``batch_size`` per rank, as the official batch per GPU) and rank 0 alone writes.
    """
    from tqdm import tqdm

    from cnp_core._inference import distributed

    dist = distributed.current()
    config = run.config
    if len(run.split) == 0:
        raise DataError(f"the training split {run.split.name} has no usable samples")
    share = len(rank_positions(len(epoch_order(run.split, config, 0)), dist.rank, dist.world_size))
    if config.batch_size > share:
        raise ParameterError("batch_size", config.batch_size, f"exceeds the {share} training samples (per rank)")
    device = torch.device(run.device)
    if config.amp and device.type != "cuda":
        raise ParameterError("amp", True, "mixed precision needs a CUDA device (--device cuda)")
    if dist.is_main:
        make_dirs(run.output_dir)
    model = _build(run)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr, betas=config.betas, weight_decay=config.weight_decay)
    start = 0
    done = latest_snapshot(run.output_dir) if run.resume else None
    if run.resume and done is None:
        raise CnpError(f"--resume: no snapshot_N.pth.tar in {run.output_dir} to continue from")
    if not run.resume and latest_snapshot(run.output_dir) is not None:
        raise CnpError(f"{run.output_dir} already holds training snapshots; pass --resume to continue, or another --output")
    if not run.resume and dist.is_main:  # a file of the user's named like ours is never overwritten
        for name, owned in ((CONFIG_FILE, _our_config), (LOG_FILE, _our_log)):
            claim_output(run.output_dir / name, owned=owned)
    changes: dict[str, list[Any]] = {}
    if done is not None:
        state = load_snapshot(snapshot_path(run.output_dir, done))
        changes = _resume_changes(state, run, int(state["epoch"]) + 1)
        model.load_state_dict({k.removeprefix("module."): v for k, v in state["network"].items()})
        optimizer.load_state_dict(state["optimizer"])
        start = int(state["epoch"]) + 1
    model.to(device)
    for group in optimizer.state.values():
        for key, value in group.items():
            if isinstance(value, torch.Tensor) and key != "step":
                group[key] = value.to(device)
    forward: nn.Module = model
    if dist.active:
        ids = [device.index] if device.type == "cuda" else None
        forward = nn.parallel.DistributedDataParallel(model, device_ids=ids)
    scaler = torch.amp.GradScaler("cuda") if config.amp else None
    records: list[dict[str, Any]] = []
    writer = None
    if dist.is_main:
        history = _recipe_history(run.output_dir) if done is not None else []
        if changes:
            history.append({"from_epoch": start, "changed": changes})
        write_json(
            run.output_dir / CONFIG_FILE,
            {
                "variant": run.variant.to_dict(),
                **run.describe,
                "config": config.to_dict(),
                "samples": len(run.split),
                "world_size": dist.world_size,
                "recipe_changes": history,  # [{from_epoch, changed: {setting: [before, after]}}] of resumed runs
            },
        )
        kept = _log_lines(run.output_dir, start - 1)
        with atomic_path(run.output_dir / LOG_FILE) as tmp:
            tmp.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
        writer = _tensorboard(run.output_dir)
    iterations = -(-share // config.batch_size)
    log = (run.output_dir / LOG_FILE).open("a", encoding="utf-8") if dist.is_main else None
    try:
        for epoch in range(start, config.epochs):
            torch.manual_seed(
                config.seed * 1_000_003 + epoch * 1009 + dist.rank
            )  # stochastic depth: a function of (seed, epoch, rank)
            data = TrainData(run.split, run.variant, config, epoch)
            mine = torch.utils.data.Subset(data, rank_positions(len(data), dist.rank, dist.world_size).tolist())
            loader = torch.utils.data.DataLoader(mine, batch_size=config.batch_size, shuffle=False, num_workers=run.workers)
            _set_mode(model, config.freeze_backbone)
            bar = tqdm(total=iterations, desc=f"epoch {epoch}", unit="it", disable=not (progress and dist.is_main), leave=False)
            tick = time.perf_counter()
            for itr, (images, target, visible, has_depth) in enumerate(_worker_errors(loader)):
                lr = learning_rate(epoch + itr / iterations, config)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                with torch.autocast("cuda", dtype=torch.float16, enabled=config.amp):
                    coords = forward(images.to(device))
                loss = integral_l1_loss(coords.float(), target.to(device), visible.to(device), has_depth.to(device))
                shown = loss.detach().clone()
                if dist.active:  # every rank sees the same mean, so a divergence stops them all at once
                    torch.distributed.all_reduce(shown)
                    shown /= dist.world_size
                if not bool(torch.isfinite(shown)):
                    raise _diverged(epoch, epoch * iterations + itr, f"the loss is {float(shown)}", config)
                optimizer.zero_grad(set_to_none=True)
                if scaler is not None:
                    scaler.scale(loss).backward()
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    loss.backward()
                    optimizer.step()
                now = time.perf_counter()
                record = {
                    "epoch": epoch,
                    "iteration": itr,
                    "step": epoch * iterations + itr,
                    "lr": lr,
                    "loss": float(shown),
                    "images_per_s": round(len(images) * dist.world_size / max(now - tick, 1e-9), 2),
                }
                tick = now
                records.append(record)
                if log is not None:
                    log.write(json.dumps(record, allow_nan=False) + "\n")
                    log.flush()
                if writer is not None:
                    writer.add_scalar("train/loss", record["loss"], record["step"])
                    writer.add_scalar("train/lr", lr, record["step"])
                bar.set_postfix(loss=f"{record['loss']:.4f}", lr=f"{lr:.2e}", img_s=record["images_per_s"])
                bar.update(1)
                if on_step is not None:
                    on_step(record)
            bar.close()
            path = snapshot_path(run.output_dir, epoch)
            bad = next(
                (n for n, t in model.state_dict().items() if t.is_floating_point() and not bool(torch.isfinite(t).all())), None
            )
            if bad is not None:
                raise _diverged(epoch, (epoch + 1) * iterations - 1, f"weight {bad} is not finite", config)
            if dist.is_main:
                save_snapshot(run.output_dir, epoch, model, optimizer, {"config": config.to_dict(), "variant": run.variant.name})
            distributed.barrier()
            if evaluate_epoch is not None and config.eval_every and (epoch + 1) % config.eval_every == 0:
                result: dict[str, Any] = {"epoch": epoch, "eval": evaluate_epoch(path, epoch)}
                records.append(result)
                if log is not None:
                    log.write(json.dumps(result, allow_nan=False) + "\n")
                    log.flush()
                if writer is not None:
                    writer.add_scalar(f"eval/{result['eval'].get('metric_name', 'total')}", result["eval"]["total"], epoch)
    finally:
        if log is not None:
            log.close()
        if writer is not None:
            writer.close()
    return records


def weights_of(path: Path) -> dict[str, torch.Tensor]:
    """The network weights of a training snapshot (keys without ``module.``)."""
    return {k.removeprefix("module."): v for k, v in load_snapshot(path)["network"].items()}


__all__ = [
    "CONFIG_FILE",
    "LOG_FILE",
    "TrainData",
    "TrainingJob",
    "combine",
    "epoch_order",
    "integral_l1_loss",
    "latest_snapshot",
    "rank_positions",
    "save_snapshot",
    "train",
    "weights_of",
]
