"""Episodic memory: immutable events per session, in a hot tier and a cold tier.

Episodes older than the hot retention move to compressed NDJSON segments in the cold store:
the segment is written first, then one transaction records it and removes its episodes from
the hot tier. A crash before that transaction leaves an unrecorded object (swept later) and
the episodes hot; after it, the move is complete. Reads merge both tiers and de-duplicate by
id, so no reader ever sees an episode twice or misses one.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from mnemora_server.errors import ConflictError, PayloadTooLargeError, UnavailableError
from mnemora_server.failpoints import failpoint
from mnemora_server.services.cursors import decode_cursor, encode_cursor
from mnemora_server.services.retries import RequestOrigin
from mnemora_server.services.segments import SegmentCache, build_segment, decode_segment
from mnemora_server.stores.base import ColdStore, Episode, EpisodeFilter, EpisodeStore, Segment
from mnemora_server.stores.base.episodes import cold_prefix

_log = logging.getLogger(__name__)

__all__ = [
    "EPISODE_TYPES",
    "EpisodeFilter",
    "EpisodeInput",
    "EpisodePage",
    "EpisodicMemoryService",
    "TieringReport",
]

EPISODE_TYPES = ("conversation", "action", "observation", "tool_call")
MAX_EPISODE_BYTES = 256 * 1024
SEGMENT_EPISODES = 10_000


@dataclass(frozen=True)
class EpisodeInput:
    """One episode as a client sends it.

    Attributes:
        agent_id: The agent.
        session_id: The session.
        type: One of :data:`EPISODE_TYPES`.
        content: Text or any JSON value.
        metadata: User metadata.
        timestamp: Event time for imports (epoch seconds), or ``None`` for now.
    """

    agent_id: str
    session_id: str
    type: str
    content: Any
    metadata: dict[str, Any]
    timestamp: float | None = None


@dataclass(frozen=True)
class EpisodePage:
    """A page of episodes and the cursor to the next one."""

    episodes: list[Episode]
    next_cursor: str | None


@dataclass(frozen=True)
class TieringReport:
    """What a tiering run moved.

    Attributes:
        agents: Agents processed.
        segments: Segments written.
        episodes: Episodes moved to the cold tier.
        orphans_removed: Unrecorded objects (from interrupted runs) deleted.
    """

    agents: int
    segments: int
    episodes: int
    orphans_removed: int


def new_episode_id(timestamp: float, token: str | None = None) -> str:
    """A time-ordered id: microseconds since the epoch in hex, then 12 hex digits of
    randomness (or of ``token``, which makes a retried request's id the same)."""
    return f"ep_{int(timestamp * 1_000_000):014x}{token or uuid.uuid4().hex[:12]}"


class EpisodicMemoryService:
    """Stores, lists, replays, searches, tiers and purges episodes."""

    def __init__(
        self,
        hot: EpisodeStore,
        cold: ColdStore,
        *,
        hot_retention_seconds: float,
        clock: Callable[[], float],
    ) -> None:
        self._hot = hot
        self._cold = cold
        self._retention = hot_retention_seconds
        self._clock = clock
        self._cache = SegmentCache()

    # -- writing -----------------------------------------------------------------------------

    def store(
        self, tenant_id: str, inputs: list[EpisodeInput], origin: RequestOrigin | None = None
    ) -> list[Episode]:
        """Append episodes (server id and ingest time; event time defaults to now).

        With ``origin`` (a request with an ``Idempotency-Key``), ids and ingest time come from
        the request's first attempt, so a retry after an unanswered attempt stores nothing
        twice: the stores take an episode whose id they hold as already stored.
        """
        now = self._clock() if origin is None else origin.started_at
        episodes = []
        for index, item in enumerate(inputs):
            size = len(json.dumps(item.content)) + len(json.dumps(item.metadata))
            if size > MAX_EPISODE_BYTES:
                raise PayloadTooLargeError(
                    f"episode is {size} bytes; the limit is {MAX_EPISODE_BYTES}"
                )
            # Episodes of one request keep their order: each is a microsecond after the last.
            timestamp = now + index * 1e-6 if item.timestamp is None else item.timestamp
            episodes.append(
                Episode(
                    id=new_episode_id(timestamp, None if origin is None else origin.token(index)),
                    agent_id=item.agent_id,
                    session_id=item.session_id,
                    type=item.type,
                    content=item.content,
                    metadata=item.metadata,
                    timestamp=timestamp,
                    ingested_at=now,
                )
            )
        self._hot.append(tenant_id, episodes)
        failpoint("episodes.after_append")
        return episodes

    # -- reading -----------------------------------------------------------------------------

    def _segment_episodes(self, segment: Segment) -> list[Episode]:
        def load() -> list[Episode]:
            data = self._cold.get(segment.key)
            if data is None:
                _log.warning("cold segment %s is recorded but missing", segment.key)
                return []
            try:
                return decode_segment(data)
            except (OSError, EOFError, ValueError, TypeError) as exc:
                raise UnavailableError(f"cold segment {segment.segment_id} is unreadable") from exc

        return self._cache.get(segment.key, load)

    def list_episodes(
        self, tenant_id: str, query: EpisodeFilter, *, limit: int, cursor: str | None
    ) -> EpisodePage:
        """Episodes newest first across both tiers; filters apply before the limit."""
        position = decode_cursor(cursor, kind="episodes")
        before = (float(position["ts"]), str(position["id"])) if position else None
        found: dict[str, Episode] = {
            ep.id: ep for ep in self._hot.list_hot(tenant_id, query, before=before, limit=limit + 1)
        }
        for segment in self._hot.segments(
            tenant_id, query.agent_id, start=query.start, end=query.end, session_id=query.session_id
        ):
            if before is not None and segment.min_ts > before[0]:
                continue
            ranked = sorted(found.values(), key=_position, reverse=True)
            if len(ranked) > limit and segment.max_ts < ranked[limit].timestamp:
                break  # every remaining segment is older than what is already enough
            for ep in self._segment_episodes(segment):
                if query.matches(ep) and (before is None or (ep.timestamp, ep.id) < before):
                    found.setdefault(ep.id, ep)
        ranked = sorted(found.values(), key=_position, reverse=True)
        page = ranked[:limit]
        more = len(ranked) > limit
        next_cursor = (
            encode_cursor({"k": "episodes", "ts": page[-1].timestamp, "id": page[-1].id})
            if more
            else None
        )
        return EpisodePage(page, next_cursor)

    def session(
        self,
        tenant_id: str,
        agent_id: str,
        session_id: str,
        *,
        limit: int,
        cursor: str | None,
    ) -> EpisodePage:
        """One session's episodes in chronological order, across both tiers."""
        position = decode_cursor(cursor, kind="session")
        after = (float(position["ts"]), str(position["id"])) if position else None
        found: dict[str, Episode] = {}
        for segment in self._hot.segments(tenant_id, agent_id, session_id=session_id):
            if after is not None and segment.max_ts < after[0]:
                continue
            for ep in self._segment_episodes(segment):
                if ep.session_id == session_id and (after is None or (ep.timestamp, ep.id) > after):
                    found[ep.id] = ep
        for ep in self._hot.session_hot(
            tenant_id, agent_id, session_id, after=after, limit=limit + 1
        ):
            found.setdefault(ep.id, ep)
        ranked = sorted(found.values(), key=_position)
        page = ranked[:limit]
        next_cursor = (
            encode_cursor({"k": "session", "ts": page[-1].timestamp, "id": page[-1].id})
            if len(ranked) > limit
            else None
        )
        return EpisodePage(page, next_cursor)

    def search(
        self, tenant_id: str, text: str, *, agent_id: str | None, limit: int
    ) -> list[tuple[Episode, float]]:
        """Episodes whose content matches the words of ``text``, in either tier."""
        hits = self._hot.search_text(tenant_id, text, agent_id=agent_id, limit=limit)
        hot = self._hot.get_hot(tenant_id, [(hit[0], hit[1], hit[2]) for hit in hits])
        results = []
        for episode_id, hit_agent, ts, score in hits:
            episode = hot.get(episode_id) or self._find_cold(tenant_id, hit_agent, episode_id, ts)
            if episode is not None:
                results.append((episode, score))
        return results

    def _find_cold(
        self, tenant_id: str, agent_id: str, episode_id: str, ts: float
    ) -> Episode | None:
        for segment in self._hot.segments(tenant_id, agent_id, start=ts, end=ts):
            for ep in self._segment_episodes(segment):
                if ep.id == episode_id:
                    return ep
        return None

    def export(self, tenant_id: str, agent_id: str | None) -> Iterator[Episode]:
        """Every episode of the tenant (or agent): per agent, cold segments then hot rows."""
        for agent in [agent_id] if agent_id else self._hot.agents(tenant_id):
            for segment in reversed(self._hot.segments(tenant_id, agent)):
                yield from self._segment_episodes(segment)
            yield from self._hot.export_hot(tenant_id, agent)

    # -- tiering -----------------------------------------------------------------------------

    def tier(self, *, progress: Callable[[str], None] | None = None) -> TieringReport:
        """Move every episode older than the hot retention to the cold tier."""
        cutoff = self._clock() - self._retention
        candidates = self._hot.tiering_candidates(cutoff)
        segments = moved = orphans = 0
        for index, (tenant_id, agent_id) in enumerate(candidates, start=1):
            orphans += self._sweep_orphans(tenant_id, agent_id)
            while True:
                batch = self._hot.old_hot(tenant_id, agent_id, cutoff, SEGMENT_EPISODES)
                if not batch:
                    break
                self._move(tenant_id, agent_id, batch)
                segments += 1
                moved += len(batch)
            if progress is not None:
                progress(f"[{index}/{len(candidates)}] {tenant_id}/{agent_id}: {moved} moved")
        return TieringReport(len(candidates), segments, moved, orphans)

    def _move(self, tenant_id: str, agent_id: str, batch: list[Episode]) -> None:
        segment, data = build_segment(tenant_id, agent_id, batch)
        self._cold.put(segment.key, data)
        failpoint("tier.after_segment_write")
        try:
            self._hot.commit_segment(tenant_id, segment, [e.id for e in batch])
        except ConflictError:
            # The episodes went away meanwhile (a purge): the object must not outlive them.
            self._cold.delete_prefix(segment.key)
            raise
        failpoint("tier.after_commit")

    def _sweep_orphans(self, tenant_id: str, agent_id: str) -> int:
        """Delete objects no manifest row records (left by an interrupted run)."""
        recorded = set(self._hot.segment_keys(tenant_id, agent_id))
        removed = 0
        for key in self._cold.keys(cold_prefix(tenant_id, agent_id)):
            if key not in recorded:
                removed += self._cold.delete_prefix(key)
        return removed

    # -- erasure -----------------------------------------------------------------------------

    def delete_session(self, tenant_id: str, agent_id: str, session_id: str) -> int:
        """Delete one session's episodes in both tiers; return how many were deleted.

        Each cold segment holding the session is rewritten without it (a new object, then
        the manifest swap, then the old object goes); a crash in between leaves at most an
        unrecorded object, which tiering sweeps away.
        """
        deleted = 0
        for segment in self._hot.segments(tenant_id, agent_id, session_id=session_id):
            episodes = self._segment_episodes(segment)
            leaving = [ep for ep in episodes if ep.session_id == session_id]
            staying = [ep for ep in episodes if ep.session_id != session_id]
            replacement = None
            if staying:
                replacement, data = build_segment(tenant_id, agent_id, staying)
                self._cold.put(replacement.key, data)
            self._hot.replace_segment(tenant_id, segment, replacement)
            self._cold.delete_prefix(segment.key)
            self._hot.unindex(tenant_id, agent_id, leaving)
            deleted += len(leaving)
        return deleted + self._hot.delete_session(tenant_id, agent_id, session_id)

    def purge_agent(self, tenant_id: str, agent_id: str) -> dict[str, int]:
        """Delete every episode of an agent in both tiers, objects first (resumable)."""
        objects = self._cold.delete_prefix(cold_prefix(tenant_id, agent_id))
        cold_episodes = self._hot.forget_segments(tenant_id, agent_id)
        hot_episodes = self._hot.purge_agent(tenant_id, agent_id)
        return {"episodic": cold_episodes + hot_episodes, "cold_objects": objects}

    def purge_tenant(self, tenant_id: str) -> dict[str, int]:
        """Delete every episode of a tenant in both tiers."""
        objects = self._cold.delete_prefix(cold_prefix(tenant_id))
        cold_episodes = self._hot.forget_segments(tenant_id, None)
        hot_episodes = self._hot.purge_tenant(tenant_id)
        return {"episodic": cold_episodes + hot_episodes, "cold_objects": objects}


def _position(ep: Episode) -> tuple[float, str]:
    return (ep.timestamp, ep.id)
