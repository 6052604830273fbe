"""The ColdStore contract, on every backend."""

from __future__ import annotations

from mnemora_server.stores.base import ColdStore


def test_objects_round_trip_and_list_by_prefix(cold_store: ColdStore) -> None:
    cold_store.put("acme/bot/2026-01-01/seg_1.ndjson.gz", b"one")
    cold_store.put("acme/bot/2026-01-02/seg_2.ndjson.gz", b"two")
    cold_store.put("acme/other/2026-01-01/seg_3.ndjson.gz", b"three")
    assert cold_store.get("acme/bot/2026-01-01/seg_1.ndjson.gz") == b"one"
    assert cold_store.get("acme/bot/missing") is None
    assert cold_store.keys("acme/bot/") == [
        "acme/bot/2026-01-01/seg_1.ndjson.gz",
        "acme/bot/2026-01-02/seg_2.ndjson.gz",
    ]


def test_delete_prefix_removes_everything_and_only_that(cold_store: ColdStore) -> None:
    cold_store.put("acme/bot/d/seg_1.ndjson.gz", b"v1")
    cold_store.put("acme/bot/d/seg_1.ndjson.gz", b"v2")  # a second version where versioned
    cold_store.put("acme/bot2/d/seg_1.ndjson.gz", b"keep")
    cold_store.put("acme.x/bot/d/seg_1.ndjson.gz", b"keep")
    assert cold_store.delete_prefix("acme/bot/") == 1
    assert cold_store.keys("acme/bot/") == []
    assert cold_store.get("acme/bot/d/seg_1.ndjson.gz") is None
    assert cold_store.get("acme/bot2/d/seg_1.ndjson.gz") == b"keep"
    assert cold_store.get("acme.x/bot/d/seg_1.ndjson.gz") == b"keep"
    assert cold_store.delete_prefix("acme/bot/") == 0, "idempotent"
