"""Datasets declare themselves (cnp_core.DatasetInfo); cnp reads only the declaration.

A third-party dataset or evaluator must neither leak into the stock Human3.6M path nor be scored
silently with the wrong joints.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cnp_core import CnpError, DatasetInfo, ParameterError, get_variant, hookimpl
from cnp_core._data.records import DatasetOption, Published, SplitOptions, check_joints_fit
from cnp_core._evaluation.pipeline import EvalJob, evaluator_for, metric_label
from cnp_core._plugins.host import PluginLoadWarning, build_host, set_host

FOURTEEN = tuple(f"j{i}" for i in range(14))


def _info(**changes: Any) -> DatasetInfo:
    fields: dict[str, Any] = {
        "joint_names": FOURTEEN,
        "flip_pairs": ((1, 4), (2, 5)),
        "root_index": 0,
        "evaluators": {"none": "toy-mpjpe"},
        "default_alignment": {1: "none"},
        "metric_names": {1: "Toy MPJPE"},
    }
    fields.update(changes)
    return DatasetInfo(**fields)


class ToyEvaluator:
    name = "toy-mpjpe"
    metric = "Toy MPJPE"
    alignment = "none"  # the same alignment as Human3.6M's Protocol 2 evaluator

    def evaluate(self, split: Any, coords: Any, variant: Any) -> Any:
        raise AssertionError("a plugin's evaluator must never score another dataset")


class ToyDataset:
    name = "toy14"
    description = "14 joints"
    info = _info()

    def load_split(self, data_dir: Path, options: Any) -> Any:
        raise AssertionError("not read in these tests")


class Undeclared:
    name = "undeclared"
    description = "no info"

    def load_split(self, data_dir: Path, options: Any) -> Any:
        raise AssertionError


class ToyPlugin:
    @hookimpl
    def cnp_register_datasets(self, registrar: Any) -> None:
        registrar.register("toy14", ToyDataset())
        registrar.register("undeclared", Undeclared())

    @hookimpl
    def cnp_register_evaluators(self, registrar: Any) -> None:
        registrar.register("toy-mpjpe", ToyEvaluator())


def _host() -> Any:
    # the toy plugin first: an evaluator registered before the stock ones must still not be picked
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        host = build_host([("toy-plugin", ToyPlugin())])
        datasets = host.registry("dataset")
    messages = [str(w.message) for w in caught if issubclass(w.category, PluginLoadWarning)]
    return host, datasets, messages


def test_an_undeclared_dataset_is_a_warning_naming_the_plugin() -> None:
    _, datasets, messages = _host()
    assert "undeclared" not in datasets and "toy14" in datasets and "h36m" in datasets
    assert any("toy-plugin" in m and "undeclared" in m and "DatasetInfo" in m for m in messages)


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"flip_pairs": ((1, 20),)}, "outside"),
        ({"flip_pairs": ((1, 4), (4, 5))}, "two flip pairs"),
        ({"root_index": 14}, "root_index"),
        ({"evaluators": {}}, "no evaluators"),
        ({"default_alignment": {1: "rigid"}}, "no evaluator"),
        ({"joint_names": ()}, "no joint_names"),
        ({"options": (DatasetOption("split", "a"), DatasetOption("split", "b"))}, "repeated"),
        ({"options": (DatasetOption("split", "x", default="c", choices=("a", "b")),)}, "default 'c' is not one of"),
        ({"headline_option": "split"}, "not a declared option with choices"),
        (
            {"options": (DatasetOption("split", "x", default="a", choices=("a", "b")),), "headline_option": "split"},
            "exactly the choices of option split",
        ),
        ({"default_alignment": {1: "none", 2: "none"}, "metric_names": {1: "A", 2: "B"}}, "exactly one entry"),
        ({"published": (Published("XS", 7, 1.0),)}, "settings that are not declared"),
    ],
)
def test_declarations_are_checked(changes: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        _info(**changes)


def test_the_dataset_names_its_evaluators() -> None:
    host, _, _ = _host()
    stock = EvalJob(variant=get_variant("XS"), data_dir=Path("."), dataset="h36m")
    assert evaluator_for(stock, host).name == "mpjpe"  # not the toy plugin's "none" evaluator
    assert metric_label(evaluator_for(stock, host), stock, host) == "MPJPE"
    p1 = replace(stock, split=SplitOptions.of({"protocol": 1}))
    assert evaluator_for(p1, host).name == "pa-mpjpe" and metric_label(evaluator_for(p1, host), p1, host) == "PA MPJPE"
    toy = EvalJob(variant=get_variant("XS"), data_dir=Path("."), dataset="toy14")
    assert evaluator_for(toy, host).name == "toy-mpjpe"
    with pytest.raises(ParameterError, match="alignment 'rigid': not offered by this dataset; choose none"):
        evaluator_for(replace(toy, alignment="rigid"), host)
    with pytest.raises(ParameterError, match=r"protocol: not an option of this dataset \(its options: none\)"):
        evaluator_for(replace(toy, split=SplitOptions.of({"protocol": 2})), host)
    with pytest.raises(ParameterError, match="protocol 3: choose 1 or 2"):
        evaluator_for(replace(stock, split=SplitOptions.of({"protocol": "3"})), host)


def test_joint_counts_must_match_before_any_data_is_read(tmp_path: Path) -> None:
    with pytest.raises(CnpError, match="variant XS predicts 18 joints but dataset toy14 has 14"):
        check_joints_fit(get_variant("XS"), ToyDataset.info, "toy14")
    host, _, _ = _host()
    previous = set_host(host)
    try:
        from cnp_cli.app import app

        runner = CliRunner()
        ckpt = tmp_path / "xs.pth"
        assert runner.invoke(app, ["checkpoints", "synth", "--variant", "XS", "--out", str(ckpt)]).exit_code == 0
        args = ["eval", "--variant", "XS", "--checkpoint", str(ckpt), "--dataset", "toy14", "--data-dir", str(tmp_path / "none")]
        for result in (
            runner.invoke(app, args),
            runner.invoke(app, ["benchmark", "--variant", "XS", "--dataset", "toy14", "--iters", "1"]),
        ):
            assert result.exit_code == 1 and "predicts 18 joints but dataset toy14 has 14" in result.stderr
            assert result.stderr.count("\n") == 1
    finally:
        set_host(previous)
