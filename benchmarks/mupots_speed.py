"""Benchmark: `cnp eval --dataset mupots` against the official test loop on the same synthetic MuPoTS-3D.

Usage: python benchmarks/mupots_speed.py [--variant XS-muco] [--sequences 20] [--frames 3] [--repeats 2]
       [--official-workers 20] [--json]

Writes a synthetic MuPoTS-3D at the official image sizes (TS1-5 2048x2048, TS6-20 1920x1080 JPEGs;
three people per sequence, RootNet boxes: more and fewer than the people) and a random-weight
checkpoint, then, ``--repeats`` times, interleaved, each in a fresh process: the official loop
(``official_loop.py --dataset mupots``: its per-sample dataset code, 20 loader workers, literal
network, flip as a second forward) and ``cnp eval`` with empty caches (its default workers). Reports
median images/s and boxes/s of each loop (``cnp eval``'s own timing; the official loop timed from
its loader's start to its last batch), the ratio, and the CPU with its ISA.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from report_output import emit  # this folder is on sys.path when a script runs

HERE = Path(__file__).resolve().parent


def _run(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[1]} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variant", default="XS-muco")
    parser.add_argument("--sequences", type=int, default=20)
    parser.add_argument("--frames", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--official-workers", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import torch

    from cnp_core import random_state_dict, write_checkpoint
    from cnp_core._inference.benchmark import device_name
    from cnp_mupots.synth import MupotsSynthConfig, generate

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        counts = generate(
            root / "MuPoTS", MupotsSynthConfig(sequences=tuple(range(1, args.sequences + 1)), frames=args.frames, image_scale=1.0)
        )
        ckpt = write_checkpoint(random_state_dict(args.variant, seed=1), root / "w.pth.tar", form="pth")
        runs: dict[str, list[dict[str, Any]]] = {"official": [], "cnp": []}
        for r in range(args.repeats):
            env = {**os.environ, "CNP_CACHE_DIR": str(root / f"cache{r}")}
            official = [sys.executable, str(HERE / "official_loop.py"), "--variant", args.variant, "--checkpoint", str(ckpt)]
            official += ["--data-dir", str(root / "MuPoTS"), "--dataset", "mupots", "--workers", str(args.official_workers)]
            runs["official"].append(_run(official, env))
            cnp = [
                sys.executable,
                "-m",
                "cnp_cli",
                "eval",
                "--variant",
                args.variant,
                "--dataset",
                "mupots",
                "--checkpoint",
                str(ckpt),
            ]
            cnp += ["--data-dir", str(root / "MuPoTS"), "--output", str(root / f"out{r}"), "--json", "--bootstrap", "0"]
            (record,) = _run(cnp, env)
            runs["cnp"].append({"loop_s": record["elapsed_s"], "samples": record["num_samples"]})
    boxes = counts["boxes"]
    images = counts["images"]
    official_s = statistics.median(r["loop_s"] for r in runs["official"])
    cnp_s = statistics.median(r["loop_s"] for r in runs["cnp"])
    report = {
        "cpu": device_name(torch.device("cpu")),
        "isa": torch.backends.cpu.get_cpu_capability(),
        "variant": args.variant,
        "images": images,
        "boxes": boxes,
        "official": {
            "loop_s": round(official_s, 3),
            "images_per_s": round(images / official_s, 3),
            "boxes_per_s": round(boxes / official_s, 3),
        },
        "cnp": {"loop_s": round(cnp_s, 3), "images_per_s": round(images / cnp_s, 3), "boxes_per_s": round(boxes / cnp_s, 3)},
        "speedup": round(official_s / cnp_s, 2),
        "runs": runs,
    }
    emit(report, args.json)


if __name__ == "__main__":
    main()
