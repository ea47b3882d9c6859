"""The built-in demo: a small synthetic Human3.6M and random-weight checkpoints, cached once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cnp_core

DEMO_VERSION = 3  # 2: complete.json records every file's size; 3: one folder per dataset


def demo_root(cache_dir: Path | None = None) -> Path:
    return (cache_dir or cnp_core.default_cache_dir()) / "demo" / f"v{DEMO_VERSION}"


def demo_checkpoint(root: Path, variant: str) -> Path:
    """A random-weight checkpoint in the published ``ConvNeXtPose_{V}.tar`` form (zip of snapshot_0.pth/)."""
    from cnp_core import CheckpointError, random_state_dict, read_checkpoint, write_checkpoint

    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in variant)
    path = root / "checkpoints" / f"ConvNeXtPose_{safe}.tar"
    if path.is_file():
        try:
            read_checkpoint(path)
            return path
        except CheckpointError:
            pass  # damaged: write it again
    style = "legacy-head-keys" if variant in ("M", "L") else None  # as the M/L releases name the head
    try:
        write_checkpoint(random_state_dict(variant, seed=0), path, form="zip-tar", epoch=0, key_style=style)
    except cnp_core.OutputError as exc:
        raise cnp_core.OutputError(f"{exc} (the demo cache; set CNP_CACHE_DIR to a writable folder)") from None
    return path


def demo_inputs(variant: str, dataset: str, checkpoints: list[Path], dist: Any) -> tuple[Path, list[Path]]:
    """The demo's data folder and checkpoints (random weights of ``variant`` unless given), written
    by rank 0 under torchrun while the others wait."""
    from cnp_cli.console import err

    root = demo_root()
    if dist.is_main:
        err.print(
            f"[bold yellow]demo:[/] synthetic {dataset} data and RANDOM weights: the numbers check the pipeline only, they say nothing about the model."
        )
    else:
        dist.barrier()  # wait until rank 0 has written the demo files
    data_dir = cnp_core.demo_data(root, dataset)
    paths = checkpoints or [demo_checkpoint(root, cnp_core.get_variant(variant).name)]
    if dist.is_main:
        dist.barrier()  # written: let the other ranks read them
    return data_dir, paths
