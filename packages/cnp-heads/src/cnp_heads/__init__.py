"""ConvNeXtPose DeConv heads: 2-UP (32x32 output) and 3-UP (64x64 output).

The modules live in :mod:`cnp_heads.deconv`; :mod:`cnp_heads.plugin` registers them.
"""
