"""The SemanticStore contract, on every backend (8-dimensional vectors for readability)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from mnemora_server.errors import QuotaExceededError
from mnemora_server.services.filters import MetadataFilter
from mnemora_server.services.semantic_writes import SemanticWriteRules
from mnemora_server.stores.base import SemanticDraft, SemanticStore

NOW = 1_800_000_000.0


def unit(*values: float) -> np.ndarray[Any, Any]:
    vector = np.zeros(8, dtype=np.float32)
    vector[: len(values)] = values
    return vector / np.linalg.norm(vector)


def draft(content: str, vector: Any, **extra: Any) -> SemanticDraft:
    fields: dict[str, Any] = {
        "agent_id": "bot",
        "namespace": "default",
        "content": content,
        "metadata": {},
        "embedding": vector,
    }
    fields.update(extra)
    return SemanticDraft(**fields)


def write(
    store: SemanticStore, tenant: str, *drafts: SemanticDraft, max_vectors: int | None = None
) -> list[Any]:
    return store.write(tenant, list(drafts), NOW, SemanticWriteRules(max_vectors=max_vectors))


def test_write_get_and_exact_metadata(semantic_store: SemanticStore) -> None:
    metadata = {"n": 1, "f": 1.0, "nested": {"l": [True, None]}}
    (written,) = write(semantic_store, "t1", draft("alpha", unit(1), metadata=metadata))
    assert written.created
    record = semantic_store.get("t1", written.record.id)
    assert record is not None
    assert record.metadata == metadata
    assert isinstance(record.metadata["f"], float)


def test_dedup_upsert_and_opt_out(semantic_store: SemanticStore) -> None:
    (first,) = write(semantic_store, "t1", draft("alpha", unit(1, 0.01), metadata={"a": 1}))
    (near,) = write(semantic_store, "t1", draft("alpha!", unit(1, 0.02), metadata={"b": 2}))
    assert near.deduplicated
    assert near.record.id == first.record.id
    assert near.record.metadata == {"a": 1, "b": 2}
    (kept,) = write(semantic_store, "t1", draft("alpha", unit(1), dedup=False))
    assert not kept.deduplicated
    (elsewhere,) = write(semantic_store, "t1", draft("alpha", unit(1), namespace="other"))
    assert not elsewhere.deduplicated
    (far,) = write(semantic_store, "t1", draft("beta", unit(0, 1)))
    assert not far.deduplicated
    (mine,) = write(semantic_store, "t1", draft("v1", unit(0, 0, 1), id="fixed"))
    (again,) = write(semantic_store, "t1", draft("v2", unit(0, 0, 1), id="fixed"))
    assert (mine.created, again.created) == (True, False)
    record = semantic_store.get("t1", "fixed")
    assert record is not None
    assert record.content == "v2"


def test_search_filters_threshold_and_keywords(semantic_store: SemanticStore) -> None:
    write(
        semantic_store,
        "t1",
        draft("refunds take five days", unit(1, 0.1), metadata={"lang": "en"}, dedup=False),
        draft("parcels ship from leeds", unit(0.1, 1), metadata={"lang": "de"}, dedup=False),
        draft("invoices monthly", unit(0.7, 0.7), metadata={"lang": "en"}, dedup=False),
    )
    hits = semantic_store.search_vector(
        "t1", unit(1), agent_id="bot", namespace=None, matches=None, limit=2, threshold=-1.0
    )
    assert [h.record.content for h in hits] == ["refunds take five days", "invoices monthly"]
    assert hits[0].similarity is not None
    assert hits[0].similarity > 0.99
    only_de = MetadataFilter({"lang": "de"}).matches
    filtered = semantic_store.search_vector(
        "t1", unit(1), agent_id=None, namespace=None, matches=only_de, limit=5, threshold=-1.0
    )
    assert [h.record.content for h in filtered] == ["parcels ship from leeds"]
    strict = semantic_store.search_vector(
        "t1", unit(1), agent_id=None, namespace=None, matches=None, limit=5, threshold=0.9
    )
    assert [h.record.content for h in strict] == ["refunds take five days"]
    words = semantic_store.search_keyword(
        "t1", "where do parcels ship", agent_id=None, namespace=None, matches=None, limit=5
    )
    assert [h.record.content for h in words] == ["parcels ship from leeds"]


def test_chunks_update_soft_delete_and_list(semantic_store: SemanticStore) -> None:
    chunks = (("chunk one", unit(1)), ("chunk two", unit(0, 1)))
    (parent,) = write(semantic_store, "t1", draft("chunk one chunk two", None, chunks=chunks))
    assert parent.record.chunk_count == 2
    hits = semantic_store.search_vector(
        "t1", unit(0, 1), agent_id=None, namespace=None, matches=None, limit=1, threshold=-1.0
    )
    assert hits[0].record.parent_id == parent.record.id
    assert hits[0].record.content == "chunk two"
    listed = semantic_store.list_memories("t1", agent_id=None, namespace=None, limit=10, after=None)
    assert [r.id for r, _ in listed] == [parent.record.id]
    updated = semantic_store.update(
        "t1", parent.record.id, NOW + 1, metadata=None, content="short now", embedding=unit(0, 0, 1)
    )
    assert updated is not None
    assert updated.chunk_count is None
    gone = semantic_store.search_vector(
        "t1", unit(0, 1), agent_id=None, namespace=None, matches=None, limit=5, threshold=0.5
    )
    assert gone == []
    assert semantic_store.soft_delete("t1", [parent.record.id], NOW + 2) == [parent.record.id]
    assert semantic_store.get("t1", parent.record.id) is None
    assert semantic_store.soft_delete("t1", [parent.record.id], NOW + 3) == []
    hidden = semantic_store.search_vector(
        "t1", unit(0, 1), agent_id=None, namespace=None, matches=None, limit=5, threshold=-1.0
    )
    assert hidden == [], "the chunks went with their record"


def test_many_by_id_within_a_scope(semantic_store: SemanticStore) -> None:
    write(
        semantic_store,
        "t1",
        draft("one", unit(1), id="m1"),
        draft("two", unit(0, 1), id="m2"),
    )
    other = SemanticDraft("other-bot", "default", "three", {}, unit(0, 0, 1), id="m3", dedup=False)
    semantic_store.write("t1", [other], NOW, SemanticWriteRules(max_vectors=None))
    ids = ["m3", "nope", "m1", "m2", "m1"]
    assert {r.id for r in semantic_store.get_many("t1", ids)} == {"m1", "m2", "m3"}
    assert {r.id for r in semantic_store.get_many("t1", ids, agent_id="bot")} == {"m1", "m2"}
    assert semantic_store.get_many("t1", ids, agent_id="bot", namespace="elsewhere") == []
    deleted = semantic_store.soft_delete("t1", ["m1", "m3", "nope"], NOW + 1, agent_id="bot")
    assert deleted == ["m1"]
    assert semantic_store.get("t1", "m3") is not None, "another agent's memory is out of scope"
    assert {r.id for r in semantic_store.get_many("t1", ids)} == {"m2", "m3"}
    assert semantic_store.get_many("t2", ids) == []
    assert semantic_store.soft_delete("t2", ids, NOW + 2) == []


def test_soft_delete_by_metadata_within_a_scope(semantic_store: SemanticStore) -> None:
    chunks = (("part one", unit(0, 0, 0, 1)), ("part two", unit(0, 0, 0, 0, 1)))
    write(
        semantic_store,
        "t1",
        draft("doc a one", unit(1), id="a1", metadata={"doc": "a"}),
        draft("doc a two", unit(0, 1), id="a2", metadata={"doc": "a"}),
        draft("doc b", unit(0, 0, 1), id="b1", metadata={"doc": "b"}),
        draft("part one part two", None, id="a3", metadata={"doc": "a"}, chunks=chunks),
    )
    other = SemanticDraft("other-bot", "default", "doc a elsewhere", {"doc": "a"}, unit(1, 1))
    semantic_store.write("t1", [other], NOW, SemanticWriteRules(max_vectors=None))
    only_a = MetadataFilter({"doc": "a"}).matches
    deleted = semantic_store.soft_delete("t1", None, NOW + 1, agent_id="bot", matches=only_a)
    assert deleted == ["a1", "a2", "a3"]
    assert semantic_store.get("t1", "b1") is not None
    hits = semantic_store.search_vector(
        "t1", unit(0, 0, 0, 1), agent_id=None, namespace=None, matches=None, limit=10, threshold=-1
    )
    left = {h.record.content for h in hits}
    assert left == {"doc b", "doc a elsewhere"}, "the chunks went with their record"
    assert semantic_store.soft_delete("t2", None, NOW + 2, agent_id="bot") == []
    everything = semantic_store.soft_delete("t1", None, NOW + 3, agent_id="bot")
    assert everything == ["b1"]


def test_quota_totals_export_purge(semantic_store: SemanticStore) -> None:
    write(semantic_store, "t1", draft("one", unit(1)), draft("two", unit(0, 1)))
    with pytest.raises(QuotaExceededError):
        write(semantic_store, "t1", draft("three", unit(0, 0, 1)), max_vectors=2)
    totals = semantic_store.totals("t1")
    assert (totals.records, totals.vectors, totals.bytes) == (2, 2, len("one") + len("two") + 4)
    exported = list(semantic_store.export("t1", None))
    assert [r.content for r in exported] == ["one", "two"]
    assert exported[0].embedding is not None
    assert np.allclose(exported[0].embedding, unit(1), atol=1e-6)
    assert semantic_store.purge_agent("t1", "bot") == 2
    assert semantic_store.totals("t1").vectors == 0


def test_tenants_never_share(semantic_store: SemanticStore) -> None:
    (a,) = write(semantic_store, "tenant-a", draft("secret of a", unit(1), id="same"))
    assert semantic_store.get("tenant-b", "same") is None
    assert (
        semantic_store.search_vector(
            "tenant-b",
            unit(1),
            agent_id=None,
            namespace=None,
            matches=None,
            limit=5,
            threshold=-1.0,
        )
        == []
    )
    assert (
        semantic_store.search_keyword(
            "tenant-b", "secret", agent_id=None, namespace=None, matches=None, limit=5
        )
        == []
    )
    assert semantic_store.update("tenant-b", "same", NOW, metadata={"x": 1}) is None
    assert semantic_store.soft_delete("tenant-b", ["same"], NOW) == []
    assert semantic_store.get_many("tenant-b", ["same"]) == []
    (b,) = write(semantic_store, "tenant-b", draft("secret of a", unit(1), id="same"))
    assert b.created, "the same id in another tenant is another record"
    assert semantic_store.purge_tenant("tenant-b") == 1
    kept = semantic_store.get("tenant-a", "same")
    assert kept is not None
    assert kept.content == a.record.content


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_store_refuses_an_embedder_of_another_dimension(
    backend: str, request: pytest.FixtureRequest, tmp_path: Any
) -> None:
    from mnemora_server.errors import UnavailableError
    from mnemora_server.stores.postgres.semantic import PostgresSemanticStore
    from mnemora_server.stores.sqlite.semantic import SqliteSemanticStore

    def store(dimension: int) -> Any:
        if backend == "sqlite":
            return SqliteSemanticStore(tmp_path / "semantic.db", dimension=dimension)
        return PostgresSemanticStore(
            database.app_url, dimension=dimension, admin_url=database.admin_url
        )

    if backend == "postgres":
        database = request.getfixturevalue("postgres").fresh_database()
    first = store(8)
    first.setup()
    write(first, "t1", draft("eight", unit(1)))
    first.close()
    other = store(384)
    with pytest.raises(UnavailableError, match="8-d vectors"):
        other.setup()
    other.close()
    again = store(8)
    again.setup()  # the same dimension is welcome
    again.close()


def test_a_query_without_direction_is_equally_far_from_everything(
    semantic_store: SemanticStore,
) -> None:
    write(semantic_store, "t1", draft("one", unit(1)), draft("two", unit(0, 1)))
    zero = np.zeros(8, dtype=np.float32)
    hits = semantic_store.search_vector(
        "t1", zero, agent_id=None, namespace=None, matches=None, limit=5, threshold=-1.0
    )
    assert sorted(h.record.content for h in hits) == ["one", "two"]
    assert {h.similarity for h in hits} == {0.0}
    assert (
        semantic_store.search_vector(
            "t1", zero, agent_id=None, namespace=None, matches=None, limit=5, threshold=0.5
        )
        == []
    )


def test_common_words_do_not_make_a_keyword_search_rank_every_row(
    semantic_store: SemanticStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite the rows holding a rare term of the query (or, without one, all of its
    terms) are ranked first, scored by every term; the others come in when those are too
    few. (Shown with a budget of 5 rows instead of 2,000, counted over every tenant; other
    backends rank every match.)"""
    from mnemora_server.stores.sqlite import fulltext

    monkeypatch.setattr(fulltext, "SCORING_BUDGET", 5)
    notes = [f"order {n} was shipped by truck" for n in range(8)]
    notes += ["order 8841 was shipped to Oslo", "a parcel for Oslo is waiting"]
    write(
        semantic_store,
        "t1",
        *(draft(text, unit(1, i), dedup=False) for i, text in enumerate(notes)),
    )
    write(semantic_store, "t2", draft("order 8841 was shipped to Oslo", unit(1), dedup=False))

    def keyword(query: str, limit: int, tenant: str = "t1") -> list[str]:
        hits = semantic_store.search_keyword(
            tenant, query, agent_id="bot", namespace=None, matches=None, limit=limit
        )
        return [h.record.content for h in hits]

    # "8841" (2 rows) and "oslo" (3) are rare; "order" and "shipped" are in 10 rows each.
    found = keyword("where was order 8841 shipped to oslo", 2)
    assert found[0] == "order 8841 was shipped to Oslo"
    if "sqlite" in type(semantic_store).__module__:
        assert found[1] == "a parcel for Oslo is waiting", "a rare term's row before common ones"
    assert len(keyword("where was order 8841 shipped to oslo", 5)) == 5, (
        "fewer rare-term rows than asked for: the common-term rows fill the rest"
    )
    assert keyword("order 8841", 1, tenant="t2") == ["order 8841 was shipped to Oslo"]
    assert all("truck" in text for text in keyword("order truck", 3)), (
        "common terms only: the rows holding all of them first"
    )
    assert len(keyword("order shipped", 20)) == 9, "too few of those: every match is ranked"


@pytest.mark.parametrize(
    "fillers",
    [0, 4],
    ids=["few drafts", "many drafts"],
)
def test_a_batch_finds_duplicates_as_writes_one_at_a_time_would(
    semantic_store: SemanticStore, fillers: int
) -> None:
    """A batch looks up its drafts' nearest stored vectors in one pass; what it decides is
    what the same drafts written one at a time decide, including duplicates of what the batch
    itself wrote and of records it rewrote on the way. (The embedded index looks a few drafts
    up through its int8 screen and from eight on scores them exactly: both are run.)"""

    def batch(tenant: str, stored_b: str) -> list[SemanticDraft]:
        return [
            draft("x1", unit(1, 0.02)),  # a duplicate of "alpha" (stored before)
            draft("y1", unit(0, 0.3, 1)),  # new (nearest stored: beta, far)
            draft("y2", unit(0, 0.3, 1, 0.01)),  # a duplicate of y1, written by this batch
            draft("beta moved", unit(0, 0, 0, 1), id=stored_b),  # rewrites "beta"
            draft("b-like", unit(0, 1, 0.01)),  # near beta's old vector only: new
            draft("b-new", unit(0, 0, 0, 1, 0.01)),  # near beta's new vector: beta
            *(draft(f"z{i}", unit(*[0.0] * (4 + i), 1)) for i in range(fillers)),  # all new
        ]

    outcomes = []
    for tenant, at_once in (("t1", True), ("t2", False)):
        alpha, beta = write(
            semantic_store,
            tenant,
            draft("alpha", unit(1, 0.01)),
            draft("beta", unit(0, 1), dedup=False),
        )
        names = {alpha.record.id: "alpha", beta.record.id: "beta"}
        drafts = batch(tenant, beta.record.id)
        if at_once:
            written = write(semantic_store, tenant, *drafts)
        else:
            written = [write(semantic_store, tenant, d)[0] for d in drafts]
        for result, sent in zip(written, drafts, strict=True):
            names.setdefault(result.record.id, sent.content)
        outcomes.append([(names[w.record.id], w.deduplicated) for w in written])
    assert outcomes[1] == outcomes[0]
    assert outcomes[0] == [
        ("alpha", True),
        ("y1", False),
        ("y1", True),
        ("beta", False),
        ("b-like", False),
        ("beta", True),
        *((f"z{i}", False) for i in range(fillers)),
    ]


@pytest.mark.parametrize("fillers", [0, 8], ids=["few drafts", "many drafts"])
def test_a_batch_never_finds_duplicates_in_another_tenant(
    semantic_store: SemanticStore, fillers: int
) -> None:
    write(semantic_store, "t1", draft("refund policy", unit(1, 0.01)))
    write(semantic_store, "t1", *(draft(f"t1 z{i}", unit(*[0.0] * (i % 8), 1)) for i in range(8)))
    written = write(
        semantic_store,
        "t2",
        draft("refunds", unit(1, 0.02)),
        draft("refund rules", unit(1, 0.03)),
        # the very vectors of t1's records: their near-duplicates only in another tenant
        *(draft(f"t2 z{i}", unit(*[0.0] * (i % 7 + 1), 1)) for i in range(fillers)),
    )
    assert not written[0].deduplicated
    assert written[1].deduplicated  # the second repeats the first, in its own tenant
    assert written[1].record.id == written[0].record.id
    assert semantic_store.get("t1", written[0].record.id) is None
    t1_ids = {r.id for r in semantic_store.export("t1", "bot")}
    assert not t1_ids & {w.record.id for w in written}, "no draft merged into t1's records"


def test_adjacent_records_are_the_ones_written_next_to_it_in_its_own_scope(
    semantic_store: SemanticStore,
) -> None:
    def one(tenant: str, content: str, vector: Any, **extra: Any) -> str:
        return str(
            write(semantic_store, tenant, draft(content, vector, dedup=False, **extra))[0].record.id
        )

    first = one("t1", "first", unit(1))
    one("t2", "another tenant's", unit(1, 1))  # between them in every table, never adjacent
    one("t1", "another agent's", unit(1, 2), agent_id="other-bot")
    one("t1", "another namespace's", unit(1, 3), namespace="other")
    middle = one("t1", "middle", unit(1, 4))
    gone = one("t1", "deleted", unit(1, 5))
    semantic_store.soft_delete("t1", [gone], NOW)
    last = one("t1", "last", unit(1, 6))
    found = semantic_store.adjacent("t1", [first, middle, last, "unknown"])
    assert {i: [r.content for r in records] for i, records in found.items()} == {
        first: ["middle"],
        middle: ["first", "last"],
        last: ["middle"],
    }
    assert semantic_store.adjacent("t2", [middle]) == {}  # another tenant's id: nothing
