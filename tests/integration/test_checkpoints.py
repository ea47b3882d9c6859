"""Every published checkpoint form loads to the same tensors; mismatches and unsafe files are refused."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
import torch

import cnp_core
from cnp_core import CheckpointError, CheckpointMismatchError, UnsafeCheckpointError
from cnp_core._checkpoints import FORMS, inspect_checkpoint, write_checkpoint


def _assert_same(model: torch.nn.Module, state: dict) -> None:  # type: ignore[type-arg]
    loaded = model.state_dict()
    assert loaded.keys() == state.keys()
    for k, v in state.items():
        assert torch.equal(loaded[k], v), k


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("legacy", [False, True])
def test_every_form_loads(form: str, legacy: bool, tmp_path: Path, random_states: dict) -> None:  # type: ignore[type-arg]
    state = random_states["M"]
    name = {
        "pth": "snapshot_70.pth.tar",
        "zip-tar": "ConvNeXtPose_M.tar",
        "folder": "snapshot_70.pth",
        "tar": "wrapped.tar",
        "safetensors": "m.safetensors",
    }[form]
    path = write_checkpoint(state, tmp_path / name, form=form, epoch=70, key_style="legacy-head-keys" if legacy else None)
    model = cnp_core.build_model("M")
    report = cnp_core.load_checkpoint(model, path)
    _assert_same(model, state)
    assert report.epoch == 70
    assert report.detected_variants == ("M",)
    expected_format = {
        "pth": "torch-zip",
        "zip-tar": "torch-zip",
        "folder": "torch-folder",
        "tar": "tar",
        "safetensors": "safetensors",
    }[form]
    assert report.format == expected_format
    assert ("strip-module-prefix" in report.remaps) == (form != "safetensors")
    assert ("legacy-head-keys" in report.remaps) == legacy


def test_published_zip_layout(tmp_path: Path, random_states: dict) -> None:  # type: ignore[type-arg]
    path = write_checkpoint(
        random_states["L"], tmp_path / "ConvNeXtPose_L.tar", form="zip-tar", epoch=83, key_style="legacy-head-keys"
    )
    names = zipfile.ZipFile(path).namelist()
    assert "snapshot_83.pth/data.pkl" in names and "snapshot_83.pth/data/0" in names
    obj = torch.load(path, weights_only=True)
    assert obj["epoch"] == 83
    assert "module.head.deconv_layers_1.0.weight" in obj["network"]
    assert "module.head.deconv_layers_1.1.running_mean" in obj["network"]


def test_extracted_folder_parent_also_loads(tmp_path: Path, random_states: dict) -> None:  # type: ignore[type-arg]
    zipped = write_checkpoint(random_states["XS"], tmp_path / "ConvNeXtPose_XS.tar", form="zip-tar", epoch=67)
    with zipfile.ZipFile(zipped) as zf:
        zf.extractall(tmp_path / "unpacked")
    info = inspect_checkpoint(tmp_path / "unpacked")
    assert (info.format, info.epoch, info.detected_variants) == ("torch-folder", 67, ("XS",))


def test_bare_state_dict_and_legacy_serialization(tmp_path: Path, random_states: dict) -> None:  # type: ignore[type-arg]
    state = random_states["S"]
    torch.save(state, tmp_path / "bare.pth")
    torch.save({"network": state, "epoch": 5}, tmp_path / "old.pth", _use_new_zipfile_serialization=False)
    assert inspect_checkpoint(tmp_path / "bare.pth").detected_variants == ("S",)
    info = inspect_checkpoint(tmp_path / "old.pth")
    assert (info.format, info.epoch, info.detected_variants) == ("torch-legacy", 5, ("S",))


def test_wrong_variant_names_the_real_one(tmp_path: Path, random_states: dict) -> None:  # type: ignore[type-arg]
    path = write_checkpoint(random_states["L"], tmp_path / "ConvNeXtPose_M.tar", form="zip-tar", epoch=83)
    with pytest.raises(CheckpointMismatchError) as info:
        cnp_core.load_checkpoint(cnp_core.build_model("M"), path)
    message = str(info.value)
    assert "\n" not in message
    assert "does not fit variant M" in message and "it is variant L" in message
    assert "head 512 ch" in message and "--variant L" in message
    assert "head.deconv_layers_1.pwconv.weight" in message


@pytest.mark.slow  # builds an 88M-parameter model
def test_guide_sized_model_matches_nothing(tmp_path: Path) -> None:
    from cnp_core._model.backbones.convnext_bn import ConvNeXtBN

    big = ConvNeXtBN(depths=(3, 3, 27, 3), dims=(128, 256, 512, 1024))
    state = {f"backbone.{k}": v for k, v in big.state_dict().items()}
    torch.save({"network": state}, tmp_path / "guide.pth")
    info = inspect_checkpoint(tmp_path / "guide.pth")
    assert info.detected_variants == ()
    assert info.architecture["depths"] == [3, 3, 27, 3] and info.architecture["dims"] == [128, 256, 512, 1024]
    with pytest.raises(CheckpointMismatchError, match="matches no registered variant"):
        cnp_core.load_checkpoint(cnp_core.build_model("M"), tmp_path / "guide.pth")


class _Evil:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("legacy", [False, True])
def test_code_in_a_pickle_never_runs(tmp_path: Path, legacy: bool) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth.tar"
    torch.save({"network": {"a": torch.zeros(1)}, "epoch": _Evil(str(marker))}, path, _use_new_zipfile_serialization=not legacy)
    with pytest.raises(UnsafeCheckpointError, match="refused to load"):
        cnp_core.load_checkpoint(cnp_core.build_model("XS"), path)
    assert not marker.exists()


def test_truncated_and_unknown_files(tmp_path: Path, random_states: dict) -> None:  # type: ignore[type-arg]
    good = write_checkpoint(random_states["XS"], tmp_path / "x.pth.tar", form="pth")
    cut = tmp_path / "cut.pth.tar"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(CheckpointError):
        inspect_checkpoint(cut)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(CheckpointError, match="not a checkpoint in any known format"):
        inspect_checkpoint(tmp_path / "notes.txt")
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        inspect_checkpoint(tmp_path / "absent.tar")


def test_library_convert_and_load_model(tmp_path: Path) -> None:
    """The library calls behind `cnp convert` and `cnp eval`: epoch kept, fit checked, optimised form on request."""
    from cnp_core import random_state_dict

    state = random_state_dict("XS", seed=2)
    source = cnp_core.write_checkpoint(state, tmp_path / "snapshot_67.pth.tar", form="pth", epoch=67)
    info = cnp_core.convert_checkpoint(source, tmp_path / "xs.safetensors", variant="XS")
    assert info.epoch == 67 and info.detected_variants == ("XS",)
    with pytest.raises(cnp_core.CnpError, match="already exists"):
        cnp_core.convert_checkpoint(source, tmp_path / "xs.safetensors")
    with pytest.raises(cnp_core.CheckpointMismatchError, match="it is variant XS"):
        cnp_core.convert_checkpoint(source, tmp_path / "m.safetensors", variant="M")
    literal, report = cnp_core.load_model("XS", tmp_path / "xs.safetensors")
    fast, _ = cnp_core.load_model("xs", tmp_path / "xs.safetensors", optimize=True)
    assert report.epoch == 67 and report.format == "safetensors"
    assert all(torch.equal(v, state[k]) for k, v in literal.state_dict().items())
    assert type(fast).__name__ == "OptimizedPoseModel"
