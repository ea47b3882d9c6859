"""The registered ``mupots`` dataset: one sample per box (several per image), as the official
test loader builds them, and its evaluator ``mupots-pck`` (the MATLAB script's scoring)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from cnp_core.plugin import (
    DataError,
    DatasetInfo,
    DatasetOption,
    EvalResult,
    EvalSplit,
    Metric,
    SplitOptions,
    Variant,
    process_bbox,
)
from cnp_mupots import layout
from cnp_mupots.results import FILES, group_by_frame, mat_bytes, official_predictions
from cnp_mupots.scoring import GROUPS, PELVIS, score_sequence, summarize
from cnp_mupots.variants import FLIP_PAIRS_21, JOINTS_21, ROOT_21, SKELETON_17

OPTIONS = (
    DatasetOption(
        "bbox",
        "gt: one box per valid annotated person, root from the annotation; rootnet: every RootNet box with its root (as papers report)",
        default="rootnet",
        choices=("gt", "rootnet"),
    ),
    DatasetOption("bbox_root", "RootNet file (default: bbox_root/bbox_root_mupots_output.json)", type=Path),
    DatasetOption(
        "people",
        "all: every annotated person, unmatched ones as misses (the script's mode 0); matched: only matched people (mode 1)",
        default="all",
        choices=("all", "matched"),
    ),
    DatasetOption(
        "coords",
        "relative: each pose minus its pelvis (is_relative 1); absolute: camera millimetres (is_relative 0)",
        default="relative",
        choices=("relative", "absolute"),
    ),
)

SCORES_FILE = "mupots_scores.json"

METRICS = (
    Metric("mupots_pck", "3DPCK", "%", True, "MuPoTS-3D 3DPCK@150 mm over 14 joints, mean of the sequences (the MATLAB script)"),
    Metric("mupots_auc", "AUC", "%", True, "MuPoTS-3D mean 3DPCK over thresholds 0, 5, ..., 150 mm, mean of the sequences"),
    Metric("mupots_pck_pooled", "3DPCK (pooled)", "%", True, "MuPoTS-3D 3DPCK@150 mm over every evaluated person at once"),
    Metric("mupots_auc_pooled", "AUC (pooled)", "%", True, "MuPoTS-3D AUC over every evaluated person at once"),
    Metric(
        "mupots_mpjpe", "MPJPE", "mm", False, "MuPoTS-3D mean joint error of evaluated people (14 joints), mean of the sequences"
    ),
)


def load_split(data_dir: Path, options: SplitOptions) -> EvalSplit:
    """The test samples: with ``bbox gt`` one per annotation with ``is_valid`` (its box through
    ``process_bbox``, root from ``keypoints_cam``); with ``bbox rootnet`` one per RootNet entry, in
    file order (box and root as given). Per sample the image's camera; no ground truth of its own
    (people are matched when scored)."""
    data_dir = Path(data_dir)
    values = options.resolved(MuPoTS.info).given
    if not data_dir.is_dir():
        raise DataError(
            f"data folder {data_dir} does not exist; pass --data-dir (the MuPoTS folder holding data/ and bbox_root/)"
        )
    images, annotations = layout.read_annotations(data_dir)
    rows: list[tuple[int, np.ndarray, np.ndarray]] = []  # image id, box, root
    if values["bbox"] == "gt":
        for ann in annotations:
            if int(ann["is_valid"]) == 0:
                continue
            img = images[ann["image_id"]]
            box = process_bbox(np.array(ann["bbox"]), img.width, img.height)
            if box is None:
                continue  # as the official loader: an empty box has no sample
            root = np.array(ann["keypoints_cam"], dtype=np.float64).reshape(-1, 3)[PELVIS]
            rows.append((img.id, box, root))
    else:
        path = Path(values["bbox_root"]) if values["bbox_root"] else layout.default_bbox_root(data_dir)
        for entry in layout.read_rootnet(path, images):
            rows.append(
                (entry["image_id"], np.array(entry["bbox"], dtype=np.float64).reshape(4), np.array(entry["root_cam"]).reshape(3))
            )
    if not rows:
        raise DataError(f"{data_dir}: no sample to evaluate ({values['bbox']} boxes); check the annotations or the RootNet file")
    infos = [images[r[0]] for r in rows]
    sequences = sorted({layout.sequence_of(i.file_name) for i in images.values()}, key=lambda s: int(s[2:]))
    for name in sequences:  # checked before any inference: scoring reads every sequence's annotations
        annot = layout.images_dir(data_dir) / name / "annot.mat"
        if not annot.is_file():
            raise DataError(f"missing {annot}; every sequence needs its annot.mat (from the MuPoTS-3D release)")
    index = {name: k for k, name in enumerate(sequences)}
    frames = [layout.frame_key(i.file_name) for i in infos]
    box_in_image = np.zeros(len(rows), dtype=np.int64)
    seen: dict[int, int] = {}
    for k, (image_id, _, _) in enumerate(rows):
        box_in_image[k] = seen.get(image_id, 0)
        seen[image_id] = box_in_image[k] + 1
    root = layout.images_dir(data_dir).resolve()
    return EvalSplit(
        name=f"mupots-{values['bbox']}",
        image_ids=np.array([r[0] for r in rows], dtype=np.int64),
        image_paths=tuple(str(root / i.file_name) for i in infos),
        bboxes=np.stack([r[1].astype(np.float64) for r in rows]),
        root_cam=np.stack([np.asarray(r[2], dtype=np.float64) for r in rows]),
        joint_cam=np.zeros((len(rows), len(JOINTS_21), 3)),  # no per-box ground truth: people are matched when scored
        focal=np.array([[i.intrinsic[0], i.intrinsic[1]] for i in infos], dtype=np.float64),
        center=np.array([[i.intrinsic[2], i.intrinsic[3]] for i in infos], dtype=np.float64),
        actions=np.array([index[layout.sequence_of(i.file_name)] for i in infos], dtype=np.int64),
        action_names=tuple(sequences),
        joint_names=JOINTS_21,
        flip_pairs=FLIP_PAIRS_21,
        root_index=ROOT_21,
        eval_joints=tuple(range(17)),
        estimated_root=values["bbox"] == "rootnet",
        sample_columns={
            "sequence": np.array([layout.sequence_of(i.file_name) for i in infos]),
            "frame": np.array(frames),
            "box": box_in_image,
        },
        meta={
            "data_dir": str(data_dir.resolve()),
            "people": values["people"],
            "coords": values["coords"],
            "summary": {"boxes": values["bbox"], "samples": len(rows), "images": len(seen), "sequences": len(sequences)},
        },
    )


class MupotsPck:
    """3DPCK and AUC of MuPoTS-3D with the MATLAB script's semantics (``mpii_mupots_multiperson_eval.m``)."""

    name = "mupots-pck"
    metric = "3DPCK"
    alignment = "none"
    description = "MuPoTS-3D 3DPCK@150 mm and AUC (the MuPoTS-3D release's MATLAB evaluation, in Python)"

    def evaluate(self, split: EvalSplit, coords: np.ndarray, variant: Variant) -> EvalResult:
        pixels, camera = official_predictions(split, coords, variant)
        frames = np.asarray(split.sample_columns["frame"])
        preds_2d = {k: np.array(v) for k, v in group_by_frame(frames, pixels).items()}
        preds_3d = {k: np.array(v) for k, v in group_by_frame(frames, camera).items()}
        data_dir = Path(split.meta["data_dir"])
        people, relative = split.meta["people"], split.meta["coords"] == "relative"
        scored = [
            score_sequence(layout.read_sequence(data_dir, name), preds_2d, preds_3d, people=people, relative=relative)
            for name in split.action_names
        ]
        summary = summarize(scored)
        summary.update(people=people, coords=split.meta["coords"], missing_frames=[f for s in scored for f in s.missing_frames])
        if summary["pck"] is None:
            raise DataError(
                "no sequence has an evaluated person (every annotated person unmatched in matched mode); nothing to score"
            )
        per_sequence = summary["per_sequence"]
        totals = {
            "mupots_auc": summary["auc"],
            "mupots_pck_pooled": summary["pck_pooled"],
            "mupots_auc_pooled": summary["auc_pooled"],
            "mupots_mpjpe": _mean_present([r["mpjpe"] for r in per_sequence.values()]),
        }
        poses = np.stack(camera) if camera else np.zeros((0, 17, 3))
        return EvalResult(
            metric=self.metric,
            alignment=self.alignment,
            total=summary["pck"],
            action_mean=summary["pck"],
            per_action={name: r["pck"] for name, r in per_sequence.items()},
            per_joint={group: summary["groups"][group]["pck"] for group in GROUPS},
            num_samples=len(split),
            poses=poses - poses[:, PELVIS : PELVIS + 1],
            totals={k: v for k, v in totals.items() if v is not None},
            extra={"preds_2d": preds_2d, "preds_3d": preds_3d, "summary": summary},
        )


def _mean_present(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None


def result_files(split: EvalSplit, result: EvalResult) -> dict[str, Any]:
    """The official ``.mat`` files (what ``MuPoTS.evaluate`` writes, for the MATLAB script) and every table."""
    return {
        FILES[0]: mat_bytes({k: list(v) for k, v in result.extra["preds_2d"].items()}),
        FILES[1]: mat_bytes({k: list(v) for k, v in result.extra["preds_3d"].items()}),
        SCORES_FILE: result.extra["summary"],
    }


def write_demo(folder: Path) -> None:
    """The built-in demo: 20 sequences, one frame each, three people per sequence (small images)."""
    from cnp_mupots.synth import MupotsSynthConfig, generate

    generate(folder, MupotsSynthConfig(frames=1))


class MuPoTS:
    """MuPoTS-3D (the official multi-person test set): 3DPCK and AUC, all 20 sequences."""

    name = "mupots"
    description = "MuPoTS-3D: multi-person 3DPCK@150 and AUC with the official MATLAB semantics"
    info = DatasetInfo(
        joint_names=JOINTS_21,
        flip_pairs=FLIP_PAIRS_21,
        root_index=ROOT_21,
        evaluators={"none": MupotsPck.name},
        default_alignment={"all": "none"},
        metric_names={"all": "3DPCK"},
        headline_metrics={"all": "mupots_pck"},
        metrics=(),  # boxes carry no ground truth of their own: only the matched scoring applies
        options=OPTIONS,
        skeleton=SKELETON_17,
        demo=write_demo,
        result_files=result_files,
    )

    def input_files(self, data_dir: Path, options: SplitOptions) -> list[Path]:
        """The annotation json, every sequence's annot.mat and, for RootNet boxes, the RootNet file."""
        values = options.resolved(self.info).given
        files = [layout.annotation_json(data_dir)]
        files += [layout.images_dir(data_dir) / s / "annot.mat" for s in layout.SEQUENCES]
        if values["bbox"] == "rootnet":
            files.append(Path(values["bbox_root"]) if values["bbox_root"] else layout.default_bbox_root(data_dir))
        return files

    def load_split(self, data_dir: Path, options: SplitOptions) -> EvalSplit:
        return load_split(data_dir, options)

    def check(self, data_dir: Path, options: SplitOptions) -> list[str]:
        """Every problem of a MuPoTS-3D folder (``cnp data check --dataset mupots DIR``)."""
        from cnp_mupots.check import check_folder

        values = options.resolved(self.info).given
        return check_folder(Path(data_dir), values["bbox"], values["bbox_root"])


__all__ = ["METRICS", "OPTIONS", "MuPoTS", "MupotsPck", "load_split", "result_files"]
