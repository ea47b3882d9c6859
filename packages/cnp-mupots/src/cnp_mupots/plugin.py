"""cnp plugin: MuPoTS-3D (dataset ``mupots``, evaluator ``mupots-pck``, its metrics), the models for
it (variants ``XS-muco`` .. ``L-muco``, 21 joints) and their training sets (``muco``, ``coco``)."""

from __future__ import annotations

from typing import Any

from cnp_core import hookimpl


@hookimpl
def cnp_register_variants(registrar: Any) -> None:
    from cnp_mupots.variants import MUCO_VARIANTS

    for variant in MUCO_VARIANTS:
        registrar.register(variant.name, variant)


@hookimpl
def cnp_register_datasets(registrar: Any) -> None:
    from cnp_mupots.dataset import MuPoTS
    from cnp_mupots.training import Coco, MuCo

    registrar.register(MuPoTS.name, MuPoTS())
    registrar.register(MuCo.name, MuCo())
    registrar.register(Coco.name, Coco())


@hookimpl
def cnp_register_evaluators(registrar: Any) -> None:
    from cnp_mupots.dataset import MupotsPck

    registrar.register(MupotsPck.name, MupotsPck())


@hookimpl
def cnp_register_metrics(registrar: Any) -> None:
    from cnp_mupots.dataset import METRICS

    for metric in METRICS:
        registrar.register(metric.name, metric)


@hookimpl
def cnp_register_commands(app: Any) -> None:
    from cnp_mupots.commands import add_to

    add_to(app)
