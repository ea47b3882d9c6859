"""cnp-h36m's tests: the split, transforms, the official code's own numbers (the shared synthetic
Human3.6M comes from the root conftest); `cnp data` commands are on the app."""

from __future__ import annotations

import pytest
from cnp_test_support import with_plugin_commands


@pytest.fixture(autouse=True, scope="session")
def _plugin_commands() -> None:
    with_plugin_commands()
