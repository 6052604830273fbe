"""The in-process index's block storage: growing never moves stored rows, and every way of
reading rows gives what one plain array would."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mnemora_server.services.semantic_writes import SemanticWriteRules
from mnemora_server.stores.base import SemanticDraft
from mnemora_server.stores.sqlite import vector_blocks
from mnemora_server.stores.sqlite.semantic import SqliteSemanticStore
from mnemora_server.stores.sqlite.vector_blocks import RowBlocks


@settings(max_examples=60, deadline=None)
@given(growth=st.lists(st.integers(1, 40), min_size=1, max_size=12), seed=st.integers(0, 99))
def test_blocks_read_like_one_array(growth: list[int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    blocks = RowBlocks(3, np.float32)
    reference = np.zeros((0, 3), dtype=np.float32)
    used = 0
    for extra in growth:
        settled = list(blocks.blocks[:-1])
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(vector_blocks, "BLOCK_ROWS", 16)
            blocks.grow(used + extra, used)
        rows = rng.standard_normal((extra, 3)).astype(np.float32)
        for i, row in enumerate(rows):
            blocks[used + i] = row
        reference = np.vstack([reference, rows])
        used += extra
        assert blocks.capacity >= used
        for block, before in zip(blocks.blocks, settled, strict=False):
            assert block is before, "only the last block is ever copied"
        pieces = list(blocks.pieces(used))
        assert np.array_equal(np.vstack([piece for _, piece in pieces]), reference)
        assert [start for start, _ in pieces] == list(
            np.cumsum([0] + [len(p) for _, p in pieces[:-1]])
        )
        wanted = rng.integers(0, used, 10)
        assert np.array_equal(blocks.take(wanted), reference[wanted])


def test_a_partition_grown_in_blocks_is_searched_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An agent written a batch at a time, searched between batches (so that its partition
    grows in many blocks), finds each query's nearest rows as an exact scan does."""
    monkeypatch.setattr(vector_blocks, "BLOCK_ROWS", 64)
    rng = np.random.default_rng(2)
    vectors = rng.standard_normal((600, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store = SqliteSemanticStore(tmp_path / "s.db", dimension=32)
    store.setup()
    for first in range(0, 600, 50):
        drafts = [
            SemanticDraft("a", "default", f"row {i}", {}, vectors[i], id=f"r{i}", dedup=False)
            for i in range(first, first + 50)
        ]
        store.write("t1", drafts, 1.0, SemanticWriteRules(max_vectors=None))
        store.search_vector(
            "t1", vectors[0], agent_id="a", namespace=None, matches=None, limit=1, threshold=-1
        )
    assert len(store.index._partitions[("t1", "a")].vectors.blocks) > 3
    for anchor in (3, 170, 599):
        query = vectors[anchor] + 0.1 * vectors[(anchor * 7) % 600]
        query = (query / np.linalg.norm(query)).astype(np.float32)
        hits = store.search_vector(
            "t1", query, agent_id="a", namespace=None, matches=None, limit=5, threshold=-1
        )
        assert [h.record.id for h in hits] == [f"r{i}" for i in np.argsort(-(vectors @ query))[:5]]
    queries = vectors[[5, 300, 590] * 4]
    with store.db.write() as conn:
        found = store.index.nearest_many(conn, "t1", "a", "default", queries)
    assert [m.record_id for m in found if m is not None] == ["r5", "r300", "r590"] * 4
    store.close()
