"""One image in, 2D joints in pixels and root-relative 3D joints in millimetres out."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cnp_core._data.crops import crop_patch, normalize, process_bbox, read_image
from cnp_core._errors import CnpError, DataError, checked_arguments
from cnp_core._evaluation.pose_math import heatmap_to_camera, heatmap_to_image
from cnp_core._inference.engine import InferenceConfig, forward_coords, resolve_device
from cnp_core._model.variants import Variant

DEFAULT_FOCAL = (1500.0, 1500.0)  # the official demo's camera (focal length in pixels)
BODY_AREA_MM2 = 2000.0 * 2000.0  # real-world area of a body box, for the area depth prior
BBOX_3D_DEPTH_MM = 2000.0


@dataclass(frozen=True)
class PoseInput:
    """Camera and box for one image. ``bbox`` None: the whole image; ``root_depth_mm`` None: estimated."""

    bbox: tuple[float, float, float, float] | None = None
    root_depth_mm: float | None = None
    focal: tuple[float, float] = DEFAULT_FOCAL
    principal_point: tuple[float, float] | None = None
    flip: bool = True
    device: str = "auto"

    def __post_init__(self) -> None:
        def finite(values: Sequence[float] | float) -> bool:
            return all(math.isfinite(float(v)) for v in np.atleast_1d(values))

        if self.bbox is not None and not (finite(self.bbox) and self.bbox[2] > 0 and self.bbox[3] > 0):
            raise CnpError(f"bbox {self.bbox}: give x, y and a positive width and height (finite numbers)")
        if self.root_depth_mm is not None and not (finite(self.root_depth_mm) and self.root_depth_mm > 0):
            raise CnpError(f"root depth {self.root_depth_mm} mm: the person must be in front of the camera (a positive depth)")
        if not (finite(self.focal) and min(self.focal) > 0):
            raise CnpError(f"focal lengths {self.focal}: give two positive numbers of pixels (e.g. 1500,1500)")
        if self.principal_point is not None and not finite(self.principal_point):
            raise CnpError(f"principal point {self.principal_point}: give two finite numbers of pixels")


@dataclass(frozen=True)
class PosePrediction:
    """Result of :func:`predict_pose`. Joint arrays are (J, 2) pixels and (J, 3) millimetres."""

    joints_2d_px: np.ndarray
    joints_3d_mm: np.ndarray
    joints_cam_mm: np.ndarray
    bbox: tuple[float, float, float, float]
    crop_box: tuple[float, float, float, float]
    root_depth_mm: float
    root_depth_estimated: bool
    focal: tuple[float, float]
    principal_point: tuple[float, float]
    image_size: tuple[int, int]

    def to_dict(self, joint_names: Sequence[str] = ()) -> dict[str, Any]:
        """JSON-ready; joints keyed by name when ``joint_names`` fits."""
        names = (
            list(joint_names) if len(joint_names) == len(self.joints_2d_px) else [str(i) for i in range(len(self.joints_2d_px))]
        )
        return {
            "joint_names": names,
            "joints_2d_px": np.round(self.joints_2d_px, 3).tolist(),
            "joints_3d_mm": np.round(self.joints_3d_mm, 3).tolist(),
            "joints_cam_mm": np.round(self.joints_cam_mm, 3).tolist(),
            "bbox": list(self.bbox),
            "crop_box": list(self.crop_box),
            "root_depth_mm": self.root_depth_mm,
            "root_depth_estimated": self.root_depth_estimated,
            "focal": list(self.focal),
            "principal_point": list(self.principal_point),
            "image_size": list(self.image_size),
        }


def estimate_root_depth(crop_box: Sequence[float], focal: Sequence[float]) -> float:
    """The area prior (as root-depth networks use it): the depth at which a 2 m x 2 m body box would fill ``crop_box``."""
    return math.sqrt(BODY_AREA_MM2 * focal[0] * focal[1] / (crop_box[2] * crop_box[3]))


def load_image(path: str | Path) -> np.ndarray:
    """BGR uint8 image, or a one-line error saying what is wrong with the file."""
    path = Path(path)
    if path.is_dir():
        raise DataError(f"image {path} is a folder; give one image file")
    if not path.is_file():
        raise DataError(f"image {path} does not exist")
    image = read_image(str(path))
    if image is None:
        raise DataError(f"cannot decode {path}: not an image OpenCV can read (use JPEG or PNG)")
    return image


@checked_arguments
def predict_pose(
    model: torch.nn.Module,
    variant: Variant,
    image: np.ndarray,
    options: PoseInput = PoseInput(),
    *,
    flip_pairs: Sequence[tuple[int, int]] = (),
    root_index: int = 0,
) -> PosePrediction:
    """Crop the (aspect-corrected, 1.25x) box, run the model (and flip test), back-project to 3D."""
    height, width = image.shape[:2]
    bbox = options.bbox or (0.0, 0.0, float(width), float(height))
    processed = process_bbox(np.array(bbox, dtype=np.float64), width, height, variant.input_shape[1] / variant.input_shape[0])
    if processed is None or processed[2] <= 0 or processed[3] <= 0:
        if options.bbox is None:
            raise DataError(f"the image is {width}x{height} pixels: too small to crop a person from; use a photo of a person")
        raise DataError(f"--bbox {','.join(f'{v:g}' for v in bbox)} is empty or outside the {width}x{height} image")
    crop = tuple(float(v) for v in processed)
    device = resolve_device(options.device)
    patch = torch.from_numpy(normalize(crop_patch(image, crop, variant.input_shape)))[None].to(device)
    config = InferenceConfig(batch_size=1, flip=options.flip, device=options.device, progress=False)
    with torch.inference_mode():
        coords = forward_coords(model.to(device).eval(), patch, config, flip_pairs, variant.output_shape[1])
    coords_np = coords.float().cpu().numpy()
    focal = (float(options.focal[0]), float(options.focal[1]))
    center = options.principal_point or (width / 2.0, height / 2.0)
    estimated = options.root_depth_mm is None
    depth = estimate_root_depth(crop, focal) if options.root_depth_mm is None else float(options.root_depth_mm)
    boxes = np.array([crop])
    cam = heatmap_to_camera(
        coords_np,
        boxes,
        np.array([depth], dtype=np.float32),
        np.array([focal], dtype=np.float32),
        np.array([center], dtype=np.float32),
        variant.output_shape,
        variant.depth_dim,
        BBOX_3D_DEPTH_MM,
    )[0]
    pixels = heatmap_to_image(coords_np, boxes, variant.output_shape)[0]
    return PosePrediction(
        joints_2d_px=pixels,
        joints_3d_mm=cam - cam[root_index],
        joints_cam_mm=cam,
        bbox=tuple(float(v) for v in bbox),  # type: ignore[arg-type]
        crop_box=crop,  # type: ignore[arg-type]
        root_depth_mm=depth,
        root_depth_estimated=estimated,
        focal=focal,
        principal_point=(float(center[0]), float(center[1])),
        image_size=(width, height),
    )


@checked_arguments
def predict_image(
    variant: str | Variant,
    checkpoint: str | Path,
    image: str | Path,
    options: PoseInput = PoseInput(),
    *,
    dataset: str,
    optimize: bool = True,
    drawing: str | Path | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """The 3D pose of the person in ``image`` (inside ``options.bbox``, or the whole image) as a
    JSON-able record: joint names, pixels, camera millimetres, root depth, the crop. ``dataset``
    names the joint set (names, skeleton, flip pairs); ``drawing``: a PNG of the 2D skeleton and a
    3D view (needs the report extra). What ``cnp predict`` calls."""
    from cnp_core._data.records import check_joints_fit
    from cnp_core._model.pose_model import load_model
    from cnp_core._model.variants import get_variant
    from cnp_core._plugins.host import registry

    spec = get_variant(variant)
    joints = registry("dataset").get(dataset).info
    check_joints_fit(spec, joints, dataset)
    if drawing is not None:
        from cnp_core._output.atomic import claim_output
        from cnp_core._report.plots import drawn_by_cnp

        claim_output(drawing, force=force, owned=drawn_by_cnp)
    picture = load_image(image)
    model, _ = load_model(spec, checkpoint, optimize=optimize)
    prediction = predict_pose(model, spec, picture, options, flip_pairs=joints.flip_pairs, root_index=joints.root_index)
    record: dict[str, Any] = {
        "image": str(image),
        "variant": spec.name,
        "checkpoint": str(checkpoint),
        **prediction.to_dict(joints.joint_names),
    }
    if drawing is not None:
        from cnp_core._report.plots import pose_plot

        pose_plot(picture, prediction.joints_2d_px, prediction.joints_3d_mm, joints.skeleton, Path(drawing), options.bbox)
        record["drawing"] = str(drawing)
    return record


__all__ = ["PoseInput", "PosePrediction", "estimate_root_depth", "load_image", "predict_image", "predict_pose"]
