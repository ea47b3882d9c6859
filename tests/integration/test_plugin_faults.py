"""A third-party plugin's faults are warnings naming it; the stock path keeps working."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cnp_core import hookimpl, random_state_dict, read_checkpoint, write_checkpoint
from cnp_core._checkpoints.loading import CheckpointFormatWarning
from cnp_core._plugins.host import PluginLoadWarning, build_host, set_host


class GreedyFormat:
    """Claims every file (a careless third-party detector)."""

    name = "greedy"
    description = "claims everything"

    def detect(self, path: Path) -> bool:
        return True

    def read(self, path: Path) -> Any:
        raise AssertionError("never chosen over the built-in format of higher priority")


class GreedyPlugin:
    @hookimpl
    def cnp_register_checkpoint_formats(self, registrar: Any) -> None:
        registrar.register("greedy", GreedyFormat())


class BrokenCommands:
    @hookimpl
    def cnp_register_commands(self, app: Any) -> None:
        raise RuntimeError("boom")


def test_two_plugins_claiming_one_file_is_a_warning_naming_both(tmp_path: Path) -> None:
    path = write_checkpoint(random_state_dict("XS"), tmp_path / "x.safetensors", form="safetensors")
    host = build_host([("greedy-plugin", GreedyPlugin())])
    with pytest.warns(CheckpointFormatWarning, match=r"'greedy' \(plugin 'greedy-plugin'\)") as caught:
        raw = read_checkpoint(path, host)
    assert raw.format == "safetensors"
    assert "cnp-core" in str(caught[0].message)


def test_a_failing_commands_hook_leaves_every_command_working(monkeypatch: pytest.MonkeyPatch) -> None:
    import cnp_cli.app as cli

    previous = set_host(build_host([("broken-commands", BrokenCommands())], load_entry_points=False))
    monkeypatch.setattr(cli, "_plugin_commands_added", False)
    for info in cli.app.registered_commands:  # restored after the test: eval's dataset options
        monkeypatch.setattr(info, "callback", info.callback)
    try:
        with pytest.warns(PluginLoadWarning, match="broken-commands.*cnp_register_commands failed: RuntimeError: boom"):
            cli.add_plugin_commands()
        result = CliRunner().invoke(cli.app, ["plugins", "--json"])
        assert result.exit_code == 0 and "broken-commands" in result.stdout
    finally:
        set_host(previous)


@pytest.mark.slow
def test_optimize_notes_only_with_verbose_and_once(h36m_dir: Path, tmp_path: Path) -> None:
    from cnp_cli.app import app

    runner = CliRunner()
    ckpt = write_checkpoint(random_state_dict("XS"), tmp_path / "x.pth", form="pth")
    args = ["eval", "--variant", "XS", "--checkpoint", str(ckpt), "--checkpoint", str(ckpt), "--data-dir", str(h36m_dir)]
    args += ["--protocol", "1", "--no-flip", "--workers", "0", "--json", "--output", str(tmp_path / "out")]
    quiet = runner.invoke(app, args)
    loud = runner.invoke(app, [*args, "--verbose", "--force"])
    assert quiet.exit_code == 0 and loud.exit_code == 0, loud.output
    assert "optimize:" not in quiet.stderr
    notes = [line for line in loud.stderr.splitlines() if line.startswith("optimize:")]
    assert len(notes) == len(set(notes)) >= 3
    assert any("BatchNorm folded into" in n for n in notes)


class BrokenHeads:
    """Registers a variant, but its heads hook fails: the variant's head is missing."""

    @hookimpl
    def cnp_register_heads(self, registrar: Any) -> None:
        raise RuntimeError("heads boom")

    @hookimpl
    def cnp_register_variants(self, registrar: Any) -> None:
        from cnp_core import Variant, freeze_config

        config = freeze_config({"depths": (2, 2, 6, 2), "dims": (40, 80, 160, 320)})
        registrar.register("headless", Variant("headless", "convnext-bn", config, "missing-head", (), 32, (32, 32)))


def test_a_failing_heads_hook_breaks_only_its_variant() -> None:
    from cnp_cli.app import app

    with pytest.warns(PluginLoadWarning, match="heads boom"):
        host = build_host([("broken-heads", BrokenHeads())])
        host.registry("head")
    previous = set_host(host)
    try:
        result = CliRunner().invoke(app, ["variants", "--json"])
        assert result.exit_code == 0, result.output
        rows = {r["name"]: r for r in json.loads(result.stdout)}
        assert "unknown head 'missing-head'" in rows["headless"]["error"]
        assert rows["M"]["params_m"] == pytest.approx(7.587, abs=1e-3)
    finally:
        set_host(previous)
