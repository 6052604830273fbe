"""Every test here runs on the embedded default and on the production backends."""

from __future__ import annotations

import pytest

from tests.backends import BACKENDS


@pytest.fixture(params=BACKENDS)
def backend_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)
