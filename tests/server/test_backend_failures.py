"""A failing backend answers 503 UNAVAILABLE, and the write did not happen."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import falcon.testing
import pytest

from mnemora_server.app import create_app
from mnemora_server.settings import Settings
from mnemora_server.stores.base import Stores
from mnemora_server.stores.registry import open_stores
from tests.conftest import ADMIN_TOKEN, Api, Clock


@pytest.fixture
def impatient_api(data_dir: Path, clock: Clock) -> Iterator[Api]:
    settings = Settings(data_dir=data_dir, admin_token=ADMIN_TOKEN, sqlite_busy_timeout_seconds=0.2)
    stores: Stores = open_stores(settings)
    stores.setup()
    yield Api(falcon.testing.TestClient(create_app(settings, stores, clock=clock)))
    stores.close()


def test_locked_state_database_gives_503_and_writes_nothing(
    impatient_api: Api, data_dir: Path
) -> None:
    api = impatient_api
    key = api.tenant("acme")
    api.call(key, "POST", "/v1/state", json={"agent_id": "bot", "data": {"v": 1}})
    blocker = sqlite3.connect(data_dir / "state.db", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # another process holding the database
    try:
        for method, path, body in [
            ("POST", "/v1/state", {"agent_id": "bot", "data": {"v": 2}}),
            ("PUT", "/v1/state/bot", {"data": {"v": 2}, "version": 1}),
            ("PATCH", "/v1/state/bot", {"patch": {"v": 2}}),
            ("DELETE", "/v1/state/bot/default", None),
        ]:
            r = api.call(key, method, path, json=body, headers={"Idempotency-Key": method})
            assert r.status_code == 503, (method, r.text)
            assert r.json["error"]["code"] == "UNAVAILABLE"
        health = api.client.simulate_get("/v1/health")
        assert health.status_code == 503
        assert health.json["data"]["stores"]["state"].startswith("unavailable")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    state = api.call(key, "GET", "/v1/state/bot").json["data"]
    assert state["data"] == {"v": 1}
    assert state["version"] == 1
    # The 503 answers were not remembered: the same keys now perform the writes.
    retried = api.call(
        key,
        "POST",
        "/v1/state",
        json={"agent_id": "bot", "data": {"v": 2}},
        headers={"Idempotency-Key": "POST"},
    )
    assert retried.status_code == 201
    assert retried.json["data"]["version"] == 2


def test_corrupt_accounts_database_gives_503_not_500(impatient_api: Api, data_dir: Path) -> None:
    api = impatient_api
    key = api.tenant("acme")
    (data_dir / "accounts.db").write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        (data_dir / f"accounts.db{suffix}").unlink(missing_ok=True)
    fresh = falcon.testing.TestClient(
        create_app(Settings(data_dir=data_dir, admin_token=ADMIN_TOKEN))
    )
    r = fresh.simulate_get("/v1/state/bot", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 503
    assert r.json["error"]["code"] == "UNAVAILABLE"
