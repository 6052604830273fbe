"""The embedded semantic store's in-process vector index keeps to its memory budget
(``MNEMORA_VECTOR_INDEX_MB``): least recently searched agents are dropped, and a dropped
agent's search still answers, from SQLite."""

from __future__ import annotations

from pathlib import Path

from mnemora_server.settings import Settings
from mnemora_server.stores.registry import open_stores
from tests.stores.test_semantic_contract import draft, unit, write


def test_the_index_holds_no_more_than_its_budget_and_still_answers(tmp_path: Path) -> None:
    from mnemora_server.stores.sqlite.semantic import SqliteSemanticStore

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
