"""Semantic memory's keyword terms on SQLite are scoped to their agent and tenant: words are
split as FTS5 splits them, rows written before the scoping are indexed once on upgrade, and a
keyword search finds only its own scope's rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mnemora_server.services.semantic_writes import SemanticWriteRules
from mnemora_server.stores.base import SemanticDraft
from mnemora_server.stores.sqlite.database import SqliteDatabase
from mnemora_server.stores.sqlite.scoped_terms import (
    agent_scope,
    scoped_query_terms,
    scoped_text,
    tenant_scope,
)
from mnemora_server.stores.sqlite.semantic import SqliteSemanticStore
from mnemora_server.stores.sqlite.semantic_schema import MIGRATIONS

NOW = 1_800_000_000.0


def _vector(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).standard_normal(8).astype(np.float32)
    return vector / np.linalg.norm(vector)


def test_scopes_differ_and_words_split_as_fts5_splits_them() -> None:
    scopes = {
        agent_scope("t1", "bot"),
        agent_scope("t1", "other"),
        agent_scope("t2", "bot"),
        tenant_scope("t1"),
        tenant_scope("t2"),
    }
    assert len(scopes) == 5
    scope = agent_scope("t1", "bot")
    assert (
        scoped_text(scope, "order_id 42: Café!") == f"{scope}order {scope}id {scope}42 {scope}Café"
    )
    assert scoped_query_terms(scope, "the order_id of the café") == [
        f"{scope}order",
        f"{scope}id",
        f"{scope}café",
    ]


def _store(path: Path) -> SqliteSemanticStore:
    store = SqliteSemanticStore(path, dimension=8)
    store.setup()
    return store


def _write(store: SqliteSemanticStore, tenant: str, agent: str, text: str, seed: int) -> None:
    draft = SemanticDraft(agent, "default", text, {}, _vector(seed), dedup=False)
    store.write(tenant, [draft], NOW, SemanticWriteRules(max_vectors=None))


def _keyword(store: SqliteSemanticStore, tenant: str, agent: str | None, text: str) -> list[str]:
    hits = store.search_keyword(
        tenant, text, agent_id=agent, namespace=None, matches=None, limit=10
    )
    return [hit.record.content for hit in hits]


def test_keyword_search_finds_diacritics_and_joined_words_in_its_own_scope(
    tmp_path: Path,
) -> None:
    store = _store(tmp_path / "semantic.db")
    _write(store, "t1", "bot", "Invoice order_id 8841 from the Café Central", 1)
    _write(store, "t1", "other", "Invoice order_id 8841 for another agent", 2)
    _write(store, "t2", "bot", "Invoice order_id 8841 of another tenant", 3)
    assert _keyword(store, "t1", "bot", "cafe") == ["Invoice order_id 8841 from the Café Central"]
    assert _keyword(store, "t1", "bot", "order_id 8841") == [
        "Invoice order_id 8841 from the Café Central"
    ]
    assert sorted(_keyword(store, "t1", None, "8841")) == [
        "Invoice order_id 8841 for another agent",
        "Invoice order_id 8841 from the Café Central",
    ]
    assert _keyword(store, "t2", None, "invoice") == ["Invoice order_id 8841 of another tenant"]


def test_rows_written_before_the_scoping_are_indexed_on_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "semantic.db"
    old = SqliteDatabase(path, MIGRATIONS[:2])
    old.setup()
    with old.write() as conn:
        for pk, (tenant, agent, text, deleted) in enumerate(
            [
                ("t1", "bot", "refunds take five days", None),
                ("t1", "bot", "refunds were deleted", NOW),
                ("t2", "bot", "refunds of another tenant", None),
            ],
            start=1,
        ):
            conn.execute(
                "INSERT INTO semantic (pk, tenant_id, id, agent_id, namespace, content,"
                " content_hash, metadata, embedding, created_at, updated_at, deleted_at, seq)"
                " VALUES (?, ?, ?, ?, 'default', ?, '', '{}', ?, ?, ?, ?, ?)",
                (pk, tenant, f"m{pk}", agent, text, _vector(pk).tobytes(), NOW, NOW, deleted, pk),
            )
            if deleted is None:
                conn.execute("INSERT INTO semantic_fts (rowid, content) VALUES (?, ?)", (pk, text))
    old.close()
    store = _store(path)
    assert _keyword(store, "t1", "bot", "refunds") == ["refunds take five days"]
    assert _keyword(store, "t2", None, "refunds") == ["refunds of another tenant"]
    store.close()
    again = _store(path)  # a second start indexes nothing twice
    assert _keyword(again, "t1", "bot", "refunds") == ["refunds take five days"]


def test_a_search_that_has_enough_of_the_likeliest_rows_ranks_no_others(tmp_path: Path) -> None:
    """The keyword leg of a hybrid search asks for ``enough`` (its page) out of ``limit``
    candidates: the rows holding the question's rare word fill it, and the hundreds holding
    only its common word are not ranked; a keyword search asking for its whole limit gets
    them."""
    store = _store(tmp_path / "semantic.db")
    drafts = [
        SemanticDraft("bot", "default", f"refund request {i}", {}, _vector(i), dedup=False)
        for i in range(600)
    ]
    drafts += [
        SemanticDraft("bot", "default", f"zebra refund {i}", {}, _vector(1000 + i), dedup=False)
        for i in range(3)
    ]
    store.write("t1", drafts, NOW, SemanticWriteRules(max_vectors=None))

    def search(enough: int | None) -> list[str]:
        hits = store.search_keyword(
            "t1",
            "zebra refund",
            agent_id="bot",
            namespace=None,
            matches=None,
            limit=30,
            enough=enough,
        )
        return [hit.record.content for hit in hits]

    assert sorted(search(enough=3)) == ["zebra refund 0", "zebra refund 1", "zebra refund 2"]
    everything = search(enough=None)
    assert len(everything) == 30
    assert sorted(everything[:3]) == ["zebra refund 0", "zebra refund 1", "zebra refund 2"]
