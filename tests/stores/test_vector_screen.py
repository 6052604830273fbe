"""The embedded default's in-process vector search (int8 screen, exact float32 ranking),
compared with an exact numpy scan over the same rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from mnemora_server.services.semantic_writes import SemanticWriteRules
from mnemora_server.stores.base import SemanticDraft
from mnemora_server.stores.sqlite.semantic import SqliteSemanticStore
from mnemora_server.stores.sqlite.vector_index import (
    EXACT_FROM_QUERIES,
    SCREEN_CANDIDATES,
    quantise,
)

NOW = 1_800_000_000.0
DIMENSION = 384
ROWS = 12_000  # well above SCREEN_CANDIDATES, so the int8 screen decides what is ranked


def unit_rows(rng: np.random.Generator, count: int) -> npt.NDArray[np.float32]:
    """Random unit rows whose components are heavy-tailed to a different degree per row, so
    rows' largest components (their int8 scales) differ as much as real embeddings' do."""
    spread = rng.uniform(0.0, 1.5, (count, 1))
    matrix = rng.standard_normal((count, DIMENSION)) * np.exp(
        spread * rng.standard_normal((count, DIMENSION))
    )
    return (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    """One agent with ROWS random unit vectors (the hardest case for a coarse screen: the
    scores of near and far rows differ little), every 100th row in namespace "rare"."""
    store = SqliteSemanticStore(tmp_path_factory.mktemp("screen") / "s.db", dimension=DIMENSION)
    store.setup()
    vectors = unit_rows(np.random.default_rng(5), ROWS)
    drafts = [
        SemanticDraft(
            agent_id="big",
            namespace="rare" if i % 100 == 0 else "default",
            content=f"row {i}",
            metadata={"i": i},
            embedding=vectors[i],
            id=f"r{i}",
            dedup=False,
        )
        for i in range(ROWS)
    ]
    for start in range(0, ROWS, 2000):
        store.write("t1", drafts[start : start + 2000], NOW, SemanticWriteRules(max_vectors=None))
    yield store, vectors
    store.close()


def exact_ids(
    vectors: npt.NDArray[np.float32], query: npt.NDArray[np.float32], rows: Any, k: int
) -> list[str]:
    rows = np.asarray(rows)
    scores = vectors[rows] @ query
    return [f"r{i}" for i in rows[np.argsort(-scores, kind="stable")[:k]]]


def search(store: SqliteSemanticStore, query: Any, tenant: str = "t1", **options: Any) -> list[Any]:
    """The store's vector search of agent "big" (every row, top 10), with ``options``."""
    arguments: dict[str, Any] = {
        "agent_id": "big",
        "namespace": None,
        "matches": None,
        "limit": 10,
        "threshold": -1.0,
    }
    arguments.update(options)
    return store.search_vector(tenant, query, **arguments)


def test_recall_at_10_against_the_exact_scan(loaded: tuple[Any, Any]) -> None:
    store, vectors = loaded
    rng = np.random.default_rng(9)
    # Random queries, and queries near a stored row (how real queries relate to memories).
    anchors = vectors[rng.integers(0, ROWS, 50)]
    queries = np.vstack([unit_rows(rng, 50), anchors + 0.05 * unit_rows(rng, 50)])
    recalls = []
    for query in queries:
        query = (query / np.linalg.norm(query)).astype(np.float32)
        hits = search(store, query)
        expected = exact_ids(vectors, query, range(ROWS), 10)
        recalls.append(len({h.record.id for h in hits} & set(expected)) / 10)
        # The reported similarity is the exact cosine, not the screened estimate.
        for hit in hits:
            row = int(hit.record.id[1:])
            assert hit.similarity == pytest.approx(float(vectors[row] @ query), abs=1e-5)
    assert min(recalls) >= 0.9
    assert sum(recalls) / len(recalls) >= 0.99


def test_a_selective_namespace_is_searched_exactly(loaded: tuple[Any, Any]) -> None:
    store, vectors = loaded
    query = unit_rows(np.random.default_rng(11), 1)[0]
    rare = range(0, ROWS, 100)  # 120 rows, fewer than the screen keeps: ranked exactly
    hits = search(store, query, namespace="rare", limit=20)
    assert [h.record.id for h in hits] == exact_ids(vectors, query, rare, 20)


def test_a_selective_metadata_filter_still_finds_its_rows(loaded: tuple[Any, Any]) -> None:
    store, vectors = loaded
    query = unit_rows(np.random.default_rng(12), 1)[0]
    wanted = {7, 4_321, 11_999}  # three rows of 12,000: the search widens until it has them
    hits = search(store, query, matches=lambda metadata: metadata["i"] in wanted, limit=5)
    assert [h.record.id for h in hits] == exact_ids(vectors, query, sorted(wanted), 5)


def test_threshold_cuts_on_exact_scores(loaded: tuple[Any, Any]) -> None:
    store, vectors = loaded
    query = vectors[123]
    hits = search(store, query, threshold=0.5, limit=SCREEN_CANDIDATES)
    assert [h.record.id for h in hits] == ["r123"]  # random rows are nowhere near 0.5


def test_deletes_and_changed_vectors_are_seen(tmp_path: Path) -> None:
    store = SqliteSemanticStore(tmp_path / "s.db", dimension=DIMENSION)
    store.setup()
    vectors = unit_rows(np.random.default_rng(3), 1_000)
    drafts = [
        SemanticDraft("a", "default", f"row {i}", {}, vectors[i], id=f"r{i}", dedup=False)
        for i in range(1_000)
    ]
    store.write("t1", drafts, NOW, SemanticWriteRules(max_vectors=None))
    query = vectors[10]
    assert search(store, query, agent_id="a", limit=1)[0].record.id == "r10"
    store.soft_delete("t1", ["r10"], NOW + 1)
    assert "r10" not in {h.record.id for h in search(store, query, agent_id="a", limit=50)}
    # r20 now points where r10 did: the index follows the new vector.
    store.update("t1", "r20", NOW + 2, content="moved", metadata=None, embedding=query)
    assert search(store, query, agent_id="a", limit=1)[0].record.id == "r20"
    # Another tenant with the very same vectors sees none of these rows, nor they its.
    store.write(
        "t2",
        [SemanticDraft("a", "default", "theirs", {}, query, id="x", dedup=False)],
        NOW,
        SemanticWriteRules(max_vectors=None),
    )
    assert [
        h.record.id
        for h in store.search_vector(
            "t2", query, agent_id=None, namespace=None, matches=None, limit=5, threshold=-1.0
        )
    ] == ["x"]
    assert "x" not in {h.record.id for h in search(store, query, agent_id="a", limit=50)}
    store.close()


def test_quantised_rows_keep_their_scale() -> None:
    rows = unit_rows(np.random.default_rng(4), 100)
    rows[0] = 0.0  # a zero vector quantises to zeros, not NaN
    codes, scales = quantise(rows)
    assert codes.dtype == np.int8
    assert np.abs(codes).max() == 127
    restored = codes.astype(np.float32) * scales[:, None]
    assert np.abs(restored - rows).max() <= scales.max() / 2 + 1e-7
    assert not codes[0].any()


def queries_near(
    vectors: npt.NDArray[np.float32], noise: npt.NDArray[np.float32], rng: np.random.Generator
) -> npt.NDArray[np.float32]:
    """Unit queries each near a random stored row (offset by the rows of ``noise``)."""
    queries = vectors[rng.integers(0, len(vectors), len(noise))] + noise
    return (queries / np.linalg.norm(queries, axis=1, keepdims=True)).astype(np.float32)


def assert_nearest(
    match: Any, vectors: npt.NDArray[np.float32], rows: Any, query: npt.NDArray[np.float32]
) -> None:
    """``match`` is the nearest of ``rows`` to ``query``, with its exact similarity."""
    scores = vectors[rows] @ query
    assert match is not None
    assert match.record_id == f"r{int(rows[int(np.argmax(scores))])}"
    assert match.similarity == pytest.approx(float(scores.max()), abs=1e-5)


@pytest.mark.parametrize("count", [3, EXACT_FROM_QUERIES, 40], ids=["screened", "exact", "chunks"])
def test_nearest_many_finds_each_querys_nearest_row(loaded: tuple[Any, Any], count: int) -> None:
    """A batch's duplicate lookup: each query's nearest live row of one namespace, with its
    exact similarity, whether the queries go through the int8 screen (few) or are scored
    exactly (many, in chunks)."""
    store, vectors = loaded
    rng = np.random.default_rng(count)
    queries = queries_near(vectors, 0.02 * unit_rows(rng, count), rng)
    default_rows = np.array([i for i in range(ROWS) if i % 100])
    with store.db.write() as conn:
        found = store.index.nearest_many(conn, "t1", "big", "default", queries)
        in_rare = store.index.nearest_many(conn, "t1", "big", "rare", queries)
        elsewhere = store.index.nearest_many(conn, "t2", "big", "default", queries)
    for query, match, rare_match in zip(queries, found, in_rare, strict=True):
        assert_nearest(match, vectors, default_rows, query)
        assert rare_match is not None
        assert int(rare_match.record_id[1:]) % 100 == 0
    assert elsewhere == [None] * count, "another tenant's rows are never anyone's nearest"
