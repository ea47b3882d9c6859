"""An oracle model plugin that emits heatmaps peaked at each sample's GT patch coordinates.

The full pipeline (model assembly, integral regression, loader, flip test, back-projection,
evaluator) must then reproduce the ground truth to well under a millimetre.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from cnp_core import EvalSplit, PaperNumbers, SplitOptions, Variant, build_host, build_model, freeze_config, hookimpl
from cnp_core._inference.engine import InferenceConfig, PatchDataset, normalize_batch, predict_coords


def _key(patch: torch.Tensor) -> str:
    return hashlib.sha1(patch.detach().cpu().contiguous().numpy().tobytes()).hexdigest()


def gt_heatmap_coords(split: EvalSplit, grid: int) -> np.ndarray:
    """GT camera joints -> patch heatmap units (the forward of the SPEC's back-projection)."""
    cam = split.joint_cam.astype(np.float64)
    x_img = cam[..., 0] / cam[..., 2] * split.focal[:, None, 0] + split.center[:, None, 0]
    y_img = cam[..., 1] / cam[..., 2] * split.focal[:, None, 1] + split.center[:, None, 1]
    b = split.bboxes[:, None, :]
    x = (x_img - b[..., 0]) / b[..., 2] * grid
    y = (y_img - b[..., 1]) / b[..., 3] * grid
    z = ((cam[..., 2] - split.root_cam[:, None, 2]) / (split.bbox_3d_depth_mm / 2) + 1) / 2 * grid
    return np.stack([x, y, z], axis=-1)


def encode(coords: np.ndarray, grid: int) -> torch.Tensor:
    """(J, 3) coordinates -> (J*grid, grid, grid) logits whose soft-argmax is exactly ``coords``."""
    j = coords.shape[0]
    axes = []
    for c in np.clip(coords, 0, grid - 1).T:  # x, y, z: (J,)
        lo = np.minimum(np.floor(c).astype(int), grid - 2)
        w = np.zeros((j, grid))
        w[np.arange(j), lo] = 1 - (c - lo)
        w[np.arange(j), lo + 1] = c - lo
        axes.append(torch.from_numpy(w))
    wx, wy, wz = axes
    vol = wz[:, :, None, None] * wy[:, None, :, None] * wx[:, None, None, :]
    return torch.log(vol.clamp_min(1e-30)).float().reshape(j * grid, grid, grid)


class Passthrough(nn.Module):
    out_channels = 3

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


class LookupHead(nn.Module):
    """Looks each patch up by its bytes and emits logits encoding that patch's coordinates.

    The table holds (J, 3) coordinates, encoded per batch: a table of volumes would hold
    19 MB per patch (4.5 GB for 120 samples with their flipped twins at grid 64)."""

    def __init__(self, table: dict[str, np.ndarray], grid: int) -> None:
        super().__init__()
        self.table = table
        self.grid = grid

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([encode(self.table[_key(patch)], self.grid) for patch in x])


class OraclePlugin:
    def __init__(self, table: dict[str, np.ndarray]) -> None:
        self.table = table

    @hookimpl
    def cnp_register_backbones(self, registrar: Any) -> None:
        registrar.register("oracle-passthrough", lambda: Passthrough())

    @hookimpl
    def cnp_register_heads(self, registrar: Any) -> None:
        registrar.register("oracle-lookup", lambda depth_dim, **_: LookupHead(self.table, depth_dim))

    @hookimpl
    def cnp_register_variants(self, registrar: Any) -> None:
        for grid in (32, 64):
            registrar.register(
                f"oracle-{grid}",
                Variant(
                    f"oracle-{grid}",
                    "oracle-passthrough",
                    (),
                    "oracle-lookup",
                    freeze_config({}),
                    grid,
                    (grid, grid),
                    paper=PaperNumbers(source="test"),
                ),
            )


@pytest.mark.parametrize("grid", [32, pytest.param(64, marks=pytest.mark.slow)])
@pytest.mark.parametrize("flip", [pytest.param(False, marks=pytest.mark.slow), True])  # no flip: a subset of the flip path
@pytest.mark.parametrize("protocol", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_oracle_gives_ground_truth(h36m_dir: Path, grid: int, flip: bool, protocol: int) -> None:
    from cnp_h36m.dataset import Human36M
    from cnp_h36m.protocols import EVALUATORS

    split = Human36M().load_split(h36m_dir, SplitOptions.of({"protocol": protocol}))
    coords = gt_heatmap_coords(split, grid)
    table: dict[str, np.ndarray] = {}
    patches = PatchDataset(split.image_paths, split.bboxes, (256, 256))
    flipped = coords.copy()
    flipped[..., 0] = grid - 1 - flipped[..., 0]
    for a, b in split.flip_pairs:
        flipped[:, [a, b]] = flipped[:, [b, a]]
    for i in range(len(split)):
        patch = normalize_batch(patches[i][0][None])[0]
        table[_key(patch)] = coords[i]
        table[_key(torch.flip(patch[None], dims=[3])[0])] = flipped[i]
    host = build_host([("oracle", OraclePlugin(table))])
    model = build_model(f"oracle-{grid}", host=host)
    variant = model.variant
    pred = predict_coords(
        model,
        split.image_paths,
        split.bboxes,
        InferenceConfig(batch_size=5, workers=1, flip=flip, progress=False),
        flip_pairs=split.flip_pairs,
        output_width=grid,
    )
    assert np.abs(pred - np.clip(coords, 0, grid - 1)).max() < 1e-3
    evaluator = EVALUATORS[0] if protocol == 2 else EVALUATORS[1]
    result = evaluator.evaluate(split, pred, variant)
    assert result.num_samples == len(split) == (120 if protocol == 2 else 60)
    assert result.total_mm < 1.0
    assert all(v is not None and v < 2.0 for v in result.per_action_mm.values())


def test_predict_pose_recovers_camera_joints(h36m_dir: Path) -> None:
    """``predict_pose`` with the true camera and root depth maps the oracle's output back to GT (mm, px)."""
    import dataclasses

    from cnp_core._data.crops import crop_patch, normalize, process_bbox
    from cnp_core._inference.predict import PoseInput, load_image, predict_pose
    from cnp_h36m.dataset import Human36M

    split = Human36M().load_split(h36m_dir, SplitOptions.of({"protocol": 2}))
    i = 7
    image = load_image(split.image_paths[i])
    raw = tuple(float(v) for v in split.bboxes[i])
    crop = process_bbox(np.array(raw), image.shape[1], image.shape[0])
    assert crop is not None
    one = dataclasses.replace(split.subset(np.array([i])), bboxes=crop[None])
    coords = gt_heatmap_coords(one, 64)[0]
    flipped = coords.copy()
    flipped[:, 0] = 63 - flipped[:, 0]
    for a, b in split.flip_pairs:
        flipped[[a, b]] = flipped[[b, a]]
    patch = torch.from_numpy(normalize(crop_patch(image, tuple(float(v) for v in crop), (256, 256))))
    table = {_key(patch): coords, _key(torch.flip(patch[None], dims=[3])[0]): flipped}
    model = build_model("oracle-64", host=build_host([("oracle", OraclePlugin(table))]))
    options = PoseInput(
        bbox=raw,  # type: ignore[arg-type]
        root_depth_mm=float(split.root_cam[i, 2]),
        focal=(float(split.focal[i, 0]), float(split.focal[i, 1])),
        principal_point=(float(split.center[i, 0]), float(split.center[i, 1])),
        flip=True,
        device="cpu",
    )
    pred = predict_pose(model, model.variant, image, options, flip_pairs=split.flip_pairs)
    assert np.abs(pred.joints_cam_mm - split.joint_cam[i]).max() < 1.0
    cam = split.joint_cam[i].astype(np.float64)
    pixels = cam[:, :2] / cam[:, 2:] * split.focal[i] + split.center[i]
    assert np.abs(pred.joints_2d_px - pixels).max() < 0.05
    assert np.allclose(pred.joints_3d_mm, pred.joints_cam_mm - pred.joints_cam_mm[0])
    assert pred.crop_box == pytest.approx(tuple(crop)) and not pred.root_depth_estimated
