"""Tenant B attacks tenant A's working memory through every route and every input."""

from __future__ import annotations

import pytest

from tests.conftest import Api

SECRET = {"card": "4111-1111-1111-1111", "owner": "alice@a.example"}


@pytest.fixture
def keys(api: Api) -> tuple[str, str]:
    a = api.tenant("tenant-a")
    b = api.tenant("tenant-b")
    for session in ("default", "s1"):
        r = api.call(
            a, "POST", "/v1/state", json={"agent_id": "bot", "session_id": session, "data": SECRET}
        )
        assert r.status_code == 201
    return a, b


def _leaks(text: str) -> bool:
    """Whether an answer contains any of tenant A's data (echoes of B's own input are fine)."""
    return "4111-1111" in text or "alice@a.example" in text


def test_b_cannot_read_a_state_whatever_it_sends(api: Api, keys: tuple[str, str]) -> None:
    _, b = keys
    attempts = [
        ("GET", "/v1/state/bot", {}, {}),
        ("GET", "/v1/state/bot", {"session_id": "s1"}, {}),
        ("GET", "/v1/state/bot", {"tenant_id": "tenant-a"}, {}),
        ("GET", "/v1/state/bot", {}, {"X-Tenant-ID": "tenant-a"}),
        ("GET", "/v1/state/bot", {}, {"X-Mnemora-Tenant": "tenant-a"}),
        ("GET", "/v1/state/tenant-a:bot", {}, {}),
        ("GET", "/v1/state/tenant-a%23bot", {}, {}),
        ("GET", "/v1/state/..%2Ftenant-a", {}, {}),
        ("GET", "/v1/state/bot/sessions", {}, {}),
        ("GET", "/v1/state/bot/sessions", {"tenant_id": "tenant-a"}, {}),
    ]
    for method, path, params, headers in attempts:
        r = api.call(b, method, path, params=params, headers=headers)
        assert r.status_code in (200, 400, 404, 405), (path, r.status_code)
        assert not _leaks(r.text), (path, params, headers)
        if r.status_code == 200:
            assert r.json["data"]["sessions"] == []


def test_b_cannot_change_or_delete_a_state(api: Api, keys: tuple[str, str]) -> None:
    a, b = keys
    writes = [
        ("PUT", "/v1/state/bot", {"data": {"pwned": 1}, "version": 1}),
        ("PUT", "/v1/state/bot", {"data": {"pwned": 1}, "version": 1, "tenant_id": "tenant-a"}),
        ("PATCH", "/v1/state/bot", {"patch": {"pwned": 1}}),
        ("PATCH", "/v1/state/bot", {"patch": {"pwned": 1}, "session_id": "s1"}),
        ("DELETE", "/v1/state/bot/s1", None),
        ("DELETE", "/v1/state/bot/default", None),
    ]
    for method, path, body in writes:
        r = api.call(b, method, path, json=body)
        assert r.status_code == 404, (method, path, body)
        assert not _leaks(r.text)
    # A POST naming A in the body lands in B's own space.
    r = api.call(
        b,
        "POST",
        "/v1/state",
        json={"agent_id": "bot", "data": {"pwned": 1}, "tenant_id": "tenant-a"},
        headers={"X-Tenant-ID": "tenant-a"},
    )
    assert r.status_code == 201
    assert r.json["data"]["version"] == 1, "B's write created B's own document"
    purge = api.call(b, "DELETE", "/v1/memory/bot")
    assert purge.json["data"]["state_deleted"] == 1, "B's purge removed only B's document"
    for session in ("default", "s1"):
        mine = api.call(a, "GET", "/v1/state/bot", params={"session_id": session})
        assert mine.json["data"]["data"] == SECRET
        assert mine.json["data"]["version"] == 1


def test_cursors_cannot_be_altered_to_reach_another_tenant(api: Api, keys: tuple[str, str]) -> None:
    import base64
    import json

    _, b = keys
    forged = [
        base64.urlsafe_b64encode(json.dumps(p).encode()).decode().rstrip("=")
        for p in (
            {"k": "sessions", "after": "", "tenant_id": "tenant-a"},
            {"k": "sessions", "after": "", "tenant": "tenant-a", "agent_id": "bot"},
            {"k": "tenants", "after": ""},
        )
    ]
    for cursor in forged:
        r = api.call(b, "GET", "/v1/state/bot/sessions", params={"cursor": cursor})
        assert not _leaks(r.text)
        if r.status_code == 200:
            assert r.json["data"]["sessions"] == []


def test_b_usage_shows_nothing_of_a(api: Api, keys: tuple[str, str]) -> None:
    _, b = keys
    usage = api.call(b, "GET", "/v1/usage").json["data"]
    assert usage["tenant_id"] == "tenant-b"
    assert usage["sessions_count"] == 0
    assert usage["storage_bytes"] == 0
