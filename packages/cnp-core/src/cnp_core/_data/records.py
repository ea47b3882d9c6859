"""What a dataset plugin hands the evaluation engine: an :class:`EvalSplit` of samples."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from cnp_core._errors import CnpError, ParameterError, PluginError


@dataclass(frozen=True)
class DatasetOption:
    """One setting a dataset accepts when it builds a split (``cnp eval --NAME VALUE``; the library's
    ``evaluate(..., options={NAME: value})``). A name that is also a parameter of ``cnp eval`` or
    ``cnp train`` (``variant``, ``lr``, ``patch_cache``, ...) is not offered on the command line.

    ``choices`` lists the allowed values (empty: any value ``type`` accepts); ``type`` turns a
    command-line string into a value (``int``, ``str``, ``pathlib.Path``); ``tag`` prefixes the value
    in run folder names (``p`` -> ``p2``); options without choices never appear in names.
    """

    name: str
    help: str
    default: Any = None
    choices: tuple[Any, ...] = ()
    type: Callable[[str], Any] = str
    tag: str = ""

    def parse(self, value: Any) -> Any:
        """``value`` (a string from the command line, or already typed) checked against the declaration."""
        if isinstance(value, str) and self.type is not str:
            try:
                value = self.type(value)
            except (TypeError, ValueError):
                raise ParameterError(self.name, value, self._expected()) from None
        if self.choices and value not in self.choices:
            raise ParameterError(self.name, value, self._expected())
        return value

    def _expected(self) -> str:
        if self.choices:
            return "choose " + " or ".join(map(str, self.choices))
        return f"expected a {getattr(self.type, '__name__', 'value')}"


@dataclass(frozen=True, init=False)
class Published:
    """A published result: ``variant`` scored ``value`` on the setting ``setting`` (a value of the
    dataset's ``headline_option``; any key without one) with that setting's headline metric, in the
    headline's unit; ``source`` says where. ``mm=`` (earlier versions) is accepted for ``value``."""

    variant: str
    setting: Any
    value: float
    source: str = ""

    def __init__(
        self, variant: str, setting: Any, value: float | None = None, source: str = "", *, mm: float | None = None
    ) -> None:
        if (value is None) == (mm is None):
            raise TypeError("Published needs the published value (value=, or mm= as in earlier versions)")
        object.__setattr__(self, "variant", variant)
        object.__setattr__(self, "setting", setting)
        object.__setattr__(self, "value", float(value if value is not None else mm))  # type: ignore[arg-type]
        object.__setattr__(self, "source", source)

    @property
    def mm(self) -> float:
        """The published value (its name in earlier versions, when every headline was millimetres)."""
        return self.value


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset declares about itself, in one record; cnp reads only this (never guesses).

    - ``joint_names``: the joints a model predicts for this dataset, in output order;
    - ``flip_pairs``: (left, right) joint indices the flip test swaps (``()`` only for a joint set
      with no sides; a wrong list gives wrong numbers, so it must be declared);
    - ``root_index``: the joint subtracted to make poses root-relative;
    - ``evaluators``: alignment (``none``, ``rigid``, ...) -> registered evaluator name: the only
      evaluators that may score this dataset;
    - ``options``: the :class:`DatasetOption` settings its splits accept (``cnp eval --NAME``);
    - ``headline_option``: the option whose value picks the headline metric (``""``: none, then
      ``default_alignment`` and ``metric_names`` hold one entry, under any key);
    - ``default_alignment`` / ``metric_names``: per value of the headline option, the headline
      metric's alignment and label;
    - ``headline_metrics``: per value of the headline option (the same keys), the name of the
      registered metric (``cnp_register_metrics``) that declares the headline's unit, direction and
      format, e.g. ``{"all": "pck150"}``; empty: the headline is millimetres, lower is better;
    - ``skeleton``: bones (index pairs) for drawings;
    - ``metrics``: the registered metrics cnp computes on this dataset's runs besides the headline
      (``None``: every one that applies; ``()``: none, for data whose samples carry no ground
      truth of their own, such as detection boxes scored by matching);
    - ``published``: :class:`Published` results that runs are compared with;
    - ``demo``: writes a small synthetic dataset into an empty folder, for ``cnp eval --demo`` (optional);
    - ``result_files``: ``(split, result) -> {file name: JSON-ready data, or bytes written as they
      are}``, the dataset's own result files written into every run folder beside ``metrics.json`` (optional);
    - ``train_split``: ``(data_dir, options) -> cnp_core.plugin.TrainSplit``, its training samples
      for ``cnp train`` (optional; a dataset without it is for evaluation only).
    """

    joint_names: tuple[str, ...]
    flip_pairs: tuple[tuple[int, int], ...]
    root_index: int
    evaluators: Mapping[str, str]
    default_alignment: Mapping[Any, str]
    metric_names: Mapping[Any, str]
    options: tuple[DatasetOption, ...] = ()
    headline_metrics: Mapping[Any, str] = field(default_factory=dict)
    metrics: tuple[str, ...] | None = None
    headline_option: str = ""
    skeleton: tuple[tuple[int, int], ...] = ()
    published: tuple[Published, ...] = ()
    demo: Callable[[Path], Any] | None = None
    result_files: Callable[[Any, Any], Mapping[str, Any]] | None = None
    train_split: Callable[[Path, Any], Any] | None = None

    def __post_init__(self) -> None:
        problems = self._joint_problems() + self._option_problems()
        if not self.evaluators and self.train_split is None:
            problems.append("no evaluators (a dataset without evaluators must give a train_split)")
        unknown = sorted({a for a in self.default_alignment.values() if a not in self.evaluators})
        if unknown:
            problems.append(f"default alignment(s) {', '.join(unknown)} have no evaluator")
        if set(self.metric_names) != set(self.default_alignment):
            problems.append("metric_names and default_alignment must have the same keys")
        if self.headline_metrics and set(self.headline_metrics) != set(self.default_alignment):
            problems.append("headline_metrics must have the keys of default_alignment (or be empty)")
        if problems:
            raise ValueError("; ".join(problems))

    def _joint_problems(self) -> list[str]:
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
        return problems

    def _option_problems(self) -> list[str]:
        problems = []
        names = [o.name for o in self.options]
        bad = [n for n in names if not n.isidentifier() or names.count(n) > 1]
        if bad:
            problems.append(f"option name(s) {', '.join(sorted(set(bad)))} are repeated or not identifiers")
        for option in self.options:
            if option.choices and option.default not in option.choices:
                problems.append(f"option {option.name}: default {option.default!r} is not one of its choices")
        if self.headline_option:
            headline = next((o for o in self.options if o.name == self.headline_option), None)
            if headline is None or not headline.choices:
                problems.append(f"headline_option {self.headline_option!r} is not a declared option with choices")
            elif set(self.default_alignment) != set(headline.choices):
                problems.append(f"default_alignment must name exactly the choices of option {self.headline_option}")
        elif len(self.default_alignment) != (1 if self.evaluators else 0):
            problems.append(
                "without a headline_option, default_alignment and metric_names hold exactly one entry "
                "(none for a training-only dataset without evaluators)"
            )
        settings = set(self.default_alignment)
        stray = [p for p in self.published if p.setting not in settings]
        if stray:
            problems.append(f"published results for settings that are not declared: {stray[0].setting!r}")
        return problems

    def option(self, name: str) -> DatasetOption:
        """The declared option ``name``."""
        for option in self.options:
            if option.name == name:
                return option
        offered = ", ".join(o.name for o in self.options) or "none"
        raise ParameterError(name, None, f"not an option of this dataset (its options: {offered})")

    def resolve(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Every declared option's value: ``given`` (parsed and checked) or the default."""
        for name in given:
            self.option(name)
        return {o.name: o.parse(given[o.name]) if given.get(o.name) is not None else o.default for o in self.options}

    def headline(self, values: Mapping[str, Any]) -> tuple[str, str]:
        """(alignment, metric label) of the headline metric for resolved option ``values``."""
        key = values.get(self.headline_option) if self.headline_option else next(iter(self.default_alignment))
        return self.default_alignment[key], self.metric_names[key]

    def headline_metric_name(self, values: Mapping[str, Any]) -> str | None:
        """The registered metric that declares the headline for resolved option ``values`` (None: millimetres)."""
        if not self.headline_metrics:
            return None
        key = values.get(self.headline_option) if self.headline_option else next(iter(self.default_alignment))
        return self.headline_metrics.get(key)

    def setting(self, values: Mapping[str, Any]) -> Any:
        """The value that selects the headline metric (None without a headline option)."""
        return values.get(self.headline_option) if self.headline_option else None

    def published_for(self, variant: str, setting: Any) -> Published | None:
        """The published result of ``variant`` at ``setting``, if one was declared."""
        return next((p for p in self.published if p.variant == variant and p.setting == setting), None)

    def evaluator_name(self, alignment: str) -> str:
        """The registered evaluator that scores this dataset with ``alignment``."""
        try:
            return self.evaluators[alignment]
        except KeyError:
            raise ParameterError(
                "alignment", alignment, f"not offered by this dataset; choose {' or '.join(self.evaluators)}"
            ) from None


def dataset_info(dataset: Any, name: str, plugin: str) -> DatasetInfo:
    """The declared record of a registered dataset, or a :class:`PluginError` naming the plugin."""
    info = getattr(dataset, "info", None)
    if not isinstance(info, DatasetInfo) or not callable(getattr(dataset, "load_split", None)):
        raise PluginError(
            f"plugin {plugin!r} registered dataset {name!r} without a cnp_core.DatasetInfo `info` attribute "
            "and a load_split(data_dir, options) method; see the plugin guide (docs/plugins.md)"
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
    """How to build a test split: the dataset's own option ``values`` (see :class:`DatasetOption`;
    what is not given takes the declared default) and the input size and cache."""

    values: tuple[tuple[str, Any], ...] = ()
    input_shape: tuple[int, int] = (256, 256)
    cache_dir: Path | None = None
    use_cache: bool = True

    @classmethod
    def of(cls, values: Mapping[str, Any] | None = None, **settings: Any) -> SplitOptions:
        """``SplitOptions.of({"protocol": 1}, use_cache=False)``."""
        return cls(values=tuple(sorted((values or {}).items())), **settings)

    @property
    def given(self) -> dict[str, Any]:
        return dict(self.values)

    def resolved(self, info: DatasetInfo) -> SplitOptions:
        """These options with every declared option of ``info`` parsed and defaulted."""
        return replace(self, values=tuple(sorted(info.resolve(self.given).items())))


@dataclass(frozen=True)
class EvalSplit:
    """What a dataset's ``load_split(data_dir, options)`` returns: one test split, columns aligned
    by sample index (N samples, J joints). Camera space is millimetres, x right, y down, z forward.

    - ``name``: shown in records; ``image_ids``: (N,) integer ids (the pairing key of ``cnp compare``);
    - ``image_paths``: (N) image files (absolute, or relative to the working directory);
    - ``bboxes``: (N, 4) float [x, y, w, h] pixels: the crop the network sees and the box
      predictions are mapped back through (aspect ratio that of ``input_shape``);
    - ``root_cam``: (N, 3) camera mm: the root position whose depth places the prediction
      (ground truth, or a root-estimation network's estimate);
    - ``joint_cam``: (N, J, 3) camera mm ground truth, root not subtracted;
    - ``focal`` / ``center``: (N, 2) pixels: the pinhole camera of each image;
    - ``actions``: (N,) int indices into ``action_names`` (per-action tables);
    - ``joint_names`` / ``flip_pairs`` / ``root_index``: as the dataset's :class:`DatasetInfo` declares;
    - ``eval_joints``: the K joint indices scored (aligned metrics fit on all J first);
    - ``bbox_3d_depth_mm``: the depth range the depth bins span (2000: +-1 m about the root);
    - ``estimated_root``: whether ``root_cam`` is an estimate (then camera-space metrics are reported);
    - ``sample_columns``: per-sample labels written to each run's ``samples.npz`` (e.g. ``subject``,
      ``camera``); a ``sequence`` column names what ``exclude`` patterns match (``S9_Greeting_1``);
    - ``meta``: JSON-ready facts; ``meta["summary"]`` is stored as the record's ``split``.
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
    estimated_root: bool = False
    sample_columns: Mapping[str, np.ndarray] = field(default_factory=dict)
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
            sample_columns={k: np.asarray(v)[idx] for k, v in self.sample_columns.items()},
        )

    def only_present_actions(self) -> EvalSplit:
        """This split with ``action_names`` cut to the actions that have samples (indices remapped),
        as evaluators receive it after ``--exclude``."""
        present = np.unique(self.actions)
        if len(present) == len(self.action_names):
            return self
        remap = np.full(len(self.action_names), -1, dtype=np.int64)
        remap[present] = np.arange(len(present))
        return replace(self, actions=remap[self.actions], action_names=tuple(self.action_names[i] for i in present))


@runtime_checkable
class EvalDataset(Protocol):
    """A registered dataset: its declaration (:class:`DatasetInfo`) and test splits from a data folder."""

    name: str
    description: str
    info: DatasetInfo

    def load_split(self, data_dir: Path, options: SplitOptions) -> EvalSplit:
        """The test split for ``options``; raise :class:`cnp_core.DataError` on bad input."""
        ...
