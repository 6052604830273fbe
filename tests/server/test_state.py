"""Working memory through the real app: the semantics promised in DESIGN.md section 2."""

from __future__ import annotations

import pytest

from tests.conftest import Api, Clock


@pytest.fixture
def key(api: Api) -> str:
    return api.tenant("acme")


def test_post_then_get_round_trips_exactly(api: Api, key: str) -> None:
    data = {"plan": ["a", "b"], "n": 1, "f": 1.0, "nested": {"deep": [None, True, {"x": "ü"}]}}
    written = api.call(key, "POST", "/v1/state", json={"agent_id": "bot", "data": data})
    assert written.status_code == 201
    body = written.json
    assert body["data"]["version"] == 1
    assert body["data"]["session_id"] == "default"
    assert body["meta"]["request_id"].startswith("req_")
    read = api.call(key, "GET", "/v1/state/bot")
    assert read.status_code == 200
    assert read.json["data"]["data"] == data
    assert isinstance(read.json["data"]["data"]["n"], int)
    assert isinstance(read.json["data"]["data"]["f"], float)


def test_post_versions_grow_monotonically_and_survive_delete(api: Api, key: str) -> None:
    versions = []
    for i in range(3):
        r = api.call(
            key, "POST", "/v1/state", json={"agent_id": "bot", "session_id": "s", "data": {"i": i}}
        )
        versions.append(r.json["data"]["version"])
    assert versions == [1, 2, 3]
    assert api.call(key, "DELETE", "/v1/state/bot/s").status_code == 204
    assert api.call(key, "GET", "/v1/state/bot", params={"session_id": "s"}).status_code == 404
    again = api.call(
        key, "POST", "/v1/state", json={"agent_id": "bot", "session_id": "s", "data": {}}
    )
    assert again.json["data"]["version"] == 4, "a re-created session continues its versions"
    # A client still holding version 3 cannot overwrite the re-created document.
    stale = api.call(
        key, "PUT", "/v1/state/bot", json={"session_id": "s", "data": {}, "version": 3}
    )
    assert stale.status_code == 409


def test_put_with_matching_version_succeeds_and_stale_version_conflicts(api: Api, key: str) -> None:
    api.call(key, "POST", "/v1/state", json={"agent_id": "bot", "data": {"a": 1}})
    ok = api.call(key, "PUT", "/v1/state/bot", json={"data": {"a": 2}, "version": 1})
    assert ok.status_code == 200
    assert ok.json["data"]["version"] == 2
    stale = api.call(key, "PUT", "/v1/state/bot", json={"data": {"a": 3}, "version": 1})
    assert stale.status_code == 409
    assert stale.json["error"]["code"] == "VERSION_CONFLICT"
    assert stale.json["error"]["details"]["current_version"] == 2
    assert api.call(key, "GET", "/v1/state/bot").json["data"]["data"] == {"a": 2}


def test_put_on_missing_session_is_404(api: Api, key: str) -> None:
    r = api.call(key, "PUT", "/v1/state/bot", json={"data": {}, "version": 1, "session_id": "nope"})
    assert r.status_code == 404
    assert r.json["error"]["code"] == "NOT_FOUND"


def test_ttl_is_optional_sliding_and_expired_state_is_invisible(
    api: Api, key: str, clock: Clock
) -> None:
    none = api.call(key, "POST", "/v1/state", json={"agent_id": "bot", "data": {}})
    assert none.json["data"]["expires_at"] is None
    first = api.call(
        key,
        "POST",
        "/v1/state",
        json={"agent_id": "bot", "session_id": "t", "data": {"v": 1}, "ttl_hours": 1},
    )
    expires_first = first.json["data"]["expires_at"]
    clock.advance(50 * 60)
    slid = api.call(
        key,
        "PUT",
        "/v1/state/bot",
        json={"session_id": "t", "data": {"v": 2}, "version": 1, "ttl_hours": 1},
    )
    assert slid.json["data"]["expires_at"] > expires_first
    clock.advance(50 * 60)  # 100 minutes after the first write: alive thanks to the slide
    assert api.call(key, "GET", "/v1/state/bot", params={"session_id": "t"}).status_code == 200
    # A write without ttl_hours keeps the expiry where it is.
    kept = api.call(
        key, "PUT", "/v1/state/bot", json={"session_id": "t", "data": {"v": 3}, "version": 2}
    )
    assert kept.json["data"]["expires_at"] == slid.json["data"]["expires_at"]
    clock.advance(11 * 60)
    assert api.call(key, "GET", "/v1/state/bot", params={"session_id": "t"}).status_code == 404
    sessions = api.call(key, "GET", "/v1/state/bot/sessions").json["data"]["sessions"]
    assert sessions == ["default"]
    gone = api.call(key, "PUT", "/v1/state/bot", json={"session_id": "t", "data": {}, "version": 3})
    assert gone.status_code == 404


def test_explicit_null_ttl_clears_the_expiry(api: Api, key: str, clock: Clock) -> None:
    api.call(key, "POST", "/v1/state", json={"agent_id": "bot", "data": {}, "ttl_hours": 1})
    cleared = api.call(
        key, "POST", "/v1/state", json={"agent_id": "bot", "data": {}, "ttl_hours": None}
    )
    assert cleared.json["data"]["expires_at"] is None
    clock.advance(7200)
    assert api.call(key, "GET", "/v1/state/bot").status_code == 200


def test_patch_applies_a_json_merge_patch(api: Api, key: str) -> None:
    api.call(
        key,
        "POST",
        "/v1/state",
        json={"agent_id": "bot", "data": {"a": 1, "b": {"c": 1, "d": 2}, "e": 5}},
    )
    r = api.call(
        key,
        "PATCH",
        "/v1/state/bot",
        json={"patch": {"b": {"c": None, "x": 9}, "e": None, "f": [1]}, "version": 1},
    )
    assert r.status_code == 200
    assert r.json["data"]["data"] == {"a": 1, "b": {"d": 2, "x": 9}, "f": [1]}
    assert r.json["data"]["version"] == 2
    stale = api.call(key, "PATCH", "/v1/state/bot", json={"patch": {"a": 2}, "version": 1})
    assert stale.status_code == 409
    unversioned = api.call(key, "PATCH", "/v1/state/bot", json={"patch": {"a": 2}})
    assert unversioned.json["data"]["version"] == 3
    missing = api.call(key, "PATCH", "/v1/state/bot", json={"patch": {}, "session_id": "x"})
    assert missing.status_code == 404


def test_state_over_400_kb_is_413_and_nothing_is_written(api: Api, key: str) -> None:
    big = {"blob": "x" * (400 * 1024)}
    r = api.call(key, "POST", "/v1/state", json={"agent_id": "bot", "data": big})
    assert r.status_code == 413
    assert r.json["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert api.call(key, "GET", "/v1/state/bot").status_code == 404


def test_body_over_the_request_limit_is_413(api: Api, key: str) -> None:
    r = api.call(
        key,
        "POST",
        "/v1/state",
        body=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 413


def test_sessions_are_cursor_paged(api: Api, key: str) -> None:
    names = [f"s{i:03d}" for i in range(25)]
    for name in names:
        api.call(key, "POST", "/v1/state", json={"agent_id": "bot", "session_id": name, "data": {}})
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": "10"} | ({"cursor": cursor} if cursor else {})
        page = api.call(key, "GET", "/v1/state/bot/sessions", params=params).json["data"]
        assert page["count"] == len(page["sessions"])
        seen += page["sessions"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == names
    assert pages == 3


def test_a_session_named_sessions_can_be_deleted(api: Api, key: str) -> None:
    api.call(
        key, "POST", "/v1/state", json={"agent_id": "bot", "session_id": "sessions", "data": {}}
    )
    assert api.call(key, "DELETE", "/v1/state/bot/sessions").status_code == 204
    assert (
        api.call(key, "GET", "/v1/state/bot", params={"session_id": "sessions"}).status_code == 404
    )


@pytest.mark.parametrize(
    ("agent_id", "session_id"),
    [
        ("", "s"),
        ("a b", "s"),
        ("a#b", "s"),
        (".hidden", "s"),
        ("x" * 257, "s"),
        ("semantic", "s"),
        ("bot", "s/t"),
        ("bot", "s\n"),
        ("bot", "s\x00"),
        ("bot", ""),
    ],
)
def test_bad_identifiers_are_rejected_with_400(
    api: Api, key: str, agent_id: str, session_id: str
) -> None:
    r = api.call(
        key, "POST", "/v1/state", json={"agent_id": agent_id, "session_id": session_id, "data": {}}
    )
    assert r.status_code == 400
    assert r.json["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("path", ["/v1/state/a%23b", "/v1/state/.x", "/v1/state/search"])
def test_bad_agent_ids_in_paths_are_rejected(api: Api, key: str, path: str) -> None:
    r = api.call(key, "GET", path)
    assert r.status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[1,2]",
        b'{"agent_id": "a", "data": NaN}',
        b"[" * 100_000,
        b'{"agent_id": "a"}',
        b'{"agent_id": "a", "data": []}',
        b'{"agent_id": 5, "data": {}}',
        b'{"agent_id": "a", "data": {}, "ttl_hours": -1}',
        b'{"agent_id": "a", "data": {}, "x": 1}',
        b"\xff\xfe",
    ],
)
def test_bad_bodies_get_a_clear_400_never_a_500(api: Api, key: str, body: bytes) -> None:
    r = api.call(key, "POST", "/v1/state", body=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json["error"]["code"] in {"VALIDATION_ERROR", "INVALID_JSON"}
    assert r.json["error"]["message"]


def test_version_must_be_an_integer(api: Api, key: str) -> None:
    api.call(key, "POST", "/v1/state", json={"agent_id": "bot", "data": {}})
    for version in (True, "1", 1.5, None, -1):
        r = api.call(key, "PUT", "/v1/state/bot", json={"data": {}, "version": version})
        assert r.status_code == 400, version


def test_version_zero_creates_a_session_only_once(api: Api, key: str) -> None:
    body = {"session_id": "new", "data": {"n": 1}, "version": 0}
    created = api.call(key, "PUT", "/v1/state/bot", json=body)
    assert created.status_code == 200, created.text
    assert created.json["data"]["version"] == 1
    again = api.call(key, "PUT", "/v1/state/bot", json={**body, "data": {"n": 2}})
    assert again.status_code == 409
    assert again.json["error"]["code"] == "VERSION_CONFLICT"
    current = api.call(key, "GET", "/v1/state/bot", params={"session_id": "new"})
    assert current.json["data"]["data"] == {"n": 1}


def test_unknown_routes_and_methods_answer_in_the_envelope(api: Api, key: str) -> None:
    missing = api.call(key, "GET", "/v1/nowhere")
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == "NOT_FOUND"
    wrong = api.call(key, "DELETE", "/v1/state")
    assert wrong.status_code == 405
    assert wrong.json["error"]["code"] == "METHOD_NOT_ALLOWED"
