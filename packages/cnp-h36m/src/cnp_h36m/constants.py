"""Human3.6M facts (SPEC section 3): joints, flip pairs, skeleton, actions, protocol subjects."""

from __future__ import annotations

JOINT_NAMES = (
    "Pelvis",
    "R_Hip",
    "R_Knee",
    "R_Ankle",
    "L_Hip",
    "L_Knee",
    "L_Ankle",
    "Torso",
    "Neck",
    "Nose",
    "Head",
    "L_Shoulder",
    "L_Elbow",
    "L_Wrist",
    "R_Shoulder",
    "R_Elbow",
    "R_Wrist",
    "Thorax",
)
ROOT_INDEX = 0
L_SHOULDER, R_SHOULDER = 11, 14
FLIP_PAIRS = ((1, 4), (2, 5), (3, 6), (14, 11), (15, 12), (16, 13))
SKELETON = (
    (0, 7),
    (7, 8),
    (8, 9),
    (9, 10),
    (8, 11),
    (11, 12),
    (12, 13),
    (8, 14),
    (14, 15),
    (15, 16),
    (0, 1),
    (1, 2),
    (2, 3),
    (0, 4),
    (4, 5),
    (5, 6),
)
EVAL_JOINTS = tuple(range(17))  # Thorax (17) is dropped before scoring
ACTIONS = (
    "Directions",
    "Discussion",
    "Eating",
    "Greeting",
    "Phoning",
    "Posing",
    "Purchases",
    "Sitting",
    "SittingDown",
    "Smoking",
    "Photo",
    "Waiting",
    "Walking",
    "WalkDog",
    "WalkTogether",
)
FIRST_ACTION_IDX = 2  # action_idx 2..16 <-> ACTIONS[0..14]
TEST_SUBJECTS = {1: (11,), 2: (9, 11)}
TEST_SAMPLING = 64
TRAIN_SUBJECTS = {1: (1, 5, 6, 7, 8, 9), 2: (1, 5, 6, 7, 8)}
TRAIN_SAMPLING = 5
BBOX_3D_DEPTH_MM = 2000.0
METRIC_NAMES = {1: "PA MPJPE", 2: "MPJPE"}
DEFAULT_ALIGNMENT = {1: "rigid", 2: "none"}
PAPER = "ConvNeXtPose, IEEE Access 2023"
THIRD_PARTY = "third-party report (not in the paper's tables)"
# (variant, protocol, mm, source): the published headline numbers of the built-in variants.
PUBLISHED = (
    ("XS", 2, 56.61, THIRD_PARTY),
    ("S", 2, 51.80, THIRD_PARTY),
    ("M", 2, 51.05, PAPER),
    ("M", 1, 34.5, PAPER),
    ("L", 2, 49.75, PAPER),
    ("L", 1, 32.8, PAPER),
)
BBOX_ROOT_FILE = "bbox_root/bbox_root_human36m_output.json"
