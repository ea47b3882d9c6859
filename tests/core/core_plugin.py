"""cnp-core's own test plugin: what ``tests/core`` runs on, with no other cnp package installed.

- head ``tiny-up`` (1x1, two stride-2 transposed convolutions, 1x1 logits) and variant ``T`` (a
  four-block ConvNeXt-BN on it: 128x128 images in, a 16x16x8 heatmap of 4 joints out);
- dataset ``box4``: a folder with ``annotations.json`` (image, box, camera, 4 joints in camera mm,
  action), with demo data, scored by evaluator ``box4-mpjpe`` (root-relative MPJPE, no alignment).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from cnp_core.plugin import DatasetInfo, EvalSplit, PaperNumbers, Variant, freeze_config, hookimpl, score_poses

JOINTS = ("Pelvis", "Head", "L_Hand", "R_Hand")

T = Variant(
    name="T",
    backbone="convnext-bn",
    backbone_config=freeze_config({"depths": (1, 1, 1, 1), "dims": (8, 16, 32, 64)}),
    head="tiny-up",
    head_config=freeze_config({"channels": 16}),
    depth_dim=8,
    output_shape=(16, 16),
    input_shape=(128, 128),
    joint_num=4,
    paper=PaperNumbers(source="tests/core"),
    description="a tiny variant for cnp-core's own tests",
)


def tiny_up(*, in_channels: int, joint_num: int, depth_dim: int, channels: int = 16) -> Any:
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


def write_demo(folder: Path) -> None:
    """Twelve noise JPEGs of 200x200 pixels, three actions, a person box and 4 joints each."""
    import cv2

    rng = np.random.default_rng(1)
    samples = []
    for i in range(12):
        cv2.imwrite(str(folder / f"{i}.jpg"), rng.integers(0, 256, (200, 200, 3), dtype=np.uint8))
        offsets = np.array([[0, 0, 0], [0, -300, 0], [-200, -150, 50], [200, -150, -50]], dtype=float)
        offsets[1:] += rng.normal(0, 30, (3, 3))
        samples.append(
            {
                "image": f"{i}.jpg",
                "box": [40, 40, 120, 120],
                "focal": [1000, 1000],
                "center": [100, 100],
                "joints_mm": (np.array([0.0, 0.0, 5000.0]) + offsets).tolist(),
                "action": i % 3,
            }
        )
    (folder / "annotations.json").write_text(json.dumps({"actions": ["reach", "wave", "point"], "samples": samples}))


class Box4:
    name = "box4"
    description = "four joints in a box (cnp-core's tests)"

    def __init__(self) -> None:
        self.info = DatasetInfo(
            joint_names=JOINTS,
            flip_pairs=((2, 3),),
            root_index=0,
            skeleton=((0, 1), (1, 2), (1, 3)),
            evaluators={"none": "box4-mpjpe"},
            default_alignment={"all": "none"},
            metric_names={"all": "MPJPE"},
            demo=write_demo,
        )

    def load_split(self, data_dir: Path, options: Any) -> EvalSplit:
        ann = json.loads((Path(data_dir) / "annotations.json").read_text())
        samples = ann["samples"]
        joints = np.array([s["joints_mm"] for s in samples], dtype=np.float64)
        return EvalSplit(
            name="box4",
            image_ids=np.arange(len(samples)),
            image_paths=tuple(str(Path(data_dir) / s["image"]) for s in samples),
            bboxes=np.array([s["box"] for s in samples], dtype=np.float64),
            root_cam=joints[:, 0].copy(),
            joint_cam=joints,
            focal=np.array([s["focal"] for s in samples], dtype=np.float64),
            center=np.array([s["center"] for s in samples], dtype=np.float64),
            actions=np.array([s["action"] for s in samples], dtype=np.int64),
            action_names=tuple(ann["actions"]),
            joint_names=JOINTS,
            flip_pairs=self.info.flip_pairs,
            root_index=0,
            eval_joints=(1, 2, 3),
        )


class Box4Mpjpe:
    name = "box4-mpjpe"
    metric = "MPJPE"
    alignment = "none"
    description = "root-relative MPJPE over Head and hands, no alignment"

    def evaluate(self, split: EvalSplit, coords: np.ndarray, variant: Variant) -> Any:
        return score_poses(split, coords, variant, self.metric, self.alignment)


@hookimpl
def cnp_register_heads(registrar: Any) -> None:
    registrar.register("tiny-up", tiny_up)


@hookimpl
def cnp_register_variants(registrar: Any) -> None:
    registrar.register(T.name, T)


@hookimpl
def cnp_register_datasets(registrar: Any) -> None:
    registrar.register(Box4.name, Box4())


@hookimpl
def cnp_register_evaluators(registrar: Any) -> None:
    registrar.register(Box4Mpjpe.name, Box4Mpjpe())
