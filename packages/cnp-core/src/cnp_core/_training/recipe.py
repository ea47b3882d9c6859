"""The official training recipe as one frozen record, and its per-iteration learning rate."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import tomllib

from cnp_core._errors import DataError, ParameterError


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of a training run; defaults are the official recipe (SPEC section 5).

    ``seed`` fixes every random draw: shuffling and augmentation are pure functions of
    (seed, epoch, sample position), so a resumed run sees exactly the data an uninterrupted one
    would. ``augment=False``, ``shuffle=False`` and ``drop_path=0`` give the deterministic mode.
    """

    epochs: int = 70
    batch_size: int = 32
    lr: float = 1e-3
    min_lr: float = 1e-6
    warmup_epochs: float = 5.0
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 0.1
    drop_path: float = 0.1
    augment: bool = True
    shuffle: bool = True
    seed: int = 0
    freeze_backbone: bool = False
    eval_every: int = 0  # epochs between test evaluations (0: none)
    amp: bool = False  # mixed precision (CUDA only)

    def __post_init__(self) -> None:
        self._check_types()
        checks = {
            "epochs": (self.epochs >= 1, "use 1 or more"),
            "batch_size": (self.batch_size >= 1, "use 1 or more"),
            "lr": (self.lr > 0, "use a positive rate"),
            "seed": (self.seed >= 0, "use 0 or a positive whole number"),
            "betas": (all(0 <= b < 1 for b in self.betas), "use two numbers from 0 to below 1, e.g. [0.9, 0.999]"),
            "min_lr": (0 <= self.min_lr <= self.lr, f"use 0 to lr ({self.lr})"),
            "warmup_epochs": (0 <= self.warmup_epochs < self.epochs, f"must be 0 or more and below epochs ({self.epochs})"),
            "weight_decay": (self.weight_decay >= 0, "use 0 or more"),
            "drop_path": (0 <= self.drop_path < 1, "use 0 to below 1"),
            "eval_every": (self.eval_every >= 0, "use 0 (never) or a number of epochs"),
        }
        for name, (ok, problem) in checks.items():
            if not ok:
                raise ParameterError(name, getattr(self, name), problem)

    def _check_types(self) -> None:
        """Each setting of its declared type (a whole number, a finite number, true/false), before any
        range check, so ``epochs = "ten"`` or ``augment = "no"`` is named, never coerced."""
        for f in fields(self):
            value = getattr(self, f.name)
            kind = _KINDS[f.name]
            if kind == "int":
                ok = isinstance(value, int) and not isinstance(value, bool)
                expected = "a whole number"
            elif kind == "float":
                ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
                expected = "a finite number"
            elif kind == "bool":
                ok = isinstance(value, bool)
                expected = "true or false"
            else:  # the pair of Adam betas
                ok = (
                    isinstance(value, tuple)
                    and len(value) == 2
                    and all(isinstance(b, int | float) and not isinstance(b, bool) and math.isfinite(b) for b in value)
                )
                expected = "two finite numbers, e.g. [0.9, 0.999]"
            if not ok:
                raise ParameterError(f.name, value, f"expected {expected}")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["betas"] = list(self.betas)
        return data


_KINDS = {
    "epochs": "int",
    "batch_size": "int",
    "lr": "float",
    "min_lr": "float",
    "warmup_epochs": "float",
    "betas": "pair",
    "weight_decay": "float",
    "drop_path": "float",
    "augment": "bool",
    "shuffle": "bool",
    "seed": "int",
    "freeze_backbone": "bool",
    "eval_every": "int",
    "amp": "bool",
}


def learning_rate(step: float, config: TrainConfig) -> float:
    """The rate at ``step`` = epoch + iteration / iterations per epoch: linear warm-up, then a
    half-cycle cosine from ``lr`` down to ``min_lr`` at ``epochs``."""
    if step < config.warmup_epochs:
        return config.lr * step / config.warmup_epochs
    progress = (step - config.warmup_epochs) / (config.epochs - config.warmup_epochs)
    return config.min_lr + (config.lr - config.min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))


def load_config(path: Path, base: TrainConfig | None = None) -> TrainConfig:
    """``base`` (default: the official recipe) with the settings of a TOML file applied."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"config file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DataError(f"config file {path} is not valid TOML ({exc})") from None
    known = {f.name: f for f in fields(TrainConfig)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise DataError(f"config file {path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(known)}")
    if isinstance(data.get("betas"), list):
        data["betas"] = tuple(data["betas"])
    try:
        return replace(base or TrainConfig(), **data)
    except ParameterError as exc:  # named as the file names it, not as a flag the user did not pass
        raise DataError(f"config file {path}: setting {exc.parameter} = {exc.value!r}: {exc.problem}") from None


__all__ = ["TrainConfig", "learning_rate", "load_config"]


load_train_config = load_config  # the name cnp_core exports
