"""Where things are in a Human3.6M folder."""

from __future__ import annotations

from pathlib import Path

from cnp_h36m.constants import BBOX_ROOT_FILE

KINDS = ("data", "camera", "joint_3d")


def annotation_file(data_dir: Path, subject: int, kind: str) -> Path:
    """``annotations/Human36M_subject{S}_{kind}.json``."""
    return data_dir / "annotations" / f"Human36M_subject{subject}_{kind}.json"


def images_dir(data_dir: Path) -> Path:
    return data_dir / "images"


def default_bbox_root(data_dir: Path) -> Path:
    return data_dir / BBOX_ROOT_FILE


def sequence_name(subject: int, action: int, subaction: int, camera: int) -> str:
    return f"s_{subject:02d}_act_{action:02d}_subact_{subaction:02d}_ca_{camera:02d}"


def image_file_name(subject: int, action: int, subaction: int, camera: int, frame_idx: int) -> str:
    """``s_09_act_02_subact_01_ca_01/s_09_act_02_subact_01_ca_01_000001.jpg`` (number = frame_idx + 1)."""
    seq = sequence_name(subject, action, subaction, camera)
    return f"{seq}/{seq}_{frame_idx + 1:06d}.jpg"
