"""Image -> network input, exactly as the reference pipeline does it (SPEC section 4, steps 2-4)."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

PIXEL_MEAN = (0.485, 0.456, 0.406)
PIXEL_STD = (0.229, 0.224, 0.225)


def process_bbox(bbox: Sequence[float] | np.ndarray, width: int, height: int, aspect_ratio: float = 1.0) -> np.ndarray | None:
    """Clip [x, y, w, h] to the image, widen to ``aspect_ratio`` (w/h), scale by 1.25 about the centre.

    Returns None for an empty box. Written like the reference (numpy, same dtypes: integer boxes
    stay integer arrays and are truncated the same way), so boxes match it bit for bit.
    """
    x, y, w, h = bbox
    x1 = np.max((0, x))
    y1 = np.max((0, y))
    x2 = np.min((width - 1, x1 + np.max((0, w - 1))))
    y2 = np.min((height - 1, y1 + np.max((0, h - 1))))
    if w * h > 0 and x2 >= x1 and y2 >= y1:
        box = np.array([x1, y1, x2 - x1, y2 - y1])
    else:
        return None
    w = box[2]
    h = box[3]
    c_x = box[0] + w / 2.0
    c_y = box[1] + h / 2.0
    if w > aspect_ratio * h:
        h = w / aspect_ratio
    elif w < aspect_ratio * h:
        w = h * aspect_ratio
    box[2] = w * 1.25
    box[3] = h * 1.25
    box[0] = c_x - box[2] / 2.0
    box[1] = c_y - box[3] / 2.0
    return box


def _rotate_f32(x: np.float32, y: np.float32, radians: float) -> np.ndarray:
    """(x, y) rotated by ``radians``: float64 products of float32 inputs, rounded to float32 (as the reference)."""
    sin, cos = np.sin(radians), np.cos(radians)
    return np.array([x * cos - y * sin, x * sin + y * cos], dtype=np.float32)


def affine_transform(
    center: tuple[float, float],
    size: tuple[float, float],
    input_shape: tuple[int, int] = (256, 256),
    *,
    scale: float = 1.0,
    rotation_deg: float = 0.0,
    inv: bool = False,
) -> np.ndarray:
    """2x3 affine taking a box (``center`` (x, y) and ``size`` (w, h) in image pixels, scaled by
    ``scale`` and rotated by ``rotation_deg`` about its centre) onto the (H, W) ``input_shape`` patch.

    The one crop transform of evaluation and training, in the reference's own arithmetic
    (``gen_trans_from_patch_cv``): the three points are float32, each direction vector rotated in
    float64 and rounded to float32, and the points summed in float32. Rounding them once from
    float64 instead changes the last bit of the matrix for some boxes, and so some patch pixels.
    """
    src_w, src_h = size[0] * scale, size[1] * scale
    radians = np.pi * rotation_deg / 180
    src_center = np.array(center, dtype=np.float32)
    down = np.array([0, src_h * 0.5], dtype=np.float32)
    right = np.array([src_w * 0.5, 0], dtype=np.float32)
    src = np.zeros((3, 2), dtype=np.float32)
    src[0, :] = src_center
    src[1, :] = src_center + _rotate_f32(down[0], down[1], radians)
    src[2, :] = src_center + _rotate_f32(right[0], right[1], radians)
    dst_h, dst_w = input_shape
    dst_center = np.array([dst_w * 0.5, dst_h * 0.5], dtype=np.float32)
    dst = np.zeros((3, 2), dtype=np.float32)
    dst[0, :] = dst_center
    dst[1, :] = dst_center + np.array([0, dst_h * 0.5], dtype=np.float32)
    dst[2, :] = dst_center + np.array([dst_w * 0.5, 0], dtype=np.float32)
    if inv:
        src, dst = dst, src
    return np.asarray(cv2.getAffineTransform(src, dst))


def box_center(bbox: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """The centre of [x, y, w, h], computed as the reference does (``float(x + 0.5 * w)``)."""
    return float(bbox[0] + 0.5 * bbox[2]), float(bbox[1] + 0.5 * bbox[3])


def patch_transform(bbox: Sequence[float], input_shape: tuple[int, int] = (256, 256), inv: bool = False) -> np.ndarray:
    """2x3 affine taking the box centre to the patch centre and the box size onto the patch (no rotation)."""
    return affine_transform(box_center(bbox), (float(bbox[2]), float(bbox[3])), input_shape, inv=inv)


def crop_patch_u8(image_bgr: np.ndarray, bbox: Sequence[float], input_shape: tuple[int, int] = (256, 256)) -> np.ndarray:
    """The box's patch as the warp leaves it: uint8 BGR (H, W, 3), zero outside the image (what
    the patch cache stores: the exact bytes every later step starts from)."""
    trans = patch_transform(bbox, input_shape)
    return np.asarray(cv2.warpAffine(image_bgr, trans, (int(input_shape[1]), int(input_shape[0])), flags=cv2.INTER_LINEAR))


def crop_patch(image_bgr: np.ndarray, bbox: Sequence[float], input_shape: tuple[int, int] = (256, 256)) -> np.ndarray:
    """The box's patch as float32 RGB (H, W, 3), pixel values 0..255, zero outside the image."""
    return crop_patch_u8(image_bgr, bbox, input_shape)[:, :, ::-1].astype(np.float32)


def normalize(patch_rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 0..255 -> (3, H, W) ``(v - mean) / std`` WITHOUT dividing by 255.

    This is the reference's quirk (torchvision's ToTensor leaves float arrays unscaled); the
    published weights depend on it.
    """
    chw = np.ascontiguousarray(patch_rgb.transpose(2, 0, 1), dtype=np.float32)
    mean = np.array(PIXEL_MEAN, dtype=np.float32)[:, None, None]
    std = np.array(PIXEL_STD, dtype=np.float32)[:, None, None]
    return (chw - mean) / std


def read_image(path: str) -> np.ndarray | None:
    """BGR uint8 image, EXIF orientation ignored; None if the file cannot be decoded, is a JPEG cut
    short (OpenCV would return its half-grey partial decode) or claims a size OpenCV refuses."""
    if truncated_jpeg(path):
        return None
    try:
        image = cv2.imread(path, cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    except cv2.error:  # e.g. a header claiming 65000 x 65000 pixels
        return None
    return image if isinstance(image, np.ndarray) else None


def truncated_jpeg(path: str, tail: int = 64) -> bool:
    """A JPEG file (it starts with SOI) without its end-of-image marker near its end: cut short."""
    try:
        with open(path, "rb") as fh:
            if fh.read(2) != b"\xff\xd8":
                return False
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - tail))
            end = fh.read()
    except OSError:
        return False
    return b"\xff\xd9" not in end.rstrip(b"\x00")
