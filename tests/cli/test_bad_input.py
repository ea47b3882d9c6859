"""Nothing lost, nothing silently wrong: careless or hostile input gets one `error:` line and exit 1.

Each test here reproduces one defect of issue 13 as a user meets it, through the `cnp` command.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnp_cli.app import app

runner = CliRunner()


def run(*args: str) -> object:
    return runner.invoke(app, [str(a) for a in args])


def assert_one_error(result: object, *fragments: str, notice: bool = False) -> None:
    """Exit 1 and one `error:` line on stderr (after the demo's notice where ``notice``)."""
    assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
    err = result.stderr  # type: ignore[attr-defined]
    if notice:
        err = err[err.index("error: ") :]
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in result.output  # type: ignore[attr-defined]
    for fragment in fragments:
        assert fragment in err, err


@pytest.fixture(scope="module")
def xs_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ckpt") / "snapshot_70.pth.tar"
    assert run("checkpoints", "synth", "--variant", "XS", "--out", path, "--epoch", "70").exit_code == 0  # type: ignore[attr-defined]
    return path


def _copy_annotations(h36m_dir: Path, dest: Path) -> Path:
    """A data folder sharing the images (a link) with editable copies of the JSON files."""
    shutil.copytree(h36m_dir / "annotations", dest / "annotations")
    shutil.copytree(h36m_dir / "bbox_root", dest / "bbox_root")
    (dest / "images").symlink_to(h36m_dir / "images")
    return dest


def _eval(data: Path, ckpt: Path, out: Path, *extra: str) -> object:
    return run("eval", "--variant", "XS", "--checkpoint", ckpt, "--data-dir", data, "--output", out, "--workers", "0", *extra)


# 1. `cnp data synth OUT` must not delete what is at OUT


def test_synth_refuses_a_folder_it_did_not_write(tmp_path: Path) -> None:
    target = tmp_path / "Human36M"
    (target / "images").mkdir(parents=True)
    (target / "notes.txt").write_text("my notes")
    (target / "images" / "a.jpg").write_bytes(b"\xff\xd8 user image")
    result = run("data", "synth", target, "--frames", "1", "--cameras", "1", "--subactions", "1", "--no-images")
    assert_one_error(result, str(target), "--force")
    assert (target / "notes.txt").read_text() == "my notes" and (target / "images" / "a.jpg").is_file()


def test_synth_refuses_a_file_and_replaces_its_own_output(tmp_path: Path) -> None:
    file = tmp_path / "data.bin"
    file.write_bytes(b"precious")
    assert_one_error(run("data", "synth", file, "--frames", "1"), "--force")
    assert file.read_bytes() == b"precious"
    own = tmp_path / "synthetic"
    args = ("data", "synth", own, "--frames", "1", "--cameras", "1", "--subactions", "1", "--no-images")
    assert run(*args).exit_code == 0  # type: ignore[attr-defined]
    assert run(*args, "--seed", "3").exit_code == 0  # its own output: replaced without --force  # type: ignore[attr-defined]
    forced = run("data", "synth", file, "--frames", "1", "--cameras", "1", "--subactions", "1", "--no-images", "--force")
    assert forced.exit_code == 0 and file.is_dir()  # type: ignore[attr-defined]


# 2. two checkpoints of one name in one run keep both results


@pytest.mark.slow
def test_checkpoints_sharing_a_file_name_get_their_own_run_folders(h36m_dir: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "runA" / "snapshot_70.pth.tar", tmp_path / "runB" / "snapshot_70.pth.tar"
    for path, seed in ((a, "1"), (b, "2")):
        assert run("checkpoints", "synth", "--variant", "XS", "--out", path, "--seed", seed).exit_code == 0  # type: ignore[attr-defined]
    result = _eval(h36m_dir, a, tmp_path / "out", "--checkpoint", b, "--json", "--protocol", "1", "--no-flip")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    records = json.loads(result.stdout)  # type: ignore[attr-defined]
    folders = {Path(r["run_dir"]).name for r in records}
    assert folders == {"XS_runA-snapshot_70_h36m_p1_gt_noflip", "XS_runB-snapshot_70_h36m_p1_gt_noflip"}
    for record in records:
        on_disk = json.loads((Path(record["run_dir"]) / "metrics.json").read_text())
        assert on_disk["checkpoint"] == record["checkpoint"] and on_disk["total_mm"] == record["total_mm"]
    assert records[0]["total_mm"] != records[1]["total_mm"]


def test_eval_refuses_a_run_folder_it_did_not_write(h36m_dir: Path, xs_checkpoint: Path, tmp_path: Path) -> None:
    squatter = tmp_path / "out" / "XS_snapshot_70_h36m_p1_gt_noflip"
    squatter.mkdir(parents=True)
    (squatter / "mine.txt").write_text("keep")
    assert_one_error(_eval(h36m_dir, xs_checkpoint, tmp_path / "out", "--protocol", "1", "--no-flip"), "--force")
    assert (squatter / "mine.txt").read_text() == "keep"


# 3. non-finite inputs never become `nan` results


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [({"bbox": None}, "bbox"), ({"root_cam": [0, None, 5000]}, "root_cam"), ({"bbox": [10, 10, 0, -5]}, "positive")],
)
def test_rootnet_entries_must_be_finite_boxes_and_roots(
    h36m_dir: Path, xs_checkpoint: Path, tmp_path: Path, entry: dict[str, object], fragment: str
) -> None:
    entries = json.loads((h36m_dir / "bbox_root" / "bbox_root_human36m_output.json").read_text())
    entries[3].update(entry)
    bad = tmp_path / "bbox_root.json"
    bad.write_text(json.dumps(entries))
    args = ("--protocol", "2", "--bbox", "rootnet", "--bbox-root", str(bad))
    assert_one_error(_eval(h36m_dir, xs_checkpoint, tmp_path / "out", *args), str(bad), "entry 3", fragment)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    check = run("data", "check", h36m_dir, "--bbox", "rootnet", "--bbox-root", bad)
    assert check.exit_code == 1 and "entry 3" in check.stderr  # type: ignore[attr-defined]


def test_zero_focal_length_is_refused(h36m_dir: Path, xs_checkpoint: Path, tmp_path: Path) -> None:
    data = _copy_annotations(h36m_dir, tmp_path / "H36M")
    cam_file = data / "annotations" / "Human36M_subject11_camera.json"
    cameras = json.loads(cam_file.read_text())
    cameras["1"]["f"] = [0, 0]
    cam_file.write_text(json.dumps(cameras))
    assert_one_error(_eval(data, xs_checkpoint, tmp_path / "out", "--protocol", "1"), "focal length f", "camera 1 of subject 11")
    check = run("data", "check", data, "--protocol", "1")
    assert check.exit_code == 1 and "focal length f" in check.stderr  # type: ignore[attr-defined]


def test_predict_refuses_impossible_cameras(h36m_dir: Path, xs_checkpoint: Path) -> None:
    image = next((h36m_dir / "images").rglob("*.jpg"))
    common = ("predict", image, "--variant", "XS", "--checkpoint", xs_checkpoint, "--json")
    assert_one_error(run(*common, "--focal", "0,0"), "focal")
    assert_one_error(run(*common, "--root-depth", "-5"), "root depth")
    assert_one_error(run(*common, "--bbox", "10,10,0,50"), "bbox")


def test_json_is_strict_before_anything_is_written(tmp_path: Path) -> None:
    from cnp_core.plugin import OutputError, write_json

    target = tmp_path / "metrics.json"
    with pytest.raises(OutputError, match=r"at \['per_action_mm'\]\['Eating'\]"):
        write_json(target, {"total_mm": 1.0, "per_action_mm": {"Eating": float("nan")}})
    assert not target.exists() and list(tmp_path.iterdir()) == []


# 4. unwritable outputs are one line naming the path


def test_unwritable_outputs_are_one_line(h36m_dir: Path, xs_checkpoint: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    inside = blocker / "sub"
    assert_one_error(_eval(h36m_dir, xs_checkpoint, blocker, "--protocol", "1"), str(blocker))
    assert_one_error(_eval(h36m_dir, xs_checkpoint, inside, "--protocol", "1"), str(inside))
    assert_one_error(run("convert", xs_checkpoint, inside / "x.safetensors"), str(inside))
    assert_one_error(run("checkpoints", "synth", "--variant", "XS", "--out", inside / "c.pth"), str(inside))
    image = next((h36m_dir / "images").rglob("*.jpg"))
    predict = run("predict", image, "--variant", "XS", "--checkpoint", xs_checkpoint, "--out", inside / "p.png")
    assert_one_error(predict, str(inside))
    export = run("export", "--variant", "XS", "--checkpoint", xs_checkpoint, "--out", inside / "m.onnx")
    assert_one_error(export, str(inside))
    assert blocker.read_text() == "x"


def test_demo_with_an_unwritable_cache_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "cache-file"
    blocker.write_text("x")
    monkeypatch.setenv("CNP_CACHE_DIR", str(blocker))
    assert_one_error(run("eval", "--variant", "XS", "--demo", "--output", tmp_path / "out"), "CNP_CACHE_DIR", notice=True)


def test_os_errors_become_output_errors(tmp_path: Path) -> None:
    from cnp_core._output.atomic import OutputError, os_errors

    with pytest.raises(OutputError, match=r"cannot write .*out\.json: Permission denied; choose a writable location"):
        with os_errors(tmp_path / "out.json"):
            raise PermissionError(13, "Permission denied")


# 5. malformed records


def test_annotation_without_file_name(h36m_dir: Path, xs_checkpoint: Path, tmp_path: Path) -> None:
    data = _copy_annotations(h36m_dir, tmp_path / "H36M")
    ann = data / "annotations" / "Human36M_subject11_data.json"
    content = json.loads(ann.read_text())
    del content["images"][0]["file_name"]
    ann.write_text(json.dumps(content))
    assert_one_error(_eval(data, xs_checkpoint, tmp_path / "out", "--protocol", "1"), "file_name", str(ann))


def test_compare_refuses_non_numbers_and_lists_run_folders(h36m_dir: Path, xs_checkpoint: Path, tmp_path: Path) -> None:
    made = _eval(h36m_dir, xs_checkpoint, tmp_path / "out", "--protocol", "1", "--no-flip", "--json")
    run_dir = Path(json.loads(made.stdout)[0]["run_dir"])  # type: ignore[attr-defined]
    assert_one_error(run("compare", tmp_path / "out"), "holds run folders", run_dir.name)
    record = json.loads((run_dir / "metrics.json").read_text())
    record["total_mm"] = "12.5"
    (tmp_path / "bad.json").write_text(json.dumps(record))
    assert_one_error(run("compare", run_dir, tmp_path / "bad.json"), "total_mm", "finite number")


# 6. permissions follow the umask


def test_outputs_follow_the_umask(h36m_dir: Path, xs_checkpoint: Path, tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        made = _eval(h36m_dir, xs_checkpoint, tmp_path / "out", "--protocol", "1", "--no-flip", "--json")
        synth = run("data", "synth", tmp_path / "syn", "--frames", "1", "--cameras", "1", "--subactions", "1")
    finally:
        os.umask(previous)
    assert made.exit_code == 0 and synth.exit_code == 0  # type: ignore[attr-defined]
    run_dir = Path(json.loads(made.stdout)[0]["run_dir"])  # type: ignore[attr-defined]
    image = next((tmp_path / "syn" / "images").rglob("*.jpg"))
    for path, mode in ((run_dir, 0o755), (run_dir / "metrics.json", 0o644), (tmp_path / "syn", 0o755), (image, 0o644)):
        assert stat.S_IMODE(path.stat().st_mode) == mode, path


# poor messages


def test_checkpoint_without_batchnorm_counters_loads(h36m_dir: Path, tmp_path: Path) -> None:
    from cnp_core import random_state_dict, write_checkpoint

    state = {k: v for k, v in random_state_dict("XS", seed=1).items() if not k.endswith("num_batches_tracked")}
    path = write_checkpoint(state, tmp_path / "xs.safetensors", form="safetensors")
    info = json.loads(run("inspect", path, "--json").stdout)  # type: ignore[attr-defined]
    assert info["detected_variants"] == ["XS"]
    result = _eval(h36m_dir, path, tmp_path / "out", "--protocol", "1", "--no-flip")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]


def test_paths_of_the_wrong_kind_are_named(h36m_dir: Path, xs_checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    folder = _eval(h36m_dir, xs_checkpoint, out, "--bbox", "rootnet", "--bbox-root", str(tmp_path))
    assert_one_error(folder, "--bbox-root", "is a folder")
    missing = _eval(h36m_dir, xs_checkpoint, out, "--bbox", "rootnet", "--bbox-root", str(tmp_path / "nope.json"))
    assert_one_error(missing, "--bbox-root", "does not exist")
    assert_one_error(_eval(xs_checkpoint, xs_checkpoint, out), "is a file")
    predict = run("predict", tmp_path, "--variant", "XS", "--checkpoint", xs_checkpoint)
    assert_one_error(predict, "is a folder")


@pytest.mark.slow
def test_damaged_demo_cache_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNP_CACHE_DIR", str(tmp_path / "cache"))
    args = ("eval", "--variant", "XS", "--demo", "--output", tmp_path / "out", "--workers", "0", "--json", "--no-flip")
    first = run(*args)
    assert first.exit_code == 0, first.output  # type: ignore[attr-defined]
    images = sorted((tmp_path / "cache").rglob("*.jpg"))
    images[0].write_bytes(b"broken")
    ckpt = next((tmp_path / "cache").rglob("ConvNeXtPose_XS.tar"))
    ckpt.write_bytes(b"not a checkpoint")
    again = run(*args)
    assert again.exit_code == 0, again.output  # type: ignore[attr-defined]
    assert json.loads(again.stdout)[0]["total_mm"] == json.loads(first.stdout)[0]["total_mm"]  # type: ignore[attr-defined]


@pytest.mark.slow
def test_sigterm_is_an_interrupt_without_tracebacks(h36m_dir: Path, xs_checkpoint: Path, tmp_path: Path) -> None:
    """A scheduler's SIGTERM mid-inference: exit 130, one line, no worker traceback, no half-written run."""
    import signal
    import subprocess
    import sys
    import time

    exe = Path(sys.executable).with_name("cnp")
    args = [str(exe), "eval", "--variant", "XS", "--checkpoint", str(xs_checkpoint), "--data-dir", str(h36m_dir)]
    args += ["--output", str(tmp_path / "out"), "--workers", "1", "--batch-size", "1"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (tmp_path / "out" / ".partial").exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)  # the first saved block comes after 32 batches: inference is under way
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("error: interrupted"), err
    assert not any(p.name.startswith("XS_") for p in (tmp_path / "out").iterdir())


def test_eval_offers_the_declared_options_and_names_the_flag_in_errors(h36m_dir: Path, xs_checkpoint: Path) -> None:
    from typer.testing import CliRunner

    from cnp_cli.app import app

    runner = CliRunner()
    shown = runner.invoke(app, ["eval", "--help"], env={"COLUMNS": "300"}).stdout
    assert "--protocol" in shown and "choices: 1, 2; default: 2" in shown and "choices: gt, rootnet" in shown
    args = ["eval", "--variant", "XS", "--checkpoint", str(xs_checkpoint), "--data-dir", str(h36m_dir)]
    for extra, message in (
        (["--protocol", "3"], "error: --protocol 3: choose 1 or 2"),
        (["--protocol", "two"], "error: --protocol 'two': choose 1 or 2"),
        (["--bbox", "detector"], "error: --bbox 'detector': choose gt or rootnet"),
    ):
        result = runner.invoke(app, [*args, *extra])
        assert result.exit_code == 1 and result.stderr.strip() == message


def test_library_errors_name_the_parameter_and_the_cli_the_flag(h36m_dir: Path, tmp_path: Path) -> None:
    from cnp_core import ParameterError
    from cnp_core._evaluation.pipeline import parse_epochs
    from cnp_core._inference.engine import resolve_device

    with pytest.raises(ParameterError, match=r"^epochs '7-x': use N, N-M") as caught:
        parse_epochs("7-x")
    assert caught.value.parameter == "epochs" and caught.value.value == "7-x"
    with pytest.raises(ParameterError, match=r"^device 'tpu': use auto, cpu, cuda or cuda:N"):
        resolve_device("tpu")
    dump = tmp_path / "dump"
    dump.mkdir()
    args = ("--model-dir", str(dump), "--epochs", "7-x", "--data-dir", str(h36m_dir))
    assert_one_error(run("eval", "--variant", "XS", *args), "--epochs '7-x': use N, N-M")
    assert_one_error(run("benchmark", "--variant", "XS", "--device", "tpu"), "--device 'tpu': use auto, cpu, cuda or cuda:N")
