"""Where cnp keeps what it can rebuild: one cache folder for every package and plugin."""

from __future__ import annotations

import os
from pathlib import Path


def default_cache_dir() -> Path:
    """``$CNP_CACHE_DIR``, else ``$XDG_CACHE_HOME/cnp``, else ``~/.cache/cnp``."""
    if os.environ.get("CNP_CACHE_DIR"):
        return Path(os.environ["CNP_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cnp"
