"""ConvNeXtPose DeConv heads: 2-UP (32x32 output) and 3-UP (64x64 output)."""

from cnp_heads.deconv import DeconvHead, DeconvLayer, Upsample2x

__all__ = ["DeconvHead", "DeconvLayer", "Upsample2x"]
