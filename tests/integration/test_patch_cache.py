"""Decode once: cached patches are the same bytes, reused across runs, keyed, bounded."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

import cnp_core._inference.engine as engine
from cnp_core._data.crops import crop_patch, crop_patch_u8, normalize
from cnp_core._data.patch_cache import PatchCache, PatchCacheConfig, cache_size, entry_key
from cnp_core._inference.engine import InferenceConfig, normalize_batch, predict_coords


def test_normalising_the_uint8_patch_gives_the_same_bits() -> None:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, size=(300, 400, 3), dtype=np.uint8)
    for box in ([10.0, 20.0, 200.0, 200.0], [-50.3, 100.7, 180.2, 240.9], [350.0, 250.0, 120.0, 90.0]):
        expected = normalize(crop_patch(image, box))
        got = normalize_batch(torch.from_numpy(crop_patch_u8(image, box))[None])[0].numpy()
        assert np.array_equal(got, expected)


@pytest.fixture(scope="module")
def small_split(h36m_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], np.ndarray]:
    from cnp_core import SplitOptions
    from cnp_h36m.dataset import Human36M

    split = Human36M().load_split(h36m_dir, SplitOptions(use_cache=False))
    folder = tmp_path_factory.mktemp("images")
    paths = []
    for p in split.image_paths[:6]:  # own copies: a test changes one
        target = folder / Path(p).name
        shutil.copyfile(p, target)
        paths.append(str(target))
    return paths, split.bboxes[:6]


def _run(paths: list[str], boxes: np.ndarray, cache: PatchCacheConfig | None, indices: np.ndarray | None = None) -> np.ndarray:
    import cnp_core

    torch.manual_seed(0)
    model = cnp_core.build_model("XS")
    config = InferenceConfig(batch_size=4, workers=0, progress=False, device="cpu", patch_cache=cache)
    return predict_coords(model, paths, boxes, config, output_width=32, flip_pairs=((1, 4),), indices=indices)


def test_a_second_run_decodes_nothing_and_gives_the_same_numbers(
    small_split: tuple[list[str], np.ndarray], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths, boxes = small_split
    cache = PatchCacheConfig(tmp_path / "patches")
    plain = _run(paths, boxes, None)
    first = _run(paths, boxes, cache, indices=np.array([0, 2, 3]))  # an interrupted or partial run keeps its rows
    entry = PatchCache(cache, paths, boxes, (256, 256))
    assert entry.filled.tolist() == [True, False, True, True, False, False]
    second = _run(paths, boxes, cache)  # decodes the rest
    assert PatchCache(cache, paths, boxes, (256, 256)).filled.all()

    def no_decoding(path: str) -> None:
        raise AssertionError(f"{path} was decoded again")

    monkeypatch.setattr(engine, "read_image", no_decoding)
    third = _run(paths, boxes, cache)
    assert np.array_equal(first, plain[[0, 2, 3]]) and np.array_equal(second, plain) and np.array_equal(third, plain)
    stored = np.load(entry.data_path, mmap_mode="r")
    import cv2

    assert np.array_equal(stored[5], crop_patch_u8(cv2.imread(paths[5]), boxes[5]))


def test_the_key_follows_files_boxes_and_shape(small_split: tuple[list[str], np.ndarray]) -> None:
    paths, boxes = small_split
    key = entry_key(paths, boxes, (256, 256))
    assert entry_key(paths, boxes, (256, 192)) != key
    moved = boxes.copy()
    moved[0, 0] += 0.5
    assert entry_key(paths, moved, (256, 256)) != key
    st = os.stat(paths[1])
    os.utime(paths[1], ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # the file was replaced
    assert entry_key(paths, boxes, (256, 256)) != key


def test_the_cache_is_bounded(small_split: tuple[list[str], np.ndarray], tmp_path: Path) -> None:
    paths, boxes = small_split
    one = 6 * 256 * 256 * 3
    too_small = PatchCacheConfig(tmp_path / "a", limit_bytes=one - 1)
    _run(paths, boxes, too_small)
    assert not (tmp_path / "a").exists() or cache_size(tmp_path / "a") == 0  # larger than the bound: not kept
    fits_one = PatchCacheConfig(tmp_path / "b", limit_bytes=int(one * 1.5))
    _run(paths, boxes, fits_one)
    older = PatchCache(fits_one, paths, boxes, (256, 256)).folder
    _run(paths[:5] + paths[:1], boxes, fits_one)  # another split: the older entry makes room
    assert not older.exists() and cache_size(tmp_path / "b") <= fits_one.limit_bytes


@pytest.mark.slow  # three evaluations
def test_a_series_of_checkpoints_decodes_each_image_once(h36m_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from typer.testing import CliRunner

    from cnp_cli.app import app
    from cnp_core import random_state_dict, write_checkpoint

    decoded: list[str] = []
    real = engine.read_image

    def counting(path: str) -> np.ndarray | None:
        decoded.append(path)
        return real(path)

    monkeypatch.setattr(engine, "read_image", counting)
    monkeypatch.setenv("CNP_CACHE_DIR", str(tmp_path / "cache"))
    ckpts = [
        write_checkpoint(random_state_dict("XS", seed=s), tmp_path / f"snapshot_{s}.pth.tar", form="pth", epoch=s) for s in (1, 2)
    ]
    args = ["eval", "--variant", "XS", "--data-dir", str(h36m_dir), "--protocol", "1", "--no-flip", "--workers", "0"]
    args += ["--bootstrap", "0", "--json", "--output", str(tmp_path / "out")]
    result = CliRunner().invoke(app, [*args, "--checkpoint", str(ckpts[0]), "--checkpoint", str(ckpts[1])])
    assert result.exit_code == 0, result.output
    first, second = json.loads(result.stdout)
    assert len(decoded) == first["num_samples"] == 60 and len(set(decoded)) == 60  # the second checkpoint read the cache
    uncached = CliRunner().invoke(
        app, [*args, "--checkpoint", str(ckpts[1]), "--no-patch-cache", "--output", str(tmp_path / "b")]
    )
    (again,) = json.loads(uncached.stdout)
    coords = [np.load(Path(r["run_dir"]) / "coords_heatmap.npy") for r in (second, again)]
    assert np.array_equal(coords[0], coords[1]) and len(decoded) == 120  # the same predictions, bit for bit
    # (Protocol 1's rigid fit goes through LAPACK, whose last bits may follow memory alignment)
    assert again["total_mm"] == pytest.approx(second["total_mm"], abs=1e-5)


def test_no_room_on_disk_means_no_cache_not_a_crash(
    small_split: tuple[list[str], np.ndarray], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cnp_core._data.patch_cache as module

    paths, boxes = small_split
    plain = _run(paths, boxes, None)
    monkeypatch.setattr(module, "FREE_MARGIN", 1 << 62)  # as if the disk were full
    cache = PatchCacheConfig(tmp_path / "patches")
    assert np.array_equal(_run(paths, boxes, cache), plain)
    assert not PatchCache(cache, paths, boxes, (256, 256)).folder.exists()
