"""Semantic memory through the real app, with the real embedding model."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from tests.backends import Backend
from tests.conftest import Api

NOTES = [
    "Password resets are done from Settings > Security",
    "Our office is closed on public holidays",
    "Invoices are emailed on the first day of each month",
    "The mobile app supports dark mode since version 3.2",
    "Refunds take 5 days to reach the original payment method",
]


@pytest.fixture
def key(api: Api) -> str:
    return api.tenant("acme")


def store(api: Api, key: str, content: str, **fields: Any) -> dict[str, Any]:
    body = {"agent_id": "support-agent", "content": content, **fields}
    r = api.call(key, "POST", "/v1/memory/semantic", json=body)
    assert r.status_code in (200, 201), r.text
    return dict(r.json["data"])


def search(api: Api, key: str, query: str, **fields: Any) -> list[dict[str, Any]]:
    r = api.call(key, "POST", "/v1/memory/semantic/search", json={"query": query, **fields})
    assert r.status_code == 200, r.text
    return list(r.json["data"]["results"])


def test_search_finds_the_relevant_note_among_unrelated_ones(api: Api, key: str) -> None:
    for note in NOTES:
        store(api, key, note)
    for mode in ("hybrid", "vector"):
        results = search(
            api, key, "How do I reset my password?", agent_id="support-agent", top_k=3, mode=mode
        )
        assert results[0]["content"] == NOTES[0], mode
        assert results[0]["similarity_score"] > 0.5
    keyword = search(api, key, "refunds", mode="keyword")
    assert [r["content"] for r in keyword] == [NOTES[4]]
    assert keyword[0]["matched"] == ["keyword"]


def test_metadata_round_trips_exactly_and_server_fields_stay_beside_it(api: Api, key: str) -> None:
    metadata = {
        "n": 1,
        "f": 1.0,
        "b": False,
        "nested": {"list": [1, 2.5, None, "x"]},
        "empty": {},
        "unicode": "Grüße",
    }
    written = store(api, key, "The customer prefers email", metadata=metadata)
    assert written["metadata"] == metadata
    fetched = api.call(key, "GET", f"/v1/memory/semantic/{written['id']}").json["data"]
    assert fetched["metadata"] == metadata
    assert isinstance(fetched["metadata"]["n"], int)
    assert isinstance(fetched["metadata"]["f"], float)
    for server_field in ("created_at", "updated_at", "deduplicated", "similarity_score"):
        assert server_field in fetched
        assert server_field not in fetched["metadata"]
    hit = search(api, key, "customer email preference")[0]
    assert hit["metadata"] == metadata


def test_near_duplicates_merge_unless_dedup_is_false(api: Api, key: str) -> None:
    first = store(api, key, "Refunds take 5 days", metadata={"a": 1})
    again = store(api, key, "Refunds take 5 days.", metadata={"b": 2})
    assert again["deduplicated"] is True
    assert again["id"] == first["id"]
    assert again["metadata"] == {"a": 1, "b": 2}
    kept = store(api, key, "Refunds take 5 days", dedup=False)
    assert kept["deduplicated"] is False
    assert kept["id"] != first["id"]
    other_ns = store(api, key, "Refunds take 5 days", namespace="billing")
    assert other_ns["deduplicated"] is False
    other_agent = api.call(
        key,
        "POST",
        "/v1/memory/semantic",
        json={"agent_id": "other", "content": "Refunds take 5 days"},
    )
    assert other_agent.json["data"]["deduplicated"] is False
    different = store(api, key, "Shipping takes 2 weeks")
    assert different["deduplicated"] is False
    listed = api.call(key, "GET", "/v1/memory/semantic", params={"agent_id": "support-agent"}).json[
        "data"
    ]
    assert listed["count"] == 4


def test_client_id_upserts(api: Api, key: str) -> None:
    first = store(api, key, "Plan: starter", id="plan-fact", metadata={"v": 1})
    second = store(api, key, "Plan: enterprise", id="plan-fact", metadata={"v": 2})
    assert first["id"] == second["id"] == "plan-fact"
    fetched = api.call(key, "GET", "/v1/memory/semantic/plan-fact").json["data"]
    assert fetched["content"] == "Plan: enterprise"
    assert fetched["metadata"] == {"v": 2}
    assert fetched["created_at"] == first["created_at"]


def test_client_vectors_of_the_right_dimension_are_accepted(api: Api, key: str) -> None:
    vector = [0.0] * 384
    vector[7] = 1.0
    ok = api.call(
        key,
        "POST",
        "/v1/memory/semantic",
        json={"agent_id": "bot", "content": "x", "embedding": vector},
    )
    assert ok.status_code == 201
    bad = api.call(
        key,
        "POST",
        "/v1/memory/semantic",
        json={"agent_id": "bot", "content": "y", "embedding": [1.0] * 10},
    )
    assert bad.status_code == 400
    zero = api.call(
        key,
        "POST",
        "/v1/memory/semantic",
        json={"agent_id": "bot", "content": "z", "embedding": [0.0] * 384},
    )
    assert zero.status_code == 400


def test_batch_is_atomic(api: Api, key: str) -> None:
    items = [{"content": f"fact number {i} about topic {i * 7}"} for i in range(5)]
    ok = api.call(
        key, "POST", "/v1/memory/semantic/batch", json={"agent_id": "bot", "items": items}
    )
    assert ok.status_code == 201
    assert ok.json["data"]["count"] == 5
    bad_items = [{"content": "fine"}, {"content": "bad", "embedding": [1.0]}]
    bad = api.call(
        key, "POST", "/v1/memory/semantic/batch", json={"agent_id": "bot2", "items": bad_items}
    )
    assert bad.status_code == 400
    listed = api.call(key, "GET", "/v1/memory/semantic", params={"agent_id": "bot2"})
    assert listed.json["data"]["count"] == 0


def test_list_is_cursor_paged(api: Api, key: str) -> None:
    items = [
        {
            "content": f"distinct memory {i}: {['alpha', 'beta', 'gamma'][i % 3]} {i * 31}",
            "dedup": False,
        }
        for i in range(7)
    ]
    api.call(key, "POST", "/v1/memory/semantic/batch", json={"agent_id": "bot", "items": items})
    seen: list[str] = []
    cursor = None
    while True:
        params = {"agent_id": "bot", "limit": "3"} | ({"cursor": cursor} if cursor else {})
        page = api.call(key, "GET", "/v1/memory/semantic", params=params).json["data"]
        seen += [m["content"] for m in page["memories"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [i["content"] for i in items]


def test_patch_re_embeds_content_and_replaces_metadata(api: Api, key: str) -> None:
    memory = store(api, key, "The office dog is called Rex", metadata={"k": 1})
    patched = api.call(
        key,
        "PATCH",
        f"/v1/memory/semantic/{memory['id']}",
        json={"content": "Quarterly taxes are due in April"},
    ).json["data"]
    assert patched["content"] == "Quarterly taxes are due in April"
    assert patched["metadata"] == {"k": 1}
    assert search(api, key, "when are taxes due", mode="vector")[0]["id"] == memory["id"]
    assert not [r for r in search(api, key, "dog name Rex", mode="keyword")]
    meta = api.call(
        key, "PATCH", f"/v1/memory/semantic/{memory['id']}", json={"metadata": {"k": 2}}
    ).json["data"]
    assert meta["metadata"] == {"k": 2}


def test_soft_delete_hides_at_once_and_purge_removes_the_rows(
    api: Api, key: str, backend: Backend
) -> None:
    memory = store(api, key, "Secret launch date is March 3rd")
    store(api, key, "Unrelated: the cafeteria opens at 8")
    assert api.call(key, "DELETE", f"/v1/memory/semantic/{memory['id']}").status_code == 204
    assert api.call(key, "GET", f"/v1/memory/semantic/{memory['id']}").status_code == 404
    assert api.call(key, "DELETE", f"/v1/memory/semantic/{memory['id']}").status_code == 404
    for mode in ("hybrid", "vector", "keyword"):
        hits = search(api, key, "launch date", mode=mode, threshold=-1)
        assert memory["id"] not in [h["id"] for h in hits]
    assert any("launch" in text for text in backend.stored()), "soft-deleted rows stay"
    purged = api.call(key, "DELETE", "/v1/memory/support-agent").json["data"]
    assert purged["semantic_deleted"] == 2
    left = [
        text
        for text in backend.stored()
        if "launch" in text or "cafeteria" in text or "support-agent" in text
    ]
    assert left == [], "no row, index entry or partition of the agent remains"


def test_memories_by_id_read_and_delete_in_one_request_within_an_agent(api: Api, key: str) -> None:
    for i, note in enumerate(NOTES[:3]):
        store(api, key, note, id=f"note-{i}", metadata={"i": i})
    body = {"agent_id": "other-agent", "content": NOTES[3], "id": "note-3"}
    assert api.call(key, "POST", "/v1/memory/semantic", json=body).status_code == 201
    asked = {"ids": ["note-2", "missing", "note-0", "note-3", "note-2"]}
    got = api.call(key, "POST", "/v1/memory/semantic/batch/get", json=asked).json["data"]
    assert [m["id"] for m in got["memories"]] == ["note-2", "note-0", "note-3"]
    assert got["memories"][0]["metadata"] == {"i": 2}
    scoped = {**asked, "agent_id": "support-agent"}
    got = api.call(key, "POST", "/v1/memory/semantic/batch/get", json=scoped).json["data"]
    assert [m["id"] for m in got["memories"]] == ["note-2", "note-0"]

    r = api.call(key, "POST", "/v1/memory/semantic/batch/delete", json=scoped)
    assert r.status_code == 200, r.text
    assert r.json["data"] == {"deleted": ["note-2", "note-0"], "count": 2}
    assert api.call(key, "GET", "/v1/memory/semantic/note-3").status_code == 200
    assert api.call(key, "GET", "/v1/memory/semantic/note-0").status_code == 404
    hits = search(api, key, NOTES[0], mode="vector", threshold=-1)
    assert "note-0" not in [h["id"] for h in hits]
    again = api.call(key, "POST", "/v1/memory/semantic/batch/delete", json=scoped)
    assert again.json["data"] == {"deleted": [], "count": 0}


def test_memories_by_metadata_filter_are_read_in_pages_and_deleted_at_once(
    api: Api, key: str
) -> None:
    batch = {
        "agent_id": "support-agent",
        "items": [
            {
                "content": f"Note {i} about {'billing' if i % 2 else 'shipping'}",
                "metadata": {"topic": "billing" if i % 2 else "shipping", "i": i},
                "dedup": False,
            }
            for i in range(7)
        ],
    }
    assert api.call(key, "POST", "/v1/memory/semantic/batch", json=batch).status_code == 201
    other = {
        "agent_id": "other-agent",
        "content": "Billing elsewhere",
        "metadata": {"topic": "billing"},
    }
    assert api.call(key, "POST", "/v1/memory/semantic", json=other).status_code == 201
    select = {"agent_id": "support-agent", "metadata_filter": {"topic": "billing"}, "limit": 2}
    seen: list[int] = []
    while True:
        page = api.call(key, "POST", "/v1/memory/semantic/batch/get", json=select).json["data"]
        seen += [m["metadata"]["i"] for m in page["memories"]]
        if not page["next_cursor"]:
            break
        select["cursor"] = page["next_cursor"]
    assert seen == [1, 3, 5]
    by_both = {"ids": ["x"], "metadata_filter": {"topic": "billing"}}
    assert (
        api.call(key, "POST", "/v1/memory/semantic/batch/get", json=by_both).json["data"][
            "memories"
        ]
        == []
    )
    unscoped = {"metadata_filter": {"topic": "billing"}}
    refused = api.call(key, "POST", "/v1/memory/semantic/batch/delete", json=unscoped)
    assert refused.status_code == 400
    assert "agent_id" in refused.json["error"]["message"]
    scoped = {"agent_id": "support-agent", "metadata_filter": {"topic": "billing"}}
    gone = api.call(key, "POST", "/v1/memory/semantic/batch/delete", json=scoped).json["data"]
    assert gone["count"] == 3
    left = api.call(key, "GET", "/v1/memory/semantic", params={"agent_id": "support-agent"})
    assert sorted(m["metadata"]["i"] for m in left.json["data"]["memories"]) == [0, 2, 4, 6]
    everything = {"agent_id": "support-agent", "metadata_filter": {}}
    assert (
        api.call(key, "POST", "/v1/memory/semantic/batch/delete", json=everything).json["data"][
            "count"
        ]
        == 4
    )
    kept = api.call(key, "GET", "/v1/memory/semantic", params={"agent_id": "other-agent"})
    assert [m["content"] for m in kept.json["data"]["memories"]] == ["Billing elsewhere"]


@pytest.mark.parametrize(
    "body",
    [
        {"ids": []},
        {"ids": ["x"] * 501},
        {"ids": ["bad id"]},
        {"ids": ["a"], "agent_id": "../x"},
        {"agent_id": "support-agent"},
        {"agent_id": "support-agent", "metadata_filter": {"a": {"$like": "x"}}},
        {"agent_id": "support-agent", "metadata_filter": {}, "limit": 0},
    ],
)
def test_memories_by_id_refuse_bad_requests(api: Api, key: str, body: dict[str, Any]) -> None:
    store(api, key, NOTES[0], id="a")
    for action in ("get", "delete"):
        r = api.call(key, "POST", f"/v1/memory/semantic/batch/{action}", json=body)
        assert r.status_code == 400, r.text
        assert r.json["error"]["code"] == "VALIDATION_ERROR"
    assert api.call(key, "GET", "/v1/memory/semantic/a").status_code == 200


def test_long_text_is_chunked_with_overlap_and_linked_to_its_parent(api: Api, key: str) -> None:
    filler = " ".join(
        f"Section {i} describes routine office procedures in detail." for i in range(60)
    )
    text = filler + " The emergency exit code is 4417 and it opens the north door. " + filler
    parent = store(api, key, text, metadata={"doc": "handbook"})
    assert parent["chunk_count"] >= 3
    fetched = api.call(key, "GET", f"/v1/memory/semantic/{parent['id']}").json["data"]
    assert fetched["content"] == text
    hits = search(api, key, "emergency exit code north door", top_k=3)
    assert hits[0]["parent_id"] == parent["id"]
    assert "4417" in hits[0]["content"]
    assert hits[0]["metadata"] == {"doc": "handbook"}
    assert len(hits[0]["content"]) <= 1000
    listed = api.call(key, "GET", "/v1/memory/semantic").json["data"]
    assert [m["id"] for m in listed["memories"]] == [parent["id"]], "chunks are not listed"
    grouped = search(
        api,
        key,
        "emergency exit code north door",
        top_k=3,
        group_chunks=True,
        include_embeddings=True,
    )
    assert [h["id"] for h in grouped] == [parent["id"]], "each memory once"
    assert grouped[0]["content"] == text
    assert grouped[0]["similarity_score"] == hits[0]["similarity_score"]
    assert len(grouped[0]["embedding"]) == 384, "the matching chunk's vector"
    api.call(key, "DELETE", f"/v1/memory/semantic/{parent['id']}")
    assert search(api, key, "emergency exit code", threshold=-1) == []


@pytest.mark.parametrize(
    ("metadata_filter", "expected"),
    [
        ({"lang": "en"}, {"a", "c"}),
        ({"lang": {"$ne": "en"}}, {"b", "d"}),
        ({"priority": {"$gt": 1}}, {"b", "c"}),
        ({"priority": {"$gte": 1, "$lt": 3}}, {"a", "b"}),
        ({"priority": {"$lte": 1}}, {"a", "d"}),
        ({"lang": {"$in": ["de", "fr"]}}, {"b"}),
        ({"lang": {"$nin": ["en"]}}, {"b", "d"}),
        ({"lang": {"$exists": False}}, {"d"}),
        ({"$or": [{"lang": "de"}, {"priority": 3}]}, {"b", "c"}),
        ({"$and": [{"lang": "en"}, {"priority": {"$gt": 1}}]}, {"c"}),
        ({"tags": "vip"}, {"a"}),
        ({"owner.team": "red"}, {"c"}),
        ({"flag": True}, {"a"}),
        ({"flag": 1}, set()),
        ({"priority": 1.0}, {"a"}),
        ({"$not": {"lang": "en"}}, {"b", "d"}),
        ({"$not": {"$or": [{"lang": "de"}, {"priority": {"$lt": 1}}]}}, {"a", "c"}),
    ],
)
def test_metadata_filters(
    api: Api, key: str, metadata_filter: dict[str, Any], expected: set[str]
) -> None:
    docs = {
        "a": {"lang": "en", "priority": 1, "tags": ["vip", "new"], "flag": True},
        "b": {"lang": "de", "priority": 2},
        "c": {"lang": "en", "priority": 3, "owner": {"team": "red"}},
        "d": {"priority": 0},
    }
    for name, metadata in docs.items():
        store(api, key, f"customer note {name}", metadata={**metadata, "name": name}, dedup=False)
    for mode in ("hybrid", "vector", "keyword"):
        hits = search(
            api,
            key,
            "customer note",
            metadata_filter=metadata_filter,
            top_k=10,
            threshold=-1,
            mode=mode,
        )
        assert {h["metadata"]["name"] for h in hits} == expected, mode


@pytest.mark.parametrize(
    "metadata_filter",
    [
        {"$where": "1"},
        {"a": {"$regex": "x"}},
        {"$and": []},
        {"$or": {"a": 1}},
        {"a": {"$in": "x"}},
        {"a": {"$gt": [1]}},
        {"a": {"$exists": "yes"}},
        {"$not": []},
        {"$not": {}},
    ],
)
def test_bad_filters_are_400(api: Api, key: str, metadata_filter: dict[str, Any]) -> None:
    r = api.call(
        key,
        "POST",
        "/v1/memory/semantic/search",
        json={"query": "x", "metadata_filter": metadata_filter},
    )
    assert r.status_code == 400


def test_threshold_and_tenant_wide_search(api: Api, key: str) -> None:
    api.call(
        key,
        "POST",
        "/v1/memory/semantic",
        json={"agent_id": "billing-agent", "content": "Invoices are sent monthly"},
    )
    api.call(
        key,
        "POST",
        "/v1/memory/semantic",
        json={"agent_id": "support-agent", "content": "Passwords reset in Settings"},
    )
    everywhere = search(api, key, "invoice schedule", mode="vector", threshold=-1)
    assert {h["agent_id"] for h in everywhere} == {"billing-agent", "support-agent"}
    strict = search(api, key, "invoice schedule", mode="vector", threshold=0.4)
    assert [h["agent_id"] for h in strict] == ["billing-agent"]


def test_usage_counts_vectors_embeddings_and_bytes(api: Api, key: str) -> None:
    store(api, key, "one fact")
    store(api, key, "another, different fact about llamas")
    usage = api.call(key, "GET", "/v1/usage").json["data"]
    assert usage["vectors_stored"] == 2
    assert usage["embeddings_generated_today"] == 2
    search(api, key, "llamas")
    usage = api.call(key, "GET", "/v1/usage").json["data"]
    assert usage["embeddings_generated_month"] == 3
    expected = len("one fact") + len("another, different fact about llamas") + 2 * len("{}")
    assert usage["storage"]["semantic_bytes"] == expected
    embedded = api.call(key, "POST", "/v1/embeddings", json={"input": ["a", "b"]}).json["data"]
    assert embedded["dimension"] == 384
    assert len(embedded["embeddings"]) == 2


def test_vector_quota_gives_507_and_writes_nothing(api: Api) -> None:
    key = api.tenant("tiny", limits={"max_vectors": 2})
    store(api, key, "first fact")
    store(api, key, "second fact about kangaroos")
    r = api.call(
        key,
        "POST",
        "/v1/memory/semantic",
        json={"agent_id": "support-agent", "content": "third fact about volcanoes"},
    )
    assert r.status_code == 507
    assert r.json["error"]["code"] == "QUOTA_EXCEEDED"
    assert api.call(key, "GET", "/v1/usage").json["data"]["vectors_stored"] == 2
    assert search(api, key, "volcanoes", mode="keyword") == []


def test_reserved_and_invalid_ids(api: Api, key: str) -> None:
    for bad in ("search", "batch", "a/b", ".x"):
        r = api.call(
            key, "POST", "/v1/memory/semantic", json={"agent_id": "bot", "content": "x", "id": bad}
        )
        assert r.status_code == 400, bad


def test_kept_totals_match_a_recount(api: Api, key: str, backend: Backend) -> None:
    long_text = " ".join(f"Sentence {i} of a long policy document." for i in range(150))
    a = store(api, key, "alpha fact", metadata={"k": 1})
    store(api, key, "alpha fact.", metadata={"k": 2})  # merged
    b = store(api, key, long_text)
    store(api, key, "upserted", id="mine")
    store(api, key, "upserted again, longer", id="mine")
    api.call(key, "PATCH", f"/v1/memory/semantic/{b['id']}", json={"content": "now short"})
    api.call(key, "PATCH", f"/v1/memory/semantic/{a['id']}", json={"metadata": {"big": "x" * 50}})
    api.call(key, "DELETE", "/v1/memory/semantic/mine")
    api.call(key, "POST", "/v1/memory/semantic", json={"agent_id": "gone", "content": "bye"})
    api.call(key, "DELETE", "/v1/memory/gone")
    if backend.embedded:  # the SQLite store keeps totals with triggers: compare a recount
        with sqlite3.connect(backend.settings.data_dir / "semantic.db") as conn:
            recount = conn.execute(
                "SELECT COUNT(*) FILTER (WHERE parent_id IS NULL),"
                " COUNT(*) FILTER (WHERE embedding IS NOT NULL),"
                " COALESCE(SUM(LENGTH(CAST(content AS BLOB)) + LENGTH(CAST(metadata AS BLOB)))"
                " FILTER (WHERE parent_id IS NULL), 0)"
                " FROM semantic WHERE tenant_id = 'acme' AND deleted_at IS NULL"
            ).fetchone()
            kept = conn.execute(
                "SELECT records, vectors, bytes FROM semantic_totals WHERE tenant_id = 'acme'"
            ).fetchone()
        assert kept == recount
    else:  # PostgreSQL keeps them with a trigger: compare a recount as the administrator
        import psycopg

        assert backend.postgres_admin_url is not None
        with psycopg.connect(backend.postgres_admin_url) as pg:
            recount = pg.execute(
                "SELECT COUNT(*) FILTER (WHERE parent_id IS NULL),"
                " COUNT(*) FILTER (WHERE embedding IS NOT NULL),"
                " COALESCE(SUM(octet_length(content) + octet_length(metadata))"
                " FILTER (WHERE parent_id IS NULL), 0)"
                " FROM semantic WHERE tenant_id = 'acme' AND deleted_at IS NULL"
            ).fetchone()
            kept = pg.execute(
                "SELECT SUM(records), SUM(vectors), SUM(bytes) FROM semantic_totals"
                " WHERE tenant_id = 'acme'"
            ).fetchone()
        assert kept == recount
    usage = api.call(key, "GET", "/v1/usage").json["data"]
    assert (usage["memories_stored"], usage["vectors_stored"]) == (2, 2)


def test_search_returns_stored_vectors_when_asked(api: Api, key: str) -> None:
    store(api, key, "The parcel left the depot", metadata={"n": 1})
    plain = search(api, key, "parcel", mode="vector")
    assert "embedding" not in plain[0]
    r = api.call(
        key,
        "POST",
        "/v1/memory/semantic/search",
        json={"query": "parcel", "mode": "vector", "include_embeddings": True},
    )
    hit = r.json["data"]["results"][0]
    assert len(hit["embedding"]) == 384
    assert abs(sum(x * x for x in hit["embedding"]) - 1.0) < 1e-3
    embedded = api.call(
        key, "POST", "/v1/embeddings", json={"input": ["The parcel left the depot"]}
    )
    same = embedded.json["data"]["embeddings"][0]
    assert sum(a * b for a, b in zip(same, hit["embedding"], strict=True)) > 0.999


def test_search_filters_with_containment_operators(api: Api, key: str) -> None:
    store(api, key, NOTES[0], metadata={"tags": ["account", "security"], "title": "Passwords"})
    store(api, key, NOTES[2], metadata={"tags": ["billing"], "title": "Invoices"})
    store(api, key, NOTES[4], metadata={"title": ""})
    for spec, expected in (
        ({"tags": {"$contains": "security"}}, {NOTES[0]}),
        ({"tags": {"$contains_any": ["billing", "x"]}}, {NOTES[2]}),
        ({"title": {"$icontains": "VOICE"}}, {NOTES[2]}),
        ({"title": {"$empty": True}}, {NOTES[4]}),
        ({"$not": {"tags": {"$contains_all": ["account", "security"]}}}, {NOTES[2], NOTES[4]}),
    ):
        hits = search(api, key, "anything", mode="vector", threshold=-1, metadata_filter=spec)
        assert {h["content"] for h in hits} == expected, spec
