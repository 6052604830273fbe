"""Export then import reproduces a tenant's memory in another tenant, idempotently."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mnemora_server.embeddings.base import Embedder
from mnemora_server.services.registry import Services
from mnemora_server.settings import Settings
from mnemora_server.stores.base import Stores
from tests.conftest import Api, Clock

DAY = 86400.0


def export(api: Api, key: str, **params: str) -> list[dict[str, Any]]:
    r = api.call(key, "GET", "/v1/export", params=params)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in r.text.splitlines()]


def comparable(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lines without what legitimately differs between tenants (export time, state versions)."""
    out = []
    for line in lines:
        if line["kind"] == "header":
            continue
        line = dict(line)
        if line["kind"] == "state":
            for volatile in ("version", "created_at", "updated_at"):
                line.pop(volatile)
        if line["kind"] == "semantic":
            line.pop("updated_at")
        out.append(line)
    return out


@pytest.fixture
def populated(
    api: Api, settings: Settings, stores: Stores, embedder: Embedder, clock: Clock
) -> str:
    key = api.tenant("source", limits={"burst_per_second": 100_000})
    api.call(
        key,
        "POST",
        "/v1/state",
        json={"agent_id": "bot", "session_id": "s1", "data": {"step": 3, "notes": ["a"]}},
    )
    api.call(key, "POST", "/v1/state", json={"agent_id": "bot", "data": {"x": 1.5}, "ttl_hours": 5})
    api.call(
        key,
        "POST",
        "/v1/memory/semantic",
        json={"agent_id": "bot", "content": "Refunds take 5 days", "metadata": {"n": 1}},
    )
    long_text = " ".join(f"Paragraph {i} of the employee handbook." for i in range(120))
    api.call(
        key,
        "POST",
        "/v1/memory/semantic",
        json={"agent_id": "bot", "namespace": "docs", "content": long_text},
    )
    gone = api.call(
        key, "POST", "/v1/memory/semantic", json={"agent_id": "bot", "content": "deleted fact"}
    ).json["data"]["id"]
    api.call(key, "DELETE", f"/v1/memory/semantic/{gone}")
    for i in range(6):
        api.call(
            key,
            "POST",
            "/v1/memory/episodic",
            json={
                "agent_id": "bot" if i % 2 else "helper",
                "session_id": "t1",
                "type": "action",
                "content": {"i": i},
                "timestamp": f"2020-01-0{i + 1}T00:00:00Z",
            },
        )
    api.call(
        key,
        "POST",
        "/v1/memory/episodic",
        json={"agent_id": "bot", "session_id": "t2", "type": "conversation", "content": "hi"},
    )
    Services.build(settings, stores, embedder, clock).episodic.tier()
    for version in (1, 2):
        api.call(
            key,
            "POST",
            "/v1/memory/procedural",
            json={
                "agent_id": "bot",
                "name": "refund",
                "type": "tool",
                "definition": {"v": version},
            },
        )
    return key


def test_export_then_import_reproduces_the_data(api: Api, populated: str) -> None:
    source = export(api, populated)
    kinds = [line["kind"] for line in source]
    assert kinds[0] == "header"
    assert kinds.count("state") == 2
    assert kinds.count("semantic") == 2, "soft-deleted memories are not exported"
    assert kinds.count("episode") == 7, "both tiers"
    assert kinds.count("procedure") == 2
    chunked = next(line for line in source if line["kind"] == "semantic" and line["chunks"])
    assert chunked["embedding"] is None
    assert all(len(c["embedding"]) == 384 for c in chunked["chunks"])

    target = api.tenant("target")
    body = "\n".join(json.dumps(line) for line in source).encode()
    imported = api.call(
        target, "POST", "/v1/import", body=body, headers={"Content-Type": "application/x-ndjson"}
    )
    assert imported.status_code == 200, imported.text
    assert imported.json["data"]["stored"] == {
        "state": 2,
        "semantic": 2,
        "episode": 7,
        "procedure": 2,
        "checkpoint": 0,
        "item": 0,
    }
    assert comparable(export(api, target)) == comparable(source)
    hits = api.call(
        target, "POST", "/v1/memory/semantic/search", json={"query": "how long do refunds take"}
    ).json["data"]["results"]
    assert hits[0]["content"] == "Refunds take 5 days"

    again = api.call(target, "POST", "/v1/import", body=body).json["data"]
    assert set(again["stored"].values()) == {0}, "a second import stores nothing"
    assert again["skipped"] == {
        "state": 2,
        "semantic": 2,
        "episode": 7,
        "procedure": 2,
        "checkpoint": 0,
        "item": 0,
    }, "and says, kind by kind, what it found already there"
    assert comparable(export(api, target)) == comparable(source), "importing twice changes nothing"


def test_agent_export_holds_only_that_agent(api: Api, populated: str) -> None:
    lines = export(api, populated, agent_id="helper")
    assert {line.get("agent_id") for line in lines if line["kind"] != "header"} == {"helper"}
    assert [line["kind"] for line in lines[1:]] == ["episode"] * 3


def test_export_is_scoped_to_the_caller(api: Api, populated: str) -> None:
    other = api.tenant("other")
    lines = export(api, other)
    assert [line["kind"] for line in lines] == ["header"]
    lines = export(api, other, agent_id="bot")
    assert [line["kind"] for line in lines] == ["header"]


@pytest.mark.parametrize(
    "body",
    [
        b"not json\n",
        b'{"no": "kind"}\n',
        b'{"kind": "alien"}\n',
        b'{"kind": "header", "format": "other", "version": 1}\n',
        b'{"kind": "episode", "id": "x"}\n',
        b'{"kind": "semantic", "id": "a", "agent_id": "b", "namespace": "default", '
        b'"content": "c", "created_at": 0, "embedding": [1.0, 2.0]}\n',
    ],
)
def test_bad_imports_are_400(api: Api, body: bytes) -> None:
    key = api.tenant("target")
    r = api.call(key, "POST", "/v1/import", body=body)
    assert r.status_code == 400, r.text
    assert "line 1" in r.json["error"]["message"] or "not a" in r.json["error"]["message"]


def test_a_bad_line_anywhere_writes_nothing(api: Api, populated: str) -> None:
    source = export(api, populated)
    target = api.tenant("target")
    lines = [json.dumps(line) for line in source]
    lines.insert(len(lines) - 1, '{"kind": "episode", "id": "broken"}')
    r = api.call(target, "POST", "/v1/import", body="\n".join(lines).encode())
    assert r.status_code == 400
    assert f"line {len(lines) - 1}" in r.json["error"]["message"]
    assert [line["kind"] for line in export(api, target)] == ["header"]


def test_import_over_the_vector_quota_is_507_and_writes_nothing(api: Api, populated: str) -> None:
    source = export(api, populated)
    target = api.tenant("tiny", limits={"max_vectors": 2})
    body = "\n".join(json.dumps(line) for line in source).encode()
    r = api.call(target, "POST", "/v1/import", body=body)
    assert r.status_code == 507
    assert [line["kind"] for line in export(api, target)] == ["header"]


def test_the_operator_sees_each_agent_and_what_it_holds(api: Api, populated: str) -> None:
    from tests.server.test_checkpoints import checkpoint
    from tests.server.test_checkpoints import put as put_checkpoint
    from tests.server.test_items import batch, put

    put_checkpoint(api, populated, "thread-1", checkpoint())
    put_checkpoint(api, populated, "thread-1", checkpoint())
    batch(api, populated, put(["prefs"], "tone", {"v": "short"}))
    other = api.tenant("other")
    api.call(other, "POST", "/v1/state", json={"agent_id": "spy", "data": {}})

    answer = api.admin("GET", "/v1/admin/tenants/source/agents")
    assert answer.status_code == 200, answer.text
    assert answer.json["data"] == {
        "tenant_id": "source",
        "count": 2,
        "agents": [
            {
                "agent_id": "bot",
                "state": 2,
                "semantic": 2,  # the deleted memory is not counted, the chunked one once
                "episodic": 4,  # hot and cold
                "procedural": 1,  # one procedure in two versions
                "checkpoints": 2,
                "items": 1,
            },
            {
                "agent_id": "helper",
                "state": 0,
                "semantic": 0,
                "episodic": 3,
                "procedural": 0,
                "checkpoints": 0,
                "items": 0,
            },
        ],
    }
    assert api.call(populated, "GET", "/v1/admin/tenants/source/agents").status_code == 401, (
        "a tenant key is not an admin token"
    )
    assert api.admin("GET", "/v1/admin/tenants/nobody/agents").status_code == 404
    api.call(populated, "DELETE", "/v1/memory/helper")
    after = api.admin("GET", "/v1/admin/tenants/source/agents").json["data"]
    assert [a["agent_id"] for a in after["agents"]] == ["bot"]
