"""A third-party plugin, written from the plugin guide (docs/plugins.md) alone.

It adds, through the entry-point group ``cnp``:
- variant ``XS-wide`` (XS depths, S widths) on the stock 2-UP head;
- head ``transpose-up`` (two stride-2 transposed convolutions, not the DeConv head) and variant
  ``XS-tiny14`` using it, predicting 14 joints;
- dataset ``h36m-14``: a 14-joint view of Human3.6M (Torso, Neck, Nose and Thorax dropped) with its
  own flip pairs, its evaluator ``mpjpe-14`` and a training split (``cnp train --dataset h36m-14``);
- checkpoint format ``npz`` (numpy ``.npz`` of named arrays, read without pickle).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from cnp_core import DatasetInfo, PaperNumbers, Variant, freeze_config, hookimpl
from cnp_h36m.options import OPTIONS as H36M_OPTIONS

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

XS_TINY14 = Variant(
    name="XS-tiny14",
    backbone="convnext-bn",
    backbone_config=freeze_config({"depths": (2, 2, 6, 2), "dims": (40, 80, 160, 320)}),
    head="transpose-up",
    head_config=freeze_config({"channels": 96}),
    depth_dim=32,
    output_shape=(32, 32),
    joint_num=14,
    paper=PaperNumbers(source="example plugin"),
    description="XS backbone, transposed-convolution head, 14 joints (third-party example)",
)

# The 14 joints, as indices into Human3.6M's 18 (Pelvis .. R_Wrist without Torso, Neck, Nose, Thorax).
H36M_INDEX = (0, 1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14, 15, 16)
JOINTS_14 = (
    "Pelvis",
    "R_Hip",
    "R_Knee",
    "R_Ankle",
    "L_Hip",
    "L_Knee",
    "L_Ankle",
    "Head",
    "L_Shoulder",
    "L_Elbow",
    "L_Wrist",
    "R_Shoulder",
    "R_Elbow",
    "R_Wrist",
)
FLIP_PAIRS_14 = ((1, 4), (2, 5), (3, 6), (8, 11), (9, 12), (10, 13))
SKELETON_14 = ((0, 7), (7, 8), (8, 9), (9, 10), (7, 11), (11, 12), (12, 13), (0, 1), (1, 2), (2, 3), (0, 4), (4, 5), (5, 6))


def transpose_up(*, in_channels: int, joint_num: int, depth_dim: int, channels: int = 96) -> Any:
    """Head ``transpose-up``: 1x1 -> two stride-2 transposed 4x4 convolutions (x4) -> 1x1 logits."""
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(in_channels, channels, 1),
        nn.ReLU(),
        nn.ConvTranspose2d(channels, channels, 4, stride=2, padding=1),
        nn.ReLU(),
        nn.ConvTranspose2d(channels, channels, 4, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(channels, joint_num * depth_dim, 1),
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

        from cnp_core.plugin import RawCheckpoint

        with np.load(path, allow_pickle=False) as data:
            state = {k: torch.from_numpy(data[k].copy()) for k in data.files}
        return RawCheckpoint(state, self.name, str(path))


class Mpjpe14:
    """Root-relative MPJPE over the 14 joints, no alignment."""

    name = "mpjpe-14"
    metric = "MPJPE-14"
    alignment = "none"
    description = "root-relative MPJPE over 14 joints"

    def evaluate(self, split: Any, coords: Any, variant: Any) -> Any:
        from cnp_core.plugin import score_poses

        if len(split.joint_names) != 14:
            raise ValueError("mpjpe-14 scores 14-joint splits only")
        return score_poses(split, coords, variant, self.metric, self.alignment)


def _write_demo(folder: Path) -> None:
    from cnp_h36m.dataset import write_demo

    write_demo(folder)


def _train_14(data_dir: Path, options: Any) -> Any:
    """Human3.6M's training split, viewed through the 14 joints (cnp train --dataset h36m-14)."""
    from cnp_h36m.dataset import Human36M

    full = Human36M.info.train_split(data_dir, options)  # type: ignore[misc]
    index = list(H36M_INDEX)
    return replace(
        full,
        name="h36m-14-train",
        joints=full.joints[:, index],
        visible=full.visible[:, index],
        joint_names=JOINTS_14,
        flip_pairs=FLIP_PAIRS_14,
    )


class Human36M14:
    """Human3.6M's test and training splits, 14 joints."""

    name = "h36m-14"
    description = "Human3.6M test splits with 14 joints (example plugin)"
    info = DatasetInfo(
        joint_names=JOINTS_14,
        flip_pairs=FLIP_PAIRS_14,
        root_index=0,
        evaluators={"none": "mpjpe-14"},
        default_alignment={1: "none", 2: "none"},
        metric_names={1: "MPJPE-14", 2: "MPJPE-14"},
        options=H36M_OPTIONS,  # the same splits as h36m: --protocol, --bbox, --bbox-root
        headline_option="protocol",
        skeleton=SKELETON_14,
        demo=_write_demo,
        result_files=lambda split, result: {"poses_14.json": result.poses_mm.round(3).tolist()},
        train_split=_train_14,
    )

    def load_split(self, data_dir: Path, options: Any) -> Any:
        from cnp_h36m.dataset import Human36M

        full = Human36M().load_split(data_dir, options)
        index = list(H36M_INDEX)
        return replace(
            full,
            name=full.name.replace("h36m", "h36m-14"),
            joint_cam=full.joint_cam[:, index],
            joint_names=JOINTS_14,
            flip_pairs=FLIP_PAIRS_14,
            root_index=0,
            eval_joints=tuple(range(14)),
            meta={**full.meta, "dataset": "h36m-14"},
        )


@hookimpl
def cnp_register_heads(registrar: Any) -> None:
    registrar.register("transpose-up", transpose_up)


@hookimpl
def cnp_register_variants(registrar: Any) -> None:
    registrar.register(XS_WIDE.name, XS_WIDE)
    registrar.register(XS_TINY14.name, XS_TINY14)


@hookimpl
def cnp_register_datasets(registrar: Any) -> None:
    registrar.register(Human36M14.name, Human36M14())


@hookimpl
def cnp_register_evaluators(registrar: Any) -> None:
    registrar.register(Mpjpe14.name, Mpjpe14())


@hookimpl
def cnp_register_checkpoint_formats(registrar: Any) -> None:
    registrar.register(NpzFormat.name, NpzFormat())
