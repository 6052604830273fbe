"""Typed responses of the four memory types, usage and health."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from mnemora.models.base import _Response


class StateResponse(_Response):
    """A session's working-memory state.

    Attributes:
        agent_id: Owning agent.
        session_id: Session within the agent (``"default"`` unless named).
        data: The JSON document.
        version: Monotonic version; pass it to ``update_state`` for optimistic locking.
        created_at: ISO 8601 creation time.
        updated_at: ISO 8601 time of the last write.
        expires_at: ISO 8601 expiry, or ``None`` for no expiry.
    """

    agent_id: str
    session_id: str
    data: dict[str, Any]
    version: int
    created_at: str
    updated_at: str
    expires_at: str | None = None


class SemanticResponse(_Response):
    """A semantic memory (or, in search results, a chunk of a long one).

    Attributes:
        id: Identifier within the tenant.
        agent_id: Owning agent.
        content: The text.
        namespace: Partition within the agent.
        metadata: Exactly the metadata that was stored.
        similarity_score: Cosine similarity to the query (search results only).
        score: The fused ranking score (search results only).
        created_at: ISO 8601 creation time.
        updated_at: ISO 8601 time of the last change.
        deduplicated: Whether this write was merged into an existing near-duplicate.
        parent_id: For a chunk, the memory it belongs to.
        chunk_index: For a chunk, its position.
        chunk_count: How many chunks the memory was cut into (``None`` if not chunked).
        embedding: The stored vector (searches with ``include_embeddings`` only).
    """

    id: str
    agent_id: str
    content: str
    namespace: str
    metadata: dict[str, Any] = Field(default_factory=dict)
    similarity_score: float | None = None
    score: float | None = None
    created_at: str
    updated_at: str
    deduplicated: bool = False
    parent_id: str | None = None
    chunk_index: int | None = None
    chunk_count: int | None = None
    embedding: list[float] | None = None


class EpisodeResponse(_Response):
    """An episode of an agent session.

    Attributes:
        id: Server-assigned id.
        agent_id: The agent.
        session_id: The session.
        type: ``conversation``, ``action``, ``observation`` or ``tool_call``.
        content: Text or any JSON value.
        metadata: User metadata.
        timestamp: ISO 8601 time of the event.
        ingested_at: ISO 8601 time the server received it.
        score: Keyword relevance (search results only).
    """

    id: str
    agent_id: str
    session_id: str
    type: str
    content: Any = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    timestamp: str
    ingested_at: str | None = None
    score: float | None = None


class ProcedureResponse(_Response):
    """One version of a procedural definition.

    Attributes:
        agent_id: The agent.
        name: The definition's name.
        version: Its version (1, 2, ...).
        type: ``tool``, ``schema``, ``prompt`` or ``rule``.
        definition: The JSON body.
        description: What it is for.
        active: Whether reads without a version may return it.
        created_at: ISO 8601 time the version was added.
    """

    agent_id: str
    name: str
    version: int
    type: str
    definition: Any = None
    description: str | None = None
    active: bool = True
    created_at: str


class SearchResult(_Response):
    """One result of a cross-memory search.

    Attributes:
        memory_type: ``semantic`` or ``episodic``.
        id: The record's id.
        agent_id: The agent.
        content: The text (semantic) or event (episodic).
        similarity_score: Cosine similarity, for semantic vector matches.
        score: The fused ranking score.
        relevance: How it matched.
        metadata: The record's metadata.
        created_at: Creation time of semantic records.
        timestamp: Event time of episodes.
    """

    memory_type: str
    id: str | None = None
    agent_id: str | None = None
    content: Any = None
    similarity_score: float | None = None
    score: float | None = None
    relevance: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: str | None = None
    timestamp: str | None = None


class ImportResponse(_Response):
    """What an import stored.

    Attributes:
        stored: Records stored, by kind.
        skipped: Records already present (not written), by kind.
        lines: Lines read.
    """

    stored: dict[str, int] = Field(default_factory=dict)
    skipped: dict[str, int] = Field(default_factory=dict)
    lines: int = 0


class EmbeddingsResponse(_Response):
    """Vectors from the server's model.

    Attributes:
        model: The model name.
        dimension: Vector length.
        embeddings: One vector per input, in order.
    """

    model: str
    dimension: int
    embeddings: list[list[float]]


class SessionPage(_Response):
    """One page of an agent's session ids.

    Attributes:
        sessions: Session ids, ascending.
        next_cursor: Pass to the next call to continue, or ``None`` at the end.
    """

    agent_id: str = ""
    sessions: list[str] = Field(default_factory=list)
    count: int = 0
    next_cursor: str | None = None


class PurgeResponse(_Response):
    """What ``purge_agent`` removed.

    Attributes:
        agent_id: The purged agent.
        deleted: Counts per memory type and tier.
        state_deleted: Working-memory documents removed.
        semantic_deleted: Semantic records removed.
        episodes_deleted: Episodes removed (hot and cold).
        procedural_deleted: Procedural definitions removed.
        checkpoints_deleted: Agent-graph checkpoints removed.
        items_deleted: Long-term store items removed.
    """

    agent_id: str
    deleted: dict[str, int] = Field(default_factory=dict)
    state_deleted: int = 0
    semantic_deleted: int = 0
    episodes_deleted: int = 0
    procedural_deleted: int = 0
    checkpoints_deleted: int = 0
    items_deleted: int = 0

    def __repr__(self) -> str:
        # Every store's count: the 0.1.x SDK printed the first three only.
        counts = ", ".join(
            f"{name}={getattr(self, name)}"
            for name in (
                "state_deleted",
                "semantic_deleted",
                "episodes_deleted",
                "procedural_deleted",
                "checkpoints_deleted",
                "items_deleted",
            )
        )
        return f"PurgeResponse({counts})"

    __str__ = __repr__


class UsageDayResponse(_Response):
    """One UTC day of the tenant's usage.

    Attributes:
        day: ``YYYY-MM-DD``.
        calls: Authenticated calls that day.
        accepted: Calls within the limits.
        rejected: Calls refused by a limit.
        embeddings: Embeddings generated.
        vectors: Semantic records stored, as last measured that day (``None``: not measured).
        storage_bytes: Bytes stored, as last measured that day (``None``: not measured).
    """

    day: str
    calls: int = 0
    accepted: int = 0
    rejected: int = 0
    embeddings: int = 0
    vectors: int | None = None
    storage_bytes: int | None = None


class UsageResponse(_Response):
    """The tenant's usage and limits.

    Attributes:
        api_calls_today: Authenticated calls today (UTC).
        api_calls_month: Authenticated calls this month.
        embeddings_generated_month: Embeddings generated this month.
        vectors_stored: Semantic records stored.
        storage_bytes: Bytes of stored memory.
        storage: Bytes per store.
        agents_count: Agents with stored data.
        sessions_count: Live working-memory sessions.
        billing_period: ``YYYY-MM``.
        limits: The tenant's limits and what remains today.
    """

    api_calls_today: int = 0
    api_calls_month: int = 0
    embeddings_generated_month: int = 0
    vectors_stored: int = 0
    storage_bytes: int = 0
    storage: dict[str, int] = Field(default_factory=dict)
    agents_count: int = 0
    sessions_count: int = 0
    billing_period: str = ""
    limits: dict[str, Any] = Field(default_factory=dict)


class HealthResponse(_Response):
    """Server health.

    Attributes:
        status: ``ok`` or ``degraded``.
        version: Server version.
        stores: Status per store.
    """

    status: str
    version: str = ""
    stores: dict[str, str] = Field(default_factory=dict)
