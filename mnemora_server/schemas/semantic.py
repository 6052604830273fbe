"""Bodies of the semantic-memory routes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from mnemora_server.identifiers import AgentId, Identifier
from mnemora_server.schemas.common import PageQuery, RequestModel
from mnemora_server.services.fusion import ScoredMemory
from mnemora_server.stores.base import SemanticRecord
from mnemora_server.timestamps import iso_time

Content = Annotated[str, Field(min_length=1, max_length=200_000)]
Embedding = Annotated[list[float], Field(min_length=1, max_length=4096)]


class MemoryItem(RequestModel):
    """One memory of a batch."""

    content: Content
    metadata: dict[str, Any] = Field(default_factory=dict)
    id: Identifier | None = Field(default=None, description="Client id: writes upsert it.")
    dedup: bool = Field(default=True, description="Merge near-duplicates (cosine > 0.95).")
    embedding: Embedding | None = Field(
        default=None, description="A vector of the server's dimension, instead of embedding."
    )


class MemoryWrite(MemoryItem):
    """``POST /v1/memory/semantic``."""

    agent_id: AgentId
    namespace: Identifier = "default"


class MemoryBatch(RequestModel):
    """``POST /v1/memory/semantic/batch``: stored atomically, all or none."""

    agent_id: AgentId
    namespace: Identifier = "default"
    items: list[MemoryItem] = Field(min_length=1, max_length=500)


class MemoryPatch(RequestModel):
    """``PATCH /v1/memory/semantic/{id}``: new content is re-embedded; metadata is replaced."""

    content: Content | None = None
    metadata: dict[str, Any] | None = None


class MemorySearch(RequestModel):
    """``POST /v1/memory/semantic/search``."""

    query: Annotated[str, Field(min_length=1, max_length=10_000)]
    agent_id: AgentId | None = Field(default=None, description="Absent: the whole tenant.")
    namespace: Identifier | None = None
    top_k: int = Field(default=10, ge=1, le=100)
    threshold: float = Field(default=0.1, ge=-1.0, le=1.0)
    metadata_filter: dict[str, Any] | None = Field(
        default=None,
        description=(
            '{"k": v} and $eq $ne $gt $gte $lt $lte $in $nin $exists $contains $icontains '
            "$contains_any $contains_all $empty, $and $or $not"
        ),
    )
    filter: dict[str, Any] | None = Field(default=None, description="Alias of metadata_filter.")
    mode: Literal["hybrid", "vector", "keyword"] = "hybrid"
    include_embeddings: bool = Field(
        default=False, description="Return each hit's stored vector (for client-side MMR)."
    )
    group_chunks: bool = Field(
        default=False,
        description="A matching chunk stands for its whole memory (each memory once).",
    )


class MemorySelection(RequestModel):
    """``POST /v1/memory/semantic/batch/delete``: memories by id and/or metadata filter,
    only those of ``agent_id`` (and ``namespace``) when given. ``{}`` as the filter selects
    every memory in scope."""

    ids: list[Identifier] | None = Field(default=None, min_length=1, max_length=500)
    metadata_filter: dict[str, Any] | None = Field(
        default=None, description="The memories' metadata must pass it (same language as search)."
    )
    agent_id: AgentId | None = None
    namespace: Identifier | None = None

    @model_validator(mode="after")
    def _names_something(self) -> MemorySelection:
        if self.ids is None and self.metadata_filter is None:
            raise ValueError("give ids, a metadata_filter, or both")
        return self


class MemorySelectionPage(MemorySelection):
    """``POST /v1/memory/semantic/batch/get``: a selection read a page at a time (pages
    follow ``next_cursor`` when the selection is by filter only)."""

    limit: int = Field(default=500, ge=1, le=1000)
    cursor: str | None = Field(default=None, max_length=512)


class MemoryListQuery(PageQuery):
    """Query of ``GET /v1/memory/semantic``."""

    agent_id: AgentId | None = None
    namespace: Identifier | None = None


class MemoryOut(BaseModel):
    """A semantic memory. ``metadata`` is exactly what was stored; the server's own fields
    (scores, chunk links, timestamps, dedup flag) live beside it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    agent_id: str
    namespace: str
    content: str
    metadata: dict[str, Any]
    created_at: str
    updated_at: str
    parent_id: str | None = None
    chunk_index: int | None = None
    chunk_count: int | None = None
    deduplicated: bool = False
    similarity_score: float | None = None
    score: float | None = None
    matched: list[str] | None = Field(
        default=None,
        description="How a search found it: `vector`, `keyword`, and `context` when it was"
        " written next to one of the first hits of a hybrid search (a neighbouring turn).",
    )
    embedding: list[float] | None = Field(default=None, description="Only when asked for.")

    @model_serializer(mode="wrap")
    def _without_absent_embedding(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict) and data.get("embedding") is None:
            data.pop("embedding", None)
        return data

    @classmethod
    def of(cls, record: SemanticRecord, **extra: Any) -> MemoryOut:
        """Build from a store record plus server fields."""
        return cls(
            id=record.id,
            agent_id=record.agent_id,
            namespace=record.namespace,
            content=record.content,
            metadata=record.metadata,
            created_at=iso_time(record.created_at) or "",
            updated_at=iso_time(record.updated_at) or "",
            parent_id=record.parent_id,
            chunk_index=record.chunk_index,
            chunk_count=record.chunk_count,
            embedding=record.embedding,
            **extra,
        )

    @classmethod
    def scored(cls, hit: ScoredMemory) -> MemoryOut:
        """Build from a search hit."""
        similarity = None if hit.similarity is None else round(hit.similarity, 6)
        return cls.of(
            hit.record, similarity_score=similarity, score=hit.score, matched=list(hit.matched)
        )


class MemoryBatchOut(BaseModel):
    """The stored batch, in request order."""

    memories: list[MemoryOut]
    count: int


class DeletedMemories(BaseModel):
    """The ids that were deleted (unknown, already deleted and out-of-scope ids are not)."""

    deleted: list[str]
    count: int


class MemoryList(BaseModel):
    """A page of memories."""

    memories: list[MemoryOut]
    count: int
    next_cursor: str | None


class SearchOut(BaseModel):
    """Search results, best first."""

    results: list[MemoryOut]
    count: int
    mode: str


class EmbeddingsRequest(RequestModel):
    """``POST /v1/embeddings``."""

    input: list[Annotated[str, Field(min_length=1, max_length=20_000)]] = Field(
        min_length=1, max_length=256
    )


class EmbeddingsOut(BaseModel):
    """Vectors in input order."""

    model: str
    dimension: int
    embeddings: list[list[float]]
    count: int
