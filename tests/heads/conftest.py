"""cnp-heads' tests: the published variants and their heads, through the public API only."""

from __future__ import annotations

import pytest

#: SPEC section 1: the published family (head channels, upsampling layers, heatmap grid, depth bins, params)
PUBLISHED = {
    "XS": (128, 2, (32, 32), 32, 3_528_000),
    "S": (256, 2, (32, 32), 32, 7_439_000),
    "M": (256, 3, (64, 64), 64, 7_587_000),
    "L": (512, 3, (64, 64), 64, 8_380_000),
}


@pytest.fixture(params=sorted(PUBLISHED))
def published(request: pytest.FixtureRequest) -> tuple[str, tuple[int, int, tuple[int, int], int, int]]:
    return request.param, PUBLISHED[request.param]
