"""Random-weight state dicts for any variant, deterministic per seed (for tests and the demo)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from cnp_core._model.variants import Variant
from cnp_core._plugins.host import PluginHost


def random_state_dict(variant: str | Variant, seed: int = 0, host: PluginHost | None = None) -> dict[str, torch.Tensor]:
    """Fresh weights of ``variant`` from ``seed``, with non-trivial BatchNorm statistics.

    BatchNorm gets random affine parameters and running statistics so that every rewrite of the
    network (e.g. folding BN) is exercised by real numbers, not identities.
    """
    from cnp_core._model.pose_model import build_model

    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_model(variant, host=host)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                c = module.num_features
                module.weight.copy_(torch.rand(c, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(c, generator=generator) * 0.1)
                assert module.running_mean is not None and module.running_var is not None
                module.running_mean.copy_(torch.randn(c, generator=generator) * 0.1)
                module.running_var.copy_(torch.rand(c, generator=generator) + 0.5)
                if module.num_batches_tracked is not None:
                    module.num_batches_tracked.fill_(1000 + seed)
    return {k: v.clone() for k, v in model.state_dict().items()}


def write_random_checkpoint(
    variant: str | Variant,
    out: str | Path,
    *,
    form: str = "pth",
    epoch: int = 0,
    seed: int = 0,
    key_style: str | None = None,
    force: bool = False,
) -> Path:
    """A random-weight checkpoint of ``variant`` at ``out`` in one of the published forms (see
    :data:`cnp_core.CHECKPOINT_FORMS`), keys in a registered adapter's ``key_style`` if given.
    ``out`` is claimed first (``force`` replaces a file cnp cannot tell it wrote). What
    ``cnp checkpoints synth`` calls."""
    from cnp_core._checkpoints.writing import FORMS, write_checkpoint
    from cnp_core._errors import ParameterError
    from cnp_core._model.variants import get_variant
    from cnp_core._output.atomic import claim_output

    if form not in FORMS:
        raise ParameterError("form", form, f"choose one of {', '.join(FORMS)}")
    claim_output(out, force=force)
    spec = get_variant(variant)
    write_checkpoint(
        random_state_dict(spec, seed), out, form=form, epoch=epoch, key_style=key_style, metadata={"variant": spec.name}
    )
    return Path(out)
