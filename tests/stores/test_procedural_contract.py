"""The ProceduralStore contract, on every backend."""

from __future__ import annotations

from typing import Any

from mnemora_server.stores.base import ProceduralStore, Procedure

NOW = 1_800_000_000.0


def add(
    store: ProceduralStore,
    tenant: str,
    name: str,
    definition: Any,
    *,
    active: bool = True,
    agent: str = "bot",
) -> Procedure:
    return store.add_version(
        tenant,
        agent,
        name,
        type="tool",
        definition=definition,
        description="d",
        active=active,
        now=NOW,
    )


def test_versions_latest_active_and_listing(procedural_store: ProceduralStore) -> None:
    assert add(procedural_store, "t1", "refund", {"v": 1}).version == 1
    assert add(procedural_store, "t1", "refund", {"v": 2, "f": 1.0}).version == 2
    add(procedural_store, "t1", "refund", {"v": 3}, active=False)
    add(procedural_store, "t1", "lookup", {"v": 1})
    latest = procedural_store.get("t1", "bot", "refund", None)
    assert latest is not None
    assert (latest.version, latest.definition) == (2, {"v": 2, "f": 1.0})
    assert isinstance(latest.definition["f"], float)
    third = procedural_store.get("t1", "bot", "refund", 3)
    assert third is not None
    assert third.active is False
    assert [p.version for p in procedural_store.versions("t1", "bot", "refund")] == [1, 2, 3]
    listed = procedural_store.list_latest("t1", "bot", limit=10, after=None)
    assert [(p.name, p.version) for p in listed] == [("lookup", 1), ("refund", 2)]
    assert [
        p.name for p in procedural_store.list_latest("t1", "bot", limit=10, after="lookup")
    ] == ["refund"]


def test_delete_restore_totals_and_purge(procedural_store: ProceduralStore) -> None:
    add(procedural_store, "t1", "refund", {"v": 1})
    add(procedural_store, "t1", "refund", {"v": 2})
    assert procedural_store.delete("t1", "bot", "refund") == 2
    assert add(procedural_store, "t1", "refund", {"v": 3}).version == 3, "never reused"
    restored = Procedure("bot", "old", 7, "rule", {"r": 1}, None, True, NOW)
    assert procedural_store.restore_version("t1", restored)
    assert not procedural_store.restore_version("t1", restored)
    assert add(procedural_store, "t1", "old", {}).version == 8
    count, size = procedural_store.totals("t1")
    assert count == 3
    assert size > 0
    assert [p.name for p in procedural_store.export("t1", None)] == ["refund", "old", "old"]
    assert procedural_store.purge_agent("t1", "bot") == 3
    assert procedural_store.totals("t1") == (0, 0)
    assert add(procedural_store, "t1", "refund", {}).version == 1, "purge removes counters"


def test_tenants_never_share(procedural_store: ProceduralStore) -> None:
    add(procedural_store, "tenant-a", "secret", {"endpoint": "internal"})
    assert procedural_store.get("tenant-b", "bot", "secret", None) is None
    assert procedural_store.versions("tenant-b", "bot", "secret") == []
    assert procedural_store.list_latest("tenant-b", "bot", limit=10, after=None) == []
    assert procedural_store.delete("tenant-b", "bot", "secret") == 0
    assert add(procedural_store, "tenant-b", "secret", {}).version == 1
    assert procedural_store.purge_tenant("tenant-b") == 1
    assert list(procedural_store.export("tenant-b", None)) == []
    kept = procedural_store.get("tenant-a", "bot", "secret", None)
    assert kept is not None
    assert kept.definition == {"endpoint": "internal"}
