"""The settings of a Human3.6M split: what ``h36m`` declares (``cnp eval --protocol/--bbox/--bbox-root``)
and the typed form the split builder reads."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cnp_core.plugin import DatasetOption, SplitOptions

OPTIONS = (
    DatasetOption(
        "protocol", "1: S11, PA MPJPE (rigid alignment); 2: S9+S11, MPJPE.", default=2, choices=(1, 2), type=int, tag="p"
    ),
    DatasetOption(
        "bbox",
        "gt: ground-truth boxes and root depth; rootnet: RootNet's boxes and root.",
        default="gt",
        choices=("gt", "rootnet"),
    ),
    DatasetOption("bbox_root", "RootNet file (default: DATA_DIR/bbox_root/bbox_root_human36m_output.json).", type=Path),
)


@dataclass(frozen=True)
class H36MOptions:
    """One Human3.6M test split: protocol (1 or 2), box source (gt or rootnet), RootNet file, input size."""

    protocol: int = 2
    bbox_source: str = "gt"
    bbox_root_file: Path | None = None
    input_shape: tuple[int, int] = (256, 256)


def h36m_options(options: SplitOptions) -> H36MOptions:
    """The typed settings of ``options`` (each value checked against :data:`OPTIONS`)."""
    from cnp_h36m.dataset import Human36M

    values = Human36M.info.resolve(options.given)
    root_file = values["bbox_root"]
    return H36MOptions(
        protocol=values["protocol"],
        bbox_source=values["bbox"],
        bbox_root_file=Path(root_file) if root_file is not None else None,
        input_shape=options.input_shape,
    )
