"""cnp-cli's tests run the `cnp` app as users get it, with every installed plugin's commands."""

from __future__ import annotations

import pytest
from cnp_test_support import with_plugin_commands


@pytest.fixture(autouse=True, scope="session")
def _plugin_commands() -> None:
    with_plugin_commands()
