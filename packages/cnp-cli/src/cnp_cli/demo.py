"""The built-in demo: a small synthetic Human3.6M and random-weight checkpoints, cached once."""

from __future__ import annotations

from pathlib import Path

from cnp_core.atomic import staged_dir, write_json

DEMO_VERSION = 1


def demo_root(cache_dir: Path | None = None) -> Path:
    from cnp_h36m.cache import default_cache_dir

    return (cache_dir or default_cache_dir()) / "demo" / f"v{DEMO_VERSION}"


def demo_data(root: Path) -> Path:
    """S9+S11, 15 actions, 2 cameras, 2 frames each (60 test samples); generated on first use."""
    from cnp_h36m.synth import SynthConfig, generate

    data = root / "Human36M"
    if (data / "complete.json").is_file():
        return data
    with staged_dir(data) as tmp:
        counts = generate(tmp, SynthConfig(subjects=(9, 11), subactions=(1,), cameras=(1, 2), frames=2, seed=0))
        write_json(tmp / "complete.json", counts)
    return data


def demo_checkpoint(root: Path, variant: str) -> Path:
    """A random-weight checkpoint in the published ``ConvNeXtPose_{V}.tar`` form (zip of snapshot_0.pth/)."""
    from cnp_core.checkpoints import write_checkpoint
    from cnp_core.checkpoints.synthetic import random_state_dict

    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in variant)
    path = root / "checkpoints" / f"ConvNeXtPose_{safe}.tar"
    if not path.is_file():
        write_checkpoint(random_state_dict(variant, seed=0), path, form="zip-tar", epoch=0, legacy_head=variant in ("M", "L"))
    return path
