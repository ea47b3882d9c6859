"""A synthetic Human3.6M in the exact published layout: cameras, poses, JPEG renderings, boxes.

Deterministic per seed. Frames are ``k * frame_step`` so that some are multiples of 64 (test
frames) and some are not. Images are 1000x1002 like the real set; subjects stand 4-6 m away.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import orjson

from cnp_core.plugin import atomic_path, process_bbox
from cnp_h36m import constants as C
from cnp_h36m.layout import BBOX_ROOT_FILE, annotation_file, image_file_name

WIDTH, HEIGHT = 1000, 1002
#: written last into every generated folder: what made it, so `cnp data synth` may replace it.
MARKER_FILE = ".cnp-synth.json"


def mark_synthetic(folder: Path, generator: str = "cnp data synth-mpii") -> None:
    """Mark ``folder`` as written by a cnp generator (so cnp may replace it)."""
    _write_json(Path(folder) / MARKER_FILE, {"generator": generator})


def is_synthetic(folder: Path) -> bool:
    """A folder :func:`generate` wrote (it holds the marker file)."""
    return (Path(folder) / MARKER_FILE).is_file()


@dataclass(frozen=True)
class SynthConfig:
    """What to generate."""

    subjects: tuple[int, ...] = (9, 11)
    actions: tuple[int, ...] = tuple(range(2, 17))
    subactions: tuple[int, ...] = (1, 2)
    cameras: tuple[int, ...] = (1, 2, 3, 4)
    frames: int = 4
    frame_step: int = 32
    seed: int = 0
    images: bool = True
    jpeg_quality: int = 90


# Rest pose in the body frame (x: subject's left, y: forward, z: up), millimetres, 17 joints.
_REST = np.array(
    [
        [0, 0, 0],
        [-130, 0, 0],
        [-130, 0, -440],
        [-130, 0, -880],
        [130, 0, 0],
        [130, 0, -440],
        [130, 0, -880],
        [0, 0, 230],
        [0, 0, 480],
        [0, 60, 560],
        [0, 0, 680],
        [160, 0, 450],
        [160, 0, 170],
        [160, 0, -80],
        [-160, 0, 450],
        [-160, 0, 170],
        [-160, 0, -80],
    ],
    dtype=np.float64,
)
_PARENT = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15)

# Per action: (hip flexion range, knee flexion range, shoulder raise range, elbow flexion range, lean), degrees
_ACTION_STYLE: dict[str, tuple[tuple[float, float], ...]] = {
    "Directions": ((-10, 10), (0, 15), (0, 90), (0, 60), (-5, 10)),
    "Discussion": ((-10, 10), (0, 15), (10, 60), (20, 100), (-5, 10)),
    "Eating": ((-10, 10), (0, 15), (10, 40), (90, 140), (0, 15)),
    "Greeting": ((-10, 15), (0, 20), (20, 150), (0, 90), (-5, 15)),
    "Phoning": ((-10, 10), (0, 15), (10, 50), (100, 150), (0, 10)),
    "Posing": ((-20, 20), (0, 30), (30, 120), (0, 40), (-10, 10)),
    "Purchases": ((0, 30), (0, 30), (10, 70), (20, 90), (5, 30)),
    "Sitting": ((70, 100), (70, 100), (0, 40), (30, 90), (0, 20)),
    "SittingDown": ((80, 120), (80, 120), (0, 60), (20, 90), (10, 40)),
    "Smoking": ((-10, 10), (0, 15), (10, 40), (90, 150), (0, 10)),
    "Photo": ((-10, 15), (0, 20), (60, 100), (90, 140), (0, 15)),
    "Waiting": ((-5, 10), (0, 10), (0, 20), (0, 40), (-5, 5)),
    "Walking": ((-30, 30), (0, 50), (0, 30), (0, 30), (0, 10)),
    "WalkDog": ((-30, 30), (0, 50), (20, 60), (10, 50), (5, 20)),
    "WalkTogether": ((-30, 30), (0, 50), (0, 30), (0, 40), (0, 10)),
}


def _rot_x(deg: float) -> np.ndarray:
    a = math.radians(deg)
    return np.array([[1, 0, 0], [0, math.cos(a), -math.sin(a)], [0, math.sin(a), math.cos(a)]])


def _rot_y(deg: float) -> np.ndarray:
    a = math.radians(deg)
    return np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])


def _rot_z(deg: float) -> np.ndarray:
    a = math.radians(deg)
    return np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])


def random_pose(rng: np.random.Generator, action: str, scale: float) -> np.ndarray:
    """A plausible 17-joint pose (body frame, pelvis at the origin) in the style of ``action``."""
    hip, knee, shoulder, elbow, lean = _ACTION_STYLE[action]
    local = {j: np.eye(3) for j in range(17)}
    for side, (h, k, s, e) in {"r": (1, 2, 14, 15), "l": (4, 5, 11, 12)}.items():
        local[h] = _rot_x(rng.uniform(*hip)) @ _rot_y(rng.uniform(-10, 10))
        local[k] = _rot_x(-rng.uniform(*knee))
        sign = 1 if side == "l" else -1
        local[s] = _rot_x(rng.uniform(*shoulder)) @ _rot_y(sign * rng.uniform(0, 40))
        local[e] = _rot_x(rng.uniform(*elbow))
    local[0] = _rot_x(-rng.uniform(*lean)) @ _rot_z(rng.uniform(-15, 15))
    local[8] = _rot_x(rng.uniform(-15, 15)) @ _rot_z(rng.uniform(-30, 30))
    rest = _REST * scale
    pos = np.zeros((17, 3))
    orient: list[np.ndarray] = [np.eye(3)] * 17
    for j in range(17):
        p = _PARENT[j]
        if p < 0:
            orient[j] = local[j]
            continue
        pos[j] = pos[p] + orient[p] @ (rest[j] - rest[p])
        orient[j] = orient[p] @ local[j]
    return pos


def place(pose: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Body frame -> world (z up, floor at 0): random yaw, position within 1 m of the centre."""
    yaw = _rot_z(rng.uniform(0, 360))
    world = pose @ yaw.T
    world[:, 2] -= world[:, 2].min() - rng.uniform(0, 40)
    world[:, :2] += rng.uniform(-1000, 1000, size=2)
    return world


def make_camera(rng: np.random.Generator, index: int) -> dict[str, Any]:
    """A camera 4-6 m from the capture centre looking at it: R, t (mm), f about 1145, c about (512, 515)."""
    azimuth = math.radians(45 + 90 * (index - 1) + rng.uniform(-10, 10))
    radius = rng.uniform(5000, 5600)
    pos = np.array([radius * math.cos(azimuth), radius * math.sin(azimuth), rng.uniform(1300, 1700)])
    target = np.array([0.0, 0.0, 900.0])
    fwd = target - pos
    fwd /= np.linalg.norm(fwd)
    right = np.cross(fwd, [0, 0, 1.0])
    right /= np.linalg.norm(right)
    down = np.cross(fwd, right)
    R = np.stack([right, down, fwd])
    t = -R @ pos
    return {
        "R": R.tolist(),
        "t": t.tolist(),
        "f": [1145.0 + rng.uniform(-5, 5), 1144.0 + rng.uniform(-5, 5)],
        "c": [512.0 + rng.uniform(-3, 3), 515.0 + rng.uniform(-3, 3)],
    }


def project(world: np.ndarray, cam: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """World mm -> (camera mm, pixels)."""
    R, t = np.array(cam["R"]), np.array(cam["t"])
    cam_xyz = world @ R.T + t
    f, c = np.array(cam["f"]), np.array(cam["c"])
    px = cam_xyz[:, :2] / cam_xyz[:, 2:3] * f + c
    return cam_xyz, px


_COLORS = {"r": (40, 60, 220), "l": (220, 120, 40), "c": (60, 200, 60)}


def render(px: np.ndarray, cam_xyz: np.ndarray, rng: np.random.Generator, f: float) -> np.ndarray:
    """A 1000x1002 BGR picture of the skeleton as a solid figure over a textured background."""
    y = np.linspace(0, 1, HEIGHT, dtype=np.float32)[:, None, None]
    base = np.array([90, 80, 70], np.float32) * (1 - y) + np.array([150, 140, 130], np.float32) * y
    # uniform sensor-like noise of +-10 levels (random bytes: 8x faster than Gaussian draws)
    img = np.frombuffer(rng.bytes(HEIGHT * WIDTH * 3), np.uint8).reshape(HEIGHT, WIDTH, 3).astype(np.float32)
    img *= 20.0 / 255.0
    img += base - 10.0
    img = np.clip(img, 0, 255, out=img).astype(np.uint8)
    depth = float(cam_xyz[:, 2].mean())
    thick = max(3, int(f * 90 / depth))
    torso = px[[1, 4, 11, 14]].astype(np.int32)
    cv2.fillConvexPoly(img, cv2.convexHull(torso), (70, 160, 90), lineType=cv2.LINE_AA)
    order = sorted(C.SKELETON, key=lambda e: -(cam_xyz[e[0], 2] + cam_xyz[e[1], 2]))
    for a, b in order:
        side = (
            "r"
            if a in (1, 2, 3, 14, 15, 16) or b in (1, 2, 3, 14, 15, 16)
            else "l"
            if a in (4, 5, 6, 11, 12, 13) or b in (4, 5, 6, 11, 12, 13)
            else "c"
        )
        cv2.line(img, tuple(int(v) for v in px[a]), tuple(int(v) for v in px[b]), _COLORS[side], thick, cv2.LINE_AA)
    cv2.circle(img, tuple(int(v) for v in px[10]), int(thick * 1.3), (150, 190, 230), -1, cv2.LINE_AA)
    return img


def _bbox(px: np.ndarray, margin: float) -> list[float]:
    x1, y1 = px.min(axis=0) - margin
    x2, y2 = px.max(axis=0) + margin
    return [float(x1), float(y1), float(x2 - x1), float(y2 - y1)]


def _write_json(path: Path, data: Any) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(orjson.dumps(data))


def generate(out: Path, config: SynthConfig) -> dict[str, int]:
    """Write the dataset under ``out``; returns counts (images, test frames, bbox_root entries)."""
    out = Path(out)
    bbox_root: list[dict[str, Any]] = []
    counts = {"images": 0, "test_frames": 0}
    for subject in config.subjects:
        rng = np.random.default_rng([config.seed, subject])
        scale = rng.uniform(0.92, 1.08)
        cameras = {str(k): make_camera(rng, k) for k in config.cameras}
        joints: dict[str, dict[str, dict[str, list[list[float]]]]] = {}
        images: list[dict[str, Any]] = []
        annotations: list[dict[str, Any]] = []
        for action in config.actions:
            name = C.ACTIONS[action - C.FIRST_ACTION_IDX]
            for sub in config.subactions:
                for k in range(config.frames):
                    frame = k * config.frame_step
                    prng = np.random.default_rng([config.seed, subject, action, sub, frame])
                    world = place(random_pose(prng, name, scale), prng)
                    joints.setdefault(str(action), {}).setdefault(str(sub), {})[str(frame)] = world.round(4).tolist()
                    for cam_idx in config.cameras:
                        cam = cameras[str(cam_idx)]
                        cam_xyz, px = project(world, cam)
                        image_id = subject * 1_000_000 + len(images)
                        file_name = image_file_name(subject, action, sub, cam_idx, frame)
                        bbox = _bbox(px, margin=float(cam["f"][0]) * 120 / float(cam_xyz[:, 2].mean()))
                        images.append(
                            {
                                "id": image_id,
                                "file_name": file_name,
                                "width": WIDTH,
                                "height": HEIGHT,
                                "subject": subject,
                                "action_name": name,
                                "action_idx": action,
                                "subaction_idx": sub,
                                "cam_idx": cam_idx,
                                "frame_idx": frame,
                            }
                        )
                        annotations.append({"id": image_id, "image_id": image_id, "bbox": bbox, "keypoints_vis": [True] * 17})
                        if config.images:
                            path = out / "images" / file_name
                            path.parent.mkdir(parents=True, exist_ok=True)
                            picture = render(px, cam_xyz, prng, float(cam["f"][0]))
                            ok, buf = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, config.jpeg_quality])
                            if not ok:
                                raise RuntimeError(f"JPEG encoding failed for {file_name}")
                            with atomic_path(path) as tmp:
                                tmp.write_bytes(buf.tobytes())
                        counts["images"] += 1
                        if frame % C.TEST_SAMPLING == 0:
                            counts["test_frames"] += 1
                            bbox_root.append(_rootnet_entry(image_id, bbox, cam_xyz, prng))
        _write_json(annotation_file(out, subject, "data"), {"images": images, "annotations": annotations})
        _write_json(annotation_file(out, subject, "camera"), cameras)
        _write_json(annotation_file(out, subject, "joint_3d"), joints)
    _write_json(out / BBOX_ROOT_FILE, bbox_root)
    counts["bbox_root_entries"] = len(bbox_root)
    _write_json(out / MARKER_FILE, {"generator": "cnp data synth", "config": asdict(config), "counts": counts})
    return counts


def _rootnet_entry(image_id: int, bbox: Sequence[float], cam_xyz: np.ndarray, rng: np.random.Generator) -> dict[str, Any]:
    """What RootNet would output: an aspect-fixed, enlarged box with jitter and a noisy root."""
    box = process_bbox(np.array(bbox), WIDTH, HEIGHT)
    assert box is not None
    box = box * (1 + rng.normal(0, 0.01, size=4))
    root = cam_xyz[C.ROOT_INDEX] + rng.normal(0, [15, 15, 40])
    return {"image_id": image_id, "bbox": box.tolist(), "root_cam": root.tolist()}
