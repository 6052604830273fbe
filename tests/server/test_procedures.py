"""Procedural memory: immutable versions, latest-active reads, lists, deletion, isolation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api

TOOL = {
    "name": "refund",
    "parameters": {"type": "object", "properties": {"amount": {"type": "number"}}},
}


@pytest.fixture
def key(api: Api) -> str:
    return api.tenant("acme")


def add(
    api: Api, key: str, name: str, definition: Any, kind: str = "tool", **extra: Any
) -> dict[str, Any]:
    r = api.call(
        key,
        "POST",
        "/v1/memory/procedural",
        json={"agent_id": "bot", "name": name, "type": kind, "definition": definition, **extra},
    )
    assert r.status_code == 201, r.text
    return dict(r.json["data"])


def test_each_post_adds_an_immutable_version(api: Api, key: str) -> None:
    v1 = add(api, key, "refund", TOOL, description="Refund an order")
    v2 = add(api, key, "refund", {**TOOL, "strict": True})
    assert (v1["version"], v2["version"]) == (1, 2)
    latest = api.call(key, "GET", "/v1/memory/procedural/bot/refund").json["data"]
    assert latest["version"] == 2
    assert latest["definition"]["strict"] is True
    first = api.call(key, "GET", "/v1/memory/procedural/bot/refund", params={"version": "1"}).json[
        "data"
    ]
    assert first["definition"] == TOOL
    assert first["description"] == "Refund an order"
    versions = api.call(key, "GET", "/v1/memory/procedural/bot/refund/versions").json["data"]
    assert [v["version"] for v in versions["procedures"]] == [1, 2]
    missing = api.call(key, "GET", "/v1/memory/procedural/bot/refund", params={"version": "9"})
    assert missing.status_code == 404


def test_reads_give_the_latest_active_version(api: Api, key: str) -> None:
    add(api, key, "greeting", "Hello {name}", kind="prompt")
    add(api, key, "greeting", "Hi {name}, draft", kind="prompt", active=False)
    assert (
        api.call(key, "GET", "/v1/memory/procedural/bot/greeting").json["data"]["definition"]
        == "Hello {name}"
    )
    draft = api.call(key, "GET", "/v1/memory/procedural/bot/greeting", params={"version": "2"})
    assert draft.json["data"]["active"] is False


def test_list_shows_the_latest_of_each_name_with_cursors(api: Api, key: str) -> None:
    for name in ("a-rule", "b-rule", "c-rule"):
        add(api, key, name, {"when": name}, kind="rule")
        add(api, key, name, {"when": name, "v": 2}, kind="rule")
    page = api.call(key, "GET", "/v1/memory/procedural/bot", params={"limit": "2"}).json["data"]
    assert [(p["name"], p["version"]) for p in page["procedures"]] == [("a-rule", 2), ("b-rule", 2)]
    rest = api.call(
        key,
        "GET",
        "/v1/memory/procedural/bot",
        params={"limit": "2", "cursor": page["next_cursor"]},
    ).json["data"]
    assert [p["name"] for p in rest["procedures"]] == ["c-rule"]
    assert rest["next_cursor"] is None


def test_delete_removes_every_version_and_numbers_are_never_reused(api: Api, key: str) -> None:
    add(api, key, "refund", TOOL)
    add(api, key, "refund", TOOL)
    deleted = api.call(key, "DELETE", "/v1/memory/procedural/bot/refund").json["data"]
    assert deleted["versions_deleted"] == 2
    assert api.call(key, "GET", "/v1/memory/procedural/bot/refund").status_code == 404
    assert add(api, key, "refund", TOOL)["version"] == 3


@pytest.mark.parametrize(
    "body",
    [
        {"type": "macro"},
        {"type": "tool", "definition": "not an object"},
        {"type": "schema", "definition": [1]},
        {"name": "a b"},
        {"definition": None, "type": "prompt"},
    ],
)
def test_bad_definitions_are_400(api: Api, key: str, body: dict[str, Any]) -> None:
    base = {"agent_id": "bot", "name": "x", "type": "tool", "definition": {}}
    assert api.call(key, "POST", "/v1/memory/procedural", json=base | body).status_code == 400


def test_purge_and_isolation(api: Api, key: str) -> None:
    other = api.tenant("globex")
    add(api, key, "secret-tool", {"endpoint": "https://initech.internal"})
    for method, path in (
        ("GET", "/v1/memory/procedural/bot"),
        ("GET", "/v1/memory/procedural/bot/secret-tool"),
        ("GET", "/v1/memory/procedural/bot/secret-tool/versions"),
        ("DELETE", "/v1/memory/procedural/bot/secret-tool"),
    ):
        r = api.call(other, method, path)
        assert "initech" not in r.text
        assert r.status_code in (200, 404)
    assert api.call(other, "DELETE", "/v1/memory/bot").json["data"]["procedural_deleted"] == 0
    purged = api.call(key, "DELETE", "/v1/memory/bot").json["data"]
    assert purged["procedural_deleted"] == 1
    assert purged["deleted"]["procedural"] == 1
    assert api.call(key, "GET", "/v1/memory/procedural/bot").json["data"]["count"] == 0
