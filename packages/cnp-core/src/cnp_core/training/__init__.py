"""Training and fine-tuning with the official ConvNeXtPose recipe (SPEC section 5).

- :mod:`~cnp_core.training.recipe`: the frozen :class:`TrainConfig` (official defaults, TOML
  overrides) and the learning-rate schedule;
- :mod:`~cnp_core.training.samples`: :class:`TrainSplit`, what a dataset plugin hands the trainer;
- :mod:`~cnp_core.training.targets`: augmentation and targets of one sample;
- :mod:`~cnp_core.training.loop`: the loop, checkpoints, resume and logs (:func:`train`).
"""

from __future__ import annotations

from cnp_core.training.recipe import TrainConfig, learning_rate, load_config
from cnp_core.training.samples import TrainSplit

__all__ = ["TrainConfig", "TrainSplit", "learning_rate", "load_config"]
