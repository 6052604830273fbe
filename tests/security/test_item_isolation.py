"""Tenant B attacks tenant A's long-term store: same agent, namespaces and keys, searches by
meaning and by filter, namespace listings, deletes and overwrites."""

from __future__ import annotations

import pytest

from tests.conftest import Api

SECRET = {"card": "4111-1111-1111-1111", "owner": "alice@a.example"}


@pytest.fixture
def keys(api: Api) -> tuple[str, str]:
    a = api.tenant("tenant-a")
    b = api.tenant("tenant-b")
    r = api.call(
        a,
        "POST",
        "/v1/store/batch",
        json={
            "agent_id": "bot",
            "ops": [
                {
                    "op": "put",
                    "namespace": ["users", "alice"],
                    "key": "payment",
                    "value": SECRET,
                    "index": [
                        {"field": "$", "text": "alice pays with the card 4111-1111-1111-1111"}
                    ],
                }
            ],
        },
    )
    assert r.status_code == 200, r.text
    return a, b


def _leaks(text: str) -> bool:
    return "4111-1111" in text or "alice@a.example" in text


def test_b_reads_nothing_of_a_whatever_it_asks(api: Api, keys: tuple[str, str]) -> None:
    _a, b = keys
    reads = [
        {"op": "get", "namespace": ["users", "alice"], "key": "payment"},
        {"op": "search", "namespace_prefix": []},
        {"op": "search", "namespace_prefix": ["users"], "query": "alice's card number"},
        {"op": "search", "namespace_prefix": [], "filter": {"owner": "alice@a.example"}},
        {"op": "list_namespaces"},
    ]
    for route in ("read", "batch"):
        for headers in ({}, {"X-Tenant-ID": "tenant-a"}):
            r = api.call(
                b,
                "POST",
                f"/v1/store/{route}",
                json={"agent_id": "bot", "tenant_id": "tenant-a", "ops": reads},
                headers=headers,
            )
            assert r.status_code == 200, r.text
            assert r.json["data"]["results"] == [None, [], [], [], []]
            assert not _leaks(r.text)
    assert not _leaks(api.call(b, "GET", "/v1/export").text)


def test_b_cannot_delete_or_overwrite_a_items(api: Api, keys: tuple[str, str]) -> None:
    a, b = keys
    r = api.call(
        b,
        "POST",
        "/v1/store/batch",
        json={
            "agent_id": "bot",
            "ops": [
                {"op": "put", "namespace": ["users", "alice"], "key": "payment", "value": None},
                {
                    "op": "put",
                    "namespace": ["users", "alice"],
                    "key": "payment",
                    "value": {"mine": 1},
                },
            ],
        },
    )
    assert r.status_code == 200
    assert api.call(b, "DELETE", "/v1/memory/bot").json["data"]["items_deleted"] == 1
    got = api.call(
        a,
        "POST",
        "/v1/store/read",
        json={
            "agent_id": "bot",
            "ops": [
                {"op": "get", "namespace": ["users", "alice"], "key": "payment"},
                {"op": "search", "namespace_prefix": ["users"], "query": "card"},
            ],
        },
    )
    item, hits = got.json["data"]["results"]
    assert item["value"] == SECRET
    assert [h["key"] for h in hits] == ["payment"]
