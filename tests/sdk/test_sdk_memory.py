"""The SDK's memory methods against a live server: semantic, episodic, procedural, unified,
export and import, iterators; sync and async."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from mnemora import (
    MnemoraClient,
    MnemoraNotFoundError,
    MnemoraSync,
    MnemoraValidationError,
    SearchResult,
)
from tests.conftest import LiveServer


@pytest.fixture
def client(live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[MnemoraSync]:
    key = live_server.tenant(
        f"sdk-{request.node.name[:40].replace('[', '-').rstrip(']')}", burst_per_second=100_000
    )
    with MnemoraSync(api_key=key, base_url=live_server.url) as sync:
        yield sync


def test_semantic_methods(client: MnemoraSync) -> None:
    first = client.store_memory("bot", "Refunds take 5 days", metadata={"n": 1})
    assert first.deduplicated is False
    again = client.store_memory("bot", "Refunds take 5 days.")
    assert again.deduplicated is True
    batch = client.store_memories(
        "bot",
        [{"content": f"fact {i} about otters", "dedup": False} for i in range(3)],
        namespace="zoo",
    )
    assert len(batch) == 3
    assert client.search_memory("how long is a refund", agent_id="bot")[0].id == first.id
    assert client.search_memory("otters", mode="keyword", namespace="zoo")
    updated = client.update_memory(first.id, metadata={"n": 2})
    assert updated.metadata == {"n": 2}
    assert [m.namespace for m in client.iter_memories(namespace="zoo", page_size=2)] == ["zoo"] * 3
    assert len(client.embed(["a", "b"]).embeddings) == 2
    client.delete_memory(first.id)
    with pytest.raises(MnemoraNotFoundError):
        client.get_memory(first.id)


def test_episodic_methods(client: MnemoraSync) -> None:
    for i in range(7):
        client.store_episode(
            "bot",
            "t1",
            "conversation",
            f"message {i} about parcels",
            timestamp=f"2026-01-0{i + 1}T00:00:00Z",
        )
    client.store_episode("bot", "t2", "action", {"tool": "refund"})
    assert [e.content for e in client.get_episodes("bot", session_id="t1", limit=2)] == [
        "message 6 about parcels",
        "message 5 about parcels",
    ]
    walked = list(client.iter_episodes("bot", session_id="t1", page_size=3))
    assert len(walked) == 7
    ranged = client.get_episodes(
        "bot", from_ts="2026-01-02T00:00:00Z", to_ts="2026-01-03T00:00:00Z"
    )
    assert [e.content for e in ranged] == ["message 2 about parcels", "message 1 about parcels"]
    replay = client.get_session_episodes("bot", "t1")
    assert [e.content for e in replay] == [f"message {i} about parcels" for i in range(7)]
    assert client.search_episodes("parcels", agent_id="bot", limit=3)
    with pytest.raises(MnemoraValidationError):
        client.store_episode("bot", "t1", "dream", "x")


def test_procedural_methods(client: MnemoraSync) -> None:
    client.store_procedure("bot", "refund", "tool", {"params": {}}, "Refund an order")
    second = client.store_procedure("bot", "refund", "tool", {"params": {"amount": "number"}})
    assert second.version == 2
    assert client.get_procedure("bot", "refund").version == 2
    assert client.get_procedure("bot", "refund", version=1).description == "Refund an order"
    assert [p.name for p in client.list_procedures("bot")] == ["refund"]
    assert client.delete_procedure("bot", "refund") == 2


def test_unified_methods_and_purge(client: MnemoraSync) -> None:
    client.store_state("bot", {"step": 1})
    client.store_memory("bot", "The parcel depot is in Leeds")
    client.store_episode("bot", "t1", "observation", "Parcel scanned at the depot")
    client.store_procedure("bot", "track", "tool", {"url": "x"})
    results = client.search_all("parcel depot", agent_id="bot")
    assert all(isinstance(r, SearchResult) for r in results)
    assert {r.memory_type for r in results} == {"semantic", "episodic"}
    view = client.get_all_memory("bot")
    assert [len(view[k]) for k in ("state", "semantic", "episodic", "procedural")] == [1, 1, 1, 1]
    purged = client.purge_agent("bot")
    assert (
        purged.state_deleted,
        purged.semantic_deleted,
        purged.episodes_deleted,
        purged.procedural_deleted,
    ) == (1, 1, 1, 1)
    assert repr(purged) == (
        "PurgeResponse(state_deleted=1, semantic_deleted=1, episodes_deleted=1, "
        "procedural_deleted=1, checkpoints_deleted=0, items_deleted=0)"
    )


def test_export_and_import_files(
    client: MnemoraSync, live_server: LiveServer, tmp_path: Path
) -> None:
    client.store_state("bot", {"step": 1})
    client.store_memory("bot", "Exported knowledge")
    client.store_episode("bot", "t1", "action", "exported event")
    path = tmp_path / "bot.ndjson"
    assert client.export_agent(str(path), agent_id="bot") == 4
    assert [json.loads(line)["kind"] for line in path.read_text().splitlines()] == [
        "header",
        "state",
        "semantic",
        "episode",
    ]
    other = MnemoraSync(api_key=live_server.tenant("sdk-import-target"), base_url=live_server.url)
    report = other.import_file(str(path))
    assert report.stored == {
        "state": 1,
        "semantic": 1,
        "episode": 1,
        "procedure": 0,
        "checkpoint": 0,
        "item": 0,
    }
    assert other.search_memory("exported knowledge")[0].content == "Exported knowledge"
    other.close()


def test_async_client_iterators_and_downloads(live_server: LiveServer, tmp_path: Path) -> None:
    key = live_server.tenant("sdk-async-memory", burst_per_second=100_000)

    async def scenario() -> tuple[int, list[str], int]:
        async with MnemoraClient(api_key=key, base_url=live_server.url) as client:
            await asyncio.gather(
                *(client.store_episode("bot", "s", "action", f"e{i}") for i in range(5))
            )
            seen = [e.content async for e in client.iter_episodes("bot", page_size=2)]
            await client.store_memory("bot", "async knowledge")
            lines = await client.export_agent(str(tmp_path / "a.ndjson"))
            hits = await client.search_all("async knowledge")
            return len(seen), sorted(seen), lines + len(hits) * 0

    count, seen, lines = asyncio.run(scenario())
    assert count == 5
    assert seen == [f"e{i}" for i in range(5)]
    assert lines == 7
