"""Cross-memory operations: one write route by payload shape, one view, one fused search."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mnemora_server.errors import NotFoundError
from mnemora_server.services.episodes import EpisodicMemoryService
from mnemora_server.services.filters import MetadataFilter
from mnemora_server.services.fusion import RRF_K
from mnemora_server.services.procedures import ProceduralMemoryService
from mnemora_server.services.semantic import SemanticMemoryService
from mnemora_server.services.state import StateService
from mnemora_server.stores.base import Episode, EpisodeFilter, SemanticRecord


@dataclass(frozen=True)
class UnifiedHit:
    """One result of a cross-memory search.

    Attributes:
        memory_type: ``semantic`` or ``episodic``.
        record: The semantic record or the episode.
        similarity: Cosine similarity for semantic vector matches.
        score: The fused score (higher first).
        relevance: How it matched (``vector``, ``keyword``, ``text_match``).
    """

    memory_type: str
    record: SemanticRecord | Episode
    similarity: float | None
    score: float
    relevance: str


class UnifiedMemoryService:
    """Combines the four memory types for the unified routes."""

    def __init__(
        self,
        *,
        state: StateService,
        semantic: SemanticMemoryService,
        episodic: EpisodicMemoryService,
        procedural: ProceduralMemoryService,
        clock: Callable[[], float],
    ) -> None:
        self.state = state
        self.semantic = semantic
        self.episodic = episodic
        self.procedural = procedural
        self._clock = clock

    def search(
        self,
        tenant_id: str,
        query: str,
        *,
        agent_id: str | None,
        top_k: int,
        metadata_filter: dict[str, Any] | None = None,
    ) -> list[UnifiedHit]:
        """Semantic (hybrid) and episodic (keyword) results in one ranking (reciprocal rank);
        ``metadata_filter`` applies to the metadata of both."""
        matcher = MetadataFilter(metadata_filter)
        semantic = self.semantic.search(
            tenant_id,
            query,
            agent_id=agent_id,
            namespace=None,
            metadata_filter=metadata_filter,
            top_k=top_k,
            threshold=0.1,
            mode="hybrid",
        )
        fetch = top_k if matcher.empty else min(top_k * 5, 500)
        episodes = [
            found
            for found in self.episodic.search(tenant_id, query, agent_id=agent_id, limit=fetch)
            if matcher.matches(found[0].metadata)
        ][:top_k]
        hits: list[UnifiedHit] = []
        for rank, memory in enumerate(semantic):
            hits.append(
                UnifiedHit(
                    "semantic",
                    memory.record,
                    memory.similarity,
                    1.0 / (RRF_K + rank + 1),
                    "+".join(memory.matched),
                )
            )
        for rank, (episode, _) in enumerate(episodes):
            hits.append(
                UnifiedHit("episodic", episode, None, 1.0 / (RRF_K + rank + 1), "text_match")
            )
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits[:top_k]

    def overview(self, tenant_id: str, agent_id: str, *, limit: int) -> dict[str, Any]:
        """The agent's sessions' state, recent memories, recent episodes and definitions."""
        sessions = self.state.list_sessions(tenant_id, agent_id, limit=limit, cursor=None)
        states = []
        for session_id in sessions.sessions:
            try:
                states.append(self.state.get(tenant_id, agent_id, session_id))
            except NotFoundError:
                continue  # deleted or expired meanwhile
        memories = self.semantic.list_memories(
            tenant_id, agent_id=agent_id, namespace=None, limit=limit, cursor=None
        )
        episodes = self.episodic.list_episodes(
            tenant_id, EpisodeFilter(agent_id=agent_id), limit=limit, cursor=None
        )
        procedures = self.procedural.list_latest(tenant_id, agent_id, limit=limit, cursor=None)
        return {
            "state": states,
            "semantic": memories.records,
            "episodic": episodes.episodes,
            "procedural": procedures.procedures,
        }
