"""The built-in state-dict key adapter: DataParallel's ``module.`` prefix.

A key adapter is ``adapter(state) -> renamed state or None``; one that also has an
``inverse(state)`` method names a key style that :func:`cnp_core._checkpoints.write_checkpoint` can
write (``key_style=<its registered name>``). Head plugins register adapters for their own layers.
"""

from __future__ import annotations

import torch

StateDict = dict[str, torch.Tensor]


def strip_module_prefix(state: StateDict) -> StateDict | None:
    """``module.backbone...`` (saved from DataParallel) -> ``backbone...``."""
    if not any(k.startswith("module.") for k in state):
        return None
    return {k.removeprefix("module."): v for k, v in state.items()}
