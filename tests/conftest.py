"""Fixtures every folder may use: an isolated cache folder (cnp-core alone), and, for the folders
that test with the stock plugins installed (integration, cli, h36m, heads), a small synthetic
Human3.6M and random-weight states of the published variants. Those import cnp-h36m or need
cnp-heads only when a test asks for them, so ``tests/core`` runs with cnp-core alone.

Each package's folder has its own ``conftest.py`` for what only it needs.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNP_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cnp-cache"))


@pytest.fixture(scope="session")
def h36m_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """S9+S11, all 15 actions, 2 cameras, frames 0/32/64/96: 120 test samples (60 of S11)."""
    from cnp_h36m.synth import SynthConfig, generate

    out = tmp_path_factory.mktemp("h36m") / "Human36M"
    generate(out, SynthConfig(subjects=(9, 11), subactions=(1,), cameras=(1, 2), frames=4, seed=7))
    return out


@pytest.fixture(scope="session")
def train_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Training subjects 1, 5, 6, 7, 8 and test subjects 9, 11; actions 2 and 3, one camera, frames
    0 and 5: 20 training samples (Protocol 2), 4 test samples."""
    from cnp_h36m.synth import SynthConfig, generate

    out = tmp_path_factory.mktemp("h36m-train") / "Human36M"
    config = SynthConfig(
        subjects=(1, 5, 6, 7, 8, 9, 11), actions=(2, 3), subactions=(1,), cameras=(1,), frames=2, frame_step=5, seed=3
    )
    generate(out, config)
    return out


@pytest.fixture(scope="session")
def checkpoint_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("checkpoints")


@pytest.fixture(scope="session")
def random_states() -> dict[str, dict[str, object]]:
    from cnp_core import random_state_dict

    return {v: random_state_dict(v, seed=3) for v in ("XS", "S", "M", "L")}
