"""MuPoTS-3D scoring with the semantics of the release's MATLAB script (SPEC section 6).

Per sequence, per frame: the valid annotated people (``isValidFrame``), in annotation order, are
matched greedily to the frame's predictions in 2D; each matched prediction is mapped onto the
ground truth's bone lengths; each evaluated person contributes the Euclidean error of its 17
joints. An unmatched person counts as a miss in ``all`` mode (the script's 100000 mm placeholder)
and is left out in ``matched`` mode. 3DPCK (< 150 mm) and AUC (thresholds 0, 5, ..., 150 mm) pool
the 14 scored joints of every evaluated person of a sequence; the total papers report is the
unweighted mean over sequences. Joints are MuPoTS's 17, 0-based here (the script's are 1-based).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

JOINTS = (
    "Head_top",
    "Thorax",
    "R_Shoulder",
    "R_Elbow",
    "R_Wrist",
    "L_Shoulder",
    "L_Elbow",
    "L_Wrist",
    "R_Hip",
    "R_Knee",
    "R_Ankle",
    "L_Hip",
    "L_Knee",
    "L_Ankle",
    "Pelvis",
    "Spine",
    "Head",
)
PELVIS = 14
# parent of each joint (the script's o1, 1-based [2 16 2 3 4 2 6 7 15 9 10 15 12 13 15 15 2])
PARENTS = tuple(p - 1 for p in (2, 16, 2, 3, 4, 2, 6, 7, 15, 9, 10, 15, 12, 13, 15, 15, 2))
# joints mapped to the ground truth's bone lengths, in this order (the pelvis never moves)
BONE_ORDER = tuple(j - 1 for j in (16, 2, 1, 17, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14))
MATCHING_JOINTS = tuple(range(1, 14))  # neck .. left ankle (the script's 2:14)
MATCH_THRESHOLD_PX = 40.0
GROUPS: dict[str, tuple[int, ...]] = {
    "Head": (0,),
    "Neck": (1,),
    "Shoulder": (2, 5),
    "Elbow": (3, 6),
    "Wrist": (4, 7),
    "Hip": (8, 11),
    "Knee": (9, 12),
    "Ankle": (10, 13),
}
SCORED = tuple(j for group in GROUPS.values() for j in group)  # the 14 joints that are scored
PCK_THRESHOLD_MM = 150.0
AUC_THRESHOLDS_MM = np.arange(0.0, 151.0, 5.0)
MISS_MM = 100000.0  # the script's prediction for an unmatched person: every joint a miss
MODES = ("all", "matched")


@dataclass(frozen=True)
class FrameTruth:
    """One frame's valid annotated people, in annotation order: ``pose_2d`` (G, 17, 2) pixels
    (``annot2``), ``pose_3d`` (G, 17, 3) camera mm (``univ_annot3``), ``people`` (G,) their
    column in ``annot.mat`` (0-based)."""

    key: str
    pose_2d: np.ndarray
    pose_3d: np.ndarray
    people: np.ndarray


@dataclass(frozen=True)
class SequenceTruth:
    """One sequence (``TS1`` ...): its frames in order, each with its valid people."""

    name: str
    frames: tuple[FrameTruth, ...]


def match_people(gt_2d: np.ndarray, pred_2d: np.ndarray, threshold: float = MATCH_THRESHOLD_PX) -> np.ndarray:
    """(G,) the prediction matched to each ground-truth person (-1: none), greedily in annotation order.

    ``gt_2d`` (G, 17, 2) and ``pred_2d`` (P, 17, 2) pixels. For each person, among predictions not
    yet taken, count the matching joints (neck .. left ankle) visible on both sides (a predicted
    joint at exactly (0, 0) is invisible) with |dx| and |dy| strictly below ``threshold``; the
    highest count wins, ties to the earlier prediction; a count of 0 matches nothing.
    """
    joints = list(MATCHING_JOINTS)
    gt = np.asarray(gt_2d, dtype=np.float64)[:, joints]
    pred = np.asarray(pred_2d, dtype=np.float64).reshape(-1, 17, 2)[:, joints]
    visible = ~((pred[..., 0] == 0) & (pred[..., 1] == 0))  # (P, 13)
    taken = np.zeros(len(pred), dtype=bool)
    matching = np.full(len(gt), -1, dtype=np.int64)
    for g in range(len(gt)):
        if len(pred) == 0:
            break
        close = (np.abs(gt[g] - pred) < threshold).all(axis=-1) & visible  # (P, 13)
        counts = close.sum(axis=1)
        counts[taken] = 0
        best = int(np.argmax(counts))  # the first of equal counts
        if counts[best] > 0:
            matching[g] = best
            taken[best] = True
    return matching


def map_to_bone_lengths(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(17, 3) ``pred`` with each bone given the ground truth's length, from the pelvis outwards:
    joint = mapped parent + unit(original joint - original parent) * ground-truth bone length.
    A zero-length predicted bone gives NaN there and below (as the script's 0/0 does)."""
    pred = np.asarray(pred, dtype=np.float64)
    gt = np.asarray(gt, dtype=np.float64)
    mapped = pred.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        for j in BONE_ORDER:
            parent = PARENTS[j]
            length = np.linalg.norm(gt[j] - gt[parent])
            bone = pred[j] - pred[parent]
            mapped[j] = mapped[parent] + bone * length / np.linalg.norm(bone)
    return mapped


@dataclass
class SequenceErrors:
    """What one sequence contributes: per evaluated person its 17 joint errors (mm), with where
    each came from, and the counts the script keeps."""

    name: str
    errors: np.ndarray  # (E, 17)
    frames: list[str] = field(default_factory=list)  # frame key per evaluated person
    people: list[int] = field(default_factory=list)  # annotation column per evaluated person
    matched: list[int] = field(default_factory=list)  # matched prediction index per person (-1: a miss)
    annotated: int = 0
    undetected: int = 0
    missing_frames: list[str] = field(default_factory=list)  # frames with people but no prediction entry


def score_sequence(
    truth: SequenceTruth,
    preds_2d: Mapping[str, np.ndarray],
    preds_3d: Mapping[str, np.ndarray],
    *,
    people: str = "all",
    relative: bool = True,
) -> SequenceErrors:
    """Every evaluated person's joint errors in one sequence (``people``: ``all`` or ``matched``;
    ``relative``: each pose minus its own pelvis, else camera millimetres). A frame with valid
    people but no prediction entry is scored as one without predictions and listed."""
    if people not in MODES:
        raise ValueError(f"people={people!r}: choose all or matched")
    out = SequenceErrors(truth.name, np.zeros((0, 17)))
    rows: list[np.ndarray] = []
    for frame in truth.frames:
        count = len(frame.pose_3d)
        out.annotated += count
        if count == 0:
            continue
        if frame.key in preds_2d and frame.key in preds_3d:
            pred_2d = np.asarray(preds_2d[frame.key], dtype=np.float64).reshape(-1, 17, 2)
            pred_3d = np.asarray(preds_3d[frame.key], dtype=np.float64).reshape(-1, 17, 3)
        else:
            out.missing_frames.append(frame.key)
            pred_2d, pred_3d = np.zeros((0, 17, 2)), np.zeros((0, 17, 3))
        matching = match_people(frame.pose_2d, pred_2d)
        out.undetected += int((matching < 0).sum())
        for g in range(count):
            gt = np.asarray(frame.pose_3d[g], dtype=np.float64)
            if relative:
                gt = gt - gt[PELVIS]
            if matching[g] >= 0:
                pred = pred_3d[matching[g]]
                if relative:
                    pred = pred - pred[PELVIS]
                pred = map_to_bone_lengths(pred, gt)
            elif people == "all":
                pred = np.full((17, 3), MISS_MM)
            else:
                continue
            rows.append(np.sqrt(((pred - gt) ** 2).sum(axis=1)))
            out.frames.append(frame.key)
            out.people.append(int(frame.people[g]))
            out.matched.append(int(matching[g]))
    out.errors = np.stack(rows) if rows else np.zeros((0, 17))
    return out


def pck(errors: np.ndarray, threshold: float = PCK_THRESHOLD_MM) -> float | None:
    """100 x the fraction of errors strictly below ``threshold`` (NaN never counts); None if empty."""
    errors = np.asarray(errors, dtype=np.float64)
    return None if errors.size == 0 else float(100.0 * np.mean(errors < threshold))


def auc(errors: np.ndarray, thresholds: np.ndarray = AUC_THRESHOLDS_MM) -> float | None:
    """100 x the mean over ``thresholds`` of the fraction of errors strictly below each; None if empty."""
    errors = np.asarray(errors, dtype=np.float64)
    if errors.size == 0:
        return None
    return float(100.0 * np.mean([np.mean(errors < t) for t in thresholds]))


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None


def _finite_mean(errors: np.ndarray) -> float | None:
    return None if errors.size == 0 or not np.isfinite(errors).all() else float(errors.mean())


def summarize(sequences: Sequence[SequenceErrors]) -> dict[str, Any]:
    """The tables the script writes, as one JSON-ready record: per sequence 3DPCK, AUC and MPJPE
    (14 scored joints) with each joint group's, and the totals: the mean of the sequences (what
    papers report; sequences with no evaluated person are left out and listed) beside the pooled
    value over every evaluated person."""
    per_sequence: dict[str, dict[str, Any]] = {}
    for seq in sequences:
        scored = seq.errors[:, list(SCORED)]
        per_sequence[seq.name] = {
            "pck": pck(scored),
            "auc": auc(scored),
            "mpjpe": _finite_mean(scored),
            "people_evaluated": len(seq.errors),
            "people_annotated": seq.annotated,
            "people_undetected": seq.undetected,
            "groups": {
                name: {"pck": pck(seq.errors[:, list(joints)]), "auc": auc(seq.errors[:, list(joints)])}
                for name, joints in GROUPS.items()
            },
            "per_joint_mpjpe": {JOINTS[j]: _finite_mean(seq.errors[:, j]) for j in range(17)},
            "missing_frames": len(seq.missing_frames),
        }
    pooled = np.concatenate([s.errors for s in sequences]) if sequences else np.zeros((0, 17))
    rows = list(per_sequence.values())
    return {
        "pck": _mean([r["pck"] for r in rows]),
        "auc": _mean([r["auc"] for r in rows]),
        "pck_pooled": pck(pooled[:, list(SCORED)]),
        "auc_pooled": auc(pooled[:, list(SCORED)]),
        "groups": {
            name: {"pck": _mean([r["groups"][name]["pck"] for r in rows]), "auc": _mean([r["groups"][name]["auc"] for r in rows])}
            for name in GROUPS
        },
        "empty_sequences": [name for name, r in per_sequence.items() if r["people_evaluated"] == 0],
        "per_sequence": per_sequence,
    }


__all__ = [
    "AUC_THRESHOLDS_MM",
    "BONE_ORDER",
    "GROUPS",
    "JOINTS",
    "MATCHING_JOINTS",
    "MISS_MM",
    "MODES",
    "PARENTS",
    "PCK_THRESHOLD_MM",
    "SCORED",
    "FrameTruth",
    "SequenceErrors",
    "SequenceTruth",
    "auc",
    "map_to_bone_lengths",
    "match_people",
    "pck",
    "score_sequence",
    "summarize",
]
