"""Semantic memory: records, the store protocol, and the primitives a write rule uses."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from mnemora_server.stores.base.common import Store

Matcher = Callable[[Mapping[str, Any]], bool]
"""A metadata filter compiled by the service: whether one record's metadata passes."""


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

    @classmethod
    def revising(
        cls,
        record: SemanticRecord,
        *,
        content: str,
        metadata: dict[str, Any] | None,
        embedding: Any,
        chunks: tuple[tuple[str, Any], ...],
    ) -> SemanticDraft:
        """A draft that rewrites ``record`` with new content (and new vectors) in place: same
        id, agent and namespace; its metadata unless new metadata is given."""
        return cls(
            agent_id=record.agent_id,
            namespace=record.namespace,
            content=content,
            metadata=record.metadata if metadata is None else metadata,
            embedding=embedding,
            chunks=chunks,
            id=record.id,
        )

    def rows(self, record_id: str) -> list[SemanticRow]:
        """The rows that store this draft as ``record_id``: the record (with the full text;
        without a vector when it is chunked) and then each chunk with its vector."""
        count = len(self.chunks) or None
        rows = [
            SemanticRow(
                record_id, self.content, None if self.chunks else self.embedding, None, None, count
            )
        ]
        rows += [
            SemanticRow(chunk_id(record_id, index), text, vector, record_id, index, count)
            for index, (text, vector) in enumerate(self.chunks)
        ]
        return rows


@dataclass(frozen=True)
class SemanticRow:
    """One stored row: a record, or one chunk of a chunked record.

    Attributes:
        id: The row's id (a chunk's is derived from its record's, see :func:`chunk_id`).
        content: The text of the row.
        embedding: The vector, or ``None`` for a chunked record (its chunks carry vectors).
        parent_id: For a chunk, its record.
        chunk_index: For a chunk, its position.
        chunk_count: For a chunked record and its chunks, how many chunks there are.
    """

    id: str
    content: str
    embedding: Any
    parent_id: str | None
    chunk_index: int | None
    chunk_count: int | None


def chunk_id(record_id: str, index: int) -> str:
    """The id of chunk ``index`` of a record."""
    return f"{record_id}:chunk:{index}"


def keyword_fetch(limit: int, matches: Matcher | None) -> int:
    """How many keyword matches to fetch for ``limit`` results: more when a metadata filter
    will reject some of them after the fetch."""
    return limit if matches is None else limit * 5 + 20


def first_matching(
    hits: Iterable[SemanticHit], matches: Matcher | None, limit: int
) -> list[SemanticHit]:
    """The first ``limit`` hits whose metadata passes ``matches``, in order."""
    kept: list[SemanticHit] = []
    for hit in hits:
        if len(kept) == limit:
            break
        if matches is None or matches(hit.record.metadata):
            kept.append(hit)
    return kept


def content_hash(content: str) -> str:
    """The hash under which identical content is recognised (stored beside every row)."""
    return hashlib.sha256(content.encode()).hexdigest()


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


class SemanticTransaction(Protocol):
    """What a semantic store offers a write rule inside its write transaction (or lock).

    Everything a rule reads through it is current for the rule's whole run: no other writer
    of the same agent and namespace can change it in between, in any process.

    Attributes:
        now: The time of the write.
    """

    now: float

    def find(self, record_id: str) -> SemanticRecord | None:
        """The record (not a chunk) with this id, soft-deleted or not, or ``None``."""

    def with_content(self, agent_id: str, namespace: str, digest: str) -> str | None:
        """The id of a live record (not a chunk) of the agent and namespace whose content has
        this :func:`content_hash`, or ``None``."""

    def nearest(self, agent_id: str, namespace: str, vector: Any) -> tuple[str, float] | None:
        """The record holding the live vector nearest to ``vector`` in the agent and
        namespace (a chunk's record for a chunk) and its cosine similarity, exactly (no
        approximate index: a missed duplicate would be a second record), or ``None``."""

    def nearest_many(
        self, agent_id: str, namespace: str, vectors: list[Any]
    ) -> list[tuple[str, float] | None]:
        """What :meth:`nearest` answers for each of ``vectors``, in one pass over the stored
        vectors (the duplicate checks of a batch)."""

    def put(
        self, record_id: str, draft: SemanticDraft, metadata: dict[str, Any], created_at: float
    ) -> SemanticRecord:
        """Store ``draft`` as ``record_id`` with this metadata, replacing that record (and
        its chunks) if it exists; return the stored record."""

    def vector_count(self) -> int:
        """The tenant's live vectors, this transaction's writes included."""


class SemanticWriteRules(Protocol):
    """The domain rules of a semantic write (upsert by id, near-duplicates, the vector
    quota), applied by the store inside its write transaction."""

    def apply(self, tx: SemanticTransaction, drafts: list[SemanticDraft]) -> list[SemanticWrite]:
        """Write every draft through ``tx``, or raise (the store then rolls back)."""


class SemanticStore(Store, Protocol):
    """Texts with vectors and metadata, searched by meaning and by keywords."""

    dimension: int

    def write(
        self,
        tenant_id: str,
        drafts: list[SemanticDraft],
        now: float,
        rules: SemanticWriteRules,
    ) -> list[SemanticWrite]:
        """Write drafts atomically (all or none): ``rules`` decides each write inside one
        transaction (or lock) that serialises writers of the same agent and namespace in
        every process, so concurrent identical writes keep one record.

        Raises:
            QuotaExceededError: The rules refused the write (nothing was written).
        """

    def get(self, tenant_id: str, record_id: str) -> SemanticRecord | None:
        """A live record of the tenant, or ``None``."""

    def get_many(
        self,
        tenant_id: str,
        record_ids: list[str],
        *,
        agent_id: str | None = None,
        namespace: str | None = None,
    ) -> list[SemanticRecord]:
        """The live top-level records of the tenant among ``record_ids`` (of one agent and
        namespace when given), in no particular order; unknown ids are left out."""

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

    def soft_delete(
        self,
        tenant_id: str,
        record_ids: list[str] | None,
        now: float,
        *,
        agent_id: str | None = None,
        namespace: str | None = None,
        matches: Matcher | None = None,
    ) -> list[str]:
        """Hide live top-level records (and their chunks) from reads and search, all in one
        transaction: those among ``record_ids`` (every one in scope when ``None``), of
        ``agent_id`` / ``namespace`` when given, whose metadata passes ``matches``.

        Returns:
            The ids that were hidden (unknown, already deleted or out-of-scope ids are not).
        """

    def search_vector(
        self,
        tenant_id: str,
        query: Any,
        *,
        agent_id: str | None,
        namespace: str | None,
        matches: Matcher | None,
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
        matches: Matcher | None,
        limit: int,
        enough: int | None = None,
    ) -> list[SemanticHit]:
        """Records matching the words of ``text``, most relevant first: ``limit`` of them, or
        (where the backend narrows a query to its likeliest rows first) at least ``enough``
        when that many match (``None``: ``limit``)."""

    def adjacent(self, tenant_id: str, record_ids: list[str]) -> dict[str, list[SemanticRecord]]:
        """For each live top-level record of the tenant among ``record_ids``: the live
        searchable records (not chunks, not chunked records) of its agent and namespace
        written just before and just after it, the earlier first; records with neither, and
        ids of chunks or of nothing, are left out. What a hybrid search adds as context."""

    def vectors(self, tenant_id: str, record_ids: list[str]) -> dict[str, list[float]]:
        """The stored vectors of live records (or chunks) by id; ids without one are left out."""

    def totals(self, tenant_id: str) -> MemoryTotals:
        """The tenant's live totals."""

    def agent_counts(self, tenant_id: str, now: float) -> dict[str, int]:
        """Live records (a chunked record counts once) per agent; agents with none left out."""

    def export(self, tenant_id: str, agent_id: str | None) -> Iterator[SemanticRecord]:
        """Every record (live or soft-deleted), with embeddings, in insertion order."""

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Remove every row of the agent; return records removed (chunks not counted)."""

    def purge_tenant(self, tenant_id: str) -> int:
        """Remove every row of the tenant; return records removed."""
