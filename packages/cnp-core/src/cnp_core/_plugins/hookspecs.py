"""The pluggy hook specifications of cnp (project name ``cnp``), and what each registered object is.

Every ``cnp_register_*`` hook receives a :class:`cnp_core.plugin.registry.Registrar` and calls
``registrar.register(name, obj)`` for each thing it provides; it returns nothing. cnp calls each
hook through pluggy, once per plugin (``PluginManager.subset_hook_caller``), so ``@hookimpl``
options work as pluggy documents them (``wrapper=True``, ``hookwrapper=True``, ``tryfirst``) and
what a plugin registers is attributed to it: a duplicate name fails naming both plugins.
Hooks evolve by adding arguments only: an implementation asks for the arguments it needs.

The objects registered follow the protocols below. Optional capabilities are declared here as
protocols of their own; cnp uses one only where the object provides it:

=====================  ==============================  =================================================
registered object      optional capability             what cnp does with it
=====================  ==============================  =================================================
backbone, head         :class:`DescribesState`          reads architecture facts from a file's shapes
                                                       (``cnp inspect``, variant-mismatch messages)
head module            :class:`LateUpsamplingHead`      classifies at low resolution in the optimised form
key adapter            :class:`InvertibleKeyAdapter`    writes files in its key style (``--key-style``)
dataset                :class:`ListsInputFiles`         fingerprints the files a split depends on
dataset                :class:`ChecksData`              ``cnp data check --dataset NAME DIR``
=====================  ==============================  =================================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import pluggy

if TYPE_CHECKING:
    from torch import Tensor, nn

    from cnp_core._checkpoints.formats import CheckpointFormat
    from cnp_core._data.records import EvalDataset
    from cnp_core._evaluation.evaluators import Evaluator
    from cnp_core._evaluation.metrics import Metric
    from cnp_core._model.variants import Variant
    from cnp_core._plugins.registry import Registrar

PROJECT_NAME = "cnp"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# --- what the registered objects are ----------------------------------------------------------


class BackboneFactory(Protocol):
    """``factory(**config)`` -> an ``nn.Module`` mapping (N, 3, H, W) images (ImageNet-normalised
    0..255 pixel values) to a feature map (N, C, H/s, W/s), exposing ``out_channels: int`` (C)."""

    def __call__(self, **config: Any) -> nn.Module: ...


class HeadFactory(Protocol):
    """``factory(in_channels=, joint_num=, depth_dim=, **config)`` -> an ``nn.Module`` mapping the
    backbone's feature map to heatmap logits (N, joint_num * depth_dim, H_out, W_out)."""

    def __call__(self, *, in_channels: int, joint_num: int, depth_dim: int, **config: Any) -> nn.Module: ...


class KeyAdapter(Protocol):
    """``adapter(state_dict)`` -> the renamed state dict, or ``None`` where it does not apply.
    Adapters run in registration order before a checkpoint is matched against a model."""

    def __call__(self, state_dict: Mapping[str, Tensor]) -> dict[str, Tensor] | None: ...


@runtime_checkable
class DescribesState(Protocol):
    """Optional for backbone and head factories: ``describe_state(shapes)`` -> facts (``depths``,
    ``dims``, ``head_channels``, ``depth_dim``, ...) read from a file's {key: tensor shape}; the
    keys it does not recognise are ignored, and it returns ``{}`` for a file that is not its own."""

    def describe_state(self, shapes: Mapping[str, tuple[int, ...]]) -> dict[str, Any]: ...


@runtime_checkable
class LateUpsamplingHead(Protocol):
    """Optional for head modules: a head that ends in bilinear x2 upsampling (align_corners=True)
    followed by a 1x1 classifier offers the optimiser its two parts; the optimiser then classifies
    at the low resolution and fuses the upsampling with the soft-argmax. Heads without it run as they are."""

    def late_upsampling_parts(self) -> tuple[nn.Module, nn.Conv2d] | None:
        """(the head up to its last upsampling, the 1x1 classifier), or None where it does not apply."""
        ...


@runtime_checkable
class InvertibleKeyAdapter(Protocol):
    """Optional for key adapters: ``inverse(state_dict)`` renames cnp's keys into the adapter's
    style, so writers can produce it (``cnp checkpoints synth --key-style NAME``)."""

    def inverse(self, state_dict: Mapping[str, Tensor]) -> dict[str, Tensor]: ...


@runtime_checkable
class ListsInputFiles(Protocol):
    """Optional for datasets: ``input_files(data_dir, options)`` -> the files a split depends on
    (annotations, box files); their size and time go into the run's data fingerprint, so a changed
    file is a different run for ``--resume``."""

    def input_files(self, data_dir: Path, options: Any) -> Sequence[Path]: ...


@runtime_checkable
class ChecksData(Protocol):
    """Optional for datasets: ``check(data_dir, options)`` -> every problem found in a data folder,
    one line each naming the file and entry (empty: the folder can be evaluated with ``options``);
    ``cnp data check --dataset NAME DIR`` shows them. It reports, it never raises for bad data."""

    def check(self, data_dir: Path, options: Any) -> Sequence[str]: ...


# --- the hooks --------------------------------------------------------------------------------


@hookspec
def cnp_register_backbones(registrar: Registrar[BackboneFactory]) -> None:
    """Register backbones: ``registrar.register(name, factory)`` with a :class:`BackboneFactory`
    (optionally :class:`DescribesState`)."""


@hookspec
def cnp_register_heads(registrar: Registrar[HeadFactory]) -> None:
    """Register heads: ``registrar.register(name, factory)`` with a :class:`HeadFactory`
    (optionally :class:`DescribesState`; its modules optionally :class:`LateUpsamplingHead`)."""


@hookspec
def cnp_register_variants(registrar: Registrar[Variant]) -> None:
    """Register model variants: ``registrar.register(name, variant)`` with a :class:`cnp_core.Variant`."""


@hookspec
def cnp_register_datasets(registrar: Registrar[EvalDataset]) -> None:
    """Register datasets: ``registrar.register(name, dataset)``.

    ``dataset`` follows :class:`cnp_core.plugin.EvalDataset`: ``info`` (a
    :class:`cnp_core.DatasetInfo`) and ``load_split(data_dir, options)`` returning a
    :class:`cnp_core.EvalSplit` (optionally :class:`ListsInputFiles`).
    """


@hookspec
def cnp_register_evaluators(registrar: Registrar[Evaluator]) -> None:
    """Register evaluators: ``registrar.register(name, evaluator)``.

    ``evaluator`` follows :class:`cnp_core.plugin.Evaluator`: ``evaluate(split, coords, variant)``
    returns a :class:`cnp_core.plugin.EvalResult`.
    """


@hookspec
def cnp_register_metrics(registrar: Registrar[Metric]) -> None:
    """Register metrics: ``registrar.register(name, metric)`` with a :class:`cnp_core.plugin.Metric`
    whose ``name`` is ``name``.

    A metric with ``compute`` is computed on every run (of its ``datasets``, if it names any) from
    the run's poses, per sample and scored joint, and reported with intervals, per action and per
    joint like cnp's own. A metric without ``compute`` declares what an evaluator returns: a
    dataset's headline (``DatasetInfo.headline_metrics``) or an ``EvalResult.secondary`` value.
    """


@hookspec
def cnp_register_checkpoint_formats(registrar: Registrar[CheckpointFormat]) -> None:
    """Register checkpoint formats: ``registrar.register(name, fmt)``.

    ``fmt`` follows :class:`cnp_core._checkpoints.formats.CheckpointFormat`: ``detect(path)`` says
    whether it reads the file, ``read(path)`` returns a :class:`cnp_core.plugin.RawCheckpoint`
    without ever running code from the file.
    """


@hookspec
def cnp_register_key_adapters(registrar: Registrar[KeyAdapter]) -> None:
    """Register state-dict key adapters: ``registrar.register(name, adapter)`` with a
    :class:`KeyAdapter` (optionally :class:`InvertibleKeyAdapter`)."""


@hookspec
def cnp_register_commands(app: Any) -> None:
    """Add commands to the ``cnp`` command line: ``app`` is the root ``typer.Typer``
    (``app.command("name")(function)`` or ``app.add_typer(sub_app, name="group")``)."""


__all__ = [
    "PROJECT_NAME",
    "BackboneFactory",
    "ChecksData",
    "DescribesState",
    "HeadFactory",
    "InvertibleKeyAdapter",
    "KeyAdapter",
    "LateUpsamplingHead",
    "ListsInputFiles",
    "hookimpl",
    "hookspec",
]
