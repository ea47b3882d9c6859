"""Training and fine-tuning with the official ConvNeXtPose recipe (SPEC section 5).

- :mod:`~cnp_core._training.recipe`: the frozen :class:`TrainConfig` (official defaults, TOML
  overrides) and the learning-rate schedule;
- :mod:`~cnp_core._training.samples`: :class:`TrainSplit`, what a dataset plugin hands the trainer;
- :mod:`~cnp_core._training.targets`: augmentation and targets of one sample;
- :mod:`~cnp_core._training.loop`: the loop, checkpoints, resume and logs (:func:`train`).
"""

from __future__ import annotations

from cnp_core._training.recipe import TrainConfig, learning_rate, load_config
from cnp_core._training.samples import TrainSplit

__all__ = ["TrainConfig", "TrainSplit", "learning_rate", "load_config"]
