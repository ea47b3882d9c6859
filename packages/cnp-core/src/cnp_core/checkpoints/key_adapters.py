"""Built-in state-dict key adapters: DataParallel's ``module.`` prefix, legacy head key names."""

from __future__ import annotations

import re

import torch

StateDict = dict[str, torch.Tensor]

_LEGACY_HEAD = re.compile(r"^(head\.deconv_layers_\d+)\.([012])\.(.+)$")
_LEGACY_PARTS = {"0": "dwconv", "1": "norm", "2": "pwconv"}


def strip_module_prefix(state: StateDict) -> StateDict | None:
    """``module.backbone...`` (saved from DataParallel) -> ``backbone...``."""
    if not any(k.startswith("module.") for k in state):
        return None
    return {k.removeprefix("module."): v for k, v in state.items()}


def legacy_head_keys(state: StateDict) -> StateDict | None:
    """``head.deconv_layers_1.0/1/2.*`` (the M and L files) -> ``.dwconv/.norm/.pwconv.*``."""
    if not any(_LEGACY_HEAD.match(k) for k in state):
        return None
    out: StateDict = {}
    for key, value in state.items():
        match = _LEGACY_HEAD.match(key)
        out[f"{match.group(1)}.{_LEGACY_PARTS[match.group(2)]}.{match.group(3)}" if match else key] = value
    return out


def to_legacy_head_keys(state: StateDict) -> StateDict:
    """The inverse of :func:`legacy_head_keys`, to write files the way the M/L releases name them."""
    names = {v: k for k, v in _LEGACY_PARTS.items()}
    pattern = re.compile(r"^(head\.deconv_layers_\d+)\.(dwconv|norm|pwconv)\.(.+)$")
    out: StateDict = {}
    for key, value in state.items():
        match = pattern.match(key)
        out[f"{match.group(1)}.{names[match.group(2)]}.{match.group(3)}" if match else key] = value
    return out
