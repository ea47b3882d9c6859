"""cnp-core's own fixtures: a plugin host holding cnp-core and the test plugin ``core_plugin`` only
(no other cnp package is needed, nor loaded if installed), and that plugin's demo data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import core_plugin
import pytest

import cnp_core
from cnp_core._plugins.host import PluginHost, set_host


@pytest.fixture
def core_host(monkeypatch: pytest.MonkeyPatch) -> Iterator[PluginHost]:
    """The process-wide host for one test: cnp-core's entry point and ``core_plugin``, nothing else."""
    monkeypatch.setenv("CNP_LOAD_PLUGINS", "cnp-core")
    host = cnp_core.build_host([("core-test", core_plugin)])
    previous = set_host(host)
    try:
        yield host
    finally:
        set_host(previous)


@pytest.fixture
def box4_dir(core_host: PluginHost, tmp_path: Path) -> Path:
    folder = tmp_path / "box4"
    folder.mkdir()
    core_plugin.write_demo(folder)
    return folder
