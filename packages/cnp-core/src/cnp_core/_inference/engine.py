"""Batched, dataset-agnostic inference: images + boxes in, heatmap-unit joint coordinates out.

The engine knows nothing about any dataset: it reads image paths and boxes, runs the model (and
its flipped twin), and returns coordinates in sample order. Shards (``rank``/``world_size``) let
separate processes evaluate parts of one split and a single process merge them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from cnp_core._data.crops import PIXEL_MEAN, PIXEL_STD, crop_patch_u8, read_image
from cnp_core._data.patch_cache import PatchCache, PatchCacheConfig
from cnp_core._errors import DataError, ParameterError
from cnp_core._inference.precision import exact_float32


@dataclass(frozen=True)
class InferenceConfig:
    """How to run inference. ``workers``: DataLoader processes (``None`` picks for this machine)."""

    batch_size: int = 16
    workers: int | None = None
    device: str = "auto"
    flip: bool = True
    progress: bool = True
    batched_flip: bool = True
    patch_cache: PatchCacheConfig | None = None  # decode once: reuse cropped patches across runs

    def __post_init__(self) -> None:
        check_resource("batch_size", self.batch_size, 1, MAX_BATCH_SIZE, "images per forward")
        if self.workers is not None:
            check_resource("workers", self.workers, 0, MAX_WORKERS, "loader processes (0: load in this process)")


MAX_BATCH_SIZE = 4096
MAX_WORKERS = 64


def check_resource(name: str, value: object, low: int, high: int, what: str) -> None:
    """An integer resource setting within [low, high], or a :class:`ParameterError` saying the bounds."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ParameterError(name, value, f"use a whole number of {what} from {low} to {high}")


def resolve_device(spec: str = "auto") -> torch.device:
    """``auto`` -> CUDA when available, else CPU; otherwise the named device (checked)."""
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(spec)
    except RuntimeError:
        raise ParameterError("device", spec, "use auto, cpu, cuda or cuda:N") from None
    if device.type not in ("cpu", "cuda"):
        raise ParameterError("device", spec, f"cnp runs on cpu or cuda, not {device.type}; use auto, cpu, cuda or cuda:N")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ParameterError("device", spec, "CUDA is not available on this machine; use cpu or auto")
    return device


def auto_workers(device: torch.device) -> int:
    """Loader processes: enough to keep the model fed without taking its cores."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if device.type == "cuda":
        return max(1, min(8, cores - 1))
    return 1 if cores <= 4 else max(1, min(4, cores // 4))


class PatchDataset(Dataset[tuple[torch.Tensor, int, str]]):
    """Sample i -> (uint8 BGR H x W x 3 patch, i, error message or ''); rows ``cached`` marks are read
    from the patch cache's file instead of being decoded. Consecutive samples of one image (several
    people's boxes) decode it once."""

    def __init__(
        self,
        image_paths: Sequence[str],
        bboxes: np.ndarray,
        input_shape: tuple[int, int],
        cache_file: Path | None = None,
        cached: np.ndarray | None = None,
    ) -> None:
        self.image_paths = list(image_paths)
        self.bboxes = np.asarray(bboxes)
        self.input_shape = input_shape
        self.cache_file = cache_file
        self.cached = np.zeros(len(self.image_paths), dtype=bool) if cached is None else np.asarray(cached, dtype=bool)
        self._patches: np.ndarray | None = None
        self._last: tuple[str, np.ndarray] | None = None  # several boxes of one image: decode it once

    def __len__(self) -> int:
        return len(self.image_paths)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int, str]:
        if self.cached[index] and self.cache_file is not None:
            if self._patches is None:  # opened once per process (each loader worker has its own)
                self._patches = np.load(self.cache_file, mmap_mode="r", allow_pickle=False)
            return torch.from_numpy(np.array(self._patches[index])), index, ""
        path = self.image_paths[index]
        if self._last is not None and self._last[0] == path:
            image: np.ndarray | None = self._last[1]
        else:
            image = read_image(path)
            self._last = None if image is None else (path, image)
        if image is None:
            blank = torch.zeros(*self.input_shape, 3, dtype=torch.uint8)
            reason = "missing" if not os.path.exists(path) else "corrupt, cut short or not an image"
            return blank, index, f"cannot read image {path} ({reason}); re-extract or re-download it"
        return torch.from_numpy(crop_patch_u8(image, self.bboxes[index], self.input_shape)), index, ""


def normalize_batch(patches: torch.Tensor) -> torch.Tensor:
    """(B, H, W, 3) uint8 BGR -> (B, 3, H, W) float32 RGB ``(v - mean) / std``, on the patches' device:
    the same float32 operations as :func:`cnp_core._data.crops.normalize` of :func:`crop_patch`, so the
    same bits."""
    rgb = patches.flip(-1).permute(0, 3, 1, 2).to(torch.float32)
    mean = torch.tensor(PIXEL_MEAN, dtype=torch.float32, device=patches.device).view(1, 3, 1, 1)
    std = torch.tensor(PIXEL_STD, dtype=torch.float32, device=patches.device).view(1, 3, 1, 1)
    return (rgb - mean) / std


def _worker_init(_: int) -> None:
    """One thread per loader process; interrupts are the main process's to handle (it stops the
    workers), so a worker never prints a traceback of its own for Ctrl-C or SIGTERM."""
    import signal

    torch.set_num_threads(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextmanager
def _fork_safe_opencv(active: bool) -> Iterator[None]:
    """OpenCV's thread pool deadlocks in forked children: run it single-threaded while workers fork."""
    import cv2

    if not active:
        yield
        return
    previous = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(previous)


def shard_indices(n: int, rank: int, world_size: int) -> np.ndarray:
    """Contiguous block ``rank`` of ``world_size`` over ``n`` samples (sizes differ by at most one)."""
    bounds = np.linspace(0, n, world_size + 1).round().astype(np.int64)
    return np.arange(bounds[rank], bounds[rank + 1], dtype=np.int64)


def unflip(coords: torch.Tensor, width: int, flip_pairs: Sequence[tuple[int, int]]) -> torch.Tensor:
    """Coordinates predicted on a mirrored image -> the original image's frame (x' = W - x - 1, pairs swapped)."""
    out = coords.clone()
    out[:, :, 0] = width - coords[:, :, 0] - 1
    for a, b in flip_pairs:
        out[:, a, :], out[:, b, :] = out[:, b, :].clone(), out[:, a, :].clone()
    return out


def check_images_exist(paths: Sequence[str]) -> None:
    """Fail before any inference if an image file is missing (names the first and the count)."""
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        raise DataError(
            f"{len(missing)} of {len(paths)} images are missing, e.g. {missing[0]}; check --data-dir or run `cnp data check`"
        )


def predict_coords(
    model: nn.Module,
    image_paths: Sequence[str],
    bboxes: np.ndarray,
    config: InferenceConfig,
    *,
    flip_pairs: Sequence[tuple[int, int]] = (),
    output_width: int,
    input_shape: tuple[int, int] = (256, 256),
    indices: np.ndarray | None = None,
    description: str = "inference",
    patch_cache: PatchCache | None = None,
) -> np.ndarray:
    """(len(indices), J, 3) float32 coordinates in heatmap units for the samples at ``indices``.

    With ``config.flip`` the mirrored patch is run too and averaged (SPEC section 4, step 5).
    Patches come from ``patch_cache`` where it holds them (an entry for these images and boxes,
    opened once per run by the caller), else from ``config.patch_cache``'s entry, else decoded.
    """
    from tqdm import tqdm

    device = resolve_device(config.device)
    idx = np.arange(len(image_paths), dtype=np.int64) if indices is None else np.asarray(indices, dtype=np.int64)
    check_images_exist([image_paths[i] for i in idx])
    cache = patch_cache
    if cache is None and config.patch_cache is not None:
        cache = PatchCache(config.patch_cache, image_paths, bboxes, input_shape)
    cached = cache.filled.copy() if cache is not None and cache.enabled else None
    dataset = PatchDataset(image_paths, bboxes, input_shape, cache.data_path if cache is not None else None, cached)
    workers = auto_workers(device) if config.workers is None else config.workers
    if cached is not None and cached[idx].all():
        workers = 0  # nothing to decode: reading the cache in this process beats starting workers
    loader = DataLoader(
        torch.utils.data.Subset(dataset, idx.tolist()),
        batch_size=config.batch_size,
        shuffle=False,
        num_workers=workers,
        pin_memory=device.type == "cuda",
        worker_init_fn=_worker_init if workers > 0 else None,
        prefetch_factor=4 if workers > 0 else None,
        persistent_workers=False,
    )
    model = model.to(device).eval()
    position = {int(i): k for k, i in enumerate(idx)}
    result = np.zeros((len(idx), 0, 3), dtype=np.float32)
    bar = tqdm(total=len(idx), desc=description, unit="img", disable=not config.progress, leave=False)
    try:
        with _fork_safe_opencv(workers > 0), torch.inference_mode():
            for images, sample_ids, errors in loader:
                bad = [e for e in errors if e]
                if bad:
                    raise DataError(bad[0])
                if cache is not None:
                    rows = sample_ids.numpy()
                    new = ~cache.filled[rows]
                    if new.any():
                        cache.store(rows[new], images.numpy()[new])
                images = normalize_batch(images.to(device, non_blocking=True))
                coords = forward_coords(model, images, config, flip_pairs, output_width).float().cpu().numpy()
                if result.shape[1] == 0:
                    result = np.zeros((len(idx), coords.shape[1], 3), dtype=np.float32)
                rows = [position[int(s)] for s in sample_ids]
                result[rows] = coords
                bar.update(len(rows))
    finally:
        bar.close()
        if cache is not None:
            cache.flush()
    return result


def forward_coords(
    model: nn.Module,
    images: torch.Tensor,
    config: InferenceConfig,
    flip_pairs: Sequence[tuple[int, int]],
    output_width: int,
) -> torch.Tensor:
    """One batch -> (N, J, 3) coordinates; with ``config.flip`` averaged with the mirrored prediction.

    On CUDA the network runs in IEEE float32 (:func:`cnp_core._inference.precision.exact_float32`).
    """
    with exact_float32(images.device):
        if not config.flip:
            out: torch.Tensor = model(images)
            return out
        flipped = torch.flip(images, dims=[3])
        if config.batched_flip:
            both = model(torch.cat([images, flipped]))
            plain, mirrored = both[: len(images)], both[len(images) :]
        else:
            plain, mirrored = model(images), model(flipped)
        return (plain + unflip(mirrored, output_width, flip_pairs)) / 2.0
