"""Bodies of the cross-memory routes (unified write, view, search, purge)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from mnemora_server.identifiers import AgentId
from mnemora_server.schemas.common import RequestModel
from mnemora_server.schemas.episodes import EpisodeOut
from mnemora_server.schemas.procedures import ProcedureOut
from mnemora_server.schemas.semantic import MemoryOut
from mnemora_server.schemas.state import StateOut
from mnemora_server.services.unified import UnifiedHit
from mnemora_server.stores.base import Episode
from mnemora_server.timestamps import iso_time


class PurgeOut(BaseModel):
    """What a purge removed (0.1.x ``deleted`` map plus flat counts)."""

    agent_id: str
    deleted: dict[str, int]
    state_deleted: int
    semantic_deleted: int
    episodes_deleted: int
    procedural_deleted: int
    checkpoints_deleted: int
    items_deleted: int


class UnifiedSearch(RequestModel):
    """``POST /v1/memory/search``: semantic and episodic memory in one ranking."""

    query: Annotated[str, Field(min_length=1, max_length=10_000)]
    agent_id: AgentId | None = None
    top_k: int = Field(default=10, ge=1, le=100)
    metadata_filter: dict[str, Any] | None = Field(
        default=None,
        description="The semantic search's filter language, applied to memories and episodes.",
    )


class UnifiedHitOut(BaseModel):
    """One cross-memory result (0.1.x ``SearchResult`` fields)."""

    memory_type: str
    id: str
    agent_id: str
    content: Any
    similarity_score: float | None
    score: float
    relevance: str
    metadata: dict[str, Any]
    namespace: str | None = None
    session_id: str | None = None
    created_at: str | None = None
    timestamp: str | None = None

    @classmethod
    def of(cls, hit: UnifiedHit) -> UnifiedHitOut:
        """The wire form of one result."""
        record = hit.record
        if isinstance(record, Episode):
            return cls(
                memory_type="episodic",
                id=record.id,
                agent_id=record.agent_id,
                content=record.content,
                similarity_score=None,
                score=round(hit.score, 6),
                relevance=hit.relevance,
                metadata=record.metadata,
                session_id=record.session_id,
                timestamp=iso_time(record.timestamp),
            )
        return cls(
            memory_type="semantic",
            id=record.id,
            agent_id=record.agent_id,
            content=record.content,
            similarity_score=None if hit.similarity is None else round(hit.similarity, 6),
            score=round(hit.score, 6),
            relevance=hit.relevance,
            metadata=record.metadata,
            namespace=record.namespace,
            created_at=iso_time(record.created_at),
        )


class UnifiedSearchOut(BaseModel):
    """Results, best first."""

    results: list[UnifiedHitOut]
    count: int


class AgentOverview(BaseModel):
    """``GET /v1/memory/{agent_id}``: a view of every memory type of an agent."""

    agent_id: str
    state: list[StateOut]
    semantic: list[MemoryOut]
    episodic: list[EpisodeOut]
    procedural: list[ProcedureOut]


class UnifiedWrite(BaseModel):
    """``POST /v1/memory``: the body of one of the four write routes, chosen by its shape.

    ``data`` means working memory; ``definition`` procedural; ``type`` with ``session_id``
    an episode; otherwise ``content`` a semantic memory.
    """

    model_config = {"extra": "allow"}

    agent_id: str
