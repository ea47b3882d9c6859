"""Evaluation on CUDA runs in IEEE float32: TF32 is switched off inside and the user's flags come back after."""

from __future__ import annotations

import pytest
import torch

from cnp_core.precision import _switches, exact_float32


def _flags() -> list[object]:
    return [getattr(obj, attr) for obj, attr, _ in _switches()]


def test_cuda_runs_without_tf32_and_restores_the_flags() -> None:
    exact = [value for _, _, value in _switches()]
    before = _flags()
    assert before != exact  # PyTorch's default lets cuDNN convolutions use TF32
    with exact_float32(torch.device("cuda")):
        assert _flags() == exact
    assert _flags() == before


def test_a_users_own_tf32_choice_survives_and_errors_restore_too() -> None:
    obj, attr, _ = _switches()[1]  # matrix products
    chosen = "tf32" if attr == "fp32_precision" else True
    before = getattr(obj, attr)
    setattr(obj, attr, chosen)
    try:
        with pytest.raises(RuntimeError), exact_float32(torch.device("cuda", 0)):
            assert getattr(obj, attr) in ("ieee", False)
            raise RuntimeError("a failing batch")
        assert getattr(obj, attr) == chosen
    finally:
        setattr(obj, attr, before)


def test_cpu_leaves_every_flag_alone() -> None:
    before = _flags()
    with exact_float32(torch.device("cpu")):
        assert _flags() == before
