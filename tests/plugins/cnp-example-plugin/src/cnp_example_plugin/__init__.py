"""A third-party plugin: adds variant ``XS-wide`` and a ``.npz`` checkpoint format, nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cnp_core import PaperNumbers, Variant, freeze_config, hookimpl

XS_WIDE = Variant(
    name="XS-wide",
    backbone="convnext-bn",
    backbone_config=freeze_config({"depths": (2, 2, 6, 2), "dims": (48, 96, 192, 384)}),
    head="deconv-2up",
    head_config=freeze_config({"channels": 192}),
    depth_dim=32,
    output_shape=(32, 32),
    paper=PaperNumbers(source="example plugin"),
    description="XS depths with S widths (third-party example)",
)


class NpzFormat:
    """Weights as a numpy ``.npz`` (loaded with allow_pickle=False)."""

    name = "npz"
    description = "numpy .npz of named arrays (example plugin)"
    priority = 1

    def detect(self, path: Path) -> bool:
        return path.is_file() and path.suffix == ".npz"

    def read(self, path: Path) -> Any:
        import numpy as np
        import torch

        from cnp_core.checkpoints import RawCheckpoint

        with np.load(path, allow_pickle=False) as data:
            state = {k: torch.from_numpy(data[k].copy()) for k in data.files}
        return RawCheckpoint(state, self.name, str(path))


@hookimpl
def cnp_register_variants(registrar: Any) -> None:
    registrar.register(XS_WIDE.name, XS_WIDE)


@hookimpl
def cnp_register_checkpoint_formats(registrar: Any) -> None:
    registrar.register(NpzFormat.name, NpzFormat())
