"""Benchmark: `cnp train` images/s with the official recipe (augmentation, stochastic depth, AdamW).

Usage: python benchmarks/train_speed.py [--variants XS,M] [--batch-size 32] [--steps 4] [--workers auto] [--json]

Writes a synthetic Human3.6M with the training subjects once (1000x1002 JPEGs, 150 training
samples), then trains each variant from random weights for ``--steps`` steps (the whole step:
decoding and augmenting in the DataLoader workers, forward, backward, AdamW) and reports the median
images/s of the steps after the first (which pays for start-up). Names the CPU and its ISA.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from report_output import emit  # this folder is on sys.path when a script runs


class _Enough(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", default="XS,M")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--workers", default="auto")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import torch

    from cnp_core import TrainConfig, train_model
    from cnp_core._inference.benchmark import device_name
    from cnp_h36m.synth import SynthConfig, generate

    report = {
        "cpu": device_name(torch.device("cpu")),
        "isa": torch.backends.cpu.get_cpu_capability(),
        "threads": torch.get_num_threads(),
        "batch_size": args.batch_size,
        "variants": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "Human36M"
        generate(data, SynthConfig(subjects=(1, 5, 6, 7, 8, 9, 11), subactions=(1,), cameras=(1,), frames=2, frame_step=5))
        for variant in args.variants.split(","):
            rates: list[float] = []

            def step(record: dict[str, object], rates: list[float] = rates) -> None:
                rates.append(float(record["images_per_s"]))  # type: ignore[arg-type]
                if len(rates) >= args.steps:
                    raise _Enough

            config = TrainConfig(epochs=10, batch_size=args.batch_size, warmup_epochs=1)
            try:
                train_model(
                    variant,
                    data,
                    dataset="h36m",
                    output_dir=Path(tmp) / variant,
                    config=config,
                    device="cpu",
                    workers=None if args.workers == "auto" else int(args.workers),
                    progress=False,
                    on_step=step,
                )
            except _Enough:
                pass
            report["variants"][variant] = {  # type: ignore[index]
                "images_per_s_median": round(statistics.median(rates[1:]), 2),
                "steps_measured": len(rates) - 1,
            }
    emit(report, args.json)


if __name__ == "__main__":
    main()
