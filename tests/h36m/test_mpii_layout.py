"""MPII images resolved as the official loader does (``MPII/<file_name>``), the earlier
``MPII/images/<file_name>`` only where it is unambiguous, and `cnp data check` says which."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cnp_cli.app import app
from cnp_core import SplitOptions
from cnp_h36m.mpii import load_train, write_synthetic

runner = CliRunner()


def _annotations(folder: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((folder / "annotations" / "train.json").read_text())  # type: ignore[no-any-return]


def test_the_official_layout_reads_file_names_under_the_folder(train_dir: Path, tmp_path: Path) -> None:
    mpii = tmp_path / "MPII"
    write_synthetic(mpii, train_dir)
    names = [img["file_name"] for img in _annotations(mpii)["images"]]
    assert all(n.startswith("images/") for n in names)  # as the official release names them
    split = load_train(mpii, SplitOptions())
    assert split.image_paths[0] == str(mpii / names[0]) and all(Path(p).is_file() for p in split.image_paths)
    checked = runner.invoke(app, ["data", "check", str(mpii), "--dataset", "mpii", "--json"])
    assert checked.exit_code == 0, checked.output
    report = json.loads(checked.stdout)
    assert report["ok"] and any("(the official layout)" in n for n in report["notes"])


def test_file_names_without_the_images_folder_fall_back_and_say_so(train_dir: Path, tmp_path: Path) -> None:
    mpii = tmp_path / "MPII"
    write_synthetic(mpii, train_dir)
    ann = _annotations(mpii)
    for img in ann["images"]:
        img["file_name"] = img["file_name"].removeprefix("images/")
    (mpii / "annotations" / "train.json").write_text(json.dumps(ann))
    split = load_train(mpii, SplitOptions())
    assert all(Path(p).parent == mpii / "images" and Path(p).is_file() for p in split.image_paths)
    checked = runner.invoke(app, ["data", "check", str(mpii), "--dataset", "mpii", "--json"])
    assert checked.exit_code == 0, checked.output
    assert any("not the official layout" in n for n in json.loads(checked.stdout)["notes"])
    # a missing image is named, in the official place
    first = ann["images"][0]["file_name"]
    (mpii / "images" / first).unlink()
    missing = runner.invoke(app, ["data", "check", str(mpii), "--dataset", "mpii", "--json"])
    assert missing.exit_code == 1 and json.loads(missing.stdout)["problems"][0].endswith(first)
