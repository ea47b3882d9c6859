"""The four published ConvNeXtPose variants (SPEC section 1 table)."""

from __future__ import annotations

from cnp_core import PaperNumbers, Variant, freeze_config

PAPER = "ConvNeXtPose, IEEE Access 2023"
THIRD_PARTY = "third-party report (not in the paper's tables)"


def _variant(
    name: str,
    depths: tuple[int, ...],
    dims: tuple[int, ...],
    head_channels: int,
    upsample_layers: int,
    paper: PaperNumbers,
) -> Variant:
    grid = 32 if upsample_layers == 2 else 64
    return Variant(
        name=name,
        backbone="convnext-bn",
        backbone_config=freeze_config({"depths": depths, "dims": dims}),
        head=f"deconv-{upsample_layers}up",
        head_config=freeze_config({"channels": head_channels}),
        depth_dim=grid,
        output_shape=(grid, grid),
        paper=paper,
        description=f"ConvNeXtPose-{name}: ConvNeXt-BN {depths} / {dims}, {upsample_layers}-UP head {head_channels} ch",
    )


SMALL = ((3, 3, 9, 3), (48, 96, 192, 384))

PUBLISHED_VARIANTS: tuple[Variant, ...] = (
    _variant("XS", (2, 2, 6, 2), (40, 80, 160, 320), 128, 2, PaperNumbers(3.528, 0.815, THIRD_PARTY)),
    _variant("S", *SMALL, 256, 2, PaperNumbers(7.439, 1.738, THIRD_PARTY)),
    _variant("M", *SMALL, 256, 3, PaperNumbers(7.59, 2.82, PAPER)),
    _variant("L", *SMALL, 512, 3, PaperNumbers(8.38, 4.30, PAPER)),
)
