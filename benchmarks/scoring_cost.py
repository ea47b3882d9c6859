"""Benchmark: what scoring every metric costs next to the headline alone, on a full-size split.

Usage: python benchmarks/scoring_cost.py [--samples 8695] [--resamples 1000] [--repeats 5] [--json]

Builds a Protocol 2-sized split (8,695 samples, 18 joints, RootNet-style estimated root, so every
metric including MRPE is computed) from random poses and random heatmap coordinates, then times,
median of ``--repeats``:

- ``headline``: the evaluator alone (what `cnp eval` scored before all metrics existed);
- ``all``: :func:`cnp_core._evaluation.scoring.score_predictions` (headline + every metric + bootstrap intervals);
- ``samples``: writing the compressed per-sample table (``samples.npz``).

The extra seconds are then set against the model time of the same split (``--images-per-s``, the
measured `cnp eval` rate of the variant on the machine; M with flip on the README's CPU by default).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from report_output import emit  # this folder is on sys.path when a script runs


def synthetic_split(n: int, seed: int = 0):  # type: ignore[no-untyped-def]
    from cnp_core import EvalSplit

    rng = np.random.default_rng(seed)
    joints = rng.normal(0, 300, size=(n, 18, 3)).astype(np.float32) + np.array([0, 0, 5000], dtype=np.float32)
    return EvalSplit(
        name="bench",
        image_ids=np.arange(n),
        image_paths=tuple(f"images/{i:07d}.jpg" for i in range(n)),
        bboxes=np.tile(np.array([300.0, 200.0, 400.0, 400.0]), (n, 1)),
        root_cam=joints[:, 0].astype(np.float64) + rng.normal(0, 50, size=(n, 3)),
        joint_cam=joints,
        focal=np.full((n, 2), 1145.0, dtype=np.float32),
        center=np.full((n, 2), 500.0, dtype=np.float32),
        actions=rng.integers(0, 15, size=n),
        action_names=tuple(f"action{a}" for a in range(15)),
        joint_names=tuple(f"j{j}" for j in range(18)),
        flip_pairs=((1, 4), (2, 5), (3, 6), (14, 11), (15, 12), (16, 13)),
        root_index=0,
        eval_joints=tuple(range(17)),
        estimated_root=True,
        sample_columns={"sequence": np.array([f"S9_action{a}_1" for a in rng.integers(0, 15, size=n)])},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=8695)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--images-per-s", type=float, default=11.0, help="the variant's measured cnp eval rate")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import torch

    from cnp_core import get_variant
    from cnp_core._evaluation.scoring import BootstrapOptions, score_predictions
    from cnp_core._inference.benchmark import device_name
    from cnp_core._output.run_folder import write_samples
    from cnp_h36m.protocols import EVALUATORS

    variant = get_variant("M")
    split = synthetic_split(args.samples)
    coords = np.random.default_rng(1).uniform(0, 64, size=(args.samples, 18, 3)).astype(np.float32)
    evaluator = EVALUATORS[0]
    times: dict[str, list[float]] = {"headline": [], "all": [], "samples": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            start = time.perf_counter()
            evaluator.evaluate(split, coords, variant)
            times["headline"].append(time.perf_counter() - start)
            start = time.perf_counter()
            scores = score_predictions(split, coords, variant, evaluator, BootstrapOptions(args.resamples, 0))
            times["all"].append(time.perf_counter() - start)
            start = time.perf_counter()
            write_samples(Path(tmp) / "samples.npz", scores.samples)
            times["samples"].append(time.perf_counter() - start)
        size = (Path(tmp) / "samples.npz").stat().st_size
    median = {k: statistics.median(v) for k, v in times.items()}
    extra = median["all"] - median["headline"] + median["samples"]
    model = args.samples / args.images_per_s
    report = {
        "cpu": device_name(torch.device("cpu")),
        "isa": torch.backends.cpu.get_cpu_capability(),
        "samples": args.samples,
        "resamples": args.resamples,
        "median_s": {k: round(v, 3) for k, v in median.items()},
        "extra_s": round(extra, 3),
        "samples_npz_mb": round(size / 1e6, 2),
        "model_s_at_rate": round(model, 1),
        "extra_pct_of_eval": round(100 * extra / model, 3),
    }
    emit(report, args.json)


if __name__ == "__main__":
    main()
