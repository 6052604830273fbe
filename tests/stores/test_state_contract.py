"""The StateStore contract, on every backend."""

from __future__ import annotations

import pytest

from mnemora_server.errors import NotFoundError, VersionConflictError
from mnemora_server.stores.base import StateStore, TtlChange

KEEP = TtlChange("keep")
NOW = 1_800_000_000.0


def test_versions_grow_and_survive_deletion(state_store: StateStore) -> None:
    for expected in (1, 2, 3):
        record = state_store.put("t1", "bot", "s", {"n": expected}, KEEP, NOW + expected)
        assert record.version == expected
    assert state_store.delete("t1", "bot", "s", NOW + 10)
    assert state_store.get("t1", "bot", "s", NOW + 11) is None
    assert not state_store.delete("t1", "bot", "s", NOW + 11)
    assert state_store.put("t1", "bot", "s", {}, KEEP, NOW + 12).version == 4


def test_conditional_writes(state_store: StateStore) -> None:
    with pytest.raises(NotFoundError):
        state_store.put_if_version("t1", "bot", "s", {}, 1, KEEP, NOW)
    state_store.put("t1", "bot", "s", {"a": 1}, KEEP, NOW)
    updated = state_store.put_if_version("t1", "bot", "s", {"a": 2}, 1, KEEP, NOW + 1)
    assert updated.version == 2
    with pytest.raises(VersionConflictError):
        state_store.put_if_version("t1", "bot", "s", {"a": 3}, 1, KEEP, NOW + 2)
    record = state_store.get("t1", "bot", "s", NOW + 3)
    assert record is not None
    assert (record.data, record.version, record.created_at) == ({"a": 2}, 2, NOW)


def test_version_zero_creates_only_where_no_state_lives(state_store: StateStore) -> None:
    created = state_store.put_if_version("t1", "bot", "s", {"a": 1}, 0, KEEP, NOW)
    assert created.version == 1
    with pytest.raises(VersionConflictError):
        state_store.put_if_version("t1", "bot", "s", {"a": 2}, 0, KEEP, NOW + 1)
    assert state_store.delete("t1", "bot", "s", NOW + 2)
    again = state_store.put_if_version("t1", "bot", "s", {"a": 3}, 0, KEEP, NOW + 3)
    assert again.version == 2, "a deleted session is created again, its versions still grow"
    assert state_store.put_if_version("tenant-b", "bot", "s", {}, 0, KEEP, NOW).version == 1
    record = state_store.get("t1", "bot", "s", NOW + 4)
    assert record is not None
    assert record.data == {"a": 3}


def test_documents_round_trip_exactly(state_store: StateStore) -> None:
    data = {"int": 1, "float": 1.0, "big": 2**60, "nested": {"l": [None, True, "ü", 0.1]}}
    state_store.put("t1", "bot", "s", data, KEEP, NOW)
    record = state_store.get("t1", "bot", "s", NOW)
    assert record is not None
    assert record.data == data
    assert isinstance(record.data["float"], float)
    assert isinstance(record.data["int"], int)


def test_ttl_is_set_kept_cleared_and_hides_expired(state_store: StateStore) -> None:
    state_store.put("t1", "bot", "s", {}, TtlChange("set", NOW + 100), NOW)
    kept = state_store.put("t1", "bot", "s", {"x": 1}, KEEP, NOW + 1)
    assert kept.expires_at == NOW + 100
    assert state_store.get("t1", "bot", "s", NOW + 101) is None
    assert state_store.list_sessions("t1", "bot", NOW + 101, limit=10, after=None) == []
    again = state_store.put("t1", "bot", "s", {}, KEEP, NOW + 200)
    assert again.expires_at is None, "an expired document is gone: a new write starts fresh"
    assert again.version == 3
    cleared = state_store.put("t1", "bot", "t", {}, TtlChange("set", NOW + 5), NOW)
    assert cleared.expires_at == NOW + 5
    assert state_store.put("t1", "bot", "t", {}, TtlChange("clear"), NOW).expires_at is None


def test_sessions_page_in_order(state_store: StateStore) -> None:
    for name in ("c", "a", "e", "b", "d"):
        state_store.put("t1", "bot", name, {}, KEEP, NOW)
    state_store.delete("t1", "bot", "d", NOW)
    assert state_store.list_sessions("t1", "bot", NOW, limit=2, after=None) == ["a", "b"]
    assert state_store.list_sessions("t1", "bot", NOW, limit=10, after="b") == ["c", "e"]


def test_stats_export_and_purge(state_store: StateStore) -> None:
    state_store.put("t1", "bot", "s1", {"k": "v"}, KEEP, NOW)
    state_store.put("t1", "bot", "s2", {"k": "vv"}, KEEP, NOW)
    state_store.put("t1", "other", "s1", {}, KEEP, NOW)
    state_store.delete("t1", "bot", "s2", NOW)
    stats = state_store.stats("t1", NOW)
    assert (stats.agents, stats.sessions, stats.bytes) == (2, 2, len('{"k":"v"}') + 2)
    assert sorted((r.agent_id, r.session_id) for r in state_store.export("t1", None, NOW)) == [
        ("bot", "s1"),
        ("other", "s1"),
    ]
    assert state_store.purge_agent("t1", "bot") == 1
    assert state_store.put("t1", "bot", "s2", {}, KEEP, NOW).version == 1, "tombstones purged"
    assert state_store.purge_tenant("t1") == 2
    assert state_store.stats("t1", NOW).sessions == 0


def test_tenants_never_share_a_document(state_store: StateStore) -> None:
    state_store.put("tenant-a", "bot", "s", {"secret": "a"}, KEEP, NOW)
    assert state_store.get("tenant-b", "bot", "s", NOW) is None
    with pytest.raises(NotFoundError):
        state_store.put_if_version("tenant-b", "bot", "s", {}, 1, KEEP, NOW)
    assert not state_store.delete("tenant-b", "bot", "s", NOW)
    assert state_store.list_sessions("tenant-b", "bot", NOW, limit=10, after=None) == []
    b = state_store.put("tenant-b", "bot", "s", {"secret": "b"}, KEEP, NOW)
    assert b.version == 1
    assert state_store.purge_tenant("tenant-b") == 1
    record = state_store.get("tenant-a", "bot", "s", NOW)
    assert record is not None
    assert record.data == {"secret": "a"}
    assert state_store.stats("tenant-b", NOW).sessions == 0
