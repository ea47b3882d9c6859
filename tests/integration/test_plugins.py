"""Plugin host and registries: case, suggestions, duplicates, broken plugins, third-party plugins."""

from __future__ import annotations

import warnings

import pytest

import cnp_core
from cnp_core import DuplicateNameError, PluginLoadWarning, UnknownNameError, build_host, hookimpl


def test_names_are_case_insensitive() -> None:
    assert cnp_core.get_variant("m") is cnp_core.get_variant("M")
    assert cnp_core.build_model("xs").variant.name == "XS"


def test_unknown_name_lists_known_and_suggests() -> None:
    with pytest.raises(UnknownNameError) as info:
        cnp_core.get_variant("MM")
    message = str(info.value)
    assert "Did you mean 'M'?" in message
    assert message.endswith("Known variants: L, L-muco, M, M-muco, S, S-muco, XS, XS-muco, XS-tiny14, XS-wide.")
    assert isinstance(info.value, KeyError)


def test_duplicate_registration_names_both_plugins() -> None:
    class Clash:
        @hookimpl
        def cnp_register_variants(self, registrar):  # type: ignore[no-untyped-def]
            registrar.register("m", cnp_core.get_variant("M"))

    host = build_host([("clashing-plugin", Clash())])
    with pytest.raises(DuplicateNameError) as info:
        host.registry("variant")
    assert "cnp-heads" in str(info.value) and "clashing-plugin" in str(info.value)


def test_broken_plugin_is_a_warning_and_others_work() -> None:
    class Broken:
        @hookimpl
        def cnp_register_heads(self, registrar):  # type: ignore[no-untyped-def]
            raise RuntimeError("boom")

    host = build_host([("broken-plugin", Broken())])
    with pytest.warns(PluginLoadWarning, match="broken-plugin"):
        heads = host.registry("head")
    assert "deconv-3up" in heads
    info = next(i for i in host.plugins() if i.name == "broken-plugin")
    assert "boom" in (info.error or "")


def test_misspelled_hook_is_refused_loudly() -> None:
    class Typo:
        @hookimpl
        def cnp_register_variant(self, registrar):  # type: ignore[no-untyped-def]
            pass

    with pytest.warns(PluginLoadWarning, match="typo-plugin"):
        host = build_host([("typo-plugin", Typo())])
    assert not host.pm.has_plugin("typo-plugin")


def test_env_switch_disables_a_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNP_DISABLE_PLUGINS", "cnp-example-plugin")
    host = build_host()
    assert "XS-wide" not in host.registry("variant")
    monkeypatch.setenv("CNP_LOAD_PLUGINS", "")
    monkeypatch.delenv("CNP_DISABLE_PLUGINS")
    assert len(build_host().registry("variant")) == 0


def test_third_party_plugin_variant_and_format(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    assert "XS-wide" in cnp_core.list_variants()
    model = cnp_core.build_model("xs-wide")
    assert model.head.final_layer.out_channels == 18 * 32
    path = tmp_path / "weights.npz"
    np.savez(path, **{k: v.numpy() for k, v in model.state_dict().items()})
    report = cnp_core.load_checkpoint(cnp_core.build_model("XS-wide"), path)
    assert report.format == "npz" and report.detected_variants == ("XS-wide",)
    infos = {i.name: i for i in cnp_core.get_host().plugins()}
    assert infos["cnp-example-plugin"].registered["variant"] == ["XS-wide", "XS-tiny14"]
    assert infos["cnp-example-plugin"].distribution == "cnp-example-plugin"


def test_import_is_cheap() -> None:
    import subprocess
    import sys

    code = "import sys, cnp_core; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_every_hook_spec_is_documented_in_readme() -> None:
    from pathlib import Path

    from cnp_core._plugins import hookspecs as hookspecs

    readme = (Path(__file__).parents[2] / "docs" / "plugins.md").read_text()
    specs = [n for n in dir(hookspecs) if n.startswith("cnp_")]
    assert specs and all(f"`{name}`" in readme for name in specs)


def test_warnings_do_not_leak_from_healthy_host() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(build_host().registries["variant"]) >= 4
