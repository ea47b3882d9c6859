"""Benchmark: evaluating a series of checkpoints (every epoch of a run) with the patch cache.

Usage: python benchmarks/checkpoint_series.py [--variant M] [--checkpoints 3] [--frames 8] [--workers auto] [--json]

Writes a synthetic Human3.6M (1000x1002 JPEGs; ``--frames 8`` gives 240 Protocol 2 samples) and
``--checkpoints`` random-weight checkpoints of one variant, then runs ``cnp eval`` over all of them
in one fresh process, twice: with an empty patch cache (the first checkpoint decodes, the later ones
read the cache) and again with the cache filled (no checkpoint decodes). Reports, per checkpoint,
the loop's images/s (the record's ``images_per_s``), the model-only rate of the same forward
(`cnp_core._inference.benchmark`, batch and flip alike), their ratio, and each process's wall time and the part
of it spent outside the loops (start-up, split, verification, scoring, writing). Names the CPU and
its ISA. Default ``--workers auto``, batch 16, flip test on.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from report_output import emit  # this folder is on sys.path when a script runs


def run(args: list[str], env: dict[str, str]) -> tuple[list[dict[str, Any]], float]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "cnp_cli", "eval", *args, "--json"], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"cnp eval failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variant", default="M")
    parser.add_argument("--checkpoints", type=int, default=3)
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--workers", default="auto")
    parser.add_argument("--iters", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import torch

    from cnp_core import random_state_dict, write_checkpoint
    from cnp_core._inference.benchmark import BenchmarkConfig, benchmark_variant, device_name
    from cnp_h36m.constants import FLIP_PAIRS
    from cnp_h36m.synth import SynthConfig, generate

    config = BenchmarkConfig(
        batch_sizes=(args.batch_size,), device="cpu", flip=True, iters=args.iters, warmup=1, flip_pairs=FLIP_PAIRS
    )
    report: dict[str, Any] = {
        "cpu": device_name(torch.device("cpu")),
        "isa": torch.backends.cpu.get_cpu_capability(),
        "cores": os.cpu_count(),
        "variant": args.variant,
        "batch_size": args.batch_size,
        "workers": args.workers,
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = root / "Human36M"
        generate(data, SynthConfig(subjects=(9, 11), subactions=(1,), cameras=(1, 2), frames=args.frames, seed=0))
        checkpoints = []
        for k in range(args.checkpoints):
            path = root / f"snapshot_{k}.pth.tar"
            write_checkpoint(random_state_dict(args.variant, seed=k), path, form="pth", epoch=k)
            checkpoints += ["--checkpoint", str(path)]
        env = {**os.environ, "CNP_CACHE_DIR": str(root / "cache")}
        common = ["--variant", args.variant, *checkpoints, "--data-dir", str(data), "--batch-size", str(args.batch_size)]
        common += ["--workers", args.workers, "--bootstrap", "0"]
        model = benchmark_variant(args.variant, config)["modes"]["optimized"][0]["images_per_s"]
        report["model_only_images_per_s"] = model
        for label in ("cold cache", "warm cache"):
            records, wall = run([*common, "--output", str(root / label.replace(" ", "_"))], env)
            loops = sum(r["elapsed_s"] for r in records)
            report[label] = {
                "process_wall_s": round(wall, 2),
                "outside_loops_s": round(wall - loops, 2),
                "images_per_s": [r["images_per_s"] for r in records],
                "of_model_only": [round(r["images_per_s"] / model, 3) for r in records],
                "samples": records[0]["num_samples"],
                "totals_mm": [r["total_mm"] for r in records],
            }
        assert report["cold cache"]["totals_mm"] == report["warm cache"]["totals_mm"], "the cache changed a number"
    emit(report, args.json)


if __name__ == "__main__":
    main()
