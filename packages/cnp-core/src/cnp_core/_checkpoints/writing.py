"""Write weights in every published form: the way tests and the demo get realistic files."""

from __future__ import annotations

import tarfile
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

import torch

from cnp_core._errors import CnpError, checked_arguments
from cnp_core._output.atomic import atomic_path, make_dirs, os_errors, replace_dir
from cnp_core._plugins.hookspecs import InvertibleKeyAdapter
from cnp_core._plugins.host import PluginHost, registry

FORMS = ("pth", "zip-tar", "folder", "tar", "safetensors")


def _snapshot(state: Mapping[str, torch.Tensor], epoch: int) -> dict[str, object]:
    """The training script's dict: DataParallel ``module.`` keys, epoch, a (small) optimizer state."""
    network = {f"module.{k}": v for k, v in state.items()}
    optimizer = {"state": {}, "param_groups": [{"lr": 1e-4, "weight_decay": 0.0, "params": list(range(len(network)))}]}
    return {"epoch": epoch, "network": network, "optimizer": optimizer}


def _save_zip(obj: object, out: Path, archive_name: str) -> None:
    """torch zip serialization whose inner folder is ``archive_name`` (as the published files are)."""
    with os_errors(out), tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        staged = Path(tmp) / f"{archive_name}.tar"  # torch names the folder after the stem
        torch.save(obj, staged)
        with atomic_path(out) as target:
            staged.replace(target)


@checked_arguments
def write_checkpoint(
    state: Mapping[str, torch.Tensor],
    out: str | Path,
    *,
    form: str = "pth",
    epoch: int = 0,
    key_style: str | None = None,
    metadata: Mapping[str, str] | None = None,
    host: PluginHost | None = None,
) -> Path:
    """Write ``state`` (model key names) to ``out`` in ``form`` (see :data:`FORMS`); returns ``out``.

    ``pth``/``zip-tar``/``folder``/``tar`` hold the training snapshot dict with ``module.`` keys;
    ``safetensors`` holds the plain keys with epoch and metadata in its header.
    """
    if form not in FORMS:
        raise ValueError(f"unknown form {form!r}; choose one of {', '.join(FORMS)}")
    out = Path(out)
    make_dirs(out.parent)
    tensors = {k: v.detach().cpu().contiguous() for k, v in state.items()}
    if key_style is not None:
        adapter = registry("key adapter", host).get(key_style)
        if not isinstance(adapter, InvertibleKeyAdapter):
            raise CnpError(f"key adapter {key_style!r} cannot write its key style (it has no inverse)")
        tensors = adapter.inverse(tensors)
    archive = f"snapshot_{epoch}.pth"
    if form == "safetensors":
        from safetensors.torch import save_file

        meta = {"epoch": str(epoch), **dict(metadata or {})}
        with atomic_path(out) as target:
            save_file(tensors, str(target), metadata=meta)
        return out
    snapshot = _snapshot(tensors, epoch)
    if form in ("pth", "zip-tar"):
        _save_zip(snapshot, out, archive if form == "zip-tar" else Path(out.name).stem)
        return out
    with os_errors(out), tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        zipped = Path(tmp) / "snapshot.zip"
        _save_zip(snapshot, zipped, archive)
        extracted = Path(tmp) / "extracted"
        with zipfile.ZipFile(zipped) as zf:
            zf.extractall(extracted)
        folder = extracted / archive
        if form == "folder":
            replace_dir(folder, out)
        else:
            with atomic_path(out) as target, tarfile.open(target, "w") as tf:
                tf.add(folder, arcname=archive)
    return out
