"""Integrations run against a real server on a socket, on both configurations of stores."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import backends
from tests.backends import BACKENDS
from tests.conftest import LiveServer, start_server


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A ``mnemora-server`` process on the embedded default or on DynamoDB + S3 + PostgreSQL."""
    data: Path = tmp_path_factory.mktemp(f"live-{request.param}") / "data"
    env: dict[str, str] = {}
    if request.param == "production":
        database = request.getfixturevalue("postgres").fresh_database()
        moto = request.getfixturevalue("moto_url")
        env = backends.production(data, moto, database.app_url, database.admin_url).env()
    server = start_server(data, **env)
    yield server
    server.stop()


@pytest.fixture
def key(live: LiveServer) -> str:
    """A fresh tenant's API key (every test starts with an empty tenant)."""
    return live.tenant(f"t-{uuid.uuid4().hex[:10]}")


@pytest.fixture
def agent_id() -> str:
    return f"agent-{uuid.uuid4().hex[:8]}"
