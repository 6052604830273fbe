"""The API over DynamoDB (accounts, usage, idempotency, working memory, hot episodes) and S3
(cold episodes), both from moto over HTTP,
and PostgreSQL (procedural memory, as the application role under row-level security):
the same answers as the embedded default, purge leaves nothing in either service (every S3
version included), and an outage is a 503 with nothing written."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import falcon.testing
import pytest

from mnemora_server.app import create_app
from mnemora_server.embeddings.base import Embedder
from mnemora_server.services.registry import Services
from mnemora_server.settings import Settings
from mnemora_server.stores.base import Stores
from mnemora_server.stores.registry import open_stores
from tests.conftest import ADMIN_TOKEN, Api, Clock, Postgres, free_port


@pytest.fixture
def aws(moto_url: str, tmp_path: Path, postgres: Postgres) -> dict[str, Any]:
    suffix = uuid.uuid4().hex[:8]
    database = postgres.fresh_database()
    return {
        "url": moto_url,
        "table": f"mnemora-{suffix}",
        "bucket": f"mnemora-cold-{suffix}",
        "settings": Settings(
            data_dir=tmp_path / "data",
            admin_token=ADMIN_TOKEN,
            state_url=f"dynamodb://mnemora-{suffix}?endpoint_url={moto_url}",
            accounts_url=f"dynamodb://mnemora-{suffix}?endpoint_url={moto_url}",
            episodes_url=f"dynamodb://mnemora-{suffix}?endpoint_url={moto_url}",
            cold_url=f"s3://mnemora-cold-{suffix}/episodes?endpoint_url={moto_url}",
            procedures_url=database.app_url,
            vector_url=database.app_url,
            postgres_admin_url=database.admin_url,
        ),
    }


@pytest.fixture
def aws_stores(aws: dict[str, Any], embedder: Embedder) -> Iterator[Stores]:
    stores = open_stores(aws["settings"], dimension=embedder.dimension)
    stores.setup()
    yield stores
    stores.close()


@pytest.fixture
def aws_api(aws: dict[str, Any], aws_stores: Stores, embedder: Embedder, clock: Clock) -> Api:
    app = create_app(aws["settings"], aws_stores, clock=clock, embedder=embedder)
    return Api(falcon.testing.TestClient(app))


def _client(service: str, url: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name="us-east-1")


def test_working_memory_on_dynamodb(aws_api: Api) -> None:
    a = aws_api.tenant("tenant-a")
    b = aws_api.tenant("tenant-b")
    first = aws_api.call(a, "POST", "/v1/state", json={"agent_id": "bot", "data": {"n": 1}})
    assert first.json["data"]["version"] == 1
    ok = aws_api.call(a, "PUT", "/v1/state/bot", json={"data": {"n": 2}, "version": 1})
    assert ok.json["data"]["version"] == 2
    stale = aws_api.call(a, "PUT", "/v1/state/bot", json={"data": {"n": 3}, "version": 1})
    assert stale.status_code == 409
    patched = aws_api.call(a, "PATCH", "/v1/state/bot", json={"patch": {"m": True}})
    assert patched.json["data"]["data"] == {"n": 2, "m": True}
    assert aws_api.call(b, "GET", "/v1/state/bot").status_code == 404
    assert (
        aws_api.call(b, "PUT", "/v1/state/bot", json={"data": {}, "version": 3}).status_code == 404
    )
    assert aws_api.call(a, "GET", "/v1/state/bot/sessions").json["data"]["sessions"] == ["default"]
    usage = aws_api.call(a, "GET", "/v1/usage").json["data"]
    assert usage["sessions_count"] == 1


def test_purge_leaves_nothing_in_dynamodb_or_s3(
    aws: dict[str, Any], aws_api: Api, aws_stores: Stores, embedder: Embedder, clock: Clock
) -> None:
    key = aws_api.tenant("acme")
    other = aws_api.tenant("globex")
    for session in ("s1", "s2"):
        aws_api.call(
            key,
            "POST",
            "/v1/state",
            json={"agent_id": "bot", "session_id": session, "data": {"x": 1}},
        )
    aws_api.call(other, "POST", "/v1/state", json={"agent_id": "bot", "data": {"keep": 1}})
    for i in range(12):
        for tenant in (key, other):
            aws_api.call(
                tenant,
                "POST",
                "/v1/memory/episodic",
                json={
                    "agent_id": "bot",
                    "session_id": "t",
                    "type": "action",
                    "content": f"e{i}",
                    "timestamp": f"2020-01-{i + 1:02d}T00:00:00Z",
                },
            )
    Services.build(aws["settings"], aws_stores, embedder, clock).episodic.tier()
    s3 = _client("s3", aws["url"])
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=aws["bucket"]).get("Contents", [])]
    assert sorted(k.split("/")[1] for k in keys) == ["acme", "globex"]
    # A second version of acme's object, to check that purge removes every version.
    acme_key = next(k for k in keys if k.split("/")[1] == "acme")
    body = s3.get_object(Bucket=aws["bucket"], Key=acme_key)["Body"].read()
    s3.put_object(Bucket=aws["bucket"], Key=acme_key, Body=body)
    replay = aws_api.call(key, "GET", "/v1/memory/episodic/bot/sessions/t").json["data"]
    assert [e["content"] for e in replay["episodes"]] == [f"e{i}" for i in range(12)]

    purged = aws_api.call(key, "DELETE", "/v1/memory/bot").json["data"]
    assert purged["state_deleted"] == 2
    assert purged["deleted"]["cold_objects"] == 1
    versions = s3.list_object_versions(Bucket=aws["bucket"])
    remaining = [v["Key"] for v in versions.get("Versions", []) + versions.get("DeleteMarkers", [])]
    assert all(k.split("/")[1] == "globex" for k in remaining), remaining
    dynamo = _client("dynamodb", aws["url"])
    for pk in ("acme#bot", "acme#/", "/termset/acme#bot", "/terms/acme#bot/e0", "/segments/acme"):
        items = dynamo.query(
            TableName=aws["table"],
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": pk}},
        )["Items"]
        assert items == [], pk
    kept = aws_api.call(other, "GET", "/v1/state/bot").json["data"]["data"]
    assert kept == {"keep": 1}
    assert (
        aws_api.call(other, "GET", "/v1/memory/episodic/bot", params={"limit": "100"}).json["data"][
            "count"
        ]
        == 12
    )


def test_an_unreachable_dynamodb_gives_503_and_writes_nothing(
    tmp_path: Path, embedder: Embedder, clock: Clock
) -> None:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    settings = Settings(
        data_dir=tmp_path / "data",
        admin_token=ADMIN_TOKEN,
        state_url=f"dynamodb://outage?endpoint_url=http://127.0.0.1:{port}",
    )
    stores = open_stores(settings, dimension=embedder.dimension)
    stores.setup()
    api = Api(
        falcon.testing.TestClient(create_app(settings, stores, clock=clock, embedder=embedder))
    )
    key = api.tenant("acme")
    api.call(key, "POST", "/v1/state", json={"agent_id": "bot", "data": {"v": 1}})
    server.stop()
    down = api.call(key, "POST", "/v1/state", json={"agent_id": "bot", "data": {"v": 2}})
    assert down.status_code == 503
    assert down.json["error"]["code"] == "UNAVAILABLE"
    assert api.client.simulate_get("/v1/health").status_code == 503
    read = api.call(key, "GET", "/v1/state/bot")
    assert read.status_code == 503, "reads fail loudly too, never with stale or empty data"
    stores.close()


def test_procedural_memory_on_postgres(aws_api: Api) -> None:
    a = aws_api.tenant("tenant-a")
    b = aws_api.tenant("tenant-b")
    for version in (1, 2):
        r = aws_api.call(
            a,
            "POST",
            "/v1/memory/procedural",
            json={
                "agent_id": "bot",
                "name": "refund",
                "type": "tool",
                "definition": {"v": version},
            },
        )
        assert r.json["data"]["version"] == version
    assert aws_api.call(a, "GET", "/v1/memory/procedural/bot/refund").json["data"][
        "definition"
    ] == {"v": 2}
    assert aws_api.call(b, "GET", "/v1/memory/procedural/bot/refund").status_code == 404
    assert aws_api.call(b, "DELETE", "/v1/memory/bot").json["data"]["procedural_deleted"] == 0
    assert aws_api.call(a, "DELETE", "/v1/memory/bot").json["data"]["procedural_deleted"] == 2


def test_semantic_memory_on_postgres(aws_api: Api) -> None:
    a = aws_api.tenant("tenant-a")
    b = aws_api.tenant("tenant-b")
    notes = [
        "Password resets are done from Settings > Security",
        "Our office is closed on public holidays",
    ]
    for note in notes:
        aws_api.call(a, "POST", "/v1/memory/semantic", json={"agent_id": "bot", "content": note})
    again = aws_api.call(
        a, "POST", "/v1/memory/semantic", json={"agent_id": "bot", "content": notes[0]}
    )
    assert again.json["data"]["deduplicated"] is True
    for mode in ("hybrid", "vector", "keyword"):
        query = "reset my password" if mode != "keyword" else "password resets"
        hits = aws_api.call(
            a, "POST", "/v1/memory/semantic/search", json={"query": query, "mode": mode}
        ).json["data"]["results"]
        assert hits[0]["content"].startswith("Password resets"), mode
    nothing = aws_api.call(
        b, "POST", "/v1/memory/semantic/search", json={"query": "password", "threshold": -1}
    ).json["data"]
    assert nothing["results"] == []
    assert aws_api.call(a, "GET", "/v1/usage").json["data"]["vectors_stored"] == 2
    assert aws_api.call(a, "DELETE", "/v1/memory/bot").json["data"]["semantic_deleted"] == 2
