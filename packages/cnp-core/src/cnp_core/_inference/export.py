"""Export the inference form of a model to ONNX or TorchScript, and run or inspect exported files.

Exported models map (N, 3, H, W) normalised patches to (N, J, 3) heatmap-unit coordinates, like
:class:`cnp_core.PoseModel`. Each file carries a small ``cnp`` metadata record (variant, shapes,
batch axis) so ``cnp inspect`` and ``cnp eval --backend onnxruntime`` know what they hold.
"""

from __future__ import annotations

import copy
import json
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from cnp_core._errors import CnpError, ParameterError
from cnp_core._model.variants import Variant
from cnp_core._output.atomic import atomic_path

FORMATS = ("onnx", "torchscript")
METADATA_KEY = "cnp"
TORCHSCRIPT_EXTRA = "cnp.json"


@dataclass(frozen=True)
class ExportOptions:
    """``batch_size`` None: a dynamic batch axis; otherwise the fixed batch the file accepts."""

    format: str = "onnx"
    batch_size: int | None = None
    opset: int = 17
    optimize: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.opset, bool) or not isinstance(self.opset, int) or not MIN_OPSET <= self.opset <= MAX_OPSET:
            raise ParameterError(
                "opset",
                self.opset,
                f"use {MIN_OPSET} to {MAX_OPSET} (the heads' bilinear resize needs {MIN_OPSET}; {MAX_OPSET} is the newest torch writes here)",
            )


MIN_OPSET, MAX_OPSET = 11, 20


def export_metadata(variant: Variant, options: ExportOptions) -> dict[str, Any]:
    from cnp_core import __version__

    return {
        "variant": variant.name,
        "joint_num": variant.joint_num,
        "depth_dim": variant.depth_dim,
        "output_shape": list(variant.output_shape),
        "input_shape": list(variant.input_shape),
        "batch_size": options.batch_size,
        "format": options.format,
        "optimized": options.optimize,
        "cnp_core": __version__,
        "output": "coords (N, J, 3) in heatmap units (x, y, depth bin)",
    }


def exportable(model: nn.Module, optimize: bool = True) -> nn.Module:
    """The inference form, with its tail batched (no per-image Python loop) so it traces."""
    from cnp_core._model.optimize import EXPORT_OPTIONS, optimize_for_inference

    form = model
    if optimize:
        form, _ = optimize_for_inference(model, EXPORT_OPTIONS)
    return form.eval()


def export_module(
    model: nn.Module, variant: Variant, out: str | Path, options: ExportOptions = ExportOptions()
) -> dict[str, Any]:
    """Write ``model`` (a loaded PoseModel) to ``out`` atomically; returns the metadata record."""
    if options.format not in FORMATS:
        raise ParameterError("format", options.format, f"use {' or '.join(FORMATS)}")
    form = exportable(copy.deepcopy(model).cpu().eval(), options.optimize)  # the caller's model stays where it is
    example = torch.zeros(options.batch_size or 2, 3, *variant.input_shape)
    meta = export_metadata(variant, options)
    with atomic_path(out) as tmp, warnings.catch_warnings():
        # the tracer's notices about Python values (shapes are fixed per export; parity is tested) and
        # the legacy exporter's deprecation notice; every other warning still shows
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message=r"You are using the legacy TorchScript-based ONNX export")
        warnings.filterwarnings("ignore", message=r"`torch\.jit\.\w+` is deprecated")
        if options.format == "onnx":
            _export_onnx(form, example, tmp, meta, options)
        else:
            with torch.no_grad():
                traced = torch.jit.trace(form, example, check_trace=False)
            torch.jit.save(traced, str(tmp), _extra_files={TORCHSCRIPT_EXTRA: json.dumps(meta)})
    return meta


def _export_onnx(form: nn.Module, example: torch.Tensor, path: Path, meta: dict[str, Any], options: ExportOptions) -> None:
    import onnx

    dynamic = None if options.batch_size else {"images": {0: "batch"}, "coords": {0: "batch"}}
    with torch.no_grad():
        torch.onnx.export(
            form,
            (example,),
            str(path),
            dynamo=False,
            input_names=["images"],
            output_names=["coords"],
            dynamic_axes=dynamic,
            opset_version=options.opset,
        )
    proto = onnx.load(str(path))
    entry = proto.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, json.dumps(meta)
    onnx.save(proto, str(path))


def read_export_metadata(path: str | Path) -> dict[str, Any] | None:
    """The ``cnp`` record of an exported file, or None when ``path`` is not a cnp export."""
    path = Path(path)
    if not path.is_file():
        return None
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith(f"/extra/{TORCHSCRIPT_EXTRA}")]
            if not names:
                return None
            data: dict[str, Any] = json.loads(archive.read(names[0]))
            return data
    if path.suffix.lower() != ".onnx":
        return None
    try:
        import onnx

        proto = onnx.load(str(path), load_external_data=False)
    except Exception as exc:
        raise CnpError(f"{path} is not a readable ONNX file ({type(exc).__name__}); re-export it with `cnp export`") from None
    for prop in proto.metadata_props:
        if prop.key == METADATA_KEY:
            onnx_meta: dict[str, Any] = json.loads(prop.value)
            onnx_meta["opset"] = max((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), default=None)
            return onnx_meta
    return {"variant": None, "format": "onnx", "note": "ONNX file without cnp metadata"}


class OnnxRuntimeModel(nn.Module):
    """An exported ONNX file behind the PoseModel interface, run by onnxruntime on the CPU.

    A fixed-batch file gets short batches padded and longer ones split.
    """

    def __init__(self, path: str | Path, threads: int | None = None) -> None:
        super().__init__()
        try:
            import onnxruntime as ort
        except ImportError:
            raise CnpError("--backend onnxruntime needs the onnxruntime package: pip install onnxruntime") from None
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise CnpError(f"{path} is not a readable ONNX file ({type(exc).__name__}); re-export it with `cnp export`") from None
        record = self.session.get_modelmeta().custom_metadata_map.get(METADATA_KEY)  # the parsed file's metadata_props
        if record is None:
            raise CnpError(f"{path} is not an ONNX file exported by `cnp export --format onnx`")
        self.meta: dict[str, Any] = json.loads(record)
        self.fixed_batch: int | None = self.meta.get("batch_size")

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = images.detach().cpu().contiguous().numpy().astype(np.float32, copy=False)
        if self.fixed_batch is None:
            return torch.from_numpy(self.session.run(["coords"], {"images": x})[0])
        outs = []
        for start in range(0, len(x), self.fixed_batch):
            part = x[start : start + self.fixed_batch]
            short = self.fixed_batch - len(part)
            if short:
                part = np.concatenate([part, np.zeros((short, *part.shape[1:]), dtype=part.dtype)])
            outs.append(self.session.run(["coords"], {"images": part})[0][: self.fixed_batch - short])
        return torch.from_numpy(np.concatenate(outs))


def check_export_fits(meta: dict[str, Any], variant: Variant, path: str | Path) -> None:
    """Refuse an exported file made for another variant (or with another output grid)."""
    name = meta.get("variant")
    if name is not None and str(name).lower() != variant.name.lower():
        raise CnpError(f"{path} was exported from variant {name}, not {variant.name}; pass --variant {name}")
    grid = meta.get("output_shape")
    if grid is not None and (tuple(grid) != tuple(variant.output_shape) or meta.get("depth_dim") != variant.depth_dim):
        raise CnpError(
            f"{path} outputs a {grid} x {meta.get('depth_dim')} grid, {variant.name} expects {list(variant.output_shape)}"
        )


def export_model(
    variant: str | Variant,
    checkpoint: str | Path,
    out: str | Path,
    options: ExportOptions = ExportOptions(),
    *,
    force: bool = False,
) -> dict[str, Any]:
    """Export ``checkpoint`` of ``variant`` to ``out`` (ONNX or TorchScript, per ``options``):
    images (N, 3, H, W) in, joint coordinates (N, J, 3) in heatmap units out. ``out`` is claimed
    before any work (``force`` replaces a file cnp cannot tell it wrote). Returns the metadata
    record with ``file``. What ``cnp export`` calls."""
    from cnp_core._model.pose_model import load_model
    from cnp_core._model.variants import get_variant
    from cnp_core._output.atomic import claim_output

    if options.format not in FORMATS:
        raise ParameterError("format", options.format, f"use {' or '.join(FORMATS)}")
    claim_output(out, force=force)
    spec = get_variant(variant)
    model, _ = load_model(spec, checkpoint)
    meta = export_module(model, spec, out, options)
    return {**meta, "file": str(out)}


inspect_export = read_export_metadata

__all__ = [
    "FORMATS",
    "ExportOptions",
    "OnnxRuntimeModel",
    "check_export_fits",
    "export_model",
    "export_module",
    "exportable",
    "inspect_export",
    "read_export_metadata",
]
