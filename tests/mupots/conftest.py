"""MuPoTS-3D fixtures: a small synthetic set in the official layout and a 21-joint checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest
from cnp_test_support import with_plugin_commands


@pytest.fixture(autouse=True, scope="session")
def _plugin_commands() -> None:
    with_plugin_commands()  # `cnp data synth-mupots` is cnp-mupots's addition to `cnp data`


@pytest.fixture(scope="session")
def mupots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Sequences TS1 (2048x2048 scaled), TS2 and TS7 (1920x1080 scaled), 2 frames, 3 people each."""
    from cnp_mupots.synth import MupotsSynthConfig, generate

    out = tmp_path_factory.mktemp("mupots") / "MuPoTS"
    generate(out, MupotsSynthConfig(sequences=(1, 2, 7), frames=2, people=3, image_scale=0.15, seed=4))
    return out


@pytest.fixture(scope="session")
def muco_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cnp_core import random_state_dict, write_checkpoint

    return write_checkpoint(random_state_dict("XS-muco", seed=2), tmp_path_factory.mktemp("muco") / "xs_muco.pth.tar", form="pth")
