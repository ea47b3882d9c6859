"""The plugin guide's (docs/plugins.md) "A whole plugin, in one file", installed from its own two blocks and run.

The plugin guide is a contract: what it shows must install and work through `cnp` unchanged.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # pip builds the plugin, then six `cnp` processes: about 17 s

GUIDE = Path(__file__).parents[2] / "docs" / "plugins.md"  # the plugin guide


def _block(first_line: str, holding: str = "") -> str:
    """The fenced code block of the plugin guide whose first line is ``first_line`` (and that holds ``holding``)."""
    blocks = re.findall(r"```(?:toml|python)\n(.*?)```", GUIDE.read_text(), flags=re.DOTALL)
    (block,) = [b for b in blocks if b.startswith(first_line + "\n") and holding in b]
    return block


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The two blocks built and installed with pip into their own folder (not this environment)."""
    root = tmp_path_factory.mktemp("readme_plugin")
    source, site = root / "my-plugin", root / "site"
    source.mkdir()
    (source / "pyproject.toml").write_text(_block("# pyproject.toml", 'name = "my-plugin"'))
    (source / "my_plugin.py").write_text(_block("# my_plugin.py"))
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", str(site)]
    subprocess.run([*pip, str(source)], check=True, capture_output=True)
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(site),
        CNP_CACHE_DIR=str(root / "cache"),
        CNP_DISABLE_PLUGINS="cnp-example-plugin",  # this checkout's own test plugin also registers an npz format
    )
    return env


def _cnp(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cnp_cli", *args], env=env, cwd=cwd, capture_output=True, text=True)


def test_the_guide_plugin_installs_and_evaluates(plugin_env: dict[str, str], tmp_path: Path) -> None:
    listed = _cnp(plugin_env, tmp_path, "plugins")
    assert listed.returncode == 0, listed.stderr
    assert "my-plugin" in listed.stdout and "walk4" in listed.stdout and "upsample-x4" in listed.stdout

    run = _cnp(plugin_env, tmp_path, "eval", "--variant", "XS-4j", "--dataset", "walk4", "--demo", "--json")
    assert run.returncode == 0, run.stderr
    (record,) = json.loads(run.stdout)
    assert record["dataset"] == "walk4" and record["evaluator"] == "mpjpe-4" and record["metric"] == "MPJPE-4"
    assert record["num_samples"] == 8 and list(record["per_joint_mm"]) == ["Head", "L_Hand", "R_Hand"]
    assert set(record["per_action_mm"]) == {"walk", "wave"}
    # the frame-wise total is the mean of the two actions' means here: each holds four samples
    walk, wave = record["per_action_mm"]["walk"], record["per_action_mm"]["wave"]
    assert record["total_mm"] == pytest.approx((walk + wave) / 2, abs=1e-9)

    fewer = _cnp(plugin_env, tmp_path, "eval", "--variant", "XS-4j", "--dataset", "walk4", "--demo", "--every", "4", "--json")
    assert fewer.returncode == 0, fewer.stderr
    assert json.loads(fewer.stdout)[0]["num_samples"] == 2

    wrong = _cnp(plugin_env, tmp_path, "eval", "--variant", "XS", "--dataset", "walk4", "--demo")
    assert wrong.returncode == 1 and "predicts 18 joints but dataset walk4 has 4" in wrong.stderr


def test_the_guide_checkpoint_format_reads_weights_as_saved(plugin_env: dict[str, str], tmp_path: Path) -> None:
    """The same weights as the guide's .npz and as safetensors give the same numbers."""
    save = (
        "import numpy as np, torch; from cnp_core import build_model, write_checkpoint; "
        "torch.manual_seed(3); state = build_model('XS-4j').state_dict(); "
        "np.savez('w.npz', **{k: v.numpy() for k, v in state.items()}); "
        "write_checkpoint(state, __import__('pathlib').Path('w.safetensors'), form='safetensors'); "
        "from cnp_core.testing import check_contracts; check_contracts(__import__('pathlib').Path('contracts'))"
    )
    saved = subprocess.run([sys.executable, "-c", save], env=plugin_env, cwd=tmp_path, capture_output=True, text=True)
    assert saved.returncode == 0, saved.stderr
    records = {}
    for name in ("w.npz", "w.safetensors"):
        run = _cnp(
            plugin_env, tmp_path, "eval", "--variant", "XS-4j", "--dataset", "walk4", "--demo", "--checkpoint", name, "--json"
        )
        assert run.returncode == 0, run.stderr
        (records[name],) = json.loads(run.stdout)
    assert records["w.npz"]["checkpoint_format"] == "my-npz"
    assert records["w.npz"]["total_mm"] == records["w.safetensors"]["total_mm"]
    assert records["w.npz"]["per_joint_mm"] == records["w.safetensors"]["per_joint_mm"]
