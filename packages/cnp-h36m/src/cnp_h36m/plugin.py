"""cnp plugin: the ``h36m`` dataset and the Human3.6M protocol evaluators."""

from __future__ import annotations

from typing import Any

from cnp_core import hookimpl


@hookimpl
def cnp_register_datasets(registrar: Any) -> None:
    from cnp_h36m.dataset import Human36M

    registrar.register("h36m", Human36M())


@hookimpl
def cnp_register_evaluators(registrar: Any) -> None:
    from cnp_h36m.protocols import EVALUATORS

    for evaluator in EVALUATORS:
        registrar.register(evaluator.name, evaluator)


@hookimpl
def cnp_register_commands(app: Any) -> None:
    from cnp_h36m.commands import app as data_app

    app.add_typer(data_app, name="data")
