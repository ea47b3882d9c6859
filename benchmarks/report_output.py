"""How every benchmark here prints its report: one JSON document (``--json``) or ``key: value`` lines."""

from __future__ import annotations

import json
from typing import Any


def emit(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(report, indent=2))
        return
    for key, value in report.items():
        print(f"{key}: {value}")
