"""Exercise one package installed with only its declared dependencies (nox session `alone`).

Usage: python tests/alone/exercise.py cnp-core|cnp-heads|cnp-h36m|cnp-cli|cnp-mupots WORKDIR
Each branch uses only what that package and its declared dependencies provide; a missing
dependency or a leak across a boundary fails here, not in a user's environment.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def core(work: Path) -> None:
    import torch

    import cnp_core
    from cnp_core import get_host
    from cnp_core._checkpoints import inspect_state, read_checkpoint, write_checkpoint

    assert cnp_core.list_variants() == [], cnp_core.list_variants()  # variants come with head plugins
    backbone = get_host().registry("backbone").get("convnext-bn")(depths=(2, 2, 6, 2), dims=(40, 80, 160, 320))
    state = {f"backbone.{k}": v for k, v in backbone.state_dict().items()}
    for form in ("pth", "safetensors"):
        path = write_checkpoint(state, work / f"backbone.{form}", form=form, epoch=3)
        raw = read_checkpoint(path)
        info, adapted = inspect_state(raw)
        assert raw.epoch == 3 and set(adapted) == set(state) and info.architecture["dims"] == [40, 80, 160, 320], form
    assert backbone(torch.zeros(1, 3, 256, 256)).shape == (1, 320, 8, 8)


def heads(work: Path) -> None:
    import torch

    import cnp_core
    from cnp_core import random_state_dict

    assert cnp_core.list_variants() == ["XS", "S", "M", "L"], cnp_core.list_variants()
    model = cnp_core.build_model("M")
    path = cnp_core.write_checkpoint(random_state_dict("M"), work / "m.tar", form="zip-tar", key_style="legacy-head-keys")
    report = cnp_core.load_checkpoint(model, path)
    assert report.detected_variants == ("M",) and "legacy-head-keys" in report.remaps
    assert model(torch.zeros(1, 3, 256, 256)).shape == (1, 18, 3)


def h36m(work: Path) -> None:
    from cnp_core import SplitOptions, get_host
    from cnp_h36m.synth import SynthConfig, generate

    generate(work / "H36M", SynthConfig(subactions=(1,), cameras=(1,), frames=3))  # frames 0, 32, 64
    dataset = get_host().registry("dataset").get("h36m")
    split = dataset.load_split(work / "H36M", SplitOptions.of({"protocol": 2}, cache_dir=work / "cache"))
    assert len(split) == 60 and split.joint_names == dataset.info.joint_names
    assert "mpjpe" in get_host().registry("evaluator")


def mupots(work: Path) -> None:
    import torch

    import cnp_core
    from cnp_mupots.scoring import FrameTruth, SequenceTruth, score_sequence, summarize

    assert [v for v in cnp_core.list_variants() if v.endswith("-muco")] == ["XS-muco", "S-muco", "M-muco", "L-muco"]
    assert cnp_core.build_model("XS-muco")(torch.zeros(1, 3, 256, 256)).shape == (1, 21, 3)
    pose = torch.randn(1, 17, 3).double().numpy() * 200 + 4000
    truth = SequenceTruth("TS1", (FrameTruth("TS1_img_000000", pose[..., :2], pose, __import__("numpy").zeros(1)),))
    scored = summarize([score_sequence(truth, {"TS1_img_000000": pose[..., :2]}, {"TS1_img_000000": pose})])
    assert scored["pck"] == 100.0, scored


def cli(work: Path) -> None:
    cnp = Path(sys.executable).with_name("cnp")
    for args in (["--help"], ["variants"], ["eval", "--variant", "XS", "--demo", "--output", str(work / "out")]):
        subprocess.run([str(cnp), *args], check=True, env={"CNP_CACHE_DIR": str(work / "cache"), "PATH": ""})


if __name__ == "__main__":
    name, work = sys.argv[1], Path(sys.argv[2])
    work.mkdir(parents=True, exist_ok=True)
    {"cnp-core": core, "cnp-heads": heads, "cnp-h36m": h36m, "cnp-cli": cli, "cnp-mupots": mupots}[name](work)
    print(f"{name}: exercised alone")
