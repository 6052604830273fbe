"""The long-term store over HTTP (both configurations): batches, order, filters, search by
meaning, namespaces, TTL, read-only keys, bad input, purge and export."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Api, Clock


@pytest.fixture
def key(api: Api) -> str:
    return api.tenant("acme")


def batch(api: Api, key: str, *ops: dict[str, Any], route: str = "batch") -> list[Any]:
    r = api.call(key, "POST", f"/v1/store/{route}", json={"agent_id": "bot", "ops": list(ops)})
    assert r.status_code == 200, r.text
    return list(r.json["data"]["results"])


def put(ns: list[str], key: str, value: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    return {"op": "put", "namespace": ns, "key": key, "value": value, **extra}


def search(prefix: list[str], **extra: Any) -> dict[str, Any]:
    return {"op": "search", "namespace_prefix": prefix, **extra}


def test_reads_see_the_store_before_the_batch_and_listing_order(api: Api, key: str) -> None:
    got = batch(
        api,
        key,
        put(["users", "u1"], "a", {"n": 1}),
        {"op": "get", "namespace": ["users", "u1"], "key": "a"},
        put(["docs"], "x", {"n": 2}),
        put(["users", "u1"], "b", {"n": 3}),
        put(["users", "u1"], "a", {"n": 4}),  # the last put of an item wins, in its first place
    )
    assert got == [None, None, None, None, None]
    listed = batch(api, key, search([], limit=10))[0]
    assert [(i["namespace"], i["key"], i["value"]) for i in listed] == [
        (["users", "u1"], "a", {"n": 4}),
        (["users", "u1"], "b", {"n": 3}),
        (["docs"], "x", {"n": 2}),
    ]
    item = batch(api, key, {"op": "get", "namespace": ["users", "u1"], "key": "a"})[0]
    assert item["value"] == {"n": 4}
    assert item["created_at"] <= item["updated_at"]
    # A deleted and re-put item goes to the end of its namespace.
    batch(api, key, put(["users", "u1"], "a", None))
    batch(api, key, put(["users", "u1"], "a", {"n": 5}))
    assert [i["key"] for i in batch(api, key, search(["users"]))[0]] == ["b", "a"]
    # Prefixes match whole labels.
    batch(api, key, put(["usersX"], "y", {"n": 6}))
    assert {tuple(i["namespace"]) for i in batch(api, key, search(["users"]))[0]} == {
        ("users", "u1")
    }


def test_filters_offsets_and_namespaces(api: Api, key: str) -> None:
    batch(
        api,
        key,
        *[
            put(
                ["prefs", f"u{i % 2}"],
                f"k{i}",
                {"score": i, "kind": "a" if i < 3 else "b", "tags": {"x": i % 2}},
            )
            for i in range(6)
        ],
    )

    def keys(**extra: Any) -> list[str]:
        return [i["key"] for i in batch(api, key, search(["prefs"], **extra))[0]]

    assert keys(filter={"kind": "a"}) == ["k0", "k2", "k1"]
    assert keys(filter={"score": {"$gte": 2, "$lt": 5}}) == ["k2", "k4", "k3"]
    assert keys(filter={"score": {"$ne": 0}, "tags": {"x": 1}}) == ["k1", "k3", "k5"]
    assert keys(filter={"missing": {"$gt": 1}}) == []
    assert keys(offset=2, limit=2) == ["k4", "k1"]
    r = api.call(
        key,
        "POST",
        "/v1/store/batch",
        json={"agent_id": "bot", "ops": [search(["prefs"], filter={"score": {"$regex": "."}})]},
    )
    assert r.status_code == 400
    assert "$regex" in r.json["error"]["message"]
    batch(api, key, put(["prefs", "u0", "deep"], "z", {"n": 1}), put(["a", "prefs"], "q", {}))
    namespaces = batch(
        api,
        key,
        {"op": "list_namespaces"},
        {"op": "list_namespaces", "max_depth": 1},
        {
            "op": "list_namespaces",
            "match_conditions": [{"match_type": "prefix", "path": ["prefs", "*"]}],
        },
        {
            "op": "list_namespaces",
            "match_conditions": [{"match_type": "suffix", "path": ["prefs"]}],
        },
        {"op": "list_namespaces", "limit": 1, "offset": 1},
        route="read",
    )
    assert namespaces == [
        [["a", "prefs"], ["prefs", "u0"], ["prefs", "u0", "deep"], ["prefs", "u1"]],
        [["a"], ["prefs"]],
        [["prefs", "u0"], ["prefs", "u0", "deep"], ["prefs", "u1"]],
        [["a", "prefs"]],
        [["prefs", "u0"]],
    ]


def test_search_by_meaning_ranks_by_the_best_field_then_fills_with_unindexed(
    api: Api, key: str
) -> None:
    def indexed(k: str, text: str, *more: str) -> dict[str, Any]:
        fields = [{"field": "$", "text": text}] + [
            {"field": f"extra.{i}", "text": t} for i, t in enumerate(more)
        ]
        return put(["mem"], k, {"text": text}, index=fields)

    batch(
        api,
        key,
        indexed("pasta", "Alice loves Italian food, especially pasta carbonara"),
        indexed("sport", "Bob plays tennis on Sundays", "He also cooks pizza for friends"),
        indexed("cars", "The car needs new tyres before winter"),
        put(["mem"], "plain", {"text": "not indexed"}),
    )
    hits = batch(api, key, search(["mem"], query="what food does someone like?", limit=4))[0]
    assert [h["key"] for h in hits][:2] == ["pasta", "sport"]  # sport by its second field
    assert hits[-1]["key"] == "plain"
    assert hits[-1]["score"] is None
    assert all(isinstance(h["score"], float) for h in hits[:3])
    assert hits[0]["score"] > hits[2]["score"]
    only = batch(api, key, search(["mem"], query="tyres", limit=1, filter={"text": {"$ne": ""}}))[0]
    assert [h["key"] for h in only] == ["cars"]
    usage = api.call(key, "GET", "/v1/usage").json["data"]
    assert usage["items_stored"] == 4
    assert usage["item_vectors_stored"] == 4
    assert usage["embeddings_generated_today"] >= 6


def test_ttl_expires_items_and_reads_refresh_it(api: Api, key: str, clock: Clock) -> None:
    batch(api, key, put(["s"], "short", {"v": 1}, ttl=1.0), put(["s"], "forever", {"v": 2}))
    clock.advance(50)
    assert batch(api, key, {"op": "get", "namespace": ["s"], "key": "short"})[0] is not None
    clock.advance(50)  # 100 s after the write, but 50 s after the refreshing read
    assert batch(api, key, {"op": "get", "namespace": ["s"], "key": "short", "refresh_ttl": False})[
        0
    ]
    clock.advance(15)
    assert batch(api, key, {"op": "get", "namespace": ["s"], "key": "short"})[0] is None
    assert [i["key"] for i in batch(api, key, search(["s"]))[0]] == ["forever"]


def test_read_only_keys_and_bad_input(api: Api, key: str) -> None:
    batch(api, key, put(["n"], "k", {"v": 1}))
    reader = api.new_key("acme", scope="read_only")
    assert batch(api, reader, {"op": "get", "namespace": ["n"], "key": "k"}, route="read")[0]
    denied = api.call(
        reader,
        "POST",
        "/v1/store/batch",
        json={"agent_id": "bot", "ops": [put(["n"], "k", {"v": 2})]},
    )
    assert denied.status_code == 403
    sneaky = api.call(
        reader,
        "POST",
        "/v1/store/read",
        json={"agent_id": "bot", "ops": [put(["n"], "k", {"v": 2})]},
    )
    assert sneaky.status_code == 400
    bad_ops = [
        put(["a.b"], "k", {}),
        put([], "k", {}),
        put([""], "k", {}),
        put(["n"], "k", [1, 2]),
        {"op": "explode"},
        search(["n"], limit=-1),
        {"op": "list_namespaces", "max_depth": 0},
    ]
    for op in bad_ops:
        r = api.call(key, "POST", "/v1/store/batch", json={"agent_id": "bot", "ops": [op]})
        assert r.status_code == 400, (op, r.text)
    assert batch(api, key, {"op": "get", "namespace": ["n"], "key": "k"})[0]["value"] == {"v": 1}


def test_purge_export_and_import(api: Api, key: str) -> None:
    batch(
        api,
        key,
        put(["m"], "k", {"secret": "s3"}, index=[{"field": "$", "text": "secret"}], ttl=60.0),
    )
    exported = api.call(key, "GET", "/v1/export", params={"agent_id": "bot"})
    lines = [json.loads(line) for line in exported.text.splitlines() if line.strip()]
    items = [line for line in lines if line["kind"] == "item"]
    assert len(items) == 1
    assert len(items[0]["vectors"]) == 1
    purged = api.call(key, "DELETE", "/v1/memory/bot").json["data"]
    assert purged["items_deleted"] == 1
    assert batch(api, key, {"op": "get", "namespace": ["m"], "key": "k"})[0] is None
    body = "\n".join(json.dumps(line) for line in lines).encode()
    imported = api.call(
        key, "POST", "/v1/import", body=body, headers={"Content-Type": "application/x-ndjson"}
    )
    assert imported.json["data"]["stored"]["item"] == 1
    hits = batch(api, key, search(["m"], query="secret"))[0]
    assert hits[0]["value"] == {"secret": "s3"}
    assert hits[0]["score"] > 0.9
    again = api.call(
        key, "POST", "/v1/import", body=body, headers={"Content-Type": "application/x-ndjson"}
    )
    assert again.json["data"]["stored"]["item"] == 0


def test_a_delete_that_names_index_texts_embeds_nothing(api: Api, key: str) -> None:
    put = {"op": "put", "namespace": ["a"], "key": "k", "value": {"text": "hello"}}
    assert (
        api.call(key, "POST", "/v1/store/batch", json={"agent_id": "bot", "ops": [put]}).status_code
        == 200
    )
    delete = {
        "op": "put",
        "namespace": ["a"],
        "key": "k",
        "value": None,
        "index": [{"field": "text", "text": "ignored for a delete"}],
    }
    done = api.call(key, "POST", "/v1/store/batch", json={"agent_id": "bot", "ops": [delete]})
    assert done.status_code == 200, done.text  # found by the OpenAPI fuzz: it was a 500
    get = {"op": "get", "namespace": ["a"], "key": "k"}
    read = api.call(key, "POST", "/v1/store/read", json={"agent_id": "bot", "ops": [get]})
    assert read.json["data"]["results"] == [None]
