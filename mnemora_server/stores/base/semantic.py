"""Semantic memory: records and the store protocol."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from mnemora_server.stores.base.common import Store


@dataclass(frozen=True)
class SemanticRecord:
    """One semantic memory (or one chunk of a long one).

    Attributes:
        id: Identifier, unique within the tenant.
        agent_id: Owning agent.
        namespace: Partition within the agent.
        content: The text.
        metadata: The user's metadata, exactly as given.
        created_at: Creation time (epoch seconds).
        updated_at: Last change (epoch seconds).
        parent_id: For a chunk, the record it was cut from.
        chunk_index: For a chunk, its position (0-based).
        chunk_count: For a chunked record and its chunks, how many chunks there are.
        deleted_at: Soft-deletion time, or ``None``.
        embedding: The vector, only where asked for (export).
    """

    id: str
    agent_id: str
    namespace: str
    content: str
    metadata: dict[str, Any]
    created_at: float
    updated_at: float
    parent_id: str | None = None
    chunk_index: int | None = None
    chunk_count: int | None = None
    deleted_at: float | None = None
    embedding: list[float] | None = None


@dataclass(frozen=True)
class SemanticDraft:
    """A semantic memory to write.

    Attributes:
        agent_id: Owning agent.
        namespace: Partition within the agent.
        content: The full text.
        metadata: The user's metadata.
        embedding: The vector of ``content`` (``None`` when it is chunked).
        chunks: For long text: each chunk's text and vector; empty otherwise.
        id: A client-chosen id (upsert), or ``None`` for a new server id.
        dedup: Whether near-duplicates in the same agent and namespace are merged.
        created_at: Creation time to keep (imports); ``None`` means now.
    """

    agent_id: str
    namespace: str
    content: str
    metadata: dict[str, Any]
    embedding: Any
    chunks: tuple[tuple[str, Any], ...] = ()
    id: str | None = None
    dedup: bool = True
    created_at: float | None = None


@dataclass(frozen=True)
class SemanticWrite:
    """The outcome of writing one draft.

    Attributes:
        record: The stored record.
        deduplicated: Whether the draft was merged into an existing near-duplicate.
        created: Whether a new record was created (else an existing one changed).
    """

    record: SemanticRecord
    deduplicated: bool
    created: bool


@dataclass(frozen=True)
class SemanticHit:
    """A search result.

    Attributes:
        record: The matching record.
        similarity: Cosine similarity to the query vector (``None`` if not computed).
        keyword_score: Keyword relevance (higher is better), or ``None`` if no keyword match.
    """

    record: SemanticRecord
    similarity: float | None
    keyword_score: float | None = None


@dataclass(frozen=True)
class MemoryTotals:
    """A tenant's semantic-memory totals.

    Attributes:
        records: Live records (chunked records count once).
        vectors: Live vectors (one per unchunked record, one per chunk).
        bytes: Bytes of live content and metadata.
        agents: Agents with live records.
    """

    records: int = 0
    vectors: int = 0
    bytes: int = 0
    agents: int = 0


class SemanticStore(Store, Protocol):
    """Texts with vectors and metadata, searched by meaning and by keywords."""

    dimension: int

    def write(
        self,
        tenant_id: str,
        drafts: list[SemanticDraft],
        now: float,
        *,
        dedup_threshold: float,
        max_vectors: int | None,
    ) -> list[SemanticWrite]:
        """Write drafts atomically (all or none), merging near-duplicates race-free.

        Raises:
            QuotaExceededError: The tenant would hold more than ``max_vectors`` vectors.
        """

    def get(self, tenant_id: str, record_id: str) -> SemanticRecord | None:
        """A live record of the tenant, or ``None``."""

    def list_memories(
        self,
        tenant_id: str,
        *,
        agent_id: str | None,
        namespace: str | None,
        limit: int,
        after: int | None,
    ) -> list[tuple[SemanticRecord, int]]:
        """Live records (chunks excluded) in insertion order, each with its position."""

    def update(
        self,
        tenant_id: str,
        record_id: str,
        now: float,
        *,
        metadata: dict[str, Any] | None,
        content: str | None = None,
        embedding: Any = None,
        chunks: tuple[tuple[str, Any], ...] = (),
    ) -> SemanticRecord | None:
        """Change a live record's metadata and/or content (with new vectors)."""

    def soft_delete(self, tenant_id: str, record_id: str, now: float) -> bool:
        """Hide a live record (and its chunks) from reads and search."""

    def search_vector(
        self,
        tenant_id: str,
        query: Any,
        *,
        agent_id: str | None,
        namespace: str | None,
        matches: Any,
        limit: int,
        threshold: float,
    ) -> list[SemanticHit]:
        """Exact nearest neighbours by cosine similarity, filtered, best first."""

    def search_keyword(
        self,
        tenant_id: str,
        text: str,
        *,
        agent_id: str | None,
        namespace: str | None,
        matches: Any,
        limit: int,
    ) -> list[SemanticHit]:
        """Records matching the words of ``text``, most relevant first."""

    def totals(self, tenant_id: str) -> MemoryTotals:
        """The tenant's live totals."""

    def export(self, tenant_id: str, agent_id: str | None) -> Iterator[SemanticRecord]:
        """Every record (live or soft-deleted), with embeddings, in insertion order."""

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Remove every row of the agent; return records removed (chunks not counted)."""

    def purge_tenant(self, tenant_id: str) -> int:
        """Remove every row of the tenant; return records removed."""
