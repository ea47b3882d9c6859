"""cnp plugin: the ``h36m`` dataset, the Human3.6M protocol evaluators, and ``mpii`` (2D training data)."""

from __future__ import annotations

from typing import Any

from cnp_core import hookimpl


@hookimpl
def cnp_register_datasets(registrar: Any) -> None:
    from cnp_h36m.dataset import Human36M
    from cnp_h36m.mpii import MPII

    registrar.register("h36m", Human36M())
    registrar.register("mpii", MPII())


@hookimpl
def cnp_register_evaluators(registrar: Any) -> None:
    from cnp_h36m.protocols import EVALUATORS

    for evaluator in EVALUATORS:
        registrar.register(evaluator.name, evaluator)


@hookimpl
def cnp_register_commands(app: Any) -> None:
    from cnp_h36m.commands import app as data_app

    app.add_typer(data_app, name="data")
