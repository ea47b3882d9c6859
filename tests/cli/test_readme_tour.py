"""The README's one-screen tour: its plugin snippet registers a variant that builds and predicts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import torch

import cnp_core

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_tour_plugin_snippet_registers_a_working_variant() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    (snippet,) = [b for b in blocks if b.startswith("from cnp_core.plugin import Variant")]
    namespace: dict[str, Any] = {}
    exec(compile(snippet, "README.md", "exec"), namespace)
    registered: dict[str, Any] = {}

    class Registrar:
        def register(self, name: str, obj: Any) -> None:
            registered[name] = obj

    namespace["cnp_register_variants"](Registrar())
    (variant,) = registered.values()
    model = cnp_core.build_model(variant).eval()
    with torch.no_grad():
        out = model(torch.zeros(1, 3, *variant.input_shape))
    assert tuple(out.shape) == (1, variant.joint_num, 3)  # (x, y, z) per joint, in heatmap units
    blocks_in_stage_3 = len(model.backbone.stages[2])
    assert blocks_in_stage_3 == 12  # the deeper third stage the snippet asks for
