"""IEEE float32 on CUDA while cnp predicts: no TF32 in convolutions or matrix products."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch


def _switches() -> list[tuple[Any, str, Any]]:
    """(object, attribute, exact value) of the flags that let CUDA round float32 inputs to TF32."""
    conv = getattr(torch.backends.cudnn, "conv", None)
    if conv is not None and hasattr(conv, "fp32_precision"):  # torch >= 2.9: mixing in the legacy flags is refused
        return [(conv, "fp32_precision", "ieee"), (torch.backends.cuda.matmul, "fp32_precision", "ieee")]
    return [(torch.backends.cudnn, "allow_tf32", False), (torch.backends.cuda.matmul, "allow_tf32", False)]


@contextmanager
def exact_float32(device: torch.device) -> Iterator[None]:
    """On CUDA, run convolutions and matrix products in IEEE float32 inside; restore the flags after.

    PyTorch lets cuDNN convolutions use TF32 (a 10-bit mantissa) by default on Ampere and later GPUs:
    measured on an H200, that moved M's and L's totals by 0.06 to 0.08 mm against the CPU. The
    reference numbers are float32. Elsewhere (CPU) this does nothing.
    """
    if device.type != "cuda":
        yield
        return
    switches = _switches()
    saved = [getattr(obj, attr) for obj, attr, _ in switches]
    for obj, attr, value in switches:
        setattr(obj, attr, value)
    try:
        yield
    finally:
        for (obj, attr, _), value in zip(switches, saved, strict=True):
            setattr(obj, attr, value)


__all__ = ["exact_float32"]
