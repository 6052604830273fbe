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


class PurgeOut(BaseModel):
    """What a purge removed (0.1.x ``deleted`` map plus flat counts)."""

    agent_id: str
    deleted: dict[str, int]
    state_deleted: int
    semantic_deleted: int
    episodes_deleted: int
    procedural_deleted: int


class UnifiedSearch(RequestModel):
    """``POST /v1/memory/search``: semantic and episodic memory in one ranking."""

    query: Annotated[str, Field(min_length=1, max_length=10_000)]
    agent_id: AgentId | None = None
    top_k: int = Field(default=10, ge=1, le=100)


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
