"""Benchmark: where the optimised forward spends its time, per stage, with each stage's MAC rate.

Usage: python benchmarks/forward_profile.py [--variant M] [--batch-size 16] [--json]
       MKL_ENABLE_INSTRUCTIONS=AVX2 ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 python benchmarks/forward_profile.py   # AVX2 kernels

Times every convolution of the inference form (BatchNorm folded, channels_last, late upsampling)
during one flip-test forward (2 x batch images, after a warm-up), grouped by kind: the backbone's
pointwise 1x1 (the MLPs) and depthwise 7x7, the downsampling convolutions, the head's convolutions.
The rest of the forward (upsampling fused with the soft-argmax, activations, layout) is reported as
one remainder. A stage's GMAC/s set against the CPU's GEMM rate shows what is left to gain.

Two ceilings bound what any rewrite with the same arithmetic can reach (images/s with flip): every MAC
of the forward at the GEMM rate (the faster of ``torch.mm`` on the forward's own pointwise shapes and
the backbone's pointwise convolutions as timed), and the convolutions as timed with the rest free.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter, defaultdict
from typing import Any

from report_output import emit  # this folder is on sys.path when a script runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variant", default="M")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import torch

    from cnp_core import build_model, optimize_for_inference
    from cnp_core._inference.benchmark import device_name

    torch.manual_seed(0)
    model, _ = optimize_for_inference(build_model(args.variant))
    images = torch.randn(2 * args.batch_size, 3, 256, 256).contiguous(memory_format=torch.channels_last)
    stats: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    gemm_shapes: list[tuple[int, int, int]] = []  # (rows, in, out) of every pointwise call

    def timed(conv: torch.nn.Conv2d, kind: str) -> None:
        forward = conv.forward

        def run(x: torch.Tensor) -> torch.Tensor:
            start = time.perf_counter()
            out = forward(x)
            stats[kind][0] += time.perf_counter() - start
            stats[kind][1] += out.numel() * (conv.in_channels // conv.groups) * conv.kernel_size[0] * conv.kernel_size[1]
            if conv.kernel_size == (1, 1) and conv.groups == 1:
                gemm_shapes.append((out.numel() // conv.out_channels, conv.in_channels, conv.out_channels))
            return out

        conv.forward = run  # type: ignore[method-assign]

    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Conv2d):
            k = "x".join(map(str, module.kernel_size))
            shape = f"depthwise {k}" if module.groups > 1 else f"{'pointwise' if k == '1x1' else 'dense'} {k}"
            timed(module, f"{'backbone' if 'backbone' in name else 'head'} {shape}")
    with torch.inference_mode():
        model(images)
        for value in stats.values():
            value[:] = [0.0, 0.0]
        gemm_shapes.clear()
        start = time.perf_counter()
        model(images)
        total = time.perf_counter() - start
    stages: dict[str, Any] = {}
    for kind, (seconds, macs) in sorted(stats.items(), key=lambda kv: -kv[1][0]):
        stages[kind] = {"s": round(seconds, 4), "share": round(seconds / total, 3), "gmac_per_s": round(macs / 1e9 / seconds, 1)}
    rest = total - sum(s for s, _ in stats.values())
    pointwise = stats["backbone pointwise 1x1"]
    gemm_rate = max(_gemm_rate(torch, gemm_shapes), pointwise[1] / pointwise[0])  # the faster of MKL and oneDNN
    all_macs = sum(m for _, m in stats.values())
    stages["rest (upsampling + soft-argmax, activations, layout)"] = {"s": round(rest, 4), "share": round(rest / total, 3)}
    report = {
        "cpu": device_name(torch.device("cpu")),
        "isa": torch.backends.cpu.get_cpu_capability(),
        "threads": torch.get_num_threads(),
        "variant": args.variant,
        "images": 2 * args.batch_size,
        "forward_s": round(total, 3),
        "images_per_s_with_flip": round(args.batch_size / total, 2),
        "stages": stages,
        "gemm_gmac_per_s": round(gemm_rate / 1e9, 1),
        "forward_gmacs": round(all_macs / 1e9, 2),
        # bounds on images/s (with flip): every MAC at the GEMM rate; the convolutions as timed, the rest free
        "ceiling_all_at_gemm_rate": round(args.batch_size * gemm_rate / all_macs, 2),
        "ceiling_rest_free": round(args.batch_size / (total - rest), 2),
    }
    emit(report, args.json)


def _gemm_rate(torch: Any, shapes: list[tuple[int, int, int]]) -> float:
    """MACs per second of plain ``torch.mm`` on the forward's own pointwise shapes (best of 3)."""
    counts = Counter(shapes)  # one pair of operands per distinct shape, multiplied as often as the forward does
    operands = [(torch.randn(rows, n_in), torch.randn(n_in, n_out), n) for (rows, n_in, n_out), n in counts.items()]
    macs = sum(rows * n_in * n_out for rows, n_in, n_out in shapes)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for a, b, n in operands:
            for _ in range(n):
                torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return macs / best


if __name__ == "__main__":
    main()
