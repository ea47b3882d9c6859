"""Benchmark: the whole ``cnp eval`` path, optimised vs ``--no-optimize``, per variant.

Usage: python benchmarks/eval_speed.py [--variants M,L] [--batch-size 16] [--frames 4] [--repeats 3] [--no-flip] [--json]

Generates a synthetic Human3.6M once (``--frames 4`` gives 120 Protocol 2 test samples) and a
random-weight checkpoint per variant, then runs ``cnp eval`` as a fresh process in each mode,
``--repeats`` times interleaved (optimised, literal, optimised, ...: a slow spell of a shared machine
then hits both modes), and reports the median run per variant and mode:

- end-to-end images/s (the eval loop: decode, crop, forward, flip, collect) and the process wall time;
- model-only images/s (the same forward on a ready batch, same flip handling; `cnp_core.benchmark`);
- pipeline overhead: end-to-end / model-only, per repeat (model-only is re-measured each repeat),
  median (goal >= 0.9);
- peak RSS of the eval's main process (where the model runs; loader workers are separate);
- the optimised / literal ratio of the medians (and every run's rate in the JSON) and the
  difference of the totals (goal <= 1e-3 mm).

First and cached split-load times are measured once (they do not depend on the variant).
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

from split_load import phase  # this folder is on sys.path when the script runs

# Peak RSS is the process's own high-water mark (VmHWM, KiB): ru_maxrss would also count the
# parent's RSS at fork time, which Linux carries across exec.
EVAL = """
import resource, sys
from cnp_cli.app import main
rss_file = sys.argv[1]
sys.argv = ["cnp", *sys.argv[2:]]
try:
    main()
finally:
    try:
        with open("/proc/self/status") as fh:
            peak = next(line.split()[1] for line in fh if line.startswith("VmHWM:"))
    except OSError:
        peak = str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    with open(rss_file, "w") as fh:
        fh.write(peak)
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


def summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    """One mode's interleaved runs -> medians (end-to-end, model-only, overhead), every run's rate, peak RSS."""
    rates = [r["record"]["images_per_s"] for r in results]
    middle = sorted(results, key=lambda r: r["record"]["images_per_s"])[(len(results) - 1) // 2]
    return {
        "end_to_end_images_per_s": round(statistics.median(rates), 3),
        "end_to_end_images_per_s_runs": rates,
        "process_wall_s": round(middle["wall"], 2),
        "model_only_images_per_s": round(statistics.median(r["model"] for r in results), 3),
        "pipeline_overhead": round(statistics.median(r["record"]["images_per_s"] / r["model"] for r in results), 3),
        "peak_rss_mb": round(max(r["rss"] for r in results), 1),
        "total_mm": middle["record"]["total_mm"],
        "samples": middle["record"]["num_samples"],
    }


def model_only(variant: str, batch: int, flip: bool, iters: int) -> dict[str, float]:
    """Images/s of the forward alone per mode, as `cnp benchmark` measures it (median latency)."""
    from cnp_core.benchmark import BenchmarkConfig, benchmark_variant
    from cnp_h36m.constants import FLIP_PAIRS

    config = BenchmarkConfig(batch_sizes=(batch,), device="cpu", flip=flip, iters=iters, warmup=1, flip_pairs=FLIP_PAIRS)
    report = benchmark_variant(variant, config)
    return {mode: rows[0]["images_per_s"] for mode, rows in report["modes"].items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", default="XS,S,M,L")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--workers", default="auto")
    parser.add_argument("--frames", type=int, default=4, help="frames per sequence and camera (2 of 4 are test frames)")
    parser.add_argument("--iters", type=int, default=3, help="model-only timing iterations")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs per mode; the median is reported")
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
        first, cached = (phase(data, root / "split-cache")["seconds"] for _ in range(2))
        report["split_load_s"] = {"first": first, "cached": cached}
        for variant in args.variants.split(","):
            checkpoint = root / f"{variant}.pth.tar"
            write_checkpoint(random_state_dict(variant, seed=0), checkpoint, form="pth", epoch=0)
            runs: dict[str, list[dict[str, Any]]] = {"optimized": [], "literal": []}
            for _ in range(args.repeats):  # interleaved, so a slow spell of a shared machine hits both modes
                forward = model_only(variant, args.batch_size, flip, args.iters)
                for mode, flag in (("optimized", "--optimize"), ("literal", "--no-optimize")):
                    common = ["--variant", variant, "--checkpoint", str(checkpoint), "--data-dir", str(data)]
                    common += ["--batch-size", str(args.batch_size), "--workers", args.workers, flag]
                    common += ["--output", str(root / "out" / mode), "--flip" if flip else "--no-flip"]
                    record, wall, rss = run_eval(common, env, root / "rss.txt")
                    runs[mode].append({"record": record, "wall": wall, "rss": rss, "model": forward[mode]})
            modes: dict[str, Any] = {mode: summarize(results) for mode, results in runs.items()}
            for mode in runs:
                print(f"{variant} {mode}: {modes[mode]}", file=sys.stderr)
            opt, lit = modes["optimized"], modes["literal"]
            modes["speedup"] = round(opt["end_to_end_images_per_s"] / lit["end_to_end_images_per_s"], 2)
            pairs = zip(opt["end_to_end_images_per_s_runs"], lit["end_to_end_images_per_s_runs"], strict=True)
            modes["speedup_runs"] = [round(o / li, 2) for o, li in pairs]
            modes["total_abs_diff_mm"] = abs(opt["total_mm"] - lit["total_mm"])
            report["variants"][variant] = modes
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(
        f"batch {args.batch_size}, flip {'on' if flip else 'off'}, {report['cpu_cores']} cores; split load {report['split_load_s']}"
    )
    header = f"{'variant':>7} {'opt img/s':>10} {'lit img/s':>10} {'speedup':>8} {'model opt':>10} {'model lit':>10}"
    header += f" {'overhead':>9} {'RSS opt':>8} {'RSS lit':>8} {'|dtot| mm':>10}  speedup per repeat"
    print(header)
    for name, m in report["variants"].items():
        o, li = m["optimized"], m["literal"]
        print(
            f"{name:>7} {o['end_to_end_images_per_s']:>10.2f} {li['end_to_end_images_per_s']:>10.2f} {m['speedup']:>8.2f}"
            f" {o['model_only_images_per_s']:>10.2f} {li['model_only_images_per_s']:>10.2f} {o['pipeline_overhead']:>9.2f}"
            f" {o['peak_rss_mb']:>8.0f} {li['peak_rss_mb']:>8.0f} {m['total_abs_diff_mm']:>10.2e}"
            f"  {', '.join(f'{r:.2f}' for r in m['speedup_runs'])}"
        )


if __name__ == "__main__":
    main()
