"""``Idempotency-Key``: a retried write returns the first answer and writes once."""

from __future__ import annotations

from tests.backends import Backend
from tests.conftest import Api


def test_retried_post_returns_the_first_answer_and_writes_once(api: Api) -> None:
    key = api.tenant("acme")
    body = {"agent_id": "bot", "data": {"n": 1}}
    headers = {"Idempotency-Key": "retry-1"}
    first = api.call(key, "POST", "/v1/state", json=body, headers=headers)
    second = api.call(key, "POST", "/v1/state", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json["data"] == second.json["data"]
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.json["meta"]["request_id"] != second.json["meta"]["request_id"]
    assert api.call(key, "GET", "/v1/state/bot").json["data"]["version"] == 1
    third = api.call(key, "POST", "/v1/state", json=body, headers={"Idempotency-Key": "retry-2"})
    assert third.json["data"]["version"] == 2


def test_reusing_a_key_for_another_request_is_a_conflict(api: Api) -> None:
    key = api.tenant("acme")
    headers = {"Idempotency-Key": "k"}
    api.call(key, "POST", "/v1/state", json={"agent_id": "bot", "data": {"n": 1}}, headers=headers)
    other = api.call(
        key, "POST", "/v1/state", json={"agent_id": "bot", "data": {"n": 2}}, headers=headers
    )
    assert other.status_code == 409
    assert other.json["error"]["code"] == "IDEMPOTENCY_CONFLICT"
    assert api.call(key, "GET", "/v1/state/bot").json["data"]["data"] == {"n": 1}


def test_idempotency_keys_of_different_tenants_never_meet(api: Api) -> None:
    a = api.tenant("a")
    b = api.tenant("b")
    headers = {"Idempotency-Key": "same"}
    body = {"agent_id": "bot", "data": {"secret": "of a"}}
    api.call(a, "POST", "/v1/state", json=body, headers=headers)
    replay_for_b = api.call(b, "POST", "/v1/state", json=body, headers=headers)
    assert replay_for_b.status_code == 201
    assert replay_for_b.headers.get("Idempotent-Replayed") is None
    # B's write happened in B's space; A's document is untouched and still version 1.
    assert api.call(a, "GET", "/v1/state/bot").json["data"]["version"] == 1
    assert api.call(b, "GET", "/v1/state/bot").json["data"]["version"] == 1


def test_failed_validation_is_replayed_but_a_fixed_request_needs_a_new_key(api: Api) -> None:
    key = api.tenant("acme")
    headers = {"Idempotency-Key": "v"}
    bad = api.call(key, "PUT", "/v1/state/bot", json={"data": {}, "version": 1}, headers=headers)
    assert bad.status_code == 404
    again = api.call(key, "PUT", "/v1/state/bot", json={"data": {}, "version": 1}, headers=headers)
    assert again.status_code == 404
    assert again.headers.get("Idempotent-Replayed") == "true"


def test_rate_limited_writes_are_not_remembered(api: Api) -> None:
    key = api.tenant("acme", limits={"calls_per_day": 1})
    api.call(key, "GET", "/v1/usage")
    refused = api.call(
        key,
        "POST",
        "/v1/state",
        json={"agent_id": "bot", "data": {}},
        headers={"Idempotency-Key": "later"},
    )
    assert refused.status_code == 429
    api.admin("PATCH", "/v1/admin/tenants/acme", json={"limits": {"calls_per_day": 10}})
    retried = api.call(
        key,
        "POST",
        "/v1/state",
        json={"agent_id": "bot", "data": {}},
        headers={"Idempotency-Key": "later"},
    )
    assert retried.status_code == 201


def test_bad_idempotency_keys_are_rejected(api: Api) -> None:
    key = api.tenant("acme")
    r = api.call(
        key,
        "POST",
        "/v1/state",
        json={"agent_id": "bot", "data": {}},
        headers={"Idempotency-Key": "x" * 300},
    )
    assert r.status_code == 400
    assert api.call(key, "GET", "/v1/state/bot").status_code == 404


def test_purge_removes_the_agents_idempotency_records(api: Api, backend: Backend) -> None:
    key = api.tenant("acme")
    for agent, idempotency_key in (("purged-bot", "key-of-purged"), ("keep", "key-of-kept")):
        api.call(
            key,
            "POST",
            "/v1/state",
            json={"agent_id": agent, "data": {}},
            headers={"Idempotency-Key": idempotency_key},
        )
    stored = backend.stored()
    assert any("key-of-purged" in text for text in stored)
    api.call(key, "DELETE", "/v1/memory/purged-bot")
    stored = backend.stored()
    assert [text for text in stored if "key-of-purged" in text or "purged-bot" in text] == []
    assert any("key-of-kept" in text for text in stored)
