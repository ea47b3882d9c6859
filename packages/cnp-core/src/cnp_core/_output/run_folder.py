"""The run folder: one module owns its file names, its record, writing it and reading it back.

A run folder (one per evaluated checkpoint, under ``--output``) holds

- ``metrics.json``: the :class:`RunRecord` as JSON (``schema_version``, the headline with its
  declaration, every metric, configuration hash, data fingerprint, environment);
- ``samples.npz``: per-sample values (image ids, actions, each metric per scored joint);
- ``coords_heatmap.npy``: the raw predictions (N, J, 3) in heatmap units;
- the dataset's own result files (``DatasetInfo.result_files``), listed in ``files``.

Schema versions: 1 is every record before 0.2 (no ``schema_version``; headline fields may be the
``*_mm`` names only); 2 adds ``schema_version``. :func:`read_run` reads both; a newer version than
this code knows is refused with what to do.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cnp_core._errors import CnpError, DataError
from cnp_core._output.atomic import staged_dir, strict_json, write_json

METRICS_FILE = "metrics.json"
SAMPLES_FILE = "samples.npz"
COORDS_FILE = "coords_heatmap.npy"
#: the layout this code writes (see the module docstring for the history)
SCHEMA_VERSION = 2
REQUIRED_FIELDS = ("variant", "dataset", "metric", "alignment")


@dataclass(frozen=True)
class Headline:
    """A run's headline as ``metrics.json`` holds it: the value, its unit, direction and format.

    Records of schema 1 with ``total_mm`` only read as millimetres, lower is better.
    """

    label: str
    name: str
    unit: str
    higher_is_better: bool
    format: str
    total: float
    total_ci95: tuple[float, float] | None
    action_mean: float | None
    per_action: dict[str, float | None]
    per_joint: dict[str, float]

    @classmethod
    def of(cls, record: Mapping[str, Any]) -> Headline:
        legacy = "total" not in record
        suffix = "_mm" if legacy else ""
        ci = record.get("total_ci95" + suffix)
        return cls(
            label=str(record["metric"]),
            name=str(record.get("metric_name") or record["metric"]),
            unit=str(record.get("unit", "mm")),
            higher_is_better=bool(record.get("higher_is_better", False)),
            format=str(record.get("format", ".2f")),
            total=float(record["total" + suffix]),
            total_ci95=(float(ci[0]), float(ci[1])) if ci else None,
            action_mean=record.get("action_mean" + suffix),
            per_action=dict(record["per_action" + suffix]),
            per_joint=dict(record.get("per_joint" + suffix) or {}),
        )

    @property
    def direction(self) -> str:
        """``higher is better`` or ``lower is better``."""
        return "higher is better" if self.higher_is_better else "lower is better"

    def show(self, value: float | None, *, signed: bool = False, unit: bool = True) -> str:
        """``value`` as this headline displays it (``52.13 mm``, ``+1.2 %``; ``-`` when missing)."""
        from cnp_core._evaluation.metrics import format_value

        return format_value(value, self.unit, self.format, signed=signed, show_unit=unit)


@dataclass(frozen=True)
class RunRecord:
    """One finished run: the headline with its declaration, every metric, and where its files are.

    - ``metric`` (label), ``metric_name``, ``unit`` (``mm``, ``%``, ``ratio`` or ``""``) and
      ``higher_is_better``: what the headline is;
    - ``total`` (frame-wise mean), ``total_ci95``, ``action_mean``, ``per_action``, ``per_joint``:
      its values in that unit; ``total_mm`` and the other ``*_mm`` names of earlier versions are
      readable for millimetre headlines (a :class:`cnp_core.CnpError` otherwise);
    - ``metrics``: every metric's summary, each with its declaration (``metrics.json`` ``metrics``);
    - ``run_dir``: the folder as written; ``path``: the ``metrics.json`` it was read from (where
      the folder is now); ``label``: the folder's name;
    - ``record``: the whole ``metrics.json`` document (environment, configuration hash, ...).

    The headline's fields are read from ``headline`` (parsed once from the record).
    """

    variant: str
    checkpoint: Path
    epoch: int | None
    dataset: str
    options: Mapping[str, Any]
    alignment: str
    headline: Headline
    num_samples: int
    metrics: Mapping[str, Mapping[str, Any]]
    run_dir: Path
    resumed: bool = False
    schema_version: int = SCHEMA_VERSION
    path: Path = Path()
    record: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, record: Mapping[str, Any], path: str | Path | None = None) -> RunRecord:
        """The typed view of a ``metrics.json`` document of any schema version (``path``: the file
        it was read from; by default ``run_dir/metrics.json``)."""
        version = record.get("schema_version", 1)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise DataError(f"{path or 'metrics.json'}: schema_version {version!r} is not a version cnp wrote")
        if version > SCHEMA_VERSION:
            raise DataError(
                f"{path or 'metrics.json'} has schema_version {version}, newer than this cnp reads ({SCHEMA_VERSION}); "
                "upgrade cnp (pip install -U cnp-core)"
            )
        run_dir = Path(str(record.get("run_dir", Path(path).parent if path else ".")))
        return cls(
            variant=str(record["variant"]),
            checkpoint=Path(str(record.get("checkpoint", ""))),
            epoch=record.get("epoch"),
            dataset=str(record["dataset"]),
            options={k: record.get(k) for k in record.get("dataset_options", ())},
            alignment=str(record["alignment"]),
            headline=Headline.of(record),
            num_samples=int(record.get("num_samples", 0)),
            metrics=dict(record.get("metrics") or {}),
            run_dir=run_dir,
            resumed=bool(record.get("resumed", False)),
            schema_version=version,
            path=Path(path) if path is not None else run_dir / METRICS_FILE,
            record=dict(record),
        )

    from_record = from_json  # the 0.1 name

    def to_json(self) -> str:
        """``metrics.json`` as written (strict JSON: no NaN or infinity)."""
        return strict_json(dict(self.record))

    @property
    def label(self) -> str:
        """The run folder's name (a bare metrics file: its stem)."""
        return self.path.parent.name if self.path.name == METRICS_FILE else self.path.stem

    @property
    def folder(self) -> Path:
        """Where the run folder is now (``run_dir`` is where it was written)."""
        return self.path.parent

    # The headline's declaration and values, read once into ``headline``:
    @property
    def metric(self) -> str:
        """The headline's label (``MPJPE``, ``3DPCK@100``)."""
        return self.headline.label

    @property
    def metric_name(self) -> str:
        return self.headline.name

    @property
    def unit(self) -> str:
        return self.headline.unit

    @property
    def higher_is_better(self) -> bool:
        return self.headline.higher_is_better

    @property
    def total(self) -> float:
        return self.headline.total

    @property
    def total_ci95(self) -> tuple[float, float] | None:
        return self.headline.total_ci95

    @property
    def action_mean(self) -> float | None:
        return self.headline.action_mean

    @property
    def per_action(self) -> Mapping[str, float | None]:
        return self.headline.per_action

    @property
    def per_joint(self) -> Mapping[str, float]:
        return self.headline.per_joint

    def _millimetres(self, value: Any, name: str) -> Any:
        if self.unit != "mm":
            raise CnpError(
                f"{name}: this run's headline ({self.metric}) is in {self.unit or 'no unit'}, not mm; read {name[:-3]}"
            )
        return value

    @property
    def total_mm(self) -> float:
        return float(self._millimetres(self.total, "total_mm"))

    @property
    def total_ci95_mm(self) -> tuple[float, float] | None:
        return self._millimetres(self.total_ci95, "total_ci95_mm")  # type: ignore[no-any-return]

    @property
    def action_mean_mm(self) -> float | None:
        return self._millimetres(self.action_mean, "action_mean_mm")  # type: ignore[no-any-return]

    @property
    def per_action_mm(self) -> Mapping[str, float | None]:
        return self._millimetres(self.per_action, "per_action_mm")  # type: ignore[no-any-return]

    @property
    def per_joint_mm(self) -> Mapping[str, float]:
        return self._millimetres(self.per_joint, "per_joint_mm")  # type: ignore[no-any-return]


# ---- writing ---------------------------------------------------------------------------------


def written_by_cnp(run_dir: Path) -> bool:
    """A run folder cnp wrote holds its metrics.json (or is a staging leftover of one)."""
    return (run_dir / METRICS_FILE).is_file()


def new_record(fields: Mapping[str, Any], result_files: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A ``metrics.json`` document: ``fields`` (the run's identity first), the list of the folder's
    files that ``--resume`` checks, and :data:`SCHEMA_VERSION`."""
    return {**fields, "files": sorted([*(result_files or {}), SAMPLES_FILE]), "schema_version": SCHEMA_VERSION}


def write_run(
    run_dir: Path,
    record: dict[str, Any],
    samples: Mapping[str, np.ndarray],
    coords: np.ndarray,
    results: Mapping[str, Any] | None = None,
) -> None:
    """Write a whole run folder at once (staged, then moved into place): the dataset's ``results``
    (JSON-able values or bytes, by file name), the sample table, the coordinates and the record
    (``record`` from :func:`new_record`)."""
    results = dict(results or {})
    with staged_dir(run_dir) as tmp:
        for file_name, content in results.items():
            if isinstance(content, bytes):  # a binary result file (e.g. a MATLAB .mat), as given
                (tmp / file_name).write_bytes(content)
            else:
                write_json(tmp / file_name, content, indent=None)
        write_samples(tmp / SAMPLES_FILE, samples)
        np.save(tmp / COORDS_FILE, coords)
        write_json(tmp / METRICS_FILE, record)


def write_samples(path: Path, samples: Mapping[str, np.ndarray]) -> None:
    """The per-sample table as a compressed ``.npz`` (numpy alone reads it; no pickle)."""
    with open(path, "wb") as fh:
        np.savez_compressed(fh, allow_pickle=False, **samples)  # type: ignore[arg-type]


def finished_record(run_dir: Path, fingerprint: str) -> dict[str, Any] | None:
    """The record of a finished run of the same configuration (``config_hash``) with all its files
    present, or None (``--resume`` skips such runs)."""
    try:
        record = json.loads((run_dir / METRICS_FILE).read_text())
    except (OSError, ValueError):
        return None
    files = record.get("files", []) if isinstance(record, dict) else []
    ok = isinstance(record, dict) and record.get("config_hash") == fingerprint and all((run_dir / f).is_file() for f in files)
    return record if ok else None


# ---- reading ---------------------------------------------------------------------------------


def read_run(path: str | Path) -> RunRecord:
    """A run folder (holding metrics.json) or a metrics.json file, of any schema version; clear
    errors for anything else."""
    path = Path(path)
    file = path / METRICS_FILE if path.is_dir() else path
    if not file.is_file():
        hint = "a run folder written by `cnp eval` (it holds metrics.json) or a metrics.json file"
        inside = sorted(p.name for p in path.iterdir() if (p / METRICS_FILE).is_file()) if path.is_dir() else []
        if inside:
            listing = ", ".join(inside[:8]) + (f" and {len(inside) - 8} more" if len(inside) > 8 else "")
            raise DataError(f"{path} holds run folders, not one run: pass them instead ({listing}), e.g. {path}/*")
        raise DataError(f"{path} is not {hint}" if path.exists() else f"{path} does not exist; pass {hint}")
    try:
        record = json.loads(file.read_text(encoding="utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        raise DataError(f"{file} is not valid JSON ({exc}); re-run `cnp eval` to rewrite it") from None
    if not isinstance(record, dict):
        raise DataError(f"{file} is not a metrics record (expected a JSON object, as `cnp eval` writes)")
    missing = [k for k in REQUIRED_FIELDS if k not in record]
    if "total" not in record and "total_mm" not in record:
        missing.append("total")
    if "total" in record and "per_action" not in record:
        missing.append("per_action")
    elif "total" not in record and "per_action_mm" not in record:
        missing.append("per_action_mm")
    if missing:
        raise DataError(f"{file} lacks {', '.join(missing)}: not a `cnp eval` metrics.json")
    _check_numbers(record, file)
    return RunRecord.from_json(record, file)


def read_samples(run: RunRecord, columns: list[str] | tuple[str, ...] | None = None) -> dict[str, np.ndarray] | None:
    """The run's ``samples.npz`` (only ``columns`` when given; None when absent, unreadable or
    lacking one of them)."""
    try:
        with np.load(run.folder / SAMPLES_FILE, allow_pickle=False) as table:
            return {k: table[k] for k in (table.files if columns is None else columns)}
    except (OSError, ValueError, KeyError):
        return None


def per_sample_headline(samples: Mapping[str, np.ndarray]) -> np.ndarray | None:
    """Each sample's headline value (its mean over the scored joints), or None if the table has none."""
    errors = samples.get("headline")
    if errors is None or errors.ndim != 2:
        return None
    return errors.astype(np.float64).mean(axis=1)


def _reject_constant(name: str) -> float:
    raise ValueError(f"it holds a bare {name}, which strict JSON does not allow")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_numbers(record: dict[str, Any], file: Path) -> None:
    """Totals and per-action values must be finite numbers (an action without samples may be null);
    the unit and direction, where given, must be declared ones."""
    from cnp_core._evaluation.metrics import UNITS

    bad: list[str] = [key for key in ("total", "total_mm") if key in record and not _is_number(record[key])]
    for key in ("per_action", "per_action_mm", "per_joint", "per_joint_mm"):
        if key not in record:
            continue
        actions = record[key]
        if not isinstance(actions, dict):
            bad.append(key)
        else:
            bad += [f"{key}[{k!r}]" for k, v in actions.items() if v is not None and not _is_number(v)]
    metrics = record.get("metrics")
    if metrics is not None and not isinstance(metrics, dict):
        bad.append("metrics")
    for name, m in (metrics or {}).items() if isinstance(metrics, dict) else ():
        shaped = isinstance(m, dict) and isinstance(m.get("label"), str) and isinstance(m.get("unit"), str)
        if not shaped or not _is_number(m.get("total")) or not isinstance(m.get("per_action", {}), dict):
            bad.append(f"metrics[{name!r}]")
    if bad:
        unit = record.get("unit", "mm")
        raise DataError(
            f"{file}: {', '.join(bad[:3])} must be a finite number ({unit}) or a table of them; re-run `cnp eval` to rewrite it"
        )
    unit = record.get("unit", "mm")
    totals = [record[k] for k in ("total", "total_mm") if k in record]
    if (unit == "mm" and any(t < 0 for t in totals)) or (unit == "%" and any(not 0 <= t <= 100 for t in totals)):
        raise DataError(f"{file}: a total of {totals[0]} {unit} is impossible for this metric; re-run `cnp eval` to rewrite it")
    if unit not in UNITS or not isinstance(record.get("higher_is_better", False), bool):
        raise DataError(f"{file}: unit/higher_is_better are not a declared unit and direction; re-run `cnp eval` to rewrite it")


__all__ = [
    "COORDS_FILE",
    "METRICS_FILE",
    "SAMPLES_FILE",
    "SCHEMA_VERSION",
    "Headline",
    "RunRecord",
    "finished_record",
    "new_record",
    "per_sample_headline",
    "read_run",
    "read_samples",
    "write_run",
    "write_samples",
    "written_by_cnp",
]
