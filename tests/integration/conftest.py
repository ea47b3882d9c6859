"""cnp-core's internals exercised with the stock plugins installed (cnp-heads, cnp-h36m, cnp-cli):
the published variants, the engine on Human3.6M-format data, training, scale-out, plugin faults.
Tests here may import cnp-core's private modules (they are cnp-core's tests); ``tests/core`` holds
the ones that need cnp-core alone."""

from __future__ import annotations

import pytest
from cnp_test_support import with_plugin_commands


@pytest.fixture(autouse=True, scope="session")
def _plugin_commands() -> None:
    with_plugin_commands()
