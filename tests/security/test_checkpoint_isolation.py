"""Tenant B attacks tenant A's checkpoints: it knows A's agent, thread and checkpoint ids and
tries every checkpoint route with them, with tenant ids in bodies and headers."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.conftest import Api

SECRET = b"A's card is 4111-1111-1111-1111"
CHECKPOINT_ID = "1f0c0000-0000-6000-8000-000000000001"


@pytest.fixture
def keys(api: Api) -> tuple[str, str]:
    a = api.tenant("tenant-a")
    b = api.tenant("tenant-b")
    stored = api.call(
        a,
        "POST",
        "/v1/checkpoints",
        json={
            "agent_id": "bot",
            "thread_id": "ticket-42",
            "checkpoint": {"v": 1, "id": CHECKPOINT_ID, "channel_versions": {"messages": 1}},
            "metadata": {"run_id": "run-a", "owner": "alice@a.example"},
            "blobs": [
                {
                    "channel": "messages",
                    "version": 1,
                    "type": "bytes",
                    "data": base64.b64encode(SECRET).decode(),
                }
            ],
        },
    )
    assert stored.status_code == 201, stored.text
    wrote = api.call(
        a,
        "POST",
        "/v1/checkpoints/writes",
        json={
            "agent_id": "bot",
            "thread_id": "ticket-42",
            "checkpoint_id": CHECKPOINT_ID,
            "task_id": "t",
            "writes": [{"idx": 0, "channel": "c", "type": "bytes", "data": "c2VjcmV0"}],
        },
    )
    assert wrote.status_code == 200
    return a, b


def _leaks(text: str) -> bool:
    encoded = base64.b64encode(SECRET).decode()
    return "alice@a.example" in text or encoded in text or "run-a" in text


def _a_still_has_everything(api: Api, a: str) -> None:
    found = api.call(
        a, "POST", "/v1/checkpoints/get", json={"agent_id": "bot", "thread_id": "ticket-42"}
    ).json["data"]["checkpoint"]
    assert found is not None
    assert base64.b64decode(found["channel_values"][0]["data"]) == SECRET
    assert len(found["pending_writes"]) == 1


READS: list[dict[str, Any]] = [
    {"thread_id": "ticket-42"},
    {"thread_id": "ticket-42", "checkpoint_id": CHECKPOINT_ID},
    {"thread_id": "ticket-42", "tenant_id": "tenant-a"},
    {"thread_id": "tenant-a#ticket-42"},
    {"thread_id": "ticket-42", "checkpoint_ns": "%"},
]


def test_b_cannot_read_a_checkpoints_knowing_their_ids(api: Api, keys: tuple[str, str]) -> None:
    a, b = keys
    for extra in READS:
        for headers in ({}, {"X-Tenant-ID": "tenant-a"}):
            got = api.call(
                b,
                "POST",
                "/v1/checkpoints/get",
                json={"agent_id": "bot", **extra},
                headers=headers,
            )
            assert got.status_code in (200, 400), got.text
            assert not _leaks(got.text)
            if got.status_code == 200:
                assert got.json["data"]["checkpoint"] is None
    for query in (
        {},
        {"thread_id": "ticket-42"},
        {"filter": {"run_id": "run-a"}},
        {"tenant_id": "tenant-a"},
    ):
        listed = api.call(b, "POST", "/v1/checkpoints/list", json={"agent_id": "bot", **query})
        assert listed.status_code == 200
        assert listed.json["data"]["checkpoints"] == []
        assert not _leaks(listed.text)
    # A cursor made by A's listing carries only a position: B still sees only B's rows.
    page = api.call(a, "POST", "/v1/checkpoints/list", json={"agent_id": "bot", "limit": 1})
    cursor = page.json["data"]["next_cursor"]
    if cursor:
        stolen = api.call(
            b, "POST", "/v1/checkpoints/list", json={"agent_id": "bot", "cursor": cursor}
        )
        assert stolen.json["data"]["checkpoints"] == []
    exported = api.call(b, "GET", "/v1/export")
    assert not _leaks(exported.text)


def test_b_cannot_change_copy_or_delete_a_threads(api: Api, keys: tuple[str, str]) -> None:
    a, b = keys
    attacks = [
        ("/v1/checkpoints/threads/delete", {"thread_ids": ["ticket-42"]}),
        ("/v1/checkpoints/threads/prune", {"thread_ids": ["ticket-42"], "strategy": "delete"}),
        ("/v1/checkpoints/runs/delete", {"run_ids": ["run-a"]}),
        (
            "/v1/checkpoints/threads/copy",
            {"source_thread_id": "ticket-42", "target_thread_id": "stolen"},
        ),
        (
            "/v1/checkpoints/writes",
            {
                "thread_id": "ticket-42",
                "checkpoint_id": CHECKPOINT_ID,
                "task_id": "t",
                "writes": [{"idx": -3, "channel": "c", "type": "bytes", "data": ""}],
            },
        ),
    ]
    for path, body in attacks:
        r = api.call(b, "POST", path, json={"agent_id": "bot", "tenant_id": "tenant-a", **body})
        assert r.status_code in (200, 201), (path, r.text)
        if "checkpoints" in r.json["data"]:
            assert r.json["data"]["checkpoints"] == 0, path
    # B's copy of "ticket-42" copied nothing of A's; B's own thread holds nothing.
    stolen = api.call(
        b, "POST", "/v1/checkpoints/get", json={"agent_id": "bot", "thread_id": "stolen"}
    )
    assert stolen.json["data"]["checkpoint"] is None
    # Overwriting the same ids in B's tenant makes B's own record, never touches A's.
    overwrite = api.call(
        b,
        "POST",
        "/v1/checkpoints",
        json={
            "agent_id": "bot",
            "thread_id": "ticket-42",
            "checkpoint": {"v": 1, "id": CHECKPOINT_ID, "channel_versions": {}},
        },
    )
    assert overwrite.status_code == 201
    assert api.call(b, "DELETE", "/v1/memory/bot").json["data"]["checkpoints_deleted"] == 1
    _a_still_has_everything(api, a)
