"""The plugin platform as a third-party author meets it: wrapper hooks, option names, failing
callbacks, collapsed predictions and same-named checkpoints, through `cnp` as a user runs it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from typer.testing import CliRunner

from cnp_cli.app import app
from cnp_core import DatasetOption, Variant, freeze_config, hookimpl, random_state_dict, write_checkpoint
from cnp_core._plugins.host import PluginLoadWarning, build_host, set_host

runner = CliRunner()
XS_CONFIG = freeze_config({"depths": (2, 2, 6, 2), "dims": (40, 80, 160, 320)})


def _variant(name: str) -> Variant:
    return Variant(name, "convnext-bn", XS_CONFIG, "deconv-2up", freeze_config({"channels": 128}), 32, (32, 32))


class NewStyleWrapper:
    @hookimpl(wrapper=True)
    def cnp_register_variants(self, registrar: Any) -> Iterator[None]:
        registrar.register("XS-wrapped", _variant("XS-wrapped"))
        return (yield)


class OldStyleWrapper:
    @hookimpl(hookwrapper=True)
    def cnp_register_variants(self, registrar: Any) -> Iterator[None]:
        registrar.register("XS-oldwrap", _variant("XS-oldwrap"))
        yield


def test_a_wrapper_hookimpl_registers_through_pluggy() -> None:
    host = build_host([("new-wrapper", NewStyleWrapper()), ("old-wrapper", OldStyleWrapper())])
    variants = host.registry("variant")
    assert variants.entry("XS-wrapped").plugin == "new-wrapper" and variants.entry("XS-oldwrap").plugin == "old-wrapper"
    assert variants.entry("XS").plugin == "cnp-heads"  # the other plugins' registrations are untouched
    traced: list[str] = []
    host = build_host([("new-wrapper", NewStyleWrapper())])
    undo = host.pm.add_hookcall_monitoring(lambda name, impls, kwargs: traced.append(name), lambda *a: None)
    host.registry("variant")
    undo()
    assert traced and set(traced) == {"cnp_register_variants"}  # pluggy saw every call


def _h36m_like(**changes: Any) -> Any:
    """Human3.6M's dataset with some declarations changed (a third-party dataset)."""
    from cnp_h36m.dataset import Human36M

    class Changed(Human36M):
        info = replace(Human36M.info, **changes)

    return Changed()


class OptionsPlugin:
    @hookimpl
    def cnp_register_datasets(self, registrar: Any) -> None:
        from cnp_h36m.options import OPTIONS

        extra = (DatasetOption("patch_cache", "clashes with cnp eval"), DatasetOption("lr", "clashes with cnp train"))
        registrar.register("h36m-opts", _h36m_like(options=(*OPTIONS, *extra)))


def test_a_dataset_option_never_shadows_a_flag_of_cnp(monkeypatch: pytest.MonkeyPatch) -> None:
    import inspect

    import cnp_cli.app as cli

    previous = set_host(build_host([("options-plugin", OptionsPlugin())]))
    monkeypatch.setattr(cli, "_plugin_commands_added", False)
    for info in cli.app.registered_commands:  # restored after the test
        monkeypatch.setattr(info, "callback", info.callback)
    try:
        with pytest.warns(PluginLoadWarning) as caught:
            cli.add_plugin_commands()
        messages = [str(w.message) for w in caught]
        assert any("'options-plugin'" in m and "'patch_cache'" in m and "cnp eval" in m for m in messages), messages
        assert any("'options-plugin'" in m and "'lr'" in m and "cnp train" in m for m in messages), messages
        commands = {c.name: c.callback for c in cli.app.registered_commands}
        eval_params = inspect.signature(commands["eval"]).parameters
        train_params = inspect.signature(commands["train"]).parameters
        # still cnp's own: a switch and a float, not the dataset's string options
        assert "bool" in str(eval_params["patch_cache"].annotation) and "float" in str(train_params["lr"].annotation)
    finally:
        set_host(previous)


@pytest.fixture(scope="module")
def xs_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_checkpoint(random_state_dict("XS", seed=5), tmp_path_factory.mktemp("xs") / "xs.safetensors", form="safetensors")


def _broken_results(split: Any, result: Any) -> dict[str, Any]:
    raise KeyError("joint_cam_14")


class RaisingResults:
    @hookimpl
    def cnp_register_datasets(self, registrar: Any) -> None:
        registrar.register("h36m-broken", _h36m_like(result_files=_broken_results))


@pytest.mark.slow  # a whole evaluation
def test_a_raising_result_files_is_one_line_naming_the_plugin(h36m_dir: Path, xs_weights: Path, tmp_path: Path) -> None:
    previous = set_host(build_host([("raising-plugin", RaisingResults())]))
    try:
        args = ["eval", "--variant", "XS", "--dataset", "h36m-broken", "--checkpoint", str(xs_weights)]
        args += ["--data-dir", str(h36m_dir), "--protocol", "1", "--no-flip", "--workers", "0", "--output", str(tmp_path / "out")]
        result = runner.invoke(app, args)
    finally:
        set_host(previous)
    assert result.exit_code == 1, result.output
    err = result.stderr[result.stderr.index("error: ") :]  # after the progress bar
    assert err.count("\n") == 1, err
    assert "plugin 'raising-plugin'" in err and "h36m-broken's result_files" in err and "KeyError" in err
    assert "Traceback" not in result.output
    left = [p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")] if (tmp_path / "out").exists() else []
    assert left == []  # no run folder, not even half of one


def test_a_zero_classifier_is_scored_not_a_crash(tmp_path: Path) -> None:
    """Every logit equal: the soft-argmax puts every joint at the grid's centre, so the prediction
    is one point. Its metrics then follow from the ground truth alone (worked out here)."""
    state = random_state_dict("XS", seed=1)
    state["head.final_layer.weight"].zero_()
    state["head.final_layer.bias"].zero_()
    ckpt = write_checkpoint(state, tmp_path / "zero.safetensors", form="safetensors")
    args = ["eval", "--variant", "XS", "--demo", "--checkpoint", str(ckpt), "--output", str(tmp_path / "out"), "--json"]
    result = runner.invoke(app, [*args, "--protocol", "1", "--no-flip"])
    assert result.exit_code == 0, result.output
    (record,) = json.loads(result.stdout)
    n = record["num_samples"]
    assert record["degenerate_predictions"] == n
    table = np.load(Path(record["run_dir"]) / "samples.npz")
    gt = table["gt_cam_mm"].astype(np.float64)
    gt = gt - gt[:, :1]
    scored = list(range(17))  # Thorax (17) is fitted on, not scored
    # the prediction is the root itself once root-relative: MPJPE is each joint's distance from the pelvis
    assert record["metrics"]["mpjpe"]["total"] == pytest.approx(np.linalg.norm(gt[:, scored], axis=2).mean(), abs=0.01)
    # a rigid fit can only translate a point: it lands on the 18-joint centroid of the ground truth
    centroid = gt.mean(axis=1, keepdims=True)
    expected = np.linalg.norm(gt[:, scored] - centroid, axis=2).mean()
    assert record["total"] == record["total_mm"] == pytest.approx(expected, abs=0.01)
    assert record["metrics"]["p_mpjpe"]["total"] == pytest.approx(expected, abs=0.01)
    assert all(np.isfinite(m["total"]) for m in record["metrics"].values())


@pytest.mark.slow  # a whole evaluation
def test_three_same_named_checkpoints_get_three_run_folders(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    paths = [
        write_checkpoint(random_state_dict("XS", seed=s), folder / name, form=form)
        for s, (name, form) in enumerate([("w.safetensors", "safetensors"), ("w.pth.tar", "pth"), ("w.pth", "pth")])
    ]
    args = ["eval", "--variant", "XS", "--demo", "--output", str(tmp_path / "out"), "--json", "--protocol", "1", "--no-flip"]
    for path in paths:
        args += ["--checkpoint", str(path)]
    result = runner.invoke(app, [*args, "--checkpoint", str(paths[0])])  # and one file twice
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    folders = [r["run_dir"] for r in records]
    assert len(set(folders)) == 4, folders
    for record in records:
        on_disk = json.loads((Path(record["run_dir"]) / "metrics.json").read_text())
        assert on_disk["checkpoint"] == record["checkpoint"] and on_disk["total"] == record["total"]
    assert [Path(f).name for f in folders[:3]] == [
        "XS_d-w_safetensors_h36m_p1_gt_noflip",
        "XS_d-w_pth_tar_h36m_p1_gt_noflip",
        "XS_d-w_pth_h36m_p1_gt_noflip",
    ]


def test_plugins_lists_metrics_and_commands() -> None:
    result = runner.invoke(app, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["cnp-h36m"]["registered"]["command"][:2] == ["data", "data synth"]
    assert rows["cnp-mupots"]["registered"]["command"] == [
        "data synth-mupots",
        "data synth-muco",
        "data synth-coco",
    ]  # in another plugin's group
    assert "pck150" in rows["cnp-core"]["registered"]["metric"]


class StrictEvaluator:
    """An evaluator that takes a per-action mean of every action it is given (NaN for an empty one)."""

    name = "strict-mpjpe"
    metric = "MPJPE"
    alignment = "none"
    seen: ClassVar[list[tuple[str, ...]]] = []

    def evaluate(self, split: Any, coords: Any, variant: Any) -> Any:
        from cnp_core.plugin import score_poses

        StrictEvaluator.seen.append(split.action_names)
        counts = np.bincount(split.actions, minlength=len(split.action_names))
        if (counts == 0).any():
            raise ValueError("an action without rows")
        return score_poses(split, coords, variant, self.metric, self.alignment)


class StrictPlugin:
    @hookimpl
    def cnp_register_datasets(self, registrar: Any) -> None:
        registrar.register(
            "h36m-strict", _h36m_like(evaluators={"none": "strict-mpjpe"}, default_alignment={1: "none", 2: "none"})
        )

    @hookimpl
    def cnp_register_evaluators(self, registrar: Any) -> None:
        registrar.register("strict-mpjpe", StrictEvaluator())


@pytest.mark.slow  # a whole evaluation
def test_with_exclude_an_evaluator_receives_only_actions_with_rows(h36m_dir: Path, xs_weights: Path, tmp_path: Path) -> None:
    previous = set_host(build_host([("strict-plugin", StrictPlugin())]))
    try:
        args = ["eval", "--variant", "XS", "--dataset", "h36m-strict", "--checkpoint", str(xs_weights), "--json"]
        args += ["--data-dir", str(h36m_dir), "--protocol", "1", "--no-flip", "--workers", "0", "--output", str(tmp_path)]
        result = runner.invoke(app, [*args, "--exclude", "S11_Greeting,S11_Walking*"])
    finally:
        set_host(previous)
    assert result.exit_code == 0, result.output
    (record,) = json.loads(result.stdout)
    assert "Greeting" not in StrictEvaluator.seen[-1] and "Walking" not in StrictEvaluator.seen[-1]
    assert len(StrictEvaluator.seen[-1]) == 13  # 15 actions less the two left out (WalkDog is not Walking*)
    # the record still lists every action, the left-out ones as null
    assert len(record["per_action"]) == 15 and record["per_action"]["Greeting"] is None
    assert record["per_action_mm"]["Walking"] is None and record["per_action"]["Eating"] is not None
