"""torchrun evaluation (gloo on CPU), resumable runs, and ONNX / TorchScript export parity."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from cnp_core import SplitOptions, random_state_dict, write_checkpoint
from cnp_core._evaluation.pipeline import EvalJob, run_evaluation
from cnp_core._inference.engine import InferenceConfig


@pytest.fixture(scope="module")
def xs_checkpoints(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("xs-ckpts")
    paths = []
    for epoch in (1, 2):
        path = folder / f"snapshot_{epoch}.pth.tar"
        write_checkpoint(random_state_dict("XS", seed=epoch), path, form="pth", epoch=epoch)
        paths.append(path)
    return paths


def torchrun(nproc: int, *args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("torchrun")
    cmd = [str(exe), "--standalone", f"--nproc-per-node={nproc}", "-m", "cnp_cli", "eval", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"})


def single(*args: str) -> dict[str, Any]:
    exe = Path(sys.executable).with_name("cnp")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # as torchrun sets it: thread count can change the last bits
    done = subprocess.run([str(exe), "eval", *args, "--json"], capture_output=True, text=True, timeout=600, check=True, env=env)
    record: dict[str, Any] = json.loads(done.stdout)[0]
    return record


@pytest.mark.slow
@pytest.mark.parametrize(("nproc", "protocol", "batch"), [(2, 2, 16), (3, 1, 7)])
def test_torchrun_matches_single_process(
    h36m_dir: Path, xs_checkpoints: list[Path], tmp_path: Path, nproc: int, protocol: int, batch: int
) -> None:
    common = ["--variant", "XS", "--checkpoint", str(xs_checkpoints[0]), "--data-dir", str(h36m_dir)]
    common += ["--protocol", str(protocol), "--batch-size", str(batch), "--workers", "0"]
    ref = single(*common, "--output", str(tmp_path / "one"))
    done = torchrun(nproc, *common, "--output", str(tmp_path / "many"), "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    (record,) = json.loads(done.stdout)  # rank 0 alone prints
    assert record["world_size"] == nproc and record["num_samples"] == ref["num_samples"]
    run = Path(record["run_dir"])
    # the predictions are identical bit for bit: same batches, whatever the number of ranks
    assert np.array_equal(np.load(run / "coords_heatmap.npy"), np.load(Path(ref["run_dir"]) / "coords_heatmap.npy"))
    if protocol == 2:
        assert record["total_mm"] == ref["total_mm"] and record["per_action_mm"] == ref["per_action_mm"]
        assert json.loads((run / "bbox_root_pose_human36m_output.json").read_text()) == json.loads(
            (Path(ref["run_dir"]) / "bbox_root_pose_human36m_output.json").read_text()
        )
    else:  # LAPACK's SVD (rigid alignment) may differ in the last bits from one process to another
        assert record["total_mm"] == pytest.approx(ref["total_mm"], abs=1e-6)
    assert not (tmp_path / "many" / ".partial").exists()
    assert f"(rank 0 of {nproc})" in done.stderr  # rank 0 shows progress (the other ranks show none)


@pytest.mark.slow
def test_torchrun_rank_failure_names_the_rank(h36m_dir: Path, xs_checkpoints: list[Path], tmp_path: Path) -> None:
    data = tmp_path / "Human36M"
    shutil.copytree(h36m_dir, data)
    from cnp_h36m.dataset import Human36M

    split = Human36M().load_split(data, SplitOptions(use_cache=False))
    Path(split.image_paths[-1]).unlink()  # only the last rank's shard has it
    out = tmp_path / "out"
    args = ["--variant", "XS", "--checkpoint", str(xs_checkpoints[0]), "--data-dir", str(data), "--output", str(out)]
    done = torchrun(2, *args, "--workers", "0")
    assert done.returncode != 0
    assert "error: rank 1 of 2 failed: 1 of" in done.stderr and "images are missing" in done.stderr
    assert not out.exists() or not [p for p in out.iterdir() if not p.name.startswith(".")]


class Counting(nn.Module):
    """Counts images through the model; raises KeyboardInterrupt after ``stop_after`` forwards."""

    def __init__(self, model: nn.Module, stop_after: int | None = None) -> None:
        super().__init__()
        self.model, self.stop_after, self.calls, self.images = model, stop_after, 0, 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stop_after is not None and self.calls >= self.stop_after:
            raise KeyboardInterrupt
        self.calls += 1
        self.images += len(x)
        out: torch.Tensor = self.model(x)
        return out


def job_for(data: Path, out: Path, **kw: Any) -> EvalJob:
    from cnp_core import get_variant

    inference = InferenceConfig(batch_size=8, workers=0, progress=False, batched_flip=False)
    return EvalJob(variant=get_variant("XS"), data_dir=data, dataset="h36m", inference=inference, output_dir=out, **kw)


@pytest.mark.slow
def test_resume_skips_finished_and_recomputes_stale(h36m_dir: Path, xs_checkpoints: list[Path], tmp_path: Path) -> None:
    ckpts = [tmp_path / p.name for p in xs_checkpoints]
    for src, dst in zip(xs_checkpoints, ckpts, strict=True):
        shutil.copy(src, dst)
    job = job_for(h36m_dir, tmp_path / "out")
    first = run_evaluation(job, ckpts)
    seen: list[Counting] = []

    def count(model: nn.Module) -> nn.Module:
        seen.append(Counting(model))
        return seen[-1]

    again = run_evaluation(job, ckpts, prepare_model=count, resume=True)
    assert not seen and [r["resumed"] for r in again] == [True, True]
    assert [r["total_mm"] for r in again] == [r["total_mm"] for r in first]
    write_checkpoint(random_state_dict("XS", seed=9), ckpts[1], form="pth", epoch=2)  # same name, new weights
    third = run_evaluation(job, ckpts, prepare_model=count, resume=True)
    assert len(seen) == 1 and seen[0].images == 2 * 120  # flip: two forwards per image
    assert third[0].get("resumed") and not third[1].get("resumed")
    assert third[1]["total_mm"] != first[1]["total_mm"]
    assert third[1]["config_hash"] != first[1]["config_hash"]
    rerun = run_evaluation(job, ckpts, prepare_model=count)  # without --resume everything is recomputed
    assert len(seen) == 3 and not any(r.get("resumed") for r in rerun)


@pytest.mark.slow
def test_resume_continues_an_interrupted_run(h36m_dir: Path, xs_checkpoints: list[Path], tmp_path: Path) -> None:
    job = job_for(h36m_dir, tmp_path / "out", block_batches=2, optimize=False)  # blocks of 16 samples, literal model
    clean = run_evaluation(job_for(h36m_dir, tmp_path / "clean", optimize=False), xs_checkpoints[:1])[0]
    with pytest.raises(KeyboardInterrupt):
        run_evaluation(job, xs_checkpoints[:1], prepare_model=lambda m: Counting(m, stop_after=10))
    run_dir = Path(clean["run_dir"].replace(str(tmp_path / "clean"), str(tmp_path / "out")))
    assert not run_dir.exists()
    blocks = list((tmp_path / "out" / ".partial").rglob("coords_*.npy"))
    assert len(blocks) == 2  # 10 forwards = 5 batches of 8 (flip): two full blocks of 16 saved
    counter: list[Counting] = []
    resumed = run_evaluation(
        job, xs_checkpoints[:1], prepare_model=lambda m: counter.append(Counting(m)) or counter[-1], resume=True
    )[0]
    assert counter[0].images == 2 * (120 - 32)
    assert resumed["total_mm"] == pytest.approx(clean["total_mm"], abs=1e-9)
    assert np.array_equal(np.load(run_dir / "coords_heatmap.npy"), np.load(Path(clean["run_dir"]) / "coords_heatmap.npy"))
    assert not (tmp_path / "out" / ".partial").exists()


@pytest.mark.parametrize("variant", ["XS", *(pytest.param(v, marks=pytest.mark.slow) for v in ("S", "M", "L")), "XS-wide"])
def test_onnx_parity_every_variant(variant: str, tmp_path: Path) -> None:
    from cnp_core import build_model, get_variant, optimize_for_inference
    from cnp_core._inference.export import ExportOptions, OnnxRuntimeModel, export_module, exportable, read_export_metadata

    spec = get_variant(variant)
    model = build_model(spec)
    model.load_state_dict(random_state_dict(spec, seed=4))
    model.eval()
    x = torch.randn(3, 3, *spec.input_shape, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        literal = model(x)
        served, _ = optimize_for_inference(model)
        reference = served(x)  # the form `cnp eval` runs
    path = tmp_path / f"{variant}.onnx"
    meta = export_module(model, spec, path)
    assert read_export_metadata(path)["variant"] == spec.name and meta["batch_size"] is None
    ort = OnnxRuntimeModel(path)(x)
    assert (ort - reference).abs().max().item() <= 1e-4
    assert (ort - literal).abs().max().item() <= 1e-3
    fixed = tmp_path / f"{variant}-b2.onnx"
    export_module(model, spec, fixed, ExportOptions(batch_size=2))
    assert (OnnxRuntimeModel(fixed)(x) - ort).abs().max().item() <= 1e-5  # 3 images: one full batch + one padded
    with torch.inference_mode():
        assert (exportable(model)(x) - reference).abs().max().item() <= 1e-5


def test_torchscript_export_and_inspect(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cnp_cli.app import app

    ckpt = tmp_path / "m.pth.tar"
    write_checkpoint(random_state_dict("M", seed=1), ckpt, form="pth", epoch=3)
    out = tmp_path / "m.pt"
    runner = CliRunner()
    result = runner.invoke(app, ["export", "-v", "M", "-c", str(ckpt), "--format", "torchscript", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["format"] == "torchscript"
    info = json.loads(runner.invoke(app, ["inspect", str(out), "--json"]).stdout)
    assert info["kind"] == "exported model" and info["variant"] == "M" and info["batch_size"] is None
    from cnp_core import build_model, load_checkpoint, optimize_for_inference

    model = build_model("M")
    load_checkpoint(model, ckpt)
    x = torch.randn(2, 3, 256, 256)
    scripted = torch.jit.load(str(out))
    with torch.inference_mode():
        served, _ = optimize_for_inference(model.eval())
        assert (scripted(x) - served(x)).abs().max().item() <= 1e-4
    wrong = runner.invoke(app, ["inspect", str(out), "--variant", "L"])
    assert wrong.exit_code == 1 and "pass --variant M" in wrong.stderr


@pytest.mark.slow
def test_eval_onnxruntime_backend_matches_torch(h36m_dir: Path, xs_checkpoints: list[Path], tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cnp_cli.app import app

    runner = CliRunner()
    onnx_file = tmp_path / "xs.onnx"
    assert runner.invoke(app, ["export", "-v", "XS", "-c", str(xs_checkpoints[0]), "--out", str(onnx_file)]).exit_code == 0
    common = ["eval", "-v", "XS", "--data-dir", str(h36m_dir), "--output", str(tmp_path / "out"), "--json"]
    torch_run = json.loads(runner.invoke(app, [*common, "-c", str(xs_checkpoints[0])]).stdout)[0]
    result = runner.invoke(app, [*common, "--backend", "onnxruntime", "--model", str(onnx_file)])
    assert result.exit_code == 0, result.output
    ort_run = json.loads(result.stdout)[0]
    assert ort_run["backend"] == "onnxruntime" and ort_run["num_samples"] == 120
    assert abs(ort_run["total_mm"] - torch_run["total_mm"]) <= 1e-3
    wrong = runner.invoke(
        app, ["eval", "-v", "M", "--data-dir", str(h36m_dir), "--backend", "onnxruntime", "--model", str(onnx_file)]
    )
    assert wrong.exit_code == 1 and "pass --variant XS" in wrong.stderr
