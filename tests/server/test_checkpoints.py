"""Checkpoints over HTTP: storage, values once per version, writes, listings, maintenance,
sizes, bad input, purge, export and usage (both configurations)."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest

from tests.conftest import Api


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def checkpoint(versions: dict[str, Any] | None = None, cid: str | None = None) -> dict[str, Any]:
    return {
        "v": 1,
        "id": cid or str(uuid.uuid1()),
        "ts": "2026-12-02T00:00:00+00:00",
        "channel_versions": versions or {},
        "versions_seen": {},
        "updated_channels": None,
    }


def put(
    api: Api,
    key: str,
    thread: str,
    cp: dict[str, Any],
    *,
    blobs: list[dict[str, Any]] | None = None,
    parent: str | None = None,
    ns: str = "",
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body = {
        "agent_id": "bot",
        "thread_id": thread,
        "checkpoint_ns": ns,
        "checkpoint": cp,
        "metadata": metadata or {"source": "loop", "step": 0},
        "parent_checkpoint_id": parent,
        "blobs": blobs or [],
    }
    r = api.call(key, "POST", "/v1/checkpoints", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json["data"])


def get(api: Api, key: str, thread: str, cid: str | None = None, ns: str = "") -> Any:
    body = {"agent_id": "bot", "thread_id": thread, "checkpoint_ns": ns, "checkpoint_id": cid}
    r = api.call(key, "POST", "/v1/checkpoints/get", json=body)
    assert r.status_code == 200, r.text
    return r.json["data"]["checkpoint"]


def listing(api: Api, key: str, **query: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        body = {"agent_id": "bot", **query, "cursor": cursor}
        r = api.call(key, "POST", "/v1/checkpoints/list", json=body)
        assert r.status_code == 200, r.text
        found += r.json["data"]["checkpoints"]
        cursor = r.json["data"]["next_cursor"]
        if cursor is None:
            return found


@pytest.fixture
def key(api: Api) -> str:
    return api.tenant("acme")


def test_values_are_stored_once_per_version_and_loaded_for_each_checkpoint(
    api: Api, key: str
) -> None:
    first = checkpoint({"messages": 1, "step": "00001.5"})
    put(
        api,
        key,
        "t1",
        first,
        blobs=[
            {"channel": "messages", "version": 1, "type": "json", "data": b64(b"[1]")},
            {"channel": "step", "version": "00001.5", "type": "json", "data": b64(b"1")},
        ],
    )
    # Only "messages" changes; "step" stays at its version and is loaded from the first put.
    second = checkpoint({"messages": 2, "step": "00001.5"})
    put(
        api,
        key,
        "t1",
        second,
        parent=first["id"],
        blobs=[{"channel": "messages", "version": 2, "type": "json", "data": b64(b"[1,2]")}],
    )
    latest = get(api, key, "t1")
    assert latest["checkpoint_id"] == second["id"]
    assert latest["parent_checkpoint_id"] == first["id"]
    values = {
        v["channel"]: (v["version"], base64.b64decode(v["data"])) for v in latest["channel_values"]
    }
    assert values == {"messages": (2, b"[1,2]"), "step": ("00001.5", b"1")}
    older = get(api, key, "t1", first["id"])
    assert {v["channel"]: v["version"] for v in older["channel_values"]} == {
        "messages": 1,
        "step": "00001.5",
    }
    # A channel no longer listed is not loaded, though its blob exists.
    third = checkpoint({"step": "00001.5"})
    put(api, key, "t1", third, parent=second["id"])
    assert [v["channel"] for v in get(api, key, "t1")["channel_values"]] == ["step"]
    assert get(api, key, "no-such-thread") is None
    assert get(api, key, "t1", "no-such-checkpoint") is None


def test_pending_writes_regular_once_special_replaced(api: Api, key: str) -> None:
    cp = checkpoint()
    put(api, key, "t", cp)
    base = {"agent_id": "bot", "thread_id": "t", "checkpoint_id": cp["id"], "task_id": "task-1"}

    def write(idx: int, value: bytes, path: str = "") -> None:
        body = {
            **base,
            "task_path": path,
            "writes": [{"idx": idx, "channel": "ch", "type": "bytes", "data": b64(value)}],
        }
        r = api.call(key, "POST", "/v1/checkpoints/writes", json=body)
        assert r.status_code == 200, r.text

    write(0, b"first")
    write(0, b"second")  # regular: the first one stays
    write(-3, b"interrupt-1")
    write(-3, b"interrupt-2")  # special: replaced
    r = api.call(
        key,
        "POST",
        "/v1/checkpoints/writes",
        json={
            **base,
            "task_id": "task-0",
            "writes": [{"idx": 0, "channel": "other", "type": "bytes", "data": b64(b"x")}],
        },
    )
    assert r.status_code == 200
    writes = get(api, key, "t")["pending_writes"]
    got = [(w["task_id"], w["idx"], base64.b64decode(w["data"])) for w in writes]
    assert got == [("task-0", 0, b"x"), ("task-1", -3, b"interrupt-2"), ("task-1", 0, b"first")]


def test_listing_newest_first_with_filters_before_limit_and_pages(api: Api, key: str) -> None:
    ids = []
    parent = None
    for step in range(5):
        cp = checkpoint()
        put(
            api,
            key,
            "t",
            cp,
            parent=parent,
            metadata={"source": "loop", "step": step, "run_id": f"r{step % 2}"},
        )
        ids.append(cp["id"])
        parent = cp["id"]
    put(api, key, "t", checkpoint(), ns="child:1")
    put(api, key, "other", checkpoint())
    root = listing(api, key, thread_id="t", checkpoint_ns="")
    assert [c["checkpoint_id"] for c in root] == list(reversed(ids))
    assert len(listing(api, key, thread_id="t")) == 6
    assert len(listing(api, key)) == 7
    assert [
        c["metadata"]["step"] for c in listing(api, key, thread_id="t", filter={"run_id": "r0"})
    ] == [4, 2, 0]
    assert (
        listing(api, key, thread_id="t", filter={"run_id": "r0", "step": 2})[0]["checkpoint_id"]
        == ids[2]
    )
    before = listing(api, key, thread_id="t", checkpoint_ns="", before=ids[3])
    assert [c["checkpoint_id"] for c in before] == [ids[2], ids[1], ids[0]]
    page = api.call(
        key,
        "POST",
        "/v1/checkpoints/list",
        json={"agent_id": "bot", "thread_id": "t", "checkpoint_ns": "", "limit": 2},
    )
    data = page.json["data"]
    assert data["count"] == 2
    assert data["next_cursor"]
    rest = api.call(
        key,
        "POST",
        "/v1/checkpoints/list",
        json={
            "agent_id": "bot",
            "thread_id": "t",
            "checkpoint_ns": "",
            "limit": 10,
            "cursor": data["next_cursor"],
        },
    )
    assert [c["checkpoint_id"] for c in rest.json["data"]["checkpoints"]] == [
        ids[2],
        ids[1],
        ids[0],
    ]


def test_delete_copy_prune_and_runs(api: Api, key: str) -> None:
    parent = None
    for step in range(3):
        cp = checkpoint({"messages": step + 1})
        put(
            api,
            key,
            "src",
            cp,
            parent=parent,
            metadata={"step": step, "run_id": f"run-{step}"},
            blobs=[
                {
                    "channel": "messages",
                    "version": step + 1,
                    "type": "json",
                    "data": b64(json.dumps(list(range(step + 1))).encode()),
                }
            ],
        )
        parent = cp["id"]
    copied = api.call(
        key,
        "POST",
        "/v1/checkpoints/threads/copy",
        json={"agent_id": "bot", "source_thread_id": "src", "target_thread_id": "dst"},
    )
    assert copied.json["data"]["checkpoints"] == 3
    assert get(api, key, "dst")["channel_values"] == get(api, key, "src")["channel_values"]
    pruned = api.call(
        key,
        "POST",
        "/v1/checkpoints/threads/prune",
        json={"agent_id": "bot", "thread_ids": ["dst"], "strategy": "keep_latest"},
    )
    assert pruned.json["data"]["checkpoints"] == 2
    kept = listing(api, key, thread_id="dst")
    assert len(kept) == 1
    assert kept[0]["checkpoint_id"] == parent
    assert base64.b64decode(kept[0]["channel_values"][0]["data"]) == b"[0, 1, 2]"
    runs = api.call(
        key,
        "POST",
        "/v1/checkpoints/runs/delete",
        json={"agent_id": "bot", "run_ids": ["run-0", "run-1"]},
    )
    assert runs.json["data"]["checkpoints"] == 2  # src's first two (dst kept only run-2's)
    assert [c["metadata"]["run_id"] for c in listing(api, key, thread_id="src")] == ["run-2"]
    deleted = api.call(
        key,
        "POST",
        "/v1/checkpoints/threads/delete",
        json={"agent_id": "bot", "thread_ids": ["src", "dst", "never"]},
    )
    assert deleted.json["data"]["checkpoints"] == 2
    assert listing(api, key) == []


def test_a_two_megabyte_checkpoint_round_trips(api: Api, key: str) -> None:
    big = bytes(range(256)) * (2 * 1024 * 1024 // 256)
    cp = checkpoint({"messages": 1})
    put(
        api,
        key,
        "big",
        cp,
        blobs=[{"channel": "messages", "version": 1, "type": "msgpack", "data": b64(big)}],
    )
    loaded = get(api, key, "big")
    assert base64.b64decode(loaded["channel_values"][0]["data"]) == big
    usage = api.call(key, "GET", "/v1/usage").json["data"]
    assert usage["storage"]["checkpoint_bytes"] >= len(big)
    assert usage["checkpoints_stored"] == 1


def test_bad_input_is_a_clear_400_and_writes_nothing(api: Api, key: str) -> None:
    bad = [
        {"agent_id": "bot", "thread_id": "t", "checkpoint": {"v": 1}},  # no id
        {"agent_id": "bot", "thread_id": "t", "checkpoint": {"id": "x", "channel_versions": []}},
        {"agent_id": "bot", "thread_id": "", "checkpoint": checkpoint()},
        {"agent_id": "bot", "thread_id": "t\x00", "checkpoint": checkpoint()},
        {
            "agent_id": "bot",
            "thread_id": "t",
            "checkpoint": checkpoint(),
            "blobs": [{"channel": "c", "version": 1, "type": "json", "data": "not base64!"}],
        },
        {"agent_id": "bot#x", "thread_id": "t", "checkpoint": checkpoint()},
        {"agent_id": "bot", "thread_id": "t", "checkpoint": checkpoint(), "surprise": 1},
    ]
    for body in bad:
        r = api.call(key, "POST", "/v1/checkpoints", json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json["error"]["code"] == "VALIDATION_ERROR"
    r = api.call(key, "POST", "/v1/checkpoints/list", json={"agent_id": "bot", "cursor": "garbage"})
    assert r.status_code == 400
    assert listing(api, key) == []


def test_read_only_keys_read_but_do_not_write(api: Api, key: str) -> None:
    put(api, key, "t", checkpoint())
    reader = api.new_key("acme", scope="read_only")
    assert get(api, reader, "t") is not None
    assert len(listing(api, reader)) == 1
    r = api.call(
        reader,
        "POST",
        "/v1/checkpoints",
        json={"agent_id": "bot", "thread_id": "t", "checkpoint": checkpoint()},
    )
    assert r.status_code == 403
    r = api.call(
        reader,
        "POST",
        "/v1/checkpoints/threads/delete",
        json={"agent_id": "bot", "thread_ids": ["t"]},
    )
    assert r.status_code == 403
    assert len(listing(api, key)) == 1


def test_purge_erases_checkpoints_and_export_restores_them(api: Api, key: str) -> None:
    cp = checkpoint({"messages": 1})
    put(
        api,
        key,
        "t",
        cp,
        blobs=[{"channel": "messages", "version": 1, "type": "json", "data": b64(b"secret-value")}],
    )
    api.call(
        key,
        "POST",
        "/v1/checkpoints/writes",
        json={
            "agent_id": "bot",
            "thread_id": "t",
            "checkpoint_id": cp["id"],
            "task_id": "k",
            "writes": [{"idx": 0, "channel": "c", "type": "json", "data": b64(b"1")}],
        },
    )
    exported = api.call(key, "GET", "/v1/export", params={"agent_id": "bot"})
    lines = [json.loads(line) for line in exported.text.splitlines() if line.strip()]
    assert [line["kind"] for line in lines].count("checkpoint") == 1
    purged = api.call(key, "DELETE", "/v1/memory/bot").json["data"]
    assert purged["checkpoints_deleted"] == 1
    assert purged["deleted"]["checkpoints"] == 1
    assert get(api, key, "t") is None
    body = "\n".join(json.dumps(line) for line in lines).encode()
    imported = api.call(
        key, "POST", "/v1/import", body=body, headers={"Content-Type": "application/x-ndjson"}
    )
    assert imported.status_code == 200, imported.text
    assert imported.json["data"]["stored"]["checkpoint"] == 1
    restored = get(api, key, "t")
    assert base64.b64decode(restored["channel_values"][0]["data"]) == b"secret-value"
    assert len(restored["pending_writes"]) == 1
    again = api.call(
        key, "POST", "/v1/import", body=body, headers={"Content-Type": "application/x-ndjson"}
    )
    assert again.json["data"]["stored"]["checkpoint"] == 0
