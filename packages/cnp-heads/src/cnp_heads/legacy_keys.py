"""The M and L release files name the DeConv head's sub-layers by position (SPEC section 2)."""

from __future__ import annotations

import re

import torch

StateDict = dict[str, torch.Tensor]

_LEGACY_HEAD = re.compile(r"^(head\.deconv_layers_\d+)\.([012])\.(.+)$")
_CANONICAL_HEAD = re.compile(r"^(head\.deconv_layers_\d+)\.(dwconv|norm|pwconv)\.(.+)$")
_PARTS = {"0": "dwconv", "1": "norm", "2": "pwconv"}
_POSITIONS = {v: k for k, v in _PARTS.items()}


def _legacy_head_keys(state: StateDict) -> StateDict | None:
    """``head.deconv_layers_1.0/1/2.*`` -> ``.dwconv/.norm/.pwconv.*`` (None: nothing to rename)."""
    if not any(_LEGACY_HEAD.match(k) for k in state):
        return None
    out: StateDict = {}
    for key, value in state.items():
        match = _LEGACY_HEAD.match(key)
        out[f"{match.group(1)}.{_PARTS[match.group(2)]}.{match.group(3)}" if match else key] = value
    return out


def _to_legacy(state: StateDict) -> StateDict:
    """The inverse: write files the way the M/L releases name the head."""
    out: StateDict = {}
    for key, value in state.items():
        match = _CANONICAL_HEAD.match(key)
        out[f"{match.group(1)}.{_POSITIONS[match.group(2)]}.{match.group(3)}" if match else key] = value
    return out


class _LegacyHeadKeys:
    """Key adapter ``legacy-head-keys``; ``inverse`` lets writers produce the same naming."""

    __doc__ = _legacy_head_keys.__doc__

    def __call__(self, state: StateDict) -> StateDict | None:
        return _legacy_head_keys(state)

    def inverse(self, state: StateDict) -> StateDict:
        return _to_legacy(state)


legacy_head_keys = _LegacyHeadKeys()
