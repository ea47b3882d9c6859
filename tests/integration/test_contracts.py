"""cnp_core.testing's contract checks: every installed plugin passes them, and they catch breakage."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
from torch import nn

from cnp_core import DatasetInfo, PaperNumbers, RawCheckpoint, Variant, build_host, freeze_config, hookimpl
from cnp_core.testing import check_contracts, check_datasets, check_formats, check_variants


def test_every_installed_plugin_passes(tmp_path: Path) -> None:
    check_contracts(tmp_path)  # cnp-core, cnp-heads, cnp-h36m and the example plugin


class WrongGridHead(nn.Module):
    """Declares 32x32 through its variant but gives 16x16."""

    def __init__(self, in_channels: int, joint_num: int, depth_dim: int) -> None:
        super().__init__()
        self.out = nn.Conv2d(in_channels, joint_num * depth_dim, 1)

    def forward(self, x: Any) -> Any:
        return nn.functional.interpolate(self.out(x), size=(16, 16))


class UnsafeFormat:
    """Reads with plain pickle: exactly what a format must never do."""

    name = "unsafe"
    description = "plain pickle"

    def detect(self, path: Path) -> bool:
        return path.suffix == ".ckpt"

    def read(self, path: Path) -> RawCheckpoint:
        pickle.loads(path.read_bytes())
        raise AssertionError


class BrokenPlugin:
    @hookimpl
    def cnp_register_heads(self, registrar: Any) -> None:
        registrar.register("wrong-grid", WrongGridHead)

    @hookimpl
    def cnp_register_variants(self, registrar: Any) -> None:
        config = freeze_config({"depths": (2, 2, 6, 2), "dims": (40, 80, 160, 320)})
        registrar.register(
            "wrong", Variant("wrong", "convnext-bn", config, "wrong-grid", (), 32, (32, 32), paper=PaperNumbers(params_m=9.9))
        )

    @hookimpl
    def cnp_register_datasets(self, registrar: Any) -> None:
        class Toy:
            name, description = "toy", "toy"
            info = DatasetInfo(("a", "b"), (), 0, {"none": "missing-evaluator"}, {1: "none"}, {1: "E"})

            def load_split(self, data_dir: Path, options: Any) -> Any:
                raise AssertionError

        registrar.register("toy", Toy())

    @hookimpl
    def cnp_register_checkpoint_formats(self, registrar: Any) -> None:
        registrar.register("unsafe", UnsafeFormat())


def test_the_checks_catch_a_broken_plugin(tmp_path: Path) -> None:
    host = build_host([("broken", BrokenPlugin())])
    variants = [p for p in check_variants(host) if "'wrong'" in p]
    assert any("logits (1, 576, 16, 16)" in p and "(1, 576, 32, 32)" in p for p in variants)
    assert any("parameters, the variant declares 9.9M" in p for p in variants)
    assert check_datasets(host) == [
        "dataset 'toy' (plugin 'broken'), evaluator 'missing-evaluator': no evaluator of that name is registered"
    ]
    formats = check_formats(tmp_path, host)
    assert formats and all("'unsafe' (plugin 'broken') ran code" in p for p in formats)


def test_front_doors_name_the_wrong_argument_and_list_the_valid_ones(tmp_path: Path) -> None:
    import cnp_core
    from cnp_core import ParameterError
    from cnp_core.testing import check_variants

    with pytest.raises(
        ParameterError, match=r"output: is not a parameter of evaluate\(\); its parameters: variant, .*output_dir"
    ):
        cnp_core.evaluate("XS", [], tmp_path, dataset="h36m", output=tmp_path)  # type: ignore[call-arg]
    with pytest.raises(ParameterError, match=r"config: is not a parameter of build_model\(\); its parameters: variant, host"):
        cnp_core.build_model("XS", config=1)  # type: ignore[call-arg]
    with pytest.raises(ParameterError, match="missing a required argument"):
        cnp_core.load_model()  # type: ignore[call-arg]
    # the testing helpers take names (or a host): an unknown name lists the registered ones
    assert check_variants(["XS"]) == [] and check_variants("XS") == []
    with pytest.raises(cnp_core.UnknownNameError, match=r"unknown variant 'S-17j'.*Known variants: "):
        check_variants(["S-17j"])


def test_check_metrics_catches_a_metric_that_computes_the_wrong_shape() -> None:
    import numpy as np

    from cnp_core import build_host, hookimpl
    from cnp_core.plugin import Metric
    from cnp_core.testing import check_datasets, check_metrics

    class Metrics:
        @hookimpl
        def cnp_register_metrics(self, registrar: object) -> None:
            good = Metric("pck50", "3DPCK@50", "%", True, "pck at 50 mm", compute=lambda p: 100.0 * (p.errors < 50))
            flat = Metric("flat", "flat", "mm", False, "a (N,) array", compute=lambda p: np.zeros(len(p.pred)))
            registrar.register("pck50", good)  # type: ignore[attr-defined]
            registrar.register("flat", flat)  # type: ignore[attr-defined]

    host = build_host([("metrics-plugin", Metrics())])
    assert check_metrics(["pck50"], host=host) == []
    (problem,) = check_metrics(host=host)
    assert "metric 'flat' (plugin 'metrics-plugin')" in problem and "expected (3, 4) or (3, 1)" in problem
    assert check_datasets(host=host) == []
