"""Evaluation on CUDA runs in IEEE float32: TF32 is switched off inside and the user's flags come back after."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from cnp_core._inference.precision import _switches, exact_float32


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


def test_every_forward_of_cnp_runs_inside_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """forward_coords, which eval, predict and benchmark all call, runs the model (both flip halves) inside."""
    from contextlib import contextmanager

    from cnp_core._inference import engine as engine

    inside: list[torch.device] = []
    calls: list[bool] = []

    @contextmanager
    def spy(device: torch.device) -> Any:
        inside.append(device)
        yield
        inside.pop()

    def model(x: torch.Tensor) -> torch.Tensor:
        calls.append(bool(inside))
        return torch.zeros(len(x), 2, 3)

    monkeypatch.setattr(engine, "exact_float32", spy)
    images = torch.zeros(2, 3, 8, 8)
    for batched in (True, False):
        config = engine.InferenceConfig(batch_size=2, flip=True, batched_flip=batched, progress=False)
        engine.forward_coords(model, images, config, (), 4)
    assert calls == [True, True, True] and not inside
