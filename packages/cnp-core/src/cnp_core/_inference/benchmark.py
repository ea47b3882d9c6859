"""Model speed and size without data or checkpoints: latency percentiles, throughput, peak memory."""

from __future__ import annotations

import platform
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cnp_core._inference.engine import InferenceConfig, forward_coords, resolve_device
from cnp_core._model.variants import Variant, get_variant
from cnp_core._plugins.host import PluginHost

MODES = ("optimized", "literal")


@dataclass(frozen=True)
class BenchmarkConfig:
    """What to time. ``iters`` timed forwards per batch size, after ``warmup`` untimed ones."""

    batch_sizes: tuple[int, ...] = (1, 16)
    device: str = "auto"
    flip: bool = True
    iters: int = 10
    warmup: int = 2
    modes: tuple[str, ...] = MODES
    flip_pairs: tuple[tuple[int, int], ...] = ()
    seed: int = 0


def device_name(device: torch.device) -> str:
    """The GPU's name, or the CPU model."""
    if device.type == "cuda":
        return str(torch.cuda.get_device_name(device))
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _reset_peak(device: torch.device) -> bool:
    """Start a fresh peak-memory window; False where only the process lifetime peak is available."""
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
        return True
    try:  # Linux: writing 5 to clear_refs resets the peak RSS (VmHWM)
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_forward(
    model: torch.nn.Module, variant: Variant, batch: int, config: BenchmarkConfig, device: torch.device, batched_flip: bool
) -> dict[str, Any]:
    """Latency percentiles, images/s and peak memory of ``model`` on one batch size."""
    generator = torch.Generator().manual_seed(config.seed)
    images = torch.randn(batch, 3, *variant.input_shape, generator=generator).to(device)
    inference = InferenceConfig(batch_size=batch, flip=config.flip, batched_flip=batched_flip, progress=False)
    width = variant.output_shape[1]
    windowed = _reset_peak(device)
    latencies = []
    with torch.inference_mode():
        for _ in range(config.warmup):
            forward_coords(model, images, inference, config.flip_pairs, width)
        _sync(device)
        for _ in range(config.iters):
            start = time.perf_counter()
            forward_coords(model, images, inference, config.flip_pairs, width)
            _sync(device)
            latencies.append(time.perf_counter() - start)
    ms = np.array(latencies) * 1000.0
    p50 = float(np.percentile(ms, 50))
    return {
        "batch_size": batch,
        "latency_ms_p50": round(p50, 3),
        "latency_ms_p90": round(float(np.percentile(ms, 90)), 3),
        "images_per_s": round(batch * 1000.0 / p50, 3),
        "peak_memory_mb": round(_peak_mb(device), 1),
        "peak_memory_kind": "cuda max allocated"
        if device.type == "cuda"
        else ("process peak RSS" if windowed else "process lifetime peak RSS"),
    }


def benchmark_variant(
    variant: str | Variant, config: BenchmarkConfig = BenchmarkConfig(), host: PluginHost | None = None
) -> dict[str, Any]:
    """Params, GMACs and, per mode (optimised / literal) and batch size, latency and throughput."""
    from cnp_core._checkpoints.random_weights import random_state_dict
    from cnp_core._model.counting import count_gmacs, count_params
    from cnp_core._model.optimize import optimize_for_inference
    from cnp_core._model.pose_model import build_model

    spec = get_variant(variant, host)
    device = resolve_device(config.device)
    literal = build_model(spec, host=host)
    literal.load_state_dict(random_state_dict(spec, seed=config.seed, host=host))
    literal.eval()
    report: dict[str, Any] = {
        "variant": spec.name,
        "params_m": round(count_params(literal) / 1e6, 6),
        "gmacs": round(count_gmacs(literal, spec.input_shape), 4),
        "device": str(device),
        "device_name": device_name(device),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "flip": config.flip,
        "iters": config.iters,
        "warmup": config.warmup,
        "modes": {},
        "notes": [],
    }
    for mode in config.modes:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; use {', '.join(MODES)}")
        model: torch.nn.Module = literal
        if mode == "optimized":
            model, notes = optimize_for_inference(literal)
            report["notes"] = notes
        model = model.to(device).eval()
        report["modes"][mode] = [
            time_forward(model, spec, b, config, device, batched_flip=mode == "optimized") for b in config.batch_sizes
        ]
    if set(MODES) <= set(report["modes"]):
        report["speedup"] = {
            str(o["batch_size"]): round(o["images_per_s"] / lit["images_per_s"], 3)
            for o, lit in zip(report["modes"]["optimized"], report["modes"]["literal"], strict=True)
        }
    return report


def parse_sizes(spec: str | Sequence[int]) -> tuple[int, ...]:
    """``"1,16"`` -> (1, 16); every size must be a positive integer."""
    from cnp_core._errors import ParameterError

    parts = spec.split(",") if isinstance(spec, str) else [str(s) for s in spec]
    sizes = []
    for part in parts:
        if not part.strip().isdigit() or int(part) < 1:
            raise ParameterError("batch_size", spec, "use positive integers separated by commas, e.g. 1,16")
        sizes.append(int(part))
    return tuple(sizes)


def benchmark_config(
    variants: str | Sequence[str],
    *,
    batch_sizes: str | Sequence[int] = (1, 16),
    mode: str = "both",
    dataset: str,
    device: str = "auto",
    flip: bool = True,
    iters: int = 10,
    warmup: int = 2,
) -> tuple[list[str], BenchmarkConfig]:
    """The variant names (``"XS,M"`` or a list) and a checked :class:`BenchmarkConfig`: ``mode``
    both, optimized or literal; each variant must predict ``dataset``'s joints (its flip pairs are
    swapped in the flip test). What ``cnp benchmark`` calls before :func:`benchmark_variant`."""
    from cnp_core._data.records import check_joints_fit
    from cnp_core._errors import ParameterError
    from cnp_core._model.variants import get_variant
    from cnp_core._plugins.host import registry

    if mode not in ("both", *MODES):
        raise ParameterError("mode", mode, "use both, optimized or literal")
    names = [v.strip() for v in variants.split(",")] if isinstance(variants, str) else list(variants)
    specs = [get_variant(v) for v in names if v]
    if not specs:
        raise ParameterError("variant", str(variants), "name at least one variant, e.g. XS,M")
    info = registry("dataset").get(dataset).info
    for spec in specs:
        check_joints_fit(spec, info, dataset)
    config = BenchmarkConfig(
        batch_sizes=parse_sizes(batch_sizes),
        device=device,
        flip=flip,
        iters=iters,
        warmup=warmup,
        modes=MODES if mode == "both" else (mode,),
        flip_pairs=info.flip_pairs,
    )
    return [spec.name for spec in specs], config


__all__ = ["BenchmarkConfig", "benchmark_config", "benchmark_variant", "device_name", "parse_sizes", "time_forward"]
