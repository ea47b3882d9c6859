"""The pluggy hook specifications of cnp (project name ``cnp``).

Every ``cnp_register_*`` hook receives a :class:`cnp_core.registry.Registrar` and calls
``registrar.register(name, obj)`` for each thing it provides; it returns nothing. The registrar
records which plugin registered what, so duplicates fail with both plugin names.
Hooks evolve by adding arguments only: an implementation asks for the arguments it needs.
"""

from __future__ import annotations

from typing import Any

import pluggy

PROJECT_NAME = "cnp"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def cnp_register_backbones(registrar: Any) -> None:
    """Register backbones: ``registrar.register(name, factory)``.

    ``factory(**config)`` returns an ``nn.Module`` mapping (N, 3, H, W) images to a feature map and
    exposing ``out_channels: int``.
    """


@hookspec
def cnp_register_heads(registrar: Any) -> None:
    """Register heads: ``registrar.register(name, factory)``.

    ``factory(in_channels=, joint_num=, depth_dim=, **config)`` returns an ``nn.Module`` mapping the
    backbone's feature map to heatmap logits of shape (N, joint_num * depth_dim, H_out, W_out).
    """


@hookspec
def cnp_register_variants(registrar: Any) -> None:
    """Register model variants: ``registrar.register(name, variant)`` with a :class:`cnp_core.Variant`."""


@hookspec
def cnp_register_datasets(registrar: Any) -> None:
    """Register evaluation datasets: ``registrar.register(name, dataset)``.

    ``dataset`` follows :class:`cnp_core.datasets.EvalDataset`: ``load_split(data_dir, options)``
    returns a :class:`cnp_core.datasets.EvalSplit`.
    """


@hookspec
def cnp_register_evaluators(registrar: Any) -> None:
    """Register evaluators: ``registrar.register(name, evaluator)``.

    ``evaluator`` follows :class:`cnp_core.evaluation.Evaluator`: ``evaluate(split, coords, variant)``
    returns a :class:`cnp_core.evaluation.EvalResult`.
    """


@hookspec
def cnp_register_metrics(registrar: Any) -> None:
    """Register metrics: ``registrar.register(name, metric)`` with a :class:`cnp_core.metrics.Metric`
    whose ``name`` is ``name``.

    A metric with ``compute`` is computed on every run (of its ``datasets``, if it names any) from
    the run's poses, per sample and scored joint, and reported with intervals, per action and per
    joint like cnp's own. A metric without ``compute`` declares what an evaluator returns: a
    dataset's headline (``DatasetInfo.headline_metrics``) or an ``EvalResult.secondary`` value.
    """


@hookspec
def cnp_register_checkpoint_formats(registrar: Any) -> None:
    """Register checkpoint formats: ``registrar.register(name, fmt)``.

    ``fmt`` follows :class:`cnp_core.checkpoints.formats.CheckpointFormat`: ``detect(path)`` says
    whether it reads the file, ``read(path)`` returns a :class:`cnp_core.checkpoints.RawCheckpoint`
    without ever running code from the file.
    """


@hookspec
def cnp_register_key_adapters(registrar: Any) -> None:
    """Register state-dict key adapters: ``registrar.register(name, adapter)``.

    ``adapter(state_dict)`` returns ``None`` when it does not apply, else the renamed state dict.
    Adapters run in registration order before a checkpoint is matched against a model.
    """


@hookspec
def cnp_register_commands(app: Any) -> None:
    """Add commands to the ``cnp`` command line: ``app`` is the root ``typer.Typer``."""
