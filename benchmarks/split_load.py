"""Benchmark: parse a full-size Human3.6M test split (S9+S11 annotations, no images), then load it cached.

Usage: python benchmarks/split_load.py [--frames 2317] [--json]

``--frames 2317`` with frame step 1 gives about 556,000 images over S9+S11 like the real release.
Reports first-load and cached-load seconds and the peak RSS of each phase (fresh processes).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report_output import emit  # this folder is on sys.path when a script runs

PHASE = """
import resource, sys, time
from pathlib import Path
from cnp_core import SplitOptions
from cnp_h36m.dataset import Human36M
start = time.perf_counter()
split = Human36M().load_split(Path(sys.argv[1]), SplitOptions(cache_dir=Path(sys.argv[2])))
print(time.perf_counter() - start, len(split), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def phase(data: Path, cache: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", PHASE, str(data), str(cache)], capture_output=True, text=True, check=True)
    seconds, samples, rss = out.stdout.split()
    return {"seconds": round(float(seconds), 3), "samples": int(samples), "peak_rss_mb": round(float(rss), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=2317, help="frames per sequence and camera (step 1)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from cnp_h36m.synth import SynthConfig, generate

    with tempfile.TemporaryDirectory() as tmp:
        data, cache = Path(tmp) / "Human36M", Path(tmp) / "cache"
        start = time.perf_counter()
        counts = generate(data, SynthConfig(frames=args.frames, frame_step=1, images=False))
        size_mb = sum(f.stat().st_size for f in (data / "annotations").iterdir()) / 2**20
        report = {
            "images": counts["images"],
            "annotation_mb": round(size_mb, 1),
            "generate_s": round(time.perf_counter() - start, 1),
            "first_load": phase(data, cache),
            "cached_load": phase(data, cache),
        }
    emit(report, args.json)


if __name__ == "__main__":
    main()
