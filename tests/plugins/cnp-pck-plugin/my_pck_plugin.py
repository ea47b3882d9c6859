# my_pck_plugin.py
"""my_pck_plugin: a dataset whose headline is a percentage where higher is better, with its own metrics."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from cnp_core import DataError, DatasetInfo, EvalSplit, PaperNumbers, Variant, freeze_config, hookimpl
from cnp_core.plugin import EvalResult, Metric, aggregate, camera_poses

JOINTS = ("Pelvis", "Head", "L_Hand", "R_Hand")
THRESHOLDS_MM = np.arange(0.0, 101.0, 10.0)  # 0, 10, ..., 100

# The headline: computed by the evaluator below (no `compute`), declared here.
PCK100 = Metric(
    name="pck100",
    label="3DPCK@100",
    unit="%",
    higher_is_better=True,
    definition="percentage of scored joints whose root-relative error is strictly below 100 mm",
    format=".1f",
)
# A secondary number the evaluator returns beside its headline.
AUC100 = Metric(
    name="auc100",
    label="AUC@0-100",
    unit="%",
    higher_is_better=True,
    definition="mean 3DPCK (%) over thresholds 0, 10, ..., 100 mm",
    format=".1f",
)
# A metric cnp computes on every run of this dataset from the poses themselves.
MAX_ERROR = Metric(
    name="max_joint_error",
    label="max joint error",
    unit="mm",
    higher_is_better=False,
    definition="per sample, the largest root-relative error over the scored joints",
    compute=lambda poses: poses.errors.max(axis=1, keepdims=True),  # (N, 1)
    datasets=("reach4",),
)

XS_REACH = Variant(
    name="XS-reach",
    backbone="convnext-bn",
    backbone_config=freeze_config({"depths": (2, 2, 6, 2), "dims": (40, 80, 160, 320)}),
    head="deconv-2up",
    head_config=freeze_config({"channels": 64}),
    depth_dim=32,
    output_shape=(32, 32),
    joint_num=4,
    paper=PaperNumbers(source="my_pck_plugin"),
    description="XS backbone, narrow 2-UP head, 4 joints",
)


class Reach4:
    """A folder with annotations.json: {"actions": [names], "samples": [{"image": relative path,
    "box": [x, y, w, h] pixels, "focal": [fx, fy], "center": [cx, cy], "joints_mm": 4 x [X, Y, Z]
    camera millimetres, "action": index}, ...]}."""

    name = "reach4"
    description = "four joints, scored by 3DPCK@100 (my_pck_plugin)"

    def __init__(self):
        self.info = DatasetInfo(
            joint_names=JOINTS,
            flip_pairs=((2, 3),),
            root_index=0,
            skeleton=((0, 1), (1, 2), (1, 3)),
            evaluators={"none": "pck100"},
            default_alignment={"all": "none"},
            metric_names={"all": "3DPCK@100"},
            headline_metrics={"all": "pck100"},  # the headline is the registered metric pck100
            demo=write_demo,
        )

    def load_split(self, data_dir, options):
        path = Path(data_dir) / "annotations.json"
        try:
            ann = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: cannot read it ({exc}); write annotations.json as my_pck_plugin documents") from None
        samples = ann["samples"]
        joints = np.array([s["joints_mm"] for s in samples], dtype=np.float64)
        return EvalSplit(
            name="reach4",
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


def write_demo(folder):
    """Twelve noise JPEGs and their annotations (for `cnp eval --demo --dataset reach4`)."""
    import cv2

    rng = np.random.default_rng(1)
    samples = []
    for i in range(12):
        cv2.imwrite(str(folder / f"{i}.jpg"), rng.integers(0, 256, (300, 300, 3), dtype=np.uint8))
        pelvis = np.array([0.0, 0.0, 4000.0])
        offsets = np.array([[0, 0, 0], [0, -100, 0], [-70, -70, 0], [70, -70, 0]], dtype=float)
        offsets[1:] += rng.normal(0, 30, (3, 3))
        samples.append(
            {
                "image": f"{i}.jpg",
                "box": [30, 30, 240, 240],
                "focal": [1000, 1000],
                "center": [150, 150],
                "joints_mm": (pelvis + offsets).tolist(),
                "action": i % 3,
            }
        )
    actions = ["reach", "wave", "point"]
    (folder / "annotations.json").write_text(json.dumps({"actions": actions, "samples": samples}))


class Pck100:
    """3DPCK@100 of root-relative, unaligned poses, with AUC@0-100 as a secondary value."""

    name = "pck100"
    metric = "3DPCK@100"
    alignment = "none"
    description = "3DPCK@100 (%) of root-relative poses"

    def evaluate(self, split, coords, variant):
        cam = camera_poses(split, coords, variant)  # (N, J, 3) camera mm
        root = split.root_index
        pred = cam - cam[:, root : root + 1]
        gt = split.joint_cam - split.joint_cam[:, root : root + 1]
        keep = list(split.eval_joints)
        errors = np.linalg.norm(pred[:, keep] - gt[:, keep], axis=2)  # (N, K) mm
        values = 100.0 * (errors < 100.0)  # (N, K) percent
        means = aggregate(values, split.actions, split.action_names, tuple(split.joint_names[j] for j in keep))
        return EvalResult(
            metric=self.metric,
            alignment=self.alignment,
            total=means.total,
            action_mean=means.action_mean,
            per_action=means.per_action,
            per_joint=means.per_joint,
            num_samples=len(split),
            poses=pred[:, keep],
            values=values,
            secondary={"auc100": 100.0 * (errors[..., None] < THRESHOLDS_MM).mean(axis=-1)},
        )


@hookimpl
def cnp_register_metrics(registrar):
    for metric in (PCK100, AUC100, MAX_ERROR):
        registrar.register(metric.name, metric)


@hookimpl
def cnp_register_variants(registrar):
    registrar.register(XS_REACH.name, XS_REACH)


@hookimpl
def cnp_register_datasets(registrar):
    registrar.register("reach4", Reach4())


@hookimpl
def cnp_register_evaluators(registrar):
    registrar.register("pck100", Pck100())
