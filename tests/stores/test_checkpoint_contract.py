"""The checkpoint store contract, on every backend: blobs once per version, writes, listing
order and paging, deletion of unused blobs, copies, totals, tenants apart."""

from __future__ import annotations

from typing import Any

from mnemora_server.stores.base.checkpoints import (
    Blob,
    CheckpointQuery,
    CheckpointRecord,
    CheckpointStore,
    PendingWrite,
    sort_key,
    version_key,
)


def record(
    thread: str, cid: str, versions: dict[str, Any], ns: str = "", **meta: Any
) -> CheckpointRecord:
    return CheckpointRecord(
        thread_id=thread,
        checkpoint_ns=ns,
        checkpoint_id=cid,
        parent_checkpoint_id=None,
        checkpoint={"v": 1, "id": cid, "channel_versions": versions},
        metadata=meta,
        created_at=1.0,
    )


def blob(channel: str, version: Any, data: bytes) -> Blob:
    return Blob(channel, version_key(version), "bytes", data)


def test_blobs_are_kept_per_version_and_loaded_by_the_checkpoint_versions(
    checkpoint_store: CheckpointStore,
) -> None:
    store = checkpoint_store
    store.put(
        "t1",
        "bot",
        record("th", "c1", {"m": 1, "n": "1"}),
        [blob("m", 1, b"one"), blob("n", "1", b"n")],
    )
    # The same (channel, version) again keeps the first value.
    store.put("t1", "bot", record("th", "c2", {"m": 1, "n": "1"}), [blob("m", 1, b"changed")])
    latest = next(
        iter(store.records("t1", "bot", CheckpointQuery(thread_id="th", checkpoint_ns=""), 1))
    )
    assert latest.checkpoint_id == "c2"
    blobs, writes = store.values("t1", "bot", latest)
    assert {(b.channel, b.data) for b in blobs} == {("m", b"one"), ("n", b"n")}
    assert writes == []
    # Versions keep their JSON type: 1 and "1" are different versions.
    assert version_key(1) != version_key("1")


def test_writes_are_ordered_and_special_ones_replaced(checkpoint_store: CheckpointStore) -> None:
    store = checkpoint_store
    rec = record("th", "c1", {})
    store.put("t1", "bot", rec, [])
    store.put_writes("t1", "bot", "th", "", "c1", [PendingWrite("b", 0, "x", "bytes", b"1", "p2")])
    store.put_writes(
        "t1",
        "bot",
        "th",
        "",
        "c1",
        [
            PendingWrite("a", 1, "x", "bytes", b"2", "p1"),
            PendingWrite("a", 1, "x", "bytes", b"dup", "p1"),
        ],
    )
    store.put_writes(
        "t1", "bot", "th", "", "c1", [PendingWrite("a", -1, "__error__", "bytes", b"e1", "p1")]
    )
    store.put_writes(
        "t1", "bot", "th", "", "c1", [PendingWrite("a", -1, "__error__", "bytes", b"e2", "p1")]
    )
    _, writes = store.values("t1", "bot", rec)
    assert [(w.task_path, w.task_id, w.idx, w.data) for w in writes] == [
        ("p1", "a", -1, b"e2"),
        ("p1", "a", 1, b"2"),
        ("p2", "b", 0, b"1"),
    ]


def test_records_newest_first_with_scope_before_and_resume(
    checkpoint_store: CheckpointStore,
) -> None:
    store = checkpoint_store
    for i in range(5):
        store.put("t1", "bot", record("th", f"c{i}", {}), [])
    store.put("t1", "bot", record("th", "c9", {}, ns="sub"), [])
    store.put("t1", "bot", record("other", "c7", {}), [])
    store.put("t1", "other-agent", record("th", "c8", {}), [])
    everything = list(store.records("t1", "bot", CheckpointQuery(), 100))
    assert [r.checkpoint_id for r in everything] == ["c9", "c7", "c4", "c3", "c2", "c1", "c0"]
    root = CheckpointQuery(thread_id="th", checkpoint_ns="")
    assert [r.checkpoint_id for r in store.records("t1", "bot", root, 2)] == ["c4", "c3"]
    before = CheckpointQuery(thread_id="th", checkpoint_ns="", before="c3")
    assert [r.checkpoint_id for r in store.records("t1", "bot", before, 10)] == ["c2", "c1", "c0"]
    first = list(store.records("t1", "bot", root, 2))
    resumed = CheckpointQuery(thread_id="th", checkpoint_ns="", after=sort_key(first[-1]))
    assert [r.checkpoint_id for r in store.records("t1", "bot", resumed, 10)] == ["c2", "c1", "c0"]
    one = CheckpointQuery(thread_id="th", checkpoint_ns="", checkpoint_id="c2")
    assert [r.checkpoint_id for r in store.records("t1", "bot", one, 10)] == ["c2"]


def test_deleting_checkpoints_drops_only_unused_blobs(checkpoint_store: CheckpointStore) -> None:
    store = checkpoint_store
    store.put(
        "t1", "bot", record("th", "c1", {"m": 1, "s": 1}), [blob("m", 1, b"a"), blob("s", 1, b"s")]
    )
    store.put("t1", "bot", record("th", "c2", {"m": 2, "s": 1}), [blob("m", 2, b"ab")])
    store.put_writes("t1", "bot", "th", "", "c1", [PendingWrite("k", 0, "x", "bytes", b"w", "")])
    assert store.delete_checkpoints("t1", "bot", [("th", "", "c1")]) == 1
    kept = next(iter(store.records("t1", "bot", CheckpointQuery(thread_id="th"), 1)))
    blobs, _ = store.values("t1", "bot", kept)
    assert {(b.channel, b.data) for b in blobs} == {("m", b"ab"), ("s", b"s")}
    totals = store.totals("t1")
    assert totals.checkpoints == 1
    assert totals.bytes == kept.stored_bytes + len(b"ab") + len(b"s")


def test_copy_delete_totals_purge_and_tenants_apart(checkpoint_store: CheckpointStore) -> None:
    store = checkpoint_store
    store.put("t1", "bot", record("src", "c1", {"m": 1}), [blob("m", 1, b"v")])
    store.put_writes("t1", "bot", "src", "", "c1", [PendingWrite("k", 0, "x", "bytes", b"w", "")])
    store.put("t2", "bot", record("src", "c1", {"m": 1}), [blob("m", 1, b"theirs")])
    assert store.copy_thread("t1", "bot", "src", "dst") == 1
    copied = next(iter(store.records("t1", "bot", CheckpointQuery(thread_id="dst"), 1)))
    blobs, writes = store.values("t1", "bot", copied)
    assert [b.data for b in blobs] == [b"v"]
    assert [w.data for w in writes] == [b"w"]
    assert store.totals("t1").threads == 2
    assert store.delete_threads("t1", "bot", ["src"]) == 1
    exported = list(store.export("t1", None))
    assert [(agent, t.record.thread_id) for agent, t in exported] == [("bot", "dst")]
    assert store.purge_tenant("t1") == 1
    assert store.totals("t1").checkpoints == 0
    theirs = next(iter(store.records("t2", "bot", CheckpointQuery(), 1)))
    assert [b.data for b in store.values("t2", "bot", theirs)[0]] == [b"theirs"]
    assert store.purge_agent("t2", "bot") == 1
