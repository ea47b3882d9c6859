"""The official ConvNeXtPose test loop, on the CPU: the baseline `eval_speed.py` measures cnp against.

Usage: python benchmarks/official_loop.py --variant M --checkpoint F --data-dir D [--dataset h36m] [--option bbox=rootnet]
       [--workers 20] [--batch-size 16] [--no-flip] [--coords OUT.npy]

It does, per sample and per batch, what the official ``main/test.py`` (Tester, DatasetLoader,
``generate_patch_image``, ``soft_argmax``) does, with its ``.cuda()`` calls left out:

- the test database is built before the loop (not timed), as ``Human36M.load_data`` does: one dict
  of numpy arrays per sample (image path, box, joints in pixels and camera millimetres, camera);
- each sample: ``copy.deepcopy`` of its dict; ``cv2.imread`` (colour, orientation ignored); the
  patch warp (image copy, ``warpAffine``, BGR to RGB copy, float32); the colour-scale clip of each
  channel (scale 1 in testing); the joints moved into the patch one by one; output-space scaling;
  torchvision ``ToTensor`` + ``Normalize`` (no division by 255: the float patch is not rescaled);
- ``DataLoader(batch_size=16, shuffle=False, num_workers=cfg.num_thread (20), pin_memory=True)``;
- ``DataParallel`` around the literal network (the same backbone and head modules as the official
  ``get_pose_net``), the official soft-argmax (one float32 softmax over each joint's volume);
- flip test: a second forward of the input mirrored by index (``utils.pose_utils.flip``), x
  mirrored, pairs swapped by clones, the two averaged; ``.cpu().numpy()`` per batch, concatenated.

The loop is timed from creating the loader's iterator (its workers start then, as in the official
``for ... in tqdm(batch_generator)``) to the last batch collected, as ``cnp eval`` times its own loop.
Prints one JSON object (loop seconds, images/s, process seconds to the first and last batch).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path
from typing import Any

PROCESS_START = time.perf_counter()

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, Dataset  # noqa: E402
from torchvision import transforms  # noqa: E402

from cnp_core._data.crops import patch_transform  # noqa: E402  (the official gen_trans_from_patch_cv at scale 1, rotation 0)

PIXEL_MEAN = (0.485, 0.456, 0.406)
PIXEL_STD = (0.229, 0.224, 0.225)
BBOX_3D_DEPTH = 2000.0


def soft_argmax(heatmaps: torch.Tensor, joint_num: int, depth_dim: int) -> torch.Tensor:
    """The official ``main/model.py`` soft_argmax: one float32 softmax over D*H*W, then the three marginals."""
    h, w = heatmaps.shape[2], heatmaps.shape[3]
    heatmaps = heatmaps.reshape((-1, joint_num, depth_dim * h * w))
    heatmaps = F.softmax(heatmaps, 2)
    heatmaps = heatmaps.reshape((-1, joint_num, depth_dim, h, w))
    accu_x = heatmaps.sum(dim=(2, 3)) * torch.arange(w).float()[None, None, :]
    accu_y = heatmaps.sum(dim=(2, 4)) * torch.arange(h).float()[None, None, :]
    accu_z = heatmaps.sum(dim=(3, 4)) * torch.arange(depth_dim).float()[None, None, :]
    parts = (accu_x.sum(dim=2, keepdim=True), accu_y.sum(dim=2, keepdim=True), accu_z.sum(dim=2, keepdim=True))
    return torch.cat(parts, dim=2)


class OfficialNet(nn.Module):
    """``ConvNeXtPose``: backbone, head, official soft-argmax (cnp's literal modules are the same network)."""

    def __init__(self, pose_model: Any) -> None:
        super().__init__()
        self.backbone = pose_model.backbone
        self.head = pose_model.head
        self.joint_num = pose_model.joint_num
        self.depth_dim = pose_model.depth_dim

    def forward(self, input_img: torch.Tensor) -> torch.Tensor:
        return soft_argmax(self.head(self.backbone(input_img)), self.joint_num, self.depth_dim)


def flip(tensor: torch.Tensor, dims: int) -> torch.Tensor:
    """``utils.pose_utils.flip``: mirroring by an index tensor (not ``torch.flip``)."""
    indices = torch.arange(tensor.shape[dims] - 1, -1, -1, dtype=torch.int64)
    final: list[Any] = [slice(i) for i in tensor.shape]
    final[dims] = indices
    return tensor[tuple(final)]


def trans_point2d(pt_2d: np.ndarray, trans: np.ndarray) -> np.ndarray:
    return np.dot(trans, np.array([pt_2d[0], pt_2d[1], 1.0]).T)[0:2]


class OfficialTestSet(Dataset[torch.Tensor]):
    """``DatasetLoader`` with ``is_train=False``."""

    def __init__(
        self, db: list[dict[str, Any]], input_shape: tuple[int, int], output_shape: tuple[int, int], depth_dim: int
    ) -> None:
        self.db = db
        self.input_shape, self.output_shape, self.depth_dim = input_shape, output_shape, depth_dim
        self.transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean=PIXEL_MEAN, std=PIXEL_STD)])

    def __len__(self) -> int:
        return len(self.db)

    def __getitem__(self, index: int) -> torch.Tensor:
        data = copy.deepcopy(self.db[index])
        bbox, joint_img, joint_vis = data["bbox"], data["joint_img"], data["joint_vis"]
        cvimg = cv2.imread(data["img_path"], cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
        if not isinstance(cvimg, np.ndarray):
            raise OSError(f"Fail to read {data['img_path']}")
        channels = cvimg.shape[2]
        color_scale = [1.0, 1.0, 1.0]
        img = cvimg.copy()
        trans = patch_transform(bbox, self.input_shape)
        img_patch = cv2.warpAffine(img, trans, (int(self.input_shape[1]), int(self.input_shape[0])), flags=cv2.INTER_LINEAR)
        img_patch = img_patch[:, :, ::-1].copy().astype(np.float32)
        for i in range(channels):
            img_patch[:, :, i] = np.clip(img_patch[:, :, i] * color_scale[i], 0, 255)
        for i in range(len(joint_img)):
            joint_img[i, 0:2] = trans_point2d(joint_img[i, 0:2], trans)
            joint_img[i, 2] /= BBOX_3D_DEPTH / 2.0
            joint_img[i, 2] = (joint_img[i, 2] + 1.0) / 2.0
            joint_vis[i] *= (
                (joint_img[i, 0] >= 0)
                & (joint_img[i, 0] < self.input_shape[1])
                & (joint_img[i, 1] >= 0)
                & (joint_img[i, 1] < self.input_shape[0])
                & (joint_img[i, 2] >= 0)
                & (joint_img[i, 2] < 1)
            )
        joint_img[:, 0] = joint_img[:, 0] / self.input_shape[1] * self.output_shape[1]
        joint_img[:, 1] = joint_img[:, 1] / self.input_shape[0] * self.output_shape[0]
        joint_img[:, 2] = joint_img[:, 2] * self.depth_dim
        out: torch.Tensor = self.transform(img_patch)
        return out


def test_db(split: Any, kept_joints: int | None = None) -> list[dict[str, Any]]:
    """One dict per sample, as ``Human36M.load_data`` builds them (joints projected to pixels + relative
    depth); with ``kept_joints`` (MuPoTS's RootNet boxes, which carry no ground truth) the official
    loader's dummy zeros of that many joints instead."""
    db = []
    for i in range(len(split)):
        cam = split.joint_cam[i]
        f, c = split.focal[i], split.center[i]
        if kept_joints is not None:
            cam = np.zeros((kept_joints, 3))
            img = np.zeros((kept_joints, 3))
        else:
            img = np.stack((cam[:, 0] / cam[:, 2] * f[0] + c[0], cam[:, 1] / cam[:, 2] * f[1] + c[1], cam[:, 2]), axis=1)
            img[:, 2] = img[:, 2] - split.root_cam[i, 2]
        db.append(
            {
                "img_path": split.image_paths[i],
                "img_id": int(split.image_ids[i]),
                "bbox": np.asarray(split.bboxes[i], dtype=np.float64),
                "joint_img": img,
                "joint_cam": cam.copy(),
                "joint_vis": np.ones((len(cam), 1)) if kept_joints is None else np.zeros((kept_joints, 1)),
                "root_cam": split.root_cam[i].copy(),
                "f": np.asarray(f).copy(),
                "c": np.asarray(c).copy(),
            }
        )
    return db


def official_loop(
    variant: str,
    checkpoint: Path,
    data_dir: Path,
    *,
    workers: int = 20,
    batch_size: int = 16,
    flip_test: bool = True,
    dataset_name: str = "h36m",
    options: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run the official test loop once; timings and the (N, J, 3) coordinates."""
    from cnp_core import SplitOptions, load_model
    from cnp_core.plugin import registry

    pose_model, _ = load_model(variant, checkpoint)
    spec = pose_model.variant
    split = (
        registry("dataset").get(dataset_name).load_split(data_dir, SplitOptions.of(options or {}, input_shape=spec.input_shape))
    )
    dummy = len(split.eval_joints) if not split.joint_cam.any() else None  # boxes without ground truth (MuPoTS)
    dataset = OfficialTestSet(test_db(split, dummy), spec.input_shape, spec.output_shape, spec.depth_dim)
    loader = DataLoader(dataset=dataset, batch_size=batch_size, shuffle=False, num_workers=workers, pin_memory=True)
    model = nn.DataParallel(OfficialNet(pose_model)).eval()
    width = spec.output_shape[1]
    preds = []
    start = time.perf_counter()
    first_batch = None
    with torch.no_grad():
        for input_img in loader:
            if first_batch is None:
                first_batch = time.perf_counter()
            coord_out = model(input_img)
            if flip_test:
                flipped_coord_out = model(flip(input_img, dims=3))
                flipped_coord_out[:, :, 0] = width - flipped_coord_out[:, :, 0] - 1
                for a, b in split.flip_pairs:
                    flipped_coord_out[:, a, :], flipped_coord_out[:, b, :] = (
                        flipped_coord_out[:, b, :].clone(),
                        flipped_coord_out[:, a, :].clone(),
                    )
                coord_out = (coord_out + flipped_coord_out) / 2.0
            preds.append(coord_out.cpu().numpy())
    end = time.perf_counter()
    return {
        "loop_s": round(end - start, 3),
        "images_per_s": round(len(dataset) / (end - start), 3),
        "samples": len(dataset),
        "process_to_first_batch_s": round((first_batch or end) - PROCESS_START, 3),
        "process_to_last_batch_s": round(end - PROCESS_START, 3),
        "coords": np.concatenate(preds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variant", required=True)
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=20, help="the official cfg.num_thread")
    parser.add_argument("--batch-size", type=int, default=16, help="the official cfg.test_batch_size")
    parser.add_argument("--no-flip", action="store_true")
    parser.add_argument("--coords", type=Path, help="write the (N, J, 3) coordinates here (.npy)")
    parser.add_argument("--dataset", default="h36m", help="a registered dataset (h36m, mupots, ...)")
    parser.add_argument("--option", action="append", default=[], help="a dataset option as NAME=VALUE (repeatable)")
    args = parser.parse_args()
    result = official_loop(
        args.variant,
        args.checkpoint,
        args.data_dir,
        workers=args.workers,
        batch_size=args.batch_size,
        flip_test=not args.no_flip,
        dataset_name=args.dataset,
        options=dict(o.split("=", 1) for o in args.option),
    )
    coords = result.pop("coords")
    if args.coords:
        np.save(args.coords, coords)
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
