"""What a dataset plugin hands the evaluation engine: an :class:`EvalSplit` of samples."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from cnp_core.errors import CnpError, PluginError


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset declares about itself, in one record; cnp reads only this (never guesses).

    - ``joint_names``: the joints a model predicts for this dataset, in output order;
    - ``flip_pairs``: (left, right) joint indices the flip test swaps (``()`` only for a joint set
      with no sides; a wrong list gives wrong numbers, so it must be declared);
    - ``root_index``: the joint subtracted to make poses root-relative;
    - ``skeleton``: bones (index pairs) for drawings;
    - ``evaluators``: alignment (``none``, ``rigid``, ...) -> registered evaluator name: the only
      evaluators that may score this dataset;
    - ``default_alignment`` / ``metric_names``: per protocol, the headline metric's alignment and label;
    - ``demo``: writes a small synthetic dataset into an empty folder, for ``cnp eval --demo`` (optional);
    - ``result_files``: ``(split, result) -> {file name: JSON-ready data}``, the dataset's own result
      files written into every run folder beside ``metrics.json`` (optional).
    """

    joint_names: tuple[str, ...]
    flip_pairs: tuple[tuple[int, int], ...]
    root_index: int
    evaluators: Mapping[str, str]
    default_alignment: Mapping[int, str]
    metric_names: Mapping[int, str]
    skeleton: tuple[tuple[int, int], ...] = ()
    demo: Callable[[Path], Any] | None = None
    result_files: Callable[[Any, Any], Mapping[str, Any]] | None = None

    def __post_init__(self) -> None:
        n = len(self.joint_names)
        problems = []
        if n == 0:
            problems.append("no joint_names")
        pairs = [j for pair in (*self.flip_pairs, *self.skeleton) for j in pair]
        if any(not isinstance(j, int) or not 0 <= j < n for j in pairs):
            problems.append(f"flip_pairs/skeleton name joints outside 0..{n - 1}")
        flat = [j for pair in self.flip_pairs for j in pair]
        if len(flat) != len(set(flat)) or any(a == b for a, b in self.flip_pairs):
            problems.append("a joint appears in two flip pairs (or is paired with itself)")
        if not 0 <= self.root_index < n:
            problems.append(f"root_index {self.root_index} outside 0..{n - 1}")
        if not self.evaluators:
            problems.append("no evaluators")
        unknown = sorted({a for a in self.default_alignment.values() if a not in self.evaluators})
        if unknown:
            problems.append(f"default alignment(s) {', '.join(unknown)} have no evaluator")
        if set(self.metric_names) != set(self.default_alignment):
            problems.append("metric_names and default_alignment must name the same protocols")
        if problems:
            raise ValueError("; ".join(problems))

    def evaluator_name(self, alignment: str) -> str:
        """The registered evaluator that scores this dataset with ``alignment``."""
        try:
            return self.evaluators[alignment]
        except KeyError:
            raise CnpError(
                f"alignment {alignment!r} is not offered by this dataset; choose one of {', '.join(self.evaluators)}"
            ) from None


def dataset_info(dataset: Any, name: str, plugin: str) -> DatasetInfo:
    """The declared record of a registered dataset, or a :class:`PluginError` naming the plugin."""
    info = getattr(dataset, "info", None)
    if not isinstance(info, DatasetInfo) or not callable(getattr(dataset, "load_split", None)):
        raise PluginError(
            f"plugin {plugin!r} registered dataset {name!r} without a cnp_core.DatasetInfo `info` attribute "
            "and a load_split(data_dir, options) method; see the README's plugin guide"
        )
    return info


def check_joints_fit(variant: Any, info: DatasetInfo, dataset: str) -> None:
    """Before any data is read: the variant's output joints must be the dataset's joints."""
    if int(variant.joint_num) != len(info.joint_names):
        raise CnpError(
            f"variant {variant.name} predicts {variant.joint_num} joints but dataset {dataset} has "
            f"{len(info.joint_names)}; pick a variant made for {dataset} or another --dataset"
        )


@dataclass(frozen=True)
class SplitOptions:
    """How to build a test split. ``bbox_source`` is ``gt`` or ``rootnet``."""

    protocol: int = 2
    bbox_source: str = "gt"
    bbox_root_file: Path | None = None
    input_shape: tuple[int, int] = (256, 256)
    cache_dir: Path | None = None
    use_cache: bool = True


@dataclass(frozen=True)
class EvalSplit:
    """Columns of one test split, aligned by sample index.

    ``bboxes`` are the [x, y, w, h] boxes that are cropped and used to map predictions back;
    ``root_cam`` is the root position whose depth places the prediction (GT or RootNet);
    ``joint_cam`` the ground truth in camera millimetres (root not yet subtracted).
    """

    name: str
    image_ids: np.ndarray
    image_paths: tuple[str, ...]
    bboxes: np.ndarray
    root_cam: np.ndarray
    joint_cam: np.ndarray
    focal: np.ndarray
    center: np.ndarray
    actions: np.ndarray
    action_names: tuple[str, ...]
    joint_names: tuple[str, ...]
    flip_pairs: tuple[tuple[int, int], ...]
    root_index: int
    eval_joints: tuple[int, ...]
    bbox_3d_depth_mm: float = 2000.0
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.image_ids)

    def subset(self, indices: np.ndarray) -> EvalSplit:
        """The samples at ``indices``, in that order."""
        idx = np.asarray(indices, dtype=np.int64)
        return replace(
            self,
            image_ids=self.image_ids[idx],
            image_paths=tuple(self.image_paths[i] for i in idx),
            bboxes=self.bboxes[idx],
            root_cam=self.root_cam[idx],
            joint_cam=self.joint_cam[idx],
            focal=self.focal[idx],
            center=self.center[idx],
            actions=self.actions[idx],
        )


@runtime_checkable
class EvalDataset(Protocol):
    """A registered dataset: its declaration (:class:`DatasetInfo`) and test splits from a data folder."""

    name: str
    description: str
    info: DatasetInfo

    def load_split(self, data_dir: Path, options: SplitOptions) -> EvalSplit:
        """The test split for ``options``; raise :class:`cnp_core.DataError` on bad input."""
        ...
