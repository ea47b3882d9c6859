"""Benchmark: the whole ``cnp eval`` path, optimised vs ``--no-optimize``, per variant.

Usage: python benchmarks/eval_speed.py [--variants M,L] [--batch-size 16] [--frames 4] [--no-flip] [--json]

Generates a synthetic Human3.6M once (``--frames 4`` gives 120 Protocol 2 test samples) and a
random-weight checkpoint per variant, then runs ``cnp eval`` as a fresh process in each mode and
reports, per variant and mode:

- end-to-end images/s (the eval loop: decode, crop, forward, flip, collect) and the process wall time;
- model-only images/s (the same forward on a ready batch, same flip handling);
- pipeline overhead: end-to-end / model-only (goal >= 0.9);
- peak RSS of the eval's main process (where the model runs; loader workers are separate);
- the optimised / literal ratio and the difference of the totals (goal <= 1e-3 mm).

First and cached split-load times are measured once (they do not depend on the variant).
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

SPLIT_LOAD = """
import sys, time
from pathlib import Path
from cnp_core.datasets import SplitOptions
from cnp_h36m.dataset import Human36M
start = time.perf_counter()
Human36M().load_split(Path(sys.argv[1]), SplitOptions())
print(time.perf_counter() - start)
"""


EVAL = """
import resource, sys
from cnp_cli.app import main
rss_file = sys.argv[1]
sys.argv = ["cnp", *sys.argv[2:]]
try:
    main()
finally:
    with open(rss_file, "w") as fh:
        fh.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
"""


def run_eval(args: list[str], env: dict[str, str], rss_file: Path) -> tuple[dict[str, Any], float, float]:
    """Run ``cnp eval ... --json`` in a fresh process; (record, wall seconds, peak RSS MiB of the main process)."""
    cmd = [sys.executable, "-c", EVAL, str(rss_file), "eval", *args, "--json"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"cnp eval failed ({proc.returncode}): {proc.stderr[-2000:]}")
    record = json.loads(proc.stdout)[0]
    return record, wall, int(rss_file.read_text()) / 1024


def model_only(variant: str, checkpoint: Path, optimize: bool, batch: int, flip: bool, iters: int) -> float:
    """Images/s of the forward pass alone (batch of ``batch`` images; flip doubles the forward)."""
    import torch

    from cnp_core import get_variant
    from cnp_core.checkpoints import load_checkpoint
    from cnp_core.engine import InferenceConfig, forward_coords
    from cnp_core.model import build_model
    from cnp_core.optimize import optimize_for_inference
    from cnp_h36m.constants import FLIP_PAIRS

    spec = get_variant(variant)
    model = build_model(spec)
    load_checkpoint(model, checkpoint)
    model.eval()
    if optimize:
        model, _ = optimize_for_inference(model)
    config = InferenceConfig(batch_size=batch, flip=flip, batched_flip=optimize)
    images = torch.randn(batch, 3, *spec.input_shape)
    pairs = FLIP_PAIRS
    with torch.inference_mode():
        forward_coords(model, images, config, pairs, spec.output_shape[1])  # warm-up
        start = time.perf_counter()
        for _ in range(iters):
            forward_coords(model, images, config, pairs, spec.output_shape[1])
        elapsed = time.perf_counter() - start
    return batch * iters / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", default="XS,S,M,L")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--workers", default="auto")
    parser.add_argument("--frames", type=int, default=4, help="frames per sequence and camera (2 of 4 are test frames)")
    parser.add_argument("--iters", type=int, default=3, help="model-only timing iterations")
    parser.add_argument("--no-flip", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from cnp_core.checkpoints import write_checkpoint
    from cnp_core.checkpoints.synthetic import random_state_dict
    from cnp_h36m.synth import SynthConfig, generate

    flip = not args.no_flip
    report: dict[str, Any] = {"batch_size": args.batch_size, "flip": flip, "cpu_cores": os.cpu_count(), "variants": {}}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = root / "Human36M"
        env = {**os.environ, "CNP_CACHE_DIR": str(root / "cache")}
        generate(data, SynthConfig(subjects=(9, 11), subactions=(1,), cameras=(1, 2), frames=args.frames, seed=0))
        loads = []
        for _ in range(2):
            out = subprocess.run(
                [sys.executable, "-c", SPLIT_LOAD, str(data)], env=env, capture_output=True, text=True, check=True
            )
            loads.append(round(float(out.stdout), 3))
        report["split_load_s"] = {"first": loads[0], "cached": loads[1]}
        for variant in args.variants.split(","):
            checkpoint = root / f"{variant}.pth.tar"
            write_checkpoint(random_state_dict(variant, seed=0), checkpoint, form="pth", epoch=0)
            modes: dict[str, Any] = {}
            for mode, flag in (("optimized", "--optimize"), ("literal", "--no-optimize")):
                common = ["--variant", variant, "--checkpoint", str(checkpoint), "--data-dir", str(data)]
                common += ["--batch-size", str(args.batch_size), "--workers", args.workers, flag]
                common += ["--output", str(root / "out" / mode), "--flip" if flip else "--no-flip"]
                record, wall, rss = run_eval(common, env, root / "rss.txt")
                forward = model_only(variant, checkpoint, mode == "optimized", args.batch_size, flip, args.iters)
                modes[mode] = {
                    "end_to_end_images_per_s": record["images_per_s"],
                    "process_wall_s": round(wall, 2),
                    "model_only_images_per_s": round(forward, 3),
                    "pipeline_overhead": round(record["images_per_s"] / forward, 3),
                    "peak_rss_mb": round(rss, 1),
                    "total_mm": record["total_mm"],
                    "samples": record["num_samples"],
                }
                print(f"{variant} {mode}: {modes[mode]}", file=sys.stderr)
            opt, lit = modes["optimized"], modes["literal"]
            modes["speedup"] = round(opt["end_to_end_images_per_s"] / lit["end_to_end_images_per_s"], 2)
            modes["total_abs_diff_mm"] = abs(opt["total_mm"] - lit["total_mm"])
            report["variants"][variant] = modes
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(
        f"batch {args.batch_size}, flip {'on' if flip else 'off'}, {report['cpu_cores']} cores; split load {report['split_load_s']}"
    )
    header = f"{'variant':>7} {'opt img/s':>10} {'lit img/s':>10} {'speedup':>8} {'model opt':>10} {'model lit':>10}"
    header += f" {'overhead':>9} {'RSS opt':>8} {'RSS lit':>8} {'|dtot| mm':>10}"
    print(header)
    for name, m in report["variants"].items():
        o, li = m["optimized"], m["literal"]
        print(
            f"{name:>7} {o['end_to_end_images_per_s']:>10.2f} {li['end_to_end_images_per_s']:>10.2f} {m['speedup']:>8.2f}"
            f" {o['model_only_images_per_s']:>10.2f} {li['model_only_images_per_s']:>10.2f} {o['pipeline_overhead']:>9.2f}"
            f" {o['peak_rss_mb']:>8.0f} {li['peak_rss_mb']:>8.0f} {m['total_abs_diff_mm']:>10.2e}"
        )


if __name__ == "__main__":
    main()
