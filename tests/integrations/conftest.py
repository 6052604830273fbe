"""Integrations run against a real server on a socket, on both configurations of stores."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import LiveServer


@pytest.fixture
def key(live: LiveServer) -> str:
    """A fresh tenant's API key (every test starts with an empty tenant)."""
    return live.tenant(f"t-{uuid.uuid4().hex[:10]}")


@pytest.fixture
def agent_id() -> str:
    return f"agent-{uuid.uuid4().hex[:8]}"
