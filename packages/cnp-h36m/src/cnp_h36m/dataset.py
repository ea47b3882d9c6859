"""The registered ``h36m`` dataset: cached test splits of the parsed Human3.6M release."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cnp_core.plugin import DataError, DatasetInfo, EvalSplit, Published, SplitOptions, default_cache_dir
from cnp_h36m import constants as C
from cnp_h36m.cache import cache_key, load_cached, store
from cnp_h36m.layout import KINDS, annotation_file, default_bbox_root
from cnp_h36m.options import OPTIONS, H36MOptions, h36m_options
from cnp_h36m.protocols import EVALUATORS
from cnp_h36m.split import build_split


class Human36M:
    """Human3.6M, Protocol 1 (S11) or 2 (S9+S11), every 64th frame, GT or RootNet boxes."""

    name = "h36m"
    description = "Human3.6M (parsed PoseNet/ConvNeXtPose release): Protocol 1 and 2 test splits"
    info = DatasetInfo(
        joint_names=C.JOINT_NAMES,
        flip_pairs=C.FLIP_PAIRS,
        root_index=C.ROOT_INDEX,
        evaluators={e.alignment: e.name for e in EVALUATORS},
        default_alignment=C.DEFAULT_ALIGNMENT,
        metric_names=C.METRIC_NAMES,
        options=OPTIONS,
        headline_option="protocol",
        skeleton=C.SKELETON,
        published=tuple(Published(v, protocol, mm, source) for v, protocol, mm, source in C.PUBLISHED),
        demo=lambda folder: write_demo(folder),
        result_files=lambda split, result: {RESULT_FILE: result_records(split, result)},
        train_split=lambda data_dir, options: load_train(Path(data_dir), options),
    )

    def input_files(self, data_dir: Path, options: SplitOptions | H36MOptions) -> list[Path]:
        """Every file the split depends on (its cache key covers them)."""
        if isinstance(options, SplitOptions):
            options = h36m_options(options)
        files = [annotation_file(data_dir, s, k) for s in C.TEST_SUBJECTS.get(options.protocol, ()) for k in KINDS]
        if options.bbox_source == "rootnet":
            files.append(options.bbox_root_file or default_bbox_root(data_dir))
        return files

    def load_split(self, data_dir: Path, options: SplitOptions) -> EvalSplit:
        """The test split; parsed once, then read from the cache in well under a second."""
        cache_dir = (options.cache_dir or default_cache_dir()) if options.use_cache else None
        return self.load(Path(data_dir), h36m_options(options), cache_dir)

    def load(self, data_dir: Path, settings: H36MOptions, cache_dir: Path | None) -> EvalSplit:
        """The split for typed ``settings``; cached under ``cache_dir`` (None: no cache)."""
        if data_dir.exists() and not data_dir.is_dir():
            raise DataError(
                f"data folder {data_dir} is a file; pass the Human3.6M folder (images/, annotations/) with --data-dir"
            )
        if not data_dir.is_dir():
            raise DataError(f"data folder {data_dir} does not exist; pass --data-dir or create one with `cnp data synth`")
        if settings.bbox_source == "rootnet" and settings.bbox_root_file is not None:
            given = settings.bbox_root_file
            if given.is_dir():
                raise DataError(f"--bbox-root {given} is a folder; pass the RootNet file (bbox_root_human36m_output.json)")
            if not given.is_file():
                raise DataError(f"--bbox-root {given} does not exist; pass an existing RootNet file")
        files = self.input_files(data_dir, settings)
        for f in files:
            if not f.is_file():
                what = "RootNet bbox_root file" if f.suffix == ".json" and "bbox_root" in f.name else "annotation file"
                raise DataError(f"missing {what}: {f}; check --data-dir (expected the parsed Human3.6M layout)")
        data_dir = data_dir.resolve()  # image paths are absolute: a cached split reads the same files from any directory
        files = [f.resolve() for f in files]
        folder = None if cache_dir is None else cache_dir / "splits" / cache_key(data_dir, settings, files)
        if folder is not None:
            cached = load_cached(folder)
            if cached is not None:
                return cached
        split = build_split(data_dir, settings)
        if folder is not None:
            try:
                store(folder, split)
            except OSError:
                pass  # a read-only cache must not stop an evaluation
        return split


def load_train(data_dir: Path, options: SplitOptions) -> Any:
    """The training split of ``options``' protocol (SPEC section 5); parsed each time (a training run
    reads it once)."""
    from cnp_h36m.split import build_train_split

    settings = h36m_options(options)
    if not data_dir.is_dir():
        raise DataError(f"data folder {data_dir} does not exist; pass --data-dir or create one with `cnp data synth`")
    for subject in C.TRAIN_SUBJECTS[settings.protocol]:
        for kind in KINDS:
            f = annotation_file(data_dir, subject, kind)
            if not f.is_file():
                raise DataError(
                    f"missing training annotation file {f}; Protocol {settings.protocol} trains on subjects "
                    f"{', '.join(map(str, C.TRAIN_SUBJECTS[settings.protocol]))} (`cnp data synth --train` writes them)"
                )
    return build_train_split(data_dir.resolve(), settings)


def write_demo(folder: Path) -> None:
    """The built-in demo's data: S9+S11, 15 actions, 2 cameras, 2 frames each (60 test samples)."""
    from cnp_h36m.synth import SynthConfig, generate

    generate(folder, SynthConfig(subjects=(9, 11), subactions=(1,), cameras=(1, 2), frames=2, seed=0))


RESULT_FILE = "bbox_root_pose_human36m_output.json"


def result_records(split: EvalSplit, result: Any) -> list[dict[str, Any]]:
    """The official result file (SPEC section 4.9): image_id, joint_cam (root-relative, aligned for
    Protocol 1), bbox, root_cam, one record per sample."""
    return [
        {
            "image_id": int(split.image_ids[i]),
            "joint_cam": result.poses_mm[i].tolist(),
            "bbox": split.bboxes[i].tolist(),
            "root_cam": split.root_cam[i].tolist(),
        }
        for i in range(len(split))
    ]
