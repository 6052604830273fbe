"""The item store contract, on every backend: listing order, prefixes, ranking by the best
field, unindexed items, expiry and refresh, totals, export, tenants and agents apart."""

from __future__ import annotations

import numpy as np

from mnemora_server.stores.base.items import ItemStore, ItemWrite
from tests.stores.conftest import DIMENSION


def unit(*components: float) -> list[float]:
    vector = np.zeros(DIMENSION, dtype=np.float32)
    vector[: len(components)] = components
    return (vector / np.linalg.norm(vector)).tolist()


def test_listing_order_and_prefixes(item_store: ItemStore) -> None:
    store = item_store
    store.apply(
        "t1",
        "bot",
        [
            ItemWrite(("a",), "k1", {"n": 1}),
            ItemWrite(("b",), "k2", {"n": 2}),
            ItemWrite(("a", "x"), "k3", {"n": 3}),
            ItemWrite(("a",), "k4", {"n": 4}),
            ItemWrite(("ab",), "k5", {"n": 5}),
        ],
        [],
        10.0,
    )
    order = [(i.namespace, i.key) for i in store.scan("t1", "bot", (), 10.0)]
    assert order == [
        (("a",), "k1"),
        (("a",), "k4"),
        (("b",), "k2"),
        (("a", "x"), "k3"),
        (("ab",), "k5"),
    ]
    assert [i.key for i in store.scan("t1", "bot", ("a",), 10.0)] == ["k1", "k4", "k3"]
    # Emptying a namespace ends it: its next item makes it the newest namespace.
    store.apply("t1", "bot", [ItemWrite(("a", "x"), "k3", None)], [], 11.0)
    store.apply("t1", "bot", [ItemWrite(("a", "x"), "k3", {"n": 3})], [], 12.0)
    assert [i.key for i in store.scan("t1", "bot", (), 12.0)][-1] == "k3"
    assert sorted(store.namespaces("t1", "bot", 12.0)) == [("a",), ("a", "x"), ("ab",), ("b",)]
    assert list(store.scan("t1", "other", (), 12.0)) == []
    assert list(store.scan("t2", "bot", (), 12.0)) == []


def test_ranking_by_best_field_and_unindexed(item_store: ItemStore) -> None:
    store = item_store
    store.apply(
        "t1",
        "bot",
        [
            ItemWrite(("m",), "one", {}, (("$", unit(1, 0)),)),
            ItemWrite(("m",), "two", {}, (("a", unit(0, 1)), ("b", unit(1, 0.2)))),
            ItemWrite(("m", "sub"), "three", {}, (("$", unit(0, 0, 1)),)),
            ItemWrite(("m",), "plain", {}),
        ],
        [],
        10.0,
    )
    ranked = store.rank("t1", "bot", ("m",), unit(1, 0), 10.0, 10)
    assert [r.key for r in ranked] == ["one", "two", "three"]
    assert ranked[0].score > 0.99
    assert ranked[1].score > 0.95
    assert [r.key for r in store.rank("t1", "bot", ("m", "sub"), unit(1, 0), 10.0, 10)] == ["three"]
    assert [i.key for i in store.unindexed("t1", "bot", (), 10.0)] == ["plain"]
    # A new value replaces the item's vectors; a deleted item is no longer ranked.
    store.apply(
        "t1",
        "bot",
        [ItemWrite(("m",), "one", {}, (("$", unit(-1, 0)),)), ItemWrite(("m",), "two", None)],
        [],
        11.0,
    )
    assert next(r.key for r in store.rank("t1", "bot", ("m",), unit(1, 0), 11.0, 10)) == "three"
    assert store.rank("t2", "bot", (), unit(1, 0), 11.0, 10) == []


def test_expiry_refresh_totals_export_and_purge(item_store: ItemStore) -> None:
    store = item_store
    store.apply(
        "t1",
        "bot",
        [
            ItemWrite(("s",), "short", {"v": 1}, ttl_minutes=1.0),
            ItemWrite(("s",), "long", {"v": 22}, (("$", unit(1)),)),
        ],
        [],
        0.0,
    )
    assert store.get("t1", "bot", [(("s",), "short")], 59.0)
    store.apply("t1", "bot", [], [(("s",), "short")], 50.0)  # refreshed: lives to 110 s
    assert store.get("t1", "bot", [(("s",), "short")], 100.0)
    assert not store.get("t1", "bot", [(("s",), "short")], 111.0)
    assert [i.key for i in store.scan("t1", "bot", (), 111.0)] == ["long"]
    store.apply("t1", "bot", [], [], 111.0)  # a write sweeps expired items away
    totals = store.totals("t1", 111.0)
    assert (totals.items, totals.vectors) == (1, 1)
    assert totals.bytes == len('{"v": 22}')
    exported = list(store.export("t1", None))
    assert [(agent, item.key, [f for f, _ in vectors]) for agent, item, vectors in exported] == [
        ("bot", "long", ["$"])
    ]
    store.apply("t2", "bot", [ItemWrite(("s",), "long", {"theirs": True})], [], 0.0)
    assert store.purge_tenant("t1") == 1
    assert store.totals("t1", 200.0).items == 0
    assert store.get("t2", "bot", [(("s",), "long")], 200.0)[(("s",), "long")].value == {
        "theirs": True
    }
