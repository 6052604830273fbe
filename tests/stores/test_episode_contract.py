"""The EpisodeStore contract (hot tier and manifest), on every backend."""

from __future__ import annotations

import pytest

from mnemora_server.errors import ConflictError
from mnemora_server.stores.base import (
    Episode,
    EpisodeFilter,
    EpisodeStore,
    EpisodeTotals,
    Segment,
)

T0 = 1_800_000_000.0


def ep(
    i: int, *, agent: str = "bot", session: str = "s1", kind: str = "action", content: object = None
) -> Episode:
    return Episode(
        id=f"ep_{i:04d}",
        agent_id=agent,
        session_id=session,
        type=kind,
        content=content if content is not None else f"event {i}",
        metadata={"i": i},
        timestamp=T0 + i,
        ingested_at=T0 + 100,
    )


def test_lists_filters_cursors_and_replay(episode_store: EpisodeStore) -> None:
    episode_store.append(
        "t1",
        [
            ep(i, session="s1" if i % 2 else "s2", kind="action" if i % 3 else "observation")
            for i in range(10)
        ],
    )
    newest = episode_store.list_hot("t1", EpisodeFilter("bot"), before=None, limit=3)
    assert [e.id for e in newest] == ["ep_0009", "ep_0008", "ep_0007"]
    after = episode_store.list_hot("t1", EpisodeFilter("bot"), before=(T0 + 7, "ep_0007"), limit=2)
    assert [e.id for e in after] == ["ep_0006", "ep_0005"]
    filtered = episode_store.list_hot(
        "t1",
        EpisodeFilter("bot", session_id="s1", type="action", start=T0 + 2, end=T0 + 8),
        before=None,
        limit=10,
    )
    assert [e.id for e in filtered] == ["ep_0007", "ep_0005"]
    replay = episode_store.session_hot("t1", "bot", "s2", after=None, limit=3)
    assert [e.id for e in replay] == ["ep_0000", "ep_0002", "ep_0004"]
    rest = episode_store.session_hot("t1", "bot", "s2", after=(T0 + 4, "ep_0004"), limit=10)
    assert [e.id for e in rest] == ["ep_0006", "ep_0008"]
    assert newest[0].metadata == {"i": 9}


def test_search_restore_and_get(episode_store: EpisodeStore) -> None:
    episode_store.append(
        "t1",
        [
            ep(1, content={"message": "my parcel is lost"}),
            ep(2, content="parcel found at the depot"),
            ep(3, content="invoice question", agent="other"),
        ],
    )
    hits = episode_store.search_text("t1", "lost parcel", agent_id=None, limit=5)
    assert [h[0] for h in hits][:1] == ["ep_0001"]
    assert {h[0] for h in hits} == {"ep_0001", "ep_0002"}
    found = episode_store.get_hot("t1", [(h[0], h[1], h[2]) for h in hits])
    assert found["ep_0002"].content == "parcel found at the depot"
    assert episode_store.append("t1", [ep(1), ep(4)], restore=True) == 1
    assert episode_store.agents("t1") == ["bot", "other"]


def test_tiering_manifest_totals_and_purge(episode_store: EpisodeStore) -> None:
    episodes = [ep(i, content="x" * i) for i in range(6)]
    episode_store.append("t1", episodes)
    size = sum(e.stored_bytes for e in episodes)
    assert episode_store.totals("t1") == EpisodeTotals(episodes=6, bytes=size, agents=1)
    assert episode_store.append("t1", episodes[:2], restore=True) == 0
    assert episode_store.totals("t1").episodes == 6, "skipped restores count nothing"
    assert ("t1", "bot") in episode_store.tiering_candidates(T0 + 3)
    old = episode_store.old_hot("t1", "bot", T0 + 3, 10)
    assert [e.id for e in old] == ["ep_0000", "ep_0001", "ep_0002"]
    segment = Segment(
        "seg_1",
        "bot",
        "t1/bot/d/seg_1.ndjson.gz",
        3,
        sum(e.stored_bytes for e in old),
        T0,
        T0 + 2,
        ("s1",),
    )
    with pytest.raises(ConflictError):
        episode_store.commit_segment("t1", segment, ["ep_0000", "ep_9999"])
    episode_store.commit_segment("t1", segment, [e.id for e in old])
    hot = episode_store.list_hot("t1", EpisodeFilter("bot"), before=None, limit=10)
    assert [e.id for e in hot] == ["ep_0005", "ep_0004", "ep_0003"]
    assert [s.segment_id for s in episode_store.segments("t1", "bot", start=T0 + 1)] == ["seg_1"]
    assert episode_store.segments("t1", "bot", start=T0 + 3) == []
    assert episode_store.segments("t1", "bot", session_id="s2") == []
    assert episode_store.segment_keys("t1", None) == ["t1/bot/d/seg_1.ndjson.gz"]
    assert episode_store.totals("t1") == EpisodeTotals(episodes=6, bytes=size, agents=1)
    assert episode_store.forget_segments("t1", "bot") == 3
    assert episode_store.purge_agent("t1", "bot") == 3
    assert episode_store.totals("t1") == EpisodeTotals(episodes=0, bytes=0, agents=0)
    assert episode_store.search_text("t1", "event", agent_id=None, limit=5) == []
    assert episode_store.agents("t1") == []


def test_tenants_never_share(episode_store: EpisodeStore) -> None:
    episode_store.append("tenant-a", [ep(1, content="Initech merger")])
    assert episode_store.totals("tenant-b") == EpisodeTotals(), "counters are per tenant"
    assert episode_store.totals("tenant-a").episodes == 1
    assert episode_store.list_hot("tenant-b", EpisodeFilter("bot"), before=None, limit=5) == []
    assert episode_store.session_hot("tenant-b", "bot", "s1", after=None, limit=5) == []
    assert episode_store.search_text("tenant-b", "Initech", agent_id=None, limit=5) == []
    assert episode_store.get_hot("tenant-b", [("ep_0001", "bot", T0 + 1)]) == {}
    assert episode_store.agents("tenant-b") == []
    assert episode_store.purge_tenant("tenant-b") == 0
    assert len(episode_store.list_hot("tenant-a", EpisodeFilter("bot"), before=None, limit=5)) == 1
