"""PostgreSQL that stalls mid-request (a statement waits behind another session's lock): the
statement timeout cancels it, the client gets 503 quickly, nothing is written, and the same
request succeeds once the lock is gone."""

from __future__ import annotations

import time
from pathlib import Path

import falcon.testing
import psycopg

from mnemora_server.app import create_app
from mnemora_server.embeddings.base import Embedder
from mnemora_server.settings import Settings
from mnemora_server.stores.registry import open_stores
from tests.conftest import ADMIN_TOKEN, Api, Clock, Postgres


def test_a_statement_stuck_behind_a_lock_is_cancelled_with_503(
    postgres: Postgres, tmp_path: Path, embedder: Embedder, clock: Clock
) -> None:
    database = postgres.fresh_database()
    # The default is 10 s; the URL's libpq options may set any other (here 300 ms).
    app_url = database.app_url + "&options=-c%20statement_timeout%3D300"
    settings = Settings(
        data_dir=tmp_path / "data",
        admin_token=ADMIN_TOKEN,
        vector_url=app_url,
        procedures_url=app_url,
        postgres_admin_url=database.admin_url,
    )
    stores = open_stores(settings, dimension=embedder.dimension)
    stores.setup()
    api = Api(
        falcon.testing.TestClient(create_app(settings, stores, clock=clock, embedder=embedder))
    )
    key = api.tenant("acme")
    body = {"agent_id": "bot", "name": "refund", "type": "rule", "definition": {"max": 50}}
    with psycopg.connect(database.admin_url) as blocker:
        blocker.execute("LOCK TABLE procedure_names IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        stalled = api.call(key, "POST", "/v1/memory/procedural", json=body)
        waited = time.monotonic() - started
        assert stalled.status_code == 503, stalled.text
        assert stalled.json["error"]["code"] == "UNAVAILABLE"
        assert waited < 3, f"the request was held {waited:.1f} s"
        blocker.rollback()  # the lock goes away
    assert api.call(key, "GET", "/v1/memory/procedural/bot/refund").status_code == 404
    created = api.call(key, "POST", "/v1/memory/procedural", json=body)
    assert (created.status_code, created.json["data"]["version"]) == (201, 1), created.text
    stores.close()
