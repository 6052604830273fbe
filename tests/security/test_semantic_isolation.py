"""Tenant B attacks tenant A's semantic memory: ids, filters, search, lists, upserts, purge."""

from __future__ import annotations

import pytest

from tests.conftest import Api

SECRET = "Tenant A's acquisition target is Initech, closing on June 1st"


@pytest.fixture
def setup(api: Api) -> tuple[str, str, str]:
    a = api.tenant("tenant-a")
    b = api.tenant("tenant-b")
    written = api.call(
        a,
        "POST",
        "/v1/memory/semantic",
        json={
            "agent_id": "bot",
            "content": SECRET,
            "id": "shared-id",
            "metadata": {"owner": "alice@a.example", "tenant_id": "tenant-a"},
        },
    )
    assert written.status_code == 201
    return a, b, written.json["data"]["id"]


def _leaks(text: str) -> bool:
    return "Initech" in text or "alice@a.example" in text


def test_b_cannot_read_change_or_delete_a_memory_by_id(
    api: Api, setup: tuple[str, str, str]
) -> None:
    a, b, memory_id = setup
    for method, body in (
        ("GET", None),
        ("PATCH", {"metadata": {"x": 1}}),
        ("PATCH", {"content": "pwned"}),
        ("DELETE", None),
    ):
        r = api.call(b, method, f"/v1/memory/semantic/{memory_id}", json=body)
        assert r.status_code == 404, method
        assert not _leaks(r.text)
    mine = api.call(a, "GET", f"/v1/memory/semantic/{memory_id}").json["data"]
    assert mine["content"] == SECRET
    assert mine["metadata"]["owner"] == "alice@a.example"


def test_b_cannot_read_or_delete_a_memories_in_batches(
    api: Api, setup: tuple[str, str, str]
) -> None:
    a, b, memory_id = setup
    for scope in ({}, {"agent_id": "bot"}, {"agent_id": "bot", "namespace": "default"}):
        body = {"ids": [memory_id, "shared-id"], **scope}
        got = api.call(b, "POST", "/v1/memory/semantic/batch/get", json=body)
        assert got.status_code == 200
        assert got.json["data"]["memories"] == []
        assert not _leaks(got.text)
        gone = api.call(b, "POST", "/v1/memory/semantic/batch/delete", json=body)
        assert gone.json["data"] == {"deleted": [], "count": 0}
    for spec in ({}, {"owner": "alice@a.example"}, {"tenant_id": "tenant-a"}):
        body = {"agent_id": "bot", "metadata_filter": spec}
        got = api.call(b, "POST", "/v1/memory/semantic/batch/get", json=body)
        assert got.json["data"]["memories"] == []
        gone = api.call(b, "POST", "/v1/memory/semantic/batch/delete", json=body)
        assert gone.json["data"] == {"deleted": [], "count": 0}
    mine = api.call(a, "POST", "/v1/memory/semantic/batch/get", json={"ids": [memory_id]})
    assert [m["content"] for m in mine.json["data"]["memories"]] == [SECRET]


def test_b_searches_never_return_a_rows(api: Api, setup: tuple[str, str, str]) -> None:
    _, b, _ = setup
    api.call(b, "POST", "/v1/memory/semantic", json={"agent_id": "bot", "content": "B's note"})
    bodies = [
        {"query": "acquisition target Initech"},
        {"query": "acquisition target Initech", "agent_id": "bot"},
        {"query": "Initech", "mode": "keyword"},
        {"query": "Initech", "threshold": -1, "top_k": 100, "mode": "vector"},
        {"query": "Initech", "tenant_id": "tenant-a"},
        {"query": "Initech", "metadata_filter": {"tenant_id": "tenant-a"}},
        {
            "query": "Initech",
            "metadata_filter": {
                "$or": [{"owner": {"$exists": True}}, {"owner": {"$exists": False}}]
            },
        },
        {"query": "Initech", "filter": {"owner": "alice@a.example"}},
        {"query": 'Initech" OR owner:* OR "', "mode": "keyword"},
        {"query": "*", "mode": "keyword"},
        {"query": "') OR 1=1 --", "mode": "hybrid"},
    ]
    for body in bodies:
        r = api.call(
            b, "POST", "/v1/memory/semantic/search", json=body, headers={"X-Tenant-ID": "tenant-a"}
        )
        assert r.status_code == 200, (body, r.text)
        assert not _leaks(r.text), body
        for hit in r.json["data"]["results"]:
            assert hit["content"] == "B's note"


def test_b_lists_only_its_own(api: Api, setup: tuple[str, str, str]) -> None:
    _, b, _ = setup
    for params in ({}, {"agent_id": "bot"}, {"tenant_id": "tenant-a"}):
        r = api.call(b, "GET", "/v1/memory/semantic", params=params)
        assert r.json["data"]["count"] == 0
        assert not _leaks(r.text)


def test_b_using_a_client_id_gets_its_own_record(api: Api, setup: tuple[str, str, str]) -> None:
    a, b, memory_id = setup
    r = api.call(
        b,
        "POST",
        "/v1/memory/semantic",
        json={"agent_id": "bot", "content": "B overwrites?", "id": memory_id},
    )
    assert r.status_code == 201, "a new record in B's space, not an update of A's"
    assert api.call(a, "GET", f"/v1/memory/semantic/{memory_id}").json["data"]["content"] == (
        SECRET
    )
    assert api.call(b, "GET", f"/v1/memory/semantic/{memory_id}").json["data"]["content"] == (
        "B overwrites?"
    )


def test_b_purge_and_dedup_never_touch_a(api: Api, setup: tuple[str, str, str]) -> None:
    a, b, memory_id = setup
    same = api.call(b, "POST", "/v1/memory/semantic", json={"agent_id": "bot", "content": SECRET})
    assert same.json["data"]["deduplicated"] is False, "dedup never crosses tenants"
    assert api.call(b, "DELETE", "/v1/memory/bot").json["data"]["semantic_deleted"] == 1
    assert api.call(a, "GET", f"/v1/memory/semantic/{memory_id}").status_code == 200
    hits = api.call(a, "POST", "/v1/memory/semantic/search", json={"query": "acquisition"}).json[
        "data"
    ]["results"]
    assert [h["id"] for h in hits] == [memory_id]


def test_b_usage_counts_nothing_of_a(api: Api, setup: tuple[str, str, str]) -> None:
    _, b, _ = setup
    usage = api.call(b, "GET", "/v1/usage").json["data"]
    assert usage["vectors_stored"] == 0
    assert usage["storage"]["semantic_bytes"] == 0


def test_b_never_gets_a_rows_as_a_hits_context(api: Api, setup: tuple[str, str, str]) -> None:
    """A hybrid search adds the memories written just before and after its hits; A's rows
    written between B's, by an agent of the same name, are never B's neighbours."""
    a, b, _ = setup
    for turn in ("B: what did we decide about the vendor?", "B: we keep the current vendor."):
        api.call(a, "POST", "/v1/memory/semantic", json={"agent_id": "bot", "content": SECRET})
        api.call(b, "POST", "/v1/memory/semantic", json={"agent_id": "bot", "content": turn})
        api.call(
            a,
            "POST",
            "/v1/memory/semantic",
            json={"agent_id": "bot", "content": f"Initech due diligence note {turn}"},
        )
    r = api.call(
        b,
        "POST",
        "/v1/memory/semantic/search",
        json={"query": "what did we decide about the vendor", "agent_id": "bot", "top_k": 10},
    )
    assert r.status_code == 200, r.text
    assert not _leaks(r.text)
    assert {hit["content"] for hit in r.json["data"]["results"]} <= {
        "B's note",
        "B: what did we decide about the vendor?",
        "B: we keep the current vendor.",
    }
