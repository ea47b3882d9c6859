"""MuPoTS-3D scoring against hand-worked cases and against an independent transcription of the
MATLAB script (written here from ``mpii_mupots_multiperson_eval.m`` and its helpers, 1-based, loop
by loop, not from cnp_mupots)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cnp_mupots.scoring import FrameTruth, SequenceTruth, map_to_bone_lengths, match_people, score_sequence, summarize

RNG = np.random.default_rng(0)


def person(seed: int, x: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """A plausible 17-joint pose (camera mm, ~4 m away) and its projection (pixels)."""
    rng = np.random.default_rng(seed)
    pose = rng.normal(0.0, 250.0, (17, 3)) + np.array([x, 0.0, 4000.0])
    pixels = pose[:, :2] / pose[:, 2:3] * 1500.0 + np.array([960.0, 540.0])
    return pose, pixels


def frame(key: str, poses: list[tuple[np.ndarray, np.ndarray]]) -> FrameTruth:
    return FrameTruth(key, np.stack([p[1] for p in poses]), np.stack([p[0] for p in poses]), np.arange(len(poses)))


def test_a_perfect_prediction_scores_100_and_auc_96_77() -> None:
    a, b = person(1, -800.0), person(2, 800.0)
    truth = SequenceTruth("TS1", (frame("TS1_img_000000", [a, b]),))
    preds_2d = {"TS1_img_000000": np.stack([a[1], b[1]])}
    preds_3d = {"TS1_img_000000": np.stack([a[0], b[0]])}
    for relative in (True, False):
        s = summarize([score_sequence(truth, preds_2d, preds_3d, relative=relative)])
        assert s["pck"] == 100.0 and s["auc"] == pytest.approx(100 * 30 / 31)  # t = 0 never counts: 96.77
        assert s["per_sequence"]["TS1"]["mpjpe"] == pytest.approx(0.0, abs=1e-9)


def test_one_joint_200_mm_off_is_one_miss_of_fourteen() -> None:
    pose, pixels = person(3)
    gt = pose.copy()
    elbow, wrist = 6, 7  # L_Elbow -> L_Wrist; 200 mm long here
    gt[wrist] = gt[elbow] + np.array([200.0, 0.0, 0.0])
    pred = gt.copy()
    # the forearm turned by 60 degrees: after mapping to the ground-truth length (200 mm) the wrist
    # lies on a chord of 2 * 200 * sin(30 deg) = 200 mm from where it should be
    pred[wrist] = gt[elbow] + 200.0 * np.array([math.cos(math.pi / 3), math.sin(math.pi / 3), 0.0])
    truth = SequenceTruth("TS1", (frame("TS1_img_000000", [(gt, pixels)]),))
    seq = score_sequence(truth, {"TS1_img_000000": pixels[None]}, {"TS1_img_000000": pred[None]})
    assert seq.errors[0, wrist] == pytest.approx(200.0)
    assert np.delete(seq.errors[0], wrist) == pytest.approx(np.zeros(16), abs=1e-9)
    assert summarize([seq])["pck"] == pytest.approx(100 * 13 / 14)


def test_an_unmatched_person_is_a_miss_in_all_mode_and_skipped_in_matched_mode() -> None:
    a, b = person(4, -900.0), person(5, 900.0)
    truth = SequenceTruth("TS2", (frame("TS2_img_000000", [a, b]),))
    preds = ({"TS2_img_000000": a[1][None]}, {"TS2_img_000000": a[0][None]})  # only a is found
    everyone = score_sequence(truth, *preds, people="all")
    matched = score_sequence(truth, *preds, people="matched")
    assert everyone.undetected == 1 and len(everyone.errors) == 2 and len(matched.errors) == 1
    assert summarize([everyone])["pck"] == 50.0 and summarize([matched])["pck"] == 100.0
    # the miss placeholder: every joint 100000 mm in each axis (relative: minus the person's own pelvis)
    gt = b[0] - b[0][14]
    assert everyone.errors[1] == pytest.approx(np.linalg.norm(100000.0 - gt, axis=1))


def test_bone_length_mapping_keeps_a_prediction_with_the_ground_truths_lengths() -> None:
    pose, _ = person(6)
    rotation = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    moved = (pose - pose[14]) @ rotation.T + np.array([10.0, 20.0, 30.0])  # same bone lengths, rotated
    np.testing.assert_allclose(map_to_bone_lengths(moved, pose), moved, atol=1e-9)
    # a zero-length bone: NaN for that joint and every joint below it (the left arm), never counted as correct
    broken = pose.copy()
    broken[5] = broken[1]  # L_Shoulder on the Thorax
    mapped = map_to_bone_lengths(broken, pose)
    assert np.isnan(mapped[[5, 6, 7]]).all() and np.isfinite(np.delete(mapped, [5, 6, 7], axis=0)).all()


def test_predictions_are_matched_to_the_right_people_whatever_their_order() -> None:
    people = [person(10 + i, x) for i, x in enumerate((-1200.0, 0.0, 1200.0))]
    order = [2, 0, 1]
    pred_2d = np.stack([people[i][1] for i in order])
    assert match_people(np.stack([p[1] for p in people]), pred_2d).tolist() == [1, 2, 0]
    truth = SequenceTruth("TS3", (frame("TS3_img_000000", people),))
    seq = score_sequence(truth, {"TS3_img_000000": pred_2d}, {"TS3_img_000000": np.stack([people[i][0] for i in order])})
    assert seq.matched == [1, 2, 0] and np.abs(seq.errors).max() < 1e-9
    # a prediction at exactly (0, 0) is invisible; ties go to the earlier prediction
    gt = people[1][1]
    hidden = gt.copy()
    hidden[[1, 2, 3]] = 0.0
    assert match_people(gt[None], np.stack([hidden, gt, gt])).tolist() == [1]
    assert match_people(gt[None], np.zeros((0, 17, 2))).tolist() == [-1]


# --- an independent transcription of the MATLAB script ------------------------------------------


def matlab_eval(sequences, preds_2d, preds_3d, eval_mode: int, is_relative: int):  # type: ignore[no-untyped-def]
    """mpii_mupots_multiperson_eval(eval_mode, is_relative), step by step with 1-based indices:
    returns {sequence: per_joint_error (17 x E)}."""
    o1 = [2, 16, 2, 3, 4, 2, 6, 7, 15, 9, 10, 15, 12, 13, 15, 15, 2]
    safe_traversal_order = [15, 16, 2, 1, 17, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    matching_joints = list(range(2, 15))
    out = {}
    for name, frames in sequences:
        per_joint_error = []
        for key, annot2, univ_annot3 in frames:  # valid people only
            valid = len(annot2)
            if valid == 0:
                continue
            gt_2d = [[annot2[k][j - 1] for j in matching_joints] for k in range(valid)]
            p2 = preds_2d.get(key, np.zeros((0, 17, 2)))
            p3 = preds_3d.get(key, np.zeros((0, 17, 3)))
            pred_2d = [[p2[k][j - 1] for j in matching_joints] for k in range(len(p2))]
            pred_vis = [[not (pt[0] == 0 and pt[1] == 0) for pt in pose] for pose in pred_2d]
            pred_3d = []
            for k in range(len(p3)):
                pose = np.array(p3[k], dtype=float)
                if is_relative == 1:
                    pose = pose - pose[15 - 1]
                pred_3d.append(pose)
            # mpii_multiperson_get_identity_matching
            matching = [0] * valid
            used = [False] * len(pred_2d)
            for g in range(valid):
                best, best_count = 0, 0
                for p in range(len(pred_2d)):
                    if used[p]:
                        continue
                    count = 0
                    for j in range(len(matching_joints)):
                        dx = abs(gt_2d[g][j][0] - pred_2d[p][j][0])
                        dy = abs(gt_2d[g][j][1] - pred_2d[p][j][1])
                        if pred_vis[p][j] and dx < 40 and dy < 40:
                            count += 1
                    if count > best_count:
                        best, best_count = p + 1, count
                if best_count > 0:
                    matching[g] = best
                    used[best - 1] = True
            for k in range(valid):
                P = np.array(univ_annot3[k], dtype=float)
                if is_relative == 1:
                    P = P - P[15 - 1]
                considered = False
                if matching[k] != 0:
                    pred = pred_3d[matching[k] - 1]
                    mapped = pred.copy()
                    for idx in safe_traversal_order[1:]:  # mpii_map_to_gt_bone_lengths
                        length = np.linalg.norm(P[idx - 1] - P[o1[idx - 1] - 1])
                        vec = pred[idx - 1] - pred[o1[idx - 1] - 1]
                        with np.errstate(invalid="ignore", divide="ignore"):
                            vec = vec * length / np.linalg.norm(vec)
                        mapped[idx - 1] = mapped[o1[idx - 1] - 1] + vec
                    pred_p, considered = mapped, True
                else:
                    pred_p = 100000 * np.ones_like(P)
                    considered = eval_mode == 0
                if considered:
                    per_joint_error.append(np.sqrt(((pred_p - P) ** 2).sum(axis=1)))
        out[name] = np.array(per_joint_error).reshape(-1, 17)
    return out


GROUPS_1BASED = {
    "Head": [1],
    "Neck": [2],
    "Shoulder": [3, 6],
    "Elbow": [4, 7],
    "Wrist": [5, 8],
    "Hip": [9, 12],
    "Knee": [10, 13],
    "Ankle": [11, 14],
}


def matlab_tables(errors):  # type: ignore[no-untyped-def]
    """3DPCK and AUC per sequence over the 14 scored joints (1-based groups Head 1, Neck 2,
    Shoulder 3 6, Elbow 4 7, Wrist 5 8, Hip 9 12, Knee 10 13, Ankle 11 14), then the mean."""
    joints = [j - 1 for g in GROUPS_1BASED.values() for j in g]
    pcks, aucs = {}, {}
    for name, e in errors.items():
        e = e[:, joints]
        pcks[name] = 100 * np.mean(e < 150)
        aucs[name] = 100 * np.mean([np.mean(e < t) for t in range(0, 151, 5)])
    return pcks, aucs, np.mean(list(pcks.values())), np.mean(list(aucs.values()))


def matlab_groups(errors):  # type: ignore[no-untyped-def]
    """Per sequence and joint group: 3DPCK over the group's joints of every evaluated person."""
    return {
        name: {g: 100 * np.mean(e[:, [j - 1 for j in joints]] < 150) for g, joints in GROUPS_1BASED.items()}
        for name, e in errors.items()
    }


def synthetic_sequences(seed: int):  # type: ignore[no-untyped-def]
    """Three sequences: several people per frame, invalid people, extra and missing predictions,
    predictions out of order, hidden joints at (0, 0), noise around the 150 mm threshold."""
    rng = np.random.default_rng(seed)
    sequences, truths, preds_2d, preds_3d = [], [], {}, {}
    for ts in (1, 2, 3):
        frames, truth_frames = [], []
        for f in range(6):
            key = f"TS{ts}_img_{f:06d}"
            people = [person(int(rng.integers(0, 10**6)), x) for x in (-1500.0, 0.0, 1500.0)]
            valid = rng.random(3) > 0.25
            kept = [p for p, v in zip(people, valid, strict=True) if v]
            frames.append((key, [p[1] for p in kept], [p[0] for p in kept]))
            truth_frames.append(
                FrameTruth(
                    key,
                    np.array([p[1] for p in kept]).reshape(-1, 17, 2),
                    np.array([p[0] for p in kept]).reshape(-1, 17, 3),
                    np.flatnonzero(valid),
                )
            )
            found = [p for p in people if rng.random() > 0.2]  # some missed, invalid people detected too
            if rng.random() > 0.5:
                found.append(person(int(rng.integers(0, 10**6)), 4000.0))  # a false positive
            rng.shuffle(found)  # type: ignore[arg-type]
            if f == 5 and ts == 2:
                continue  # no prediction entry for this frame
            p2 = np.array([p[1] + rng.normal(0, 8, (17, 2)) for p in found]).reshape(-1, 17, 2)
            p3 = np.array([p[0] + rng.normal(0, 90, (17, 3)) for p in found]).reshape(-1, 17, 3)
            if len(p2):
                p2[0, 4] = 0.0  # a hidden joint
            preds_2d[key], preds_3d[key] = p2, p3
        sequences.append((f"TS{ts}", frames))
        truths.append(SequenceTruth(f"TS{ts}", tuple(truth_frames)))
    return sequences, truths, preds_2d, preds_3d


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("people", "eval_mode"), [("all", 0), ("matched", 1)])
@pytest.mark.parametrize("relative", [True, False])
def test_equal_to_an_independent_transcription_of_the_matlab_script(
    seed: int, people: str, eval_mode: int, relative: bool
) -> None:
    sequences, truths, preds_2d, preds_3d = synthetic_sequences(seed)
    reference = matlab_eval(sequences, preds_2d, preds_3d, eval_mode, int(relative))
    scored = [score_sequence(t, preds_2d, preds_3d, people=people, relative=relative) for t in truths]
    for seq in scored:
        np.testing.assert_allclose(seq.errors, reference[seq.name], rtol=1e-12, atol=1e-9)
    pcks, aucs, pck_total, auc_total = matlab_tables(reference)
    summary = summarize(scored)
    assert summary["pck"] == pytest.approx(pck_total, abs=1e-9) and summary["auc"] == pytest.approx(auc_total, abs=1e-9)
    for name in pcks:
        assert summary["per_sequence"][name]["pck"] == pytest.approx(pcks[name], abs=1e-9)
        assert summary["per_sequence"][name]["auc"] == pytest.approx(aucs[name], abs=1e-9)
    groups = matlab_groups(reference)
    for name, per_group in groups.items():
        for group, value in per_group.items():
            assert summary["per_sequence"][name]["groups"][group]["pck"] == pytest.approx(value, abs=1e-9)
    assert 0 < summary["pck"] < 100  # the data is not trivially perfect or hopeless
    assert scored[1].missing_frames == ["TS2_img_000005"]
