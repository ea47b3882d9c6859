"""What every checkpoint format reads into: tensors by name, the epoch, and where they came from."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from cnp_core._errors import CheckpointError

STATE_DICT_KEYS = ("network", "state_dict", "model")
_EPOCH_IN_NAME = re.compile(r"snapshot_(\d+)")


@dataclass
class RawCheckpoint:
    """What a checkpoint format's ``read(path)`` returns: the tensors as stored in the file.

    - ``state_dict``: {key: tensor} with the file's own keys (registered key adapters rename them
      afterwards, e.g. the ``module.`` prefix of DataParallel); float tensors, on any device;
    - ``format``: the registered name of the format that read it;
    - ``path``: the file, as a string;
    - ``epoch``: the training epoch if the file says (or its name has ``snapshot_N``), else None;
    - ``meta``: anything else worth showing in ``cnp inspect`` (JSON-ready values).
    """

    state_dict: dict[str, torch.Tensor]
    format: str
    path: str
    epoch: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def epoch_from_name(name: str) -> int | None:
    """The N of ``snapshot_N`` in a file or folder name, if any."""
    match = _EPOCH_IN_NAME.search(name)
    return int(match.group(1)) if match else None


def read_epoch(value: object) -> int | None:
    """A stored epoch as a whole number; None for anything else (a NaN or infinite float, a string,
    a tensor): the epoch is a label, and a damaged one must not stop the weights from loading."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not (value == value and abs(value) != float("inf")):
        return None
    return int(value)


def unpack(obj: object, path: Path, fmt: str, archive_name: str | None = None) -> RawCheckpoint:
    """Find the state dict in a loaded object: ``{'network': ...}`` (or state_dict/model) or a bare one."""
    if not isinstance(obj, Mapping):
        raise CheckpointError(f"{path}: holds a {type(obj).__name__}, not a state dict or a dict with 'network'")
    epoch: int | None = None
    state: Mapping[str, Any] | None = None
    for key in STATE_DICT_KEYS:
        inner = obj.get(key)
        if isinstance(inner, Mapping) and inner and all(isinstance(v, torch.Tensor) for v in inner.values()):
            state = inner
            raw_epoch = obj.get("epoch")
            epoch = read_epoch(raw_epoch)
            break
    if state is None:
        if obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
            state = obj
        else:
            keys = ", ".join(map(str, list(obj)[:6]))
            raise CheckpointError(
                f"{path}: found no tensors under 'network', 'state_dict' or 'model' and it is not a bare "
                f"state dict (top-level keys: {keys})"
            )
    if epoch is None:
        epoch = epoch_from_name(archive_name or "") or epoch_from_name(path.name)
    return RawCheckpoint({str(k): v for k, v in state.items()}, fmt, str(path), epoch)
