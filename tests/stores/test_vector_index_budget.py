"""The embedded semantic store's in-process vector index keeps to its memory budget
(``MNEMORA_VECTOR_INDEX_MB``): least recently searched agents are dropped, and a dropped
agent's search still answers, from SQLite; an agent too large for the budget is held as int8
codes only, or not at all, and is searched alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from mnemora_server.services.semantic_writes import SemanticWriteRules
from mnemora_server.settings import Settings
from mnemora_server.stores.base import SemanticDraft
from mnemora_server.stores.registry import open_stores
from mnemora_server.stores.sqlite.semantic import SqliteSemanticStore
from mnemora_server.stores.sqlite.vector_index import row_bytes
from tests.stores.test_semantic_contract import NOW, draft, unit, write
from tests.stores.test_vector_screen import assert_nearest, queries_near, search


def test_the_index_holds_no_more_than_its_budget_and_still_answers(tmp_path: Path) -> None:
    writer = SqliteSemanticStore(tmp_path / "s.db", dimension=8)
    writer.setup()
    agents = [f"agent-{n}" for n in range(6)]
    for agent in agents:
        drafts = (
            draft(f"{agent} fact {i}", unit(1, i / 10), agent_id=agent, dedup=False)
            for i in range(20)
        )
        write(writer, "t1", *drafts)
    writer.search_vector(
        "t1", unit(1), agent_id="agent-0", namespace=None, matches=None, limit=1, threshold=-1.0
    )
    one_agent = writer.index.nbytes()
    writer.close()

    budget = 3 * one_agent  # room for three agents
    store = SqliteSemanticStore(tmp_path / "s.db", dimension=8, index_bytes=budget)

    def nearest(agent: str) -> str:
        hits = store.search_vector(
            "t1", unit(1), agent_id=agent, namespace=None, matches=None, limit=1, threshold=-1.0
        )
        return hits[0].record.content

    for round_ in range(2):
        for agent in agents:
            assert nearest(agent) == f"{agent} fact 0", (round_, agent)
            assert store.index.nbytes() <= budget
            assert len(store.index._partitions) <= 3, "the least recently searched were dropped"
    store.close()


def test_the_budget_is_a_setting(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, vector_index_mb=3)
    stores = open_stores(settings, dimension=8)
    assert stores.semantic.index._max_bytes == 3 * 1024**2  # type: ignore[attr-defined]
    assert stores.items.index._max_bytes == 3 * 1024**2  # type: ignore[attr-defined]
    stores.close()


DIMENSION = 384
ROWS = 3_000


def _unit_rows(rng: np.random.Generator, count: int) -> npt.NDArray[np.float32]:
    rows = rng.standard_normal((count, DIMENSION)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def big_agent(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, npt.NDArray[np.float32]]:
    """One agent of tenant t1 with ROWS random vectors (every 10th in namespace "odd", each
    with metadata {"i": i}), and tenant t2 holding the very same vectors under the same agent
    name and the same ids."""
    path = tmp_path_factory.mktemp("budget") / "s.db"
    store = SqliteSemanticStore(path, dimension=DIMENSION)
    store.setup()
    vectors = _unit_rows(np.random.default_rng(21), ROWS)
    for tenant in ("t1", "t2"):
        drafts = [
            SemanticDraft(
                "big",
                "odd" if i % 10 == 0 else "default",
                f"{tenant} row {i}",
                {"i": i},
                vectors[i],
                id=f"r{i}",
                dedup=False,
            )
            for i in range(ROWS)
        ]
        store.write(tenant, drafts, NOW, SemanticWriteRules(max_vectors=None))
    store.close()
    return path, vectors


def _budgets() -> dict[str, int]:
    """A budget for each way of holding the agent: its float32 vectors, its codes only, or
    nothing at all."""
    floats = ROWS * row_bytes(DIMENSION, floats=True)
    codes = ROWS * row_bytes(DIMENSION, floats=False)
    return {"floats": 2 * floats, "codes": (floats + codes) // 2, "nothing": codes // 2}


def _search(store: SqliteSemanticStore, query: Any, tenant: str = "t1", **options: Any) -> Any:
    return [(h.record.id, round(h.similarity, 5)) for h in search(store, query, tenant, **options)]


@pytest.mark.parametrize("held", ["floats", "codes", "nothing"])
def test_an_agent_larger_than_the_budget_is_searched_alike_within_it(
    big_agent: tuple[Path, npt.NDArray[np.float32]], held: str
) -> None:
    """Whatever the budget, a search finds what the exact scan finds (near a stored row, as
    real queries are), filters and namespaces apply, another tenant's identical rows are never
    found, and the index holds no more than its budget."""
    path, vectors = big_agent
    budget = _budgets()[held]
    store = SqliteSemanticStore(path, dimension=DIMENSION, index_bytes=budget)
    rng = np.random.default_rng(5)
    for anchor in rng.integers(0, ROWS, 10).tolist():
        query = vectors[anchor] + 0.3 * _unit_rows(rng, 1)[0]
        query = (query / np.linalg.norm(query)).astype(np.float32)
        exact = vectors @ query
        expected = [(f"r{i}", round(float(exact[i]), 5)) for i in np.argsort(-exact)[:10]]
        assert _search(store, query) == expected
        odd = [i for i in np.argsort(-exact) if i % 10 == 0][:5]
        assert _search(store, query, namespace="odd", limit=5) == [
            (f"r{i}", round(float(exact[i]), 5)) for i in odd
        ]
        wanted = {anchor, (anchor + 1) % ROWS}
        hits = _search(store, query, matches=lambda m, w=wanted: m["i"] in w)
        assert sorted(hits) == sorted((f"r{i}", round(float(exact[i]), 5)) for i in wanted)
        assert _search(store, query, threshold=float(exact[anchor]) - 1e-4) == expected[:1]
        records = store.search_vector(
            "t1", query, agent_id="big", namespace=None, matches=None, limit=10, threshold=-1.0
        )
        assert {h.record.content.split()[0] for h in records} == {"t1"}
        assert store.index.nbytes() <= budget
    assert _search(store, vectors[7], tenant="t3") == [], "a tenant without rows finds nothing"
    partition = store.index._partitions[("t1", "big")]
    assert (partition.floats, partition.streamed) == {
        "floats": (True, False),
        "codes": (False, False),
        "nothing": (True, True),
    }[held]
    store.close()


@pytest.mark.parametrize("held", ["floats", "codes", "nothing"])
@pytest.mark.parametrize("count", [3, 12])
def test_duplicate_lookups_within_any_budget(
    big_agent: tuple[Path, npt.NDArray[np.float32]], held: str, count: int
) -> None:
    """A batch's nearest-row lookups (few drafts screened, many scored exactly) give each
    draft its nearest row of the namespace with its exact similarity, whatever the budget."""
    path, vectors = big_agent
    store = SqliteSemanticStore(path, dimension=DIMENSION, index_bytes=_budgets()[held])
    rng = np.random.default_rng(count)
    queries = queries_near(vectors, 0.05 * _unit_rows(rng, count), rng)
    default_rows = np.array([i for i in range(ROWS) if i % 10])
    with store.db.write() as conn:
        found = store.index.nearest_many(conn, "t1", "big", "default", queries)
    for query, match in zip(queries, found, strict=True):
        assert_nearest(match, vectors, default_rows, query)
    store.close()


def test_an_agent_that_outgrows_the_budget_drops_its_floats_then_everything(
    tmp_path: Path,
) -> None:
    """The way an agent is held follows its size as it grows, and deletes stay seen."""
    vectors = _unit_rows(np.random.default_rng(8), 400)
    per_row = row_bytes(DIMENSION, floats=True)  # 120 rows' worth: 100 fit, 200 as codes, not 400
    store = SqliteSemanticStore(tmp_path / "s.db", dimension=DIMENSION, index_bytes=120 * per_row)
    store.setup()

    def add(first: int, last: int) -> None:
        drafts = [
            SemanticDraft("a", "default", f"row {i}", {}, vectors[i], id=f"r{i}", dedup=False)
            for i in range(first, last)
        ]
        store.write("t1", drafts, NOW, SemanticWriteRules(max_vectors=None))

    add(0, 100)
    assert _search(store, vectors[5], agent_id="a", limit=1) == [("r5", 1.0)]
    partition = store.index._partitions[("t1", "a")]
    assert partition.floats
    add(100, 200)  # now more than the budget holds with floats
    assert _search(store, vectors[150], agent_id="a", limit=1) == [("r150", 1.0)]
    for extra in range(200, 360, 5):  # growing a few rows at a time stays within the budget
        add(extra, extra + 5)
        _search(store, vectors[0], agent_id="a", limit=1)
        assert store.index.nbytes() <= 120 * per_row
    assert not partition.floats
    assert not partition.streamed
    store.soft_delete("t1", ["r150"], NOW + 1)
    assert "r150" not in dict(_search(store, vectors[150], agent_id="a", limit=5))
    add(360, 400)  # more than even the codes fit: held no more, read from SQLite
    assert _search(store, vectors[350], agent_id="a", limit=1) == [("r350", 1.0)]
    assert "r150" not in dict(_search(store, vectors[150], agent_id="a", limit=5))
    assert store.index._partitions[("t1", "a")].streamed
    assert store.index.nbytes() == 0
    store.close()


def test_reading_a_candidates_vectors_stays_within_the_tenant(
    big_agent: tuple[Path, npt.NDArray[np.float32]],
) -> None:
    """A codes-only partition reads its candidates' vectors by primary key and tenant: asked
    under another tenant, the very same keys read nothing."""
    path, _ = big_agent
    store = SqliteSemanticStore(path, dimension=DIMENSION, index_bytes=_budgets()["codes"])
    _search(store, np.ones(DIMENSION, dtype=np.float32) / DIMENSION**0.5)
    partition = store.index._partitions[("t1", "big")]
    assert not partition.floats
    slots = np.arange(5)
    with store.db.read() as conn:
        own = store.index._exact_vectors(conn, "t1", partition)(slots)
        other = store.index._exact_vectors(conn, "t2", partition)(slots)
    assert np.abs(own).sum() > 0
    assert not other.any(), "t1's keys read nothing under t2"
    store.close()
