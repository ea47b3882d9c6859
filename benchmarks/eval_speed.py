"""Benchmark: what a user runs, `cnp eval`, side by side with the official test loop on the same data and weights.

Usage: python benchmarks/eval_speed.py [--variants M,L] [--frames 8] [--repeats 2] [--workers auto]
       [--official-workers 20] [--batch-size 16] [--no-flip] [--json]

Writes a synthetic Human3.6M of 1000x1002 JPEGs (``--frames 8``: 240 Protocol 2 test samples) and
two random-weight checkpoints per variant. Per variant, ``--repeats`` times, interleaved (a slow
spell of a shared machine then hits every contestant), each in a fresh process:

1. the official loop (``official_loop.py``: its dataset code, ``DataLoader`` with 20 workers,
   literal network, float32 softmax, flip as a second forward);
2. ``cnp eval`` with empty split and patch caches over both checkpoints: the first checkpoint
   decodes every image, the later one reads the patches the first left;
3. ``cnp eval`` again with the caches filled, first checkpoint only: a user's next run.

It reports medians: each loop's images/s (``cnp eval``'s own ``images_per_s``; the official loop
timed the same way, from starting its loader to its last batch), each against the official loop;
the later checkpoint against model-only (the same forward on a ready batch, `cnp_core._inference.benchmark`);
the whole process (images / wall seconds of run 3, a 240-image run from process start to exit)
against the official loop; start-up (process start to the first forward, runs 2 and 3); and the
totals: cnp's must be identical with and without the caches; the official loop's float32 softmax
gives a total that differs from cnp's by float32 rounding (reported). Names the CPU and its ISA.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from report_output import emit  # this folder is on sys.path when a script runs

HERE = Path(__file__).resolve().parent

# `cnp eval` as the console script runs it, noting when the first batch reaches the network.
EVAL = """
import sys, time
import cnp_core._inference.engine as engine
stamp_file = sys.argv[1]
forward = engine.forward_coords
def first_forward(*args, **kwargs):
    if stamp_file:
        with open(stamp_file, "w") as fh:
            fh.write(repr(time.time()))
    engine.forward_coords = forward
    return forward(*args, **kwargs)
engine.forward_coords = first_forward
from cnp_cli.app import main
sys.argv = ["cnp", *sys.argv[2:]]
main()
"""


def cnp_eval(args: list[str], env: dict[str, str], stamp: Path) -> dict[str, Any]:
    """One ``cnp eval ... --json`` process: its records, wall seconds and seconds to the first forward."""
    stamp.unlink(missing_ok=True)
    start = time.time()
    proc = subprocess.run(
        [sys.executable, "-c", EVAL, str(stamp), "eval", *args, "--json"], capture_output=True, text=True, env=env
    )
    wall = time.time() - start
    if proc.returncode != 0:
        raise SystemExit(f"cnp eval failed ({proc.returncode}): {proc.stderr[-2000:]}")
    first = float(stamp.read_text()) - start if stamp.exists() else None
    return {"records": json.loads(proc.stdout), "wall_s": wall, "startup_s": first}


def official(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    start = time.time()
    proc = subprocess.run([sys.executable, str(HERE / "official_loop.py"), *args], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"official loop failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return {**json.loads(proc.stdout), "wall_s": time.time() - start}


def official_total(variant: str, data: Path, coords_file: Path) -> float:
    """Protocol 2 total of the official loop's coordinates, scored as cnp scores its own."""
    import numpy as np

    from cnp_core import SplitOptions, get_variant
    from cnp_core.plugin import registry, score_poses

    spec = get_variant(variant)
    split = registry("dataset").get("h36m").load_split(data, SplitOptions.of({}, input_shape=spec.input_shape))
    return float(score_poses(split, np.load(coords_file), spec, "mpjpe", "none").total_mm)


def model_only(variant: str, batch: int, flip: bool) -> float:
    from cnp_core import BenchmarkConfig, benchmark_variant
    from cnp_h36m.constants import FLIP_PAIRS

    config = BenchmarkConfig(batch_sizes=(batch,), device="cpu", flip=flip, iters=3, warmup=1, flip_pairs=FLIP_PAIRS)
    return float(benchmark_variant(variant, config)["modes"]["optimized"][0]["images_per_s"])


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def bench_variant(variant: str, root: Path, data: Path, args: argparse.Namespace) -> dict[str, Any]:
    from cnp_core import random_state_dict, write_checkpoint

    flip = not args.no_flip
    checkpoints = []
    for k in range(2):
        path = root / f"{variant}_{k}.pth.tar"
        write_checkpoint(random_state_dict(variant, seed=k), path, form="pth", epoch=k)
        checkpoints.append(path)
    flags = ["--variant", variant, "--data-dir", str(data), "--batch-size", str(args.batch_size), "--workers", args.workers]
    flags += ["--bootstrap", "0", "--flip" if flip else "--no-flip"]
    coords = root / "official_coords.npy"
    off_flags = ["--variant", variant, "--checkpoint", str(checkpoints[0]), "--data-dir", str(data), "--coords", str(coords)]
    off_flags += ["--workers", str(args.official_workers), "--batch-size", str(args.batch_size)] + ([] if flip else ["--no-flip"])
    runs: list[dict[str, Any]] = []
    for repeat in range(args.repeats):
        env = {**os.environ, "CNP_CACHE_DIR": str(root / f"cache_{variant}_{repeat}")}
        off = official(off_flags, env)
        off["total_mm"] = official_total(variant, data, coords)
        cold = cnp_eval(
            [
                *flags,
                "--checkpoint",
                str(checkpoints[0]),
                "--checkpoint",
                str(checkpoints[1]),
                "--output",
                str(root / f"cold{repeat}"),
            ],
            env,
            root / "stamp",
        )
        warm = cnp_eval(
            [*flags, "--checkpoint", str(checkpoints[0]), "--output", str(root / f"warm{repeat}")], env, root / "stamp"
        )
        runs.append({"official": off, "cold": cold, "warm": warm, "model_only": model_only(variant, args.batch_size, flip)})
        print(
            f"{variant} repeat {repeat + 1}: official {off['images_per_s']}, cnp first {cold['records'][0]['images_per_s']}, "
            f"later {cold['records'][1]['images_per_s']}, warm {warm['records'][0]['images_per_s']} img/s",
            file=sys.stderr,
        )
    samples = runs[0]["warm"]["records"][0]["num_samples"]
    totals = {r["cold"]["records"][0]["total_mm"] for r in runs} | {r["warm"]["records"][0]["total_mm"] for r in runs}
    assert len(totals) == 1, f"cnp's totals differ between runs or caches: {totals}"
    cnp_total = totals.pop()
    official_rate = median([r["official"]["images_per_s"] for r in runs])
    first = median([r["cold"]["records"][0]["images_per_s"] for r in runs])
    later = median([r["cold"]["records"][1]["images_per_s"] for r in runs])
    warm = median([r["warm"]["records"][0]["images_per_s"] for r in runs])
    process = median([samples / r["warm"]["wall_s"] for r in runs])
    model = median([r["model_only"] for r in runs])
    return {
        "samples": samples,
        "official_loop_images_per_s": official_rate,
        "official_process_wall_s": median([r["official"]["wall_s"] for r in runs]),
        "cnp_loop_images_per_s": {
            "first_checkpoint_empty_cache": first,
            "later_checkpoint": later,
            "next_run_filled_cache": warm,
        },
        "cnp_loop_vs_official": {
            "first_checkpoint_empty_cache": round(first / official_rate, 2),
            "later_checkpoint": round(later / official_rate, 2),
            "next_run_filled_cache": round(warm / official_rate, 2),
        },
        "model_only_images_per_s": model,
        "later_checkpoint_of_model_only": round(later / model, 3),
        "cnp_whole_process_images_per_s": process,
        "cnp_whole_process_vs_official_loop": round(process / official_rate, 2),
        "cnp_startup_s": {
            "empty_caches": median([r["cold"]["startup_s"] for r in runs]),
            "filled_caches": median([r["warm"]["startup_s"] for r in runs]),
        },
        "cnp_total_mm": cnp_total,
        "official_total_abs_diff_mm": statistics.median(abs(r["official"]["total_mm"] - cnp_total) for r in runs),
        "runs": [
            {
                "official": r["official"]["images_per_s"],
                "first": r["cold"]["records"][0]["images_per_s"],
                "later": r["cold"]["records"][1]["images_per_s"],
                "warm": r["warm"]["records"][0]["images_per_s"],
                "model_only": r["model_only"],
            }
            for r in runs
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", default="M,L")
    parser.add_argument("--frames", type=int, default=8, help="frames per sequence and camera (8: 240 test samples)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--workers", default="auto", help="cnp eval --workers (its default)")
    parser.add_argument("--official-workers", type=int, default=20, help="the official cfg.num_thread")
    parser.add_argument("--no-flip", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import torch

    from cnp_core._inference.benchmark import device_name
    from cnp_h36m.synth import SynthConfig, generate

    report: dict[str, Any] = {
        "cpu": device_name(torch.device("cpu")),
        "isa": torch.backends.cpu.get_cpu_capability(),
        "onednn_max_isa": os.environ.get("ONEDNN_MAX_CPU_ISA", "(not limited)"),
        "cores": os.cpu_count(),
        "batch_size": args.batch_size,
        "flip": not args.no_flip,
        "workers": args.workers,
        "official_workers": args.official_workers,
        "variants": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = root / "Human36M"
        generate(data, SynthConfig(subjects=(9, 11), subactions=(1,), cameras=(1, 2), frames=args.frames, seed=0))
        for variant in args.variants.split(","):
            report["variants"][variant] = bench_variant(variant, root, data, args)
    emit(report, args.json)


if __name__ == "__main__":
    main()
