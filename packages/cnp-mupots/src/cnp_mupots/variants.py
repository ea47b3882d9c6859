"""The published ConvNeXtPose architectures with MuCo-3DHP's 21 output joints (the MuPoTS-3D models)."""

from __future__ import annotations

from cnp_core import PaperNumbers, Variant, freeze_config
from cnp_mupots.scoring import JOINTS as MUPOTS_JOINTS

# MuCo-3DHP's joints: the model's output order; MuPoTS-3D keeps the first 17.
JOINTS_21 = (*MUPOTS_JOINTS, "R_Hand", "L_Hand", "R_Toe", "L_Toe")
FLIP_PAIRS_21 = ((2, 5), (3, 6), (4, 7), (8, 11), (9, 12), (10, 13))
ROOT_21 = JOINTS_21.index("Pelvis")
SKELETON_17 = (
    (0, 16),
    (16, 1),
    (1, 15),
    (15, 14),
    (14, 8),
    (14, 11),
    (8, 9),
    (9, 10),
    (11, 12),
    (12, 13),
    (1, 2),
    (2, 3),
    (3, 4),
    (1, 5),
    (5, 6),
    (6, 7),
)

SMALL = ((3, 3, 9, 3), (48, 96, 192, 384))
_SHAPES = {
    "XS": ((2, 2, 6, 2), (40, 80, 160, 320), 128, 2),
    "S": (*SMALL, 256, 2),
    "M": (*SMALL, 256, 3),
    "L": (*SMALL, 512, 3),
}


def _muco(name: str) -> Variant:
    depths, dims, channels, ups = _SHAPES[name]
    grid = 32 if ups == 2 else 64
    return Variant(
        name=f"{name}-muco",
        backbone="convnext-bn",
        backbone_config=freeze_config({"depths": depths, "dims": dims}),
        head=f"deconv-{ups}up",
        head_config=freeze_config({"channels": channels}),
        depth_dim=grid,
        output_shape=(grid, grid),
        joint_num=len(JOINTS_21),
        paper=PaperNumbers(source="ConvNeXtPose architecture with MuCo-3DHP's 21 joints"),
        description=f"ConvNeXtPose-{name} for MuPoTS-3D: {ups}-UP head {channels} ch, 21 joints (MuCo-3DHP)",
    )


MUCO_VARIANTS: tuple[Variant, ...] = tuple(_muco(n) for n in ("XS", "S", "M", "L"))

__all__ = ["FLIP_PAIRS_21", "JOINTS_21", "MUCO_VARIANTS", "ROOT_21", "SKELETON_17"]
