"""Episodic memory (hot tier, manifest and cold tier): records and store protocols."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from mnemora_server.identifiers import check_identifier
from mnemora_server.stores.base.common import Store

EpisodeType = Literal["conversation", "action", "observation", "tool_call"]


# Object keys of the cold tier are built here and nowhere else. Identifiers cannot contain
# ``/``, so the prefix ``tenant/agent/`` names exactly one agent of exactly one tenant.


def cold_prefix(tenant_id: str, agent_id: str | None = None) -> str:
    """The prefix holding every cold object of a tenant, or of one of its agents."""
    check_identifier(tenant_id, "tenant_id")
    if agent_id is None:
        return f"{tenant_id}/"
    check_identifier(agent_id, "agent_id")
    return f"{tenant_id}/{agent_id}/"


def segment_key(tenant_id: str, agent_id: str, day: str, segment_id: str) -> str:
    """The key of one episode segment: ``tenant/agent/YYYY-MM-DD/segment.ndjson.gz``."""
    check_identifier(segment_id, "segment_id")
    return f"{cold_prefix(tenant_id, agent_id)}{day}/{segment_id}.ndjson.gz"


@dataclass(frozen=True)
class Episode:
    """One immutable event of an agent session.

    Attributes:
        id: Server-assigned id, unique within the tenant.
        agent_id: The agent.
        session_id: The session.
        type: ``conversation``, ``action``, ``observation`` or ``tool_call``.
        content: The event (text or any JSON value).
        metadata: The user's metadata.
        timestamp: When it happened (epoch seconds; a client may set it for imports).
        ingested_at: When the server received it.
    """

    id: str
    agent_id: str
    session_id: str
    type: str
    content: Any
    metadata: dict[str, Any]
    timestamp: float
    ingested_at: float

    @property
    def stored_bytes(self) -> int:
        """What the episode counts toward storage: its content and metadata as JSON."""
        return len(json.dumps(self.content)) + len(json.dumps(self.metadata))


@dataclass(frozen=True)
class EpisodeFilter:
    """Which episodes of one agent a listing wants (all conditions apply before the limit).

    Attributes:
        agent_id: The agent.
        session_id: One session, or all.
        type: One type, or all.
        start: Earliest timestamp (inclusive), or none.
        end: Latest timestamp (inclusive), or none.
    """

    agent_id: str
    session_id: str | None = None
    type: str | None = None
    start: float | None = None
    end: float | None = None

    def matches(self, episode: Episode) -> bool:
        """Whether an episode passes the filter."""
        return (
            episode.agent_id == self.agent_id
            and (self.session_id is None or episode.session_id == self.session_id)
            and (self.type is None or episode.type == self.type)
            and (self.start is None or episode.timestamp >= self.start)
            and (self.end is None or episode.timestamp <= self.end)
        )


@dataclass(frozen=True)
class Segment:
    """A cold-tier object holding episodes of one agent (compressed NDJSON).

    Attributes:
        segment_id: Identifier of the segment.
        agent_id: The agent.
        key: The object key in the cold store.
        count: Episodes in the segment.
        bytes: Uncompressed size.
        min_ts: Earliest episode timestamp.
        max_ts: Latest episode timestamp.
        sessions: Sessions with episodes in the segment.
    """

    segment_id: str
    agent_id: str
    key: str
    count: int
    bytes: int
    min_ts: float
    max_ts: float
    sessions: tuple[str, ...]


@dataclass(frozen=True)
class EpisodeTotals:
    """A tenant's episodic totals (hot and cold).

    Attributes:
        episodes: Episodes stored.
        bytes: Bytes of content and metadata.
        agents: Agents with episodes.
    """

    episodes: int = 0
    bytes: int = 0
    agents: int = 0


class EpisodeStore(Store, Protocol):
    """The hot tier of episodic memory and the manifest of its cold segments."""

    def append(self, tenant_id: str, episodes: list[Episode], *, restore: bool = False) -> int:
        """Store episodes; an id the tenant already holds is not stored again (with
        ``restore``: an imported episode it has; without: the same request's earlier attempt,
        since ids are server-made and a retry reuses them).

        Returns:
            How many were written now.
        """

    def list_hot(
        self,
        tenant_id: str,
        query: EpisodeFilter,
        *,
        before: tuple[float, str] | None,
        limit: int,
    ) -> list[Episode]:
        """Hot episodes passing ``query``, newest first, strictly before position ``before``."""

    def session_hot(
        self,
        tenant_id: str,
        agent_id: str,
        session_id: str,
        *,
        after: tuple[float, str] | None,
        limit: int,
    ) -> list[Episode]:
        """Hot episodes of one session, oldest first, strictly after ``after``."""

    def get_hot(self, tenant_id: str, refs: list[tuple[str, str, float]]) -> dict[str, Episode]:
        """Hot episodes by ``(episode_id, agent_id, timestamp)``, keyed by id."""

    def search_text(
        self, tenant_id: str, text: str, *, agent_id: str | None, limit: int
    ) -> list[tuple[str, str, float, float]]:
        """Episodes (hot or cold) whose content matches the words of ``text``:
        ``(episode_id, agent_id, timestamp, score)``, most relevant first."""

    def agents(self, tenant_id: str) -> list[str]:
        """Agents of the tenant with episodes in either tier."""

    def tiering_candidates(self, cutoff: float) -> list[tuple[str, str]]:
        """``(tenant_id, agent_id)`` pairs with hot episodes older than ``cutoff``."""

    def old_hot(self, tenant_id: str, agent_id: str, cutoff: float, limit: int) -> list[Episode]:
        """The oldest hot episodes of an agent before ``cutoff``, oldest first."""

    def commit_segment(self, tenant_id: str, segment: Segment, ids: list[str]) -> None:
        """Record a written segment and delete its episodes from the hot tier, atomically."""

    def delete_session(self, tenant_id: str, agent_id: str, session_id: str) -> int:
        """Delete a session's hot episodes with their search entries; return how many."""

    def unindex(self, tenant_id: str, agent_id: str, episodes: list[Episode]) -> None:
        """Remove the search entries of episodes (cold ones a service is deleting)."""

    def replace_segment(self, tenant_id: str, old: Segment, new: Segment | None) -> None:
        """Put ``new`` in the manifest in place of ``old`` (or just remove ``old``), with the
        totals following."""

    def segments(
        self,
        tenant_id: str,
        agent_id: str,
        *,
        start: float | None = None,
        end: float | None = None,
        session_id: str | None = None,
    ) -> list[Segment]:
        """Cold segments of an agent overlapping a time range (and holding a session)."""

    def segment_keys(self, tenant_id: str, agent_id: str | None) -> list[str]:
        """Every cold object key recorded for an agent (or the tenant)."""

    def forget_segments(self, tenant_id: str, agent_id: str | None) -> int:
        """Delete manifest rows of an agent (or the tenant); return how many."""

    def totals(self, tenant_id: str) -> EpisodeTotals:
        """The tenant's episodic totals."""

    def agent_counts(self, tenant_id: str, now: float) -> dict[str, int]:
        """Episodes in both tiers, per agent of the tenant (agents holding none left out)."""

    def export_hot(self, tenant_id: str, agent_id: str | None) -> Iterator[Episode]:
        """Every hot episode, oldest first."""

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Delete the agent's hot episodes and search rows; return hot episodes removed."""

    def purge_tenant(self, tenant_id: str) -> int:
        """Delete the tenant's hot episodes and search rows; return hot episodes removed."""


class ColdStore(Store, Protocol):
    """Immutable objects under ``tenant/agent/...`` keys (files, or S3 in production)."""

    def put(self, key: str, data: bytes) -> None:
        """Write an object durably (complete or not at all)."""

    def get(self, key: str) -> bytes | None:
        """An object's bytes, or ``None``."""

    def keys(self, prefix: str) -> list[str]:
        """Every object key under ``prefix``."""

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object (and every version of it) under ``prefix``; return how many."""
