"""Synthetic MuPoTS-3D in the official formats: several people per frame, invalid people, occluded
joints, people cut by the image border, RootNet files with more and fewer boxes than people.
Deterministic for a seed; nothing here is the real data, it exercises the real readers and scoring."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cnp_mupots.layout import annotation_json, default_bbox_root, images_dir
from cnp_mupots.variants import SKELETON_17

# A standing person, pelvis-relative (x right, y down, z forward), millimetres, MuPoTS's 17 joints.
TEMPLATE = np.array(
    [
        (0, -700, 0),
        (0, -450, 0),
        (-180, -430, 0),
        (-250, -180, 20),
        (-270, 50, 40),
        (180, -430, 0),
        (250, -180, 20),
        (270, 50, 40),
        (-100, 0, 0),
        (-110, 420, 30),
        (-110, 820, 0),
        (100, 0, 0),
        (110, 420, 30),
        (110, 820, 0),
        (0, 0, 0),
        (0, -220, 0),
        (0, -580, 0),
    ],
    dtype=np.float64,
)
UNIVERSAL_SCALE = 0.97  # univ_annot3: the pose rescaled about the pelvis (MuPoTS's universal skeleton)


@dataclass(frozen=True)
class MupotsSynthConfig:
    """What to write: ``sequences`` (1..20), ``frames`` each, ``people`` annotated per sequence,
    images at ``image_scale`` of the official sizes (TS1-5 2048x2048, TS6-20 1920x1080)."""

    sequences: tuple[int, ...] = tuple(range(1, 21))
    frames: int = 2
    people: int = 3
    image_scale: float = 0.25
    invalid_rate: float = 0.15
    detect_rate: float = 0.85
    false_positive_rate: float = 0.3
    seed: int = 0


def _size(sequence: int, scale: float) -> tuple[int, int]:
    width, height = (2048, 2048) if sequence <= 5 else (1920, 1080)
    return max(64, round(width * scale)), max(64, round(height * scale))


def _pose(rng: np.random.Generator, x: float, z: float) -> np.ndarray:
    angle = rng.uniform(-np.pi, np.pi)
    c, s = np.cos(angle), np.sin(angle)
    rotation = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    pose = TEMPLATE * rng.uniform(0.9, 1.1) @ rotation.T + rng.normal(0.0, 25.0, TEMPLATE.shape)
    pose -= pose[14]
    return pose + np.array([x, rng.uniform(0.0, 250.0), z])


def _project(pose: np.ndarray, intrinsic: tuple[float, float, float, float]) -> np.ndarray:
    fx, fy, cx, cy = intrinsic
    return np.stack([pose[:, 0] / pose[:, 2] * fx + cx, pose[:, 1] / pose[:, 2] * fy + cy], axis=1)


def _tight_box(points: np.ndarray, margin: float = 0.1) -> list[float]:
    lo, hi = points.min(axis=0), points.max(axis=0)
    size = hi - lo
    lo, size = lo - margin * size, size * (1 + 2 * margin)
    return [float(lo[0]), float(lo[1]), float(size[0]), float(size[1])]


def _rootnet_box(points: np.ndarray, rng: np.random.Generator) -> list[float]:
    """A RootNet-style box: square about the person, 1.25 times its larger side, a little off."""
    x, y, w, h = _tight_box(points, 0.0)
    side = max(w, h) * 1.25 * rng.uniform(0.95, 1.05)
    cx, cy = x + w / 2 + rng.normal(0, 0.03 * side), y + h / 2 + rng.normal(0, 0.03 * side)
    return [cx - side / 2, cy - side / 2, side, side]


def _draw(size: tuple[int, int], people: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    import cv2

    width, height = size
    image = rng.integers(40, 90, (height, width, 3), dtype=np.uint8)
    for pixels in people:
        color = tuple(int(v) for v in rng.integers(120, 256, 3))
        for a, b in SKELETON_17:
            pa, pb = pixels[a], pixels[b]
            if np.isfinite(pa).all() and np.isfinite(pb).all():
                cv2.line(image, (int(pa[0]), int(pa[1])), (int(pb[0]), int(pb[1])), color, max(1, width // 200))
    return image


def generate(out: Path, config: MupotsSynthConfig = MupotsSynthConfig()) -> dict[str, int]:
    """Write a MuPoTS-3D folder (data/, bbox_root/) into ``out``; returns counts."""
    import cv2
    from scipy.io import savemat

    rng = np.random.default_rng(config.seed)
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    rootnet: list[dict[str, Any]] = []
    counts = {"images": 0, "people": 0, "valid": 0, "boxes": 0}
    for sequence in config.sequences:
        folder = images_dir(out) / f"TS{sequence}"
        folder.mkdir(parents=True, exist_ok=True)
        size = _size(sequence, config.image_scale)
        focal = 1500.0 * size[0] / 2048
        intrinsic = (focal, focal * rng.uniform(0.99, 1.01), size[0] / 2 + rng.normal(0, 3), size[1] / 2 + rng.normal(0, 3))
        # each annotated person walks a little from frame to frame; the last one stands at the border
        places = [(float(rng.uniform(-1400, 1400)), float(rng.uniform(3500, 6500))) for _ in range(config.people)]
        if config.people > 1:
            places[-1] = (places[-1][1] * (size[0] / 2) / focal * 1.05, places[-1][1])  # half outside the image
        cells = np.empty((config.frames, config.people), dtype=object)
        occlusion = np.empty((config.frames, config.people), dtype=object)
        for f in range(config.frames):
            image_id = len(images)
            file_name = f"TS{sequence}/img_{f:06d}.jpg"
            images.append(
                {"id": image_id, "file_name": file_name, "width": size[0], "height": size[1], "intrinsic": list(intrinsic)}
            )
            drawn, frame_boxes = [], []
            for p, (x, z) in enumerate(places):
                pose = _pose(rng, x + 60.0 * f, z)
                pixels = _project(pose, intrinsic)
                univ = pose[14] + (pose - pose[14]) * UNIVERSAL_SCALE
                valid = bool(rng.random() >= config.invalid_rate)
                cells[f, p] = {
                    "annot2": pixels.T.copy(),
                    "annot3": pose.T.copy(),
                    "univ_annot3": univ.T.copy(),
                    "isValidFrame": np.array([[int(valid)]], dtype=np.uint8),
                }
                occlusion[f, p] = (rng.random((1, 17)) < 0.2).astype(np.uint8)
                annotations.append(
                    {
                        "id": len(annotations),
                        "image_id": image_id,
                        "bbox": _tight_box(pixels),
                        "keypoints_cam": pose.tolist(),
                        "keypoints_img": pixels.tolist(),
                        "is_valid": int(valid),
                    }
                )
                drawn.append(pixels)
                counts["people"] += 1
                counts["valid"] += int(valid)
                if rng.random() < config.detect_rate:
                    root = pose[14] + np.array([rng.normal(0, 40), rng.normal(0, 40), rng.normal(0, 150)])
                    frame_boxes.append({"image_id": image_id, "bbox": _rootnet_box(pixels, rng), "root_cam": root.tolist()})
            if rng.random() < config.false_positive_rate:  # a box where nobody is annotated
                side = size[1] * rng.uniform(0.2, 0.4)
                box = [float(rng.uniform(0, size[0] - side)), float(rng.uniform(0, size[1] - side)), side, side]
                frame_boxes.append({"image_id": image_id, "bbox": box, "root_cam": [0.0, 0.0, float(rng.uniform(3000, 7000))]})
            rng.shuffle(frame_boxes)  # type: ignore[arg-type]
            rootnet += frame_boxes
            counts["boxes"] += len(frame_boxes)
            cv2.imwrite(
                str(out / "data" / "MultiPersonTestSet" / file_name), _draw(size, drawn, rng), [cv2.IMWRITE_JPEG_QUALITY, 90]
            )
            counts["images"] += 1
        savemat(str(folder / "annot.mat"), {"annotations": cells})
        savemat(str(folder / "occlusion.mat"), {"occlusion_labels": occlusion})
    annotation_json(out).write_text(
        json.dumps({"images": images, "annotations": annotations, "categories": [{"id": 1, "name": "person"}]})
    )
    default_bbox_root(out).parent.mkdir(parents=True, exist_ok=True)
    default_bbox_root(out).write_text(json.dumps(rootnet))
    return counts


# MuCo-3DHP's 21 joints: MuPoTS's 17, then the hands and toes.
TEMPLATE_21 = np.concatenate(
    [TEMPLATE, np.array([(-285, 130, 60), (285, 130, 60), (-110, 840, 130), (110, 840, 130)], dtype=np.float64)]
)
# COCO's 17 keypoints as offsets from MuCo joints: (MuCo joint, offset mm)
_COCO_FROM = ((16, (0, 20, 90)), (16, (35, -10, 80)), (16, (-35, -10, 80)), (16, (75, 0, 20)), (16, (-75, 0, 20)),
              (5, (0, 0, 0)), (2, (0, 0, 0)), (6, (0, 0, 0)), (3, (0, 0, 0)), (7, (0, 0, 0)), (4, (0, 0, 0)),
              (11, (0, 0, 0)), (8, (0, 0, 0)), (12, (0, 0, 0)), (9, (0, 0, 0)), (13, (0, 0, 0)), (10, (0, 0, 0)))  # fmt: skip


def _pose21(rng: np.random.Generator, x: float, z: float) -> np.ndarray:
    angle = rng.uniform(-np.pi, np.pi)
    c, s = np.cos(angle), np.sin(angle)
    rotation = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    pose = TEMPLATE_21 * rng.uniform(0.9, 1.1) @ rotation.T + rng.normal(0.0, 25.0, TEMPLATE_21.shape)
    return pose - pose[14] + np.array([x, rng.uniform(0.0, 250.0), z])


def generate_muco(out: Path, images: int = 6, size: tuple[int, int] = (512, 512), seed: int = 0) -> dict[str, int]:
    """A MuCo-3DHP folder (``data/MuCo-3DHP.json``, images under ``data/``): 1-3 people per composite,
    some standing within 500 mm of another (the official loader then crops only the closest)."""
    import cv2

    rng = np.random.default_rng(seed)
    focal = 1500.0 * size[0] / 2048
    (out / "data" / "images").mkdir(parents=True, exist_ok=True)
    entries: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for i in range(images):
        intrinsic = (focal, focal, size[0] / 2, size[1] / 2)
        count = int(rng.integers(1, 4))
        places = [(float(rng.uniform(-900, 900)), float(rng.uniform(3500, 6000))) for _ in range(count)]
        if count == 3:
            places[2] = (places[1][0] + 250.0, places[1][1] + 200.0)  # within 500 mm of the second
        drawn = []
        for x, z in places:
            pose = _pose21(rng, x, z)
            pixels = _project(pose, intrinsic)
            drawn.append(pixels[:17])
            annotations.append(
                {
                    "id": len(annotations),
                    "image_id": i,
                    "bbox": _tight_box(pixels),
                    "keypoints_cam": pose.tolist(),
                    "keypoints_img": pixels.tolist(),
                }
            )
        name = f"images/{i:06d}.jpg"
        entries.append(
            {
                "id": i,
                "file_name": name,
                "width": size[0],
                "height": size[1],
                "f": [focal, focal],
                "c": [size[0] / 2, size[1] / 2],
            }
        )
        cv2.imwrite(str(out / "data" / name), _draw(size, drawn, rng), [cv2.IMWRITE_JPEG_QUALITY, 90])
    (out / "data" / "MuCo-3DHP.json").write_text(json.dumps({"images": entries, "annotations": annotations}))
    return {"images": images, "people": len(annotations)}


def generate_coco(out: Path, images: int = 6, size: tuple[int, int] = (480, 360), seed: int = 0) -> dict[str, int]:
    """An MS COCO 2017 keypoint folder (``annotations/person_keypoints_train2017.json``,
    ``images/train2017/``): people with hidden (v=0) and occluded (v=1) keypoints, a crowd
    annotation and a person without keypoints (both skipped by the official loader)."""
    import cv2

    rng = np.random.default_rng(seed)
    intrinsic = (1500.0 * size[0] / 2048, 1500.0 * size[0] / 2048, size[0] / 2, size[1] / 2)
    (out / "images" / "train2017").mkdir(parents=True, exist_ok=True)
    (out / "annotations").mkdir(parents=True, exist_ok=True)
    entries: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for i in range(images):
        drawn = []
        for _ in range(int(rng.integers(1, 3))):
            pose = _pose21(rng, float(rng.uniform(-700, 700)), float(rng.uniform(3500, 6000)))
            points = np.array([pose[j] + np.asarray(off, dtype=np.float64) for j, off in _COCO_FROM])
            pixels = _project(points, intrinsic)
            v = rng.choice([0, 1, 2], size=17, p=[0.1, 0.2, 0.7])
            keypoints = np.concatenate([pixels, v[:, None]], axis=1)
            keypoints[v == 0, :2] = 0.0
            drawn.append(_project(pose, intrinsic)[:17])
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": i + 1,
                    "category_id": 1,
                    "iscrowd": 0,
                    "bbox": _tight_box(pixels[v > 0] if (v > 0).any() else pixels),
                    "area": 1.0,
                    "num_keypoints": int((v > 0).sum()),
                    "keypoints": keypoints.round(2).reshape(-1).tolist(),
                }
            )
        name = f"{i + 1:012d}.jpg"
        entries.append({"id": i + 1, "file_name": name, "width": size[0], "height": size[1]})
        cv2.imwrite(str(out / "images" / "train2017" / name), _draw(size, drawn, rng), [cv2.IMWRITE_JPEG_QUALITY, 90])
    crowd = dict(annotations[0], id=len(annotations) + 1, iscrowd=1)
    empty = dict(annotations[0], id=len(annotations) + 2, num_keypoints=0, keypoints=[0.0] * 51)
    annotations += [crowd, empty]
    categories = [{"id": 1, "name": "person", "keypoints": ["nose"] * 17, "skeleton": []}]
    (out / "annotations" / "person_keypoints_train2017.json").write_text(
        json.dumps({"images": entries, "annotations": annotations, "categories": categories})
    )
    return {"images": images, "people": len(annotations) - 2}


__all__ = ["TEMPLATE", "TEMPLATE_21", "MupotsSynthConfig", "generate", "generate_coco", "generate_muco"]
