"""End to end: the optimised `cnp eval` reports the literal model's numbers to within 0.005 mm.

Every total and every per-action and per-joint number, for every variant, flip on and off, Protocol 2
and Protocol 1 (rigid alignment), with flat heatmaps (classifier scaled by 0.01, as freshly initialised
weights give: the hardest case for a float32 softmax normaliser) and peaky ones (scaled by 30). Few
samples per action (4) make per-action means the hardest case: nothing averages the differences away. `.ci/run` repeats this module with oneDNN and ATen limited to
AVX2, so it holds on both instruction sets.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnp_cli.app import app

runner = CliRunner()
BOUND_MM = 0.005
VARIANTS = ("XS", "S", "M", "L")


@pytest.fixture(scope="module")
def small_h36m(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """S9+S11, 15 actions, one camera, frames 0 and 64: 60 Protocol 2 samples, 4 per action."""
    from cnp_h36m.synth import SynthConfig, generate

    out = tmp_path_factory.mktemp("h36m-small") / "Human36M"
    generate(out, SynthConfig(subjects=(9, 11), subactions=(1,), cameras=(1,), frames=2, seed=21))
    return out


def _numbers(record: dict[str, object]) -> dict[str, float]:
    per_action = record["per_action_mm"]
    per_joint = record["per_joint_mm"]
    assert isinstance(per_action, dict) and isinstance(per_joint, dict)
    out = {"total": float(record["total_mm"]), "action_mean": float(record["action_mean_mm"])}  # type: ignore[arg-type]
    out.update({f"action {k}": float(v) for k, v in per_action.items()})
    out.update({f"joint {k}": float(v) for k, v in per_joint.items()})
    return out


@pytest.mark.slow
@pytest.mark.parametrize("logit_scale", [0.01, 30.0])
@pytest.mark.parametrize("variant", VARIANTS)
def test_optimised_eval_equals_literal_within_bound(variant: str, logit_scale: float, small_h36m: Path, tmp_path: Path) -> None:
    from cnp_core import random_state_dict, write_checkpoint

    state = random_state_dict(variant, seed=13)
    state["head.final_layer.weight"] = state["head.final_layer.weight"] * logit_scale
    ckpt = write_checkpoint(state, tmp_path / f"{variant}.safetensors", form="safetensors")
    for protocol, flip in (("2", "--flip"), ("2", "--no-flip"), ("1", "--flip")):
        records = {}
        for mode in ("--optimize", "--no-optimize"):
            args = ["eval", "--variant", variant, "--checkpoint", str(ckpt), "--data-dir", str(small_h36m)]
            args += ["--output", str(tmp_path / mode), "--workers", "0", "--json", "--protocol", protocol, flip, mode]
            result = runner.invoke(app, args)
            assert result.exit_code == 0, result.output
            (records[mode],) = json.loads(result.stdout)
        fast, literal = _numbers(records["--optimize"]), _numbers(records["--no-optimize"])
        assert fast.keys() == literal.keys() and len(fast) == 2 + 15 + 17
        worst = max(fast, key=lambda k: abs(fast[k] - literal[k]))
        gap = abs(fast[worst] - literal[worst])
        assert gap <= BOUND_MM, f"{variant} P{protocol} {flip}: {worst} differs by {gap:.2e} mm"
