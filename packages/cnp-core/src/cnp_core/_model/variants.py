"""The frozen :class:`Variant` record and the variant registry's front door."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from cnp_core._plugins.host import PluginHost, registry

ConfigItems = tuple[tuple[str, Any], ...]


def freeze_config(config: Mapping[str, Any]) -> ConfigItems:
    """A mapping as sorted (key, value) pairs, lists turned into tuples, so records stay hashable."""
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in config.items()))


@dataclass(frozen=True)
class PaperNumbers:
    """Published size figures for a variant (None where nothing was published); published accuracy
    belongs to the dataset that measured it (``DatasetInfo.published``)."""

    params_m: float | None = None
    gmacs: float | None = None
    source: str = ""


@dataclass(frozen=True)
class Variant:
    """Every number that defines a model variant, in one place (registered with ``cnp_register_variants``).

    - ``name``: how users pick it (``--variant``; case-insensitive);
    - ``backbone`` / ``head``: registered factory names (``cnp plugins`` lists them; the stock
      backbone ``convnext-bn`` takes ``depths`` and ``dims``, the stock heads take ``channels``);
    - ``backbone_config`` / ``head_config``: their keyword arguments, frozen with :func:`freeze_config`
      (the published S: depths (3, 3, 9, 3), dims (48, 96, 192, 384), 256 head channels);
    - ``depth_dim``: depth bins of the heatmap volume; ``output_shape``: (H_out, W_out) of its grid;
      both must be what the head produces;
    - ``input_shape``: (H, W) of the network's input patch in pixels;
    - ``joint_num``: joints predicted, equal to the joints of every dataset it is evaluated on;
    - ``paper``: published size figures (:class:`PaperNumbers`); ``description``: one line for listings.
    """

    name: str
    backbone: str
    backbone_config: ConfigItems
    head: str
    head_config: ConfigItems
    depth_dim: int
    output_shape: tuple[int, int]
    input_shape: tuple[int, int] = (256, 256)
    joint_num: int = 18
    paper: PaperNumbers = field(default_factory=PaperNumbers)
    description: str = ""

    @property
    def backbone_kwargs(self) -> dict[str, Any]:
        return dict(self.backbone_config)

    @property
    def head_kwargs(self) -> dict[str, Any]:
        return dict(self.head_config)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the record."""
        data = asdict(self)
        data["backbone_config"] = self.backbone_kwargs
        data["head_config"] = self.head_kwargs
        return data


def list_variants(host: PluginHost | None = None) -> list[str]:
    """Names of every registered variant, built-in and plugin."""
    return registry("variant", host).names()


def get_variant(name: str | Variant, host: PluginHost | None = None) -> Variant:
    """The variant called ``name`` (any case); an unknown name raises with the closest match."""
    if isinstance(name, Variant):
        return name
    variant: Variant = registry("variant", host).get(name)
    return variant
