"""Semantic memory: embedding, de-duplication, chunking and hybrid search."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from mnemora_server.beside import beside
from mnemora_server.embeddings.base import Embedder, normalise
from mnemora_server.errors import NotFoundError, PayloadTooLargeError, ValidationError
from mnemora_server.services.chunking import chunk_text
from mnemora_server.services.cursors import decode_cursor, encode_cursor
from mnemora_server.services.filters import MetadataFilter
from mnemora_server.services.fusion import ScoredMemory, fuse, with_context
from mnemora_server.services.semantic_writes import SemanticWriteRules
from mnemora_server.stores.base import (
    SemanticDraft,
    SemanticHit,
    SemanticRecord,
    SemanticStore,
    SemanticWrite,
    UsageStore,
)
from mnemora_server.stores.base.keywords import query_terms
from mnemora_server.tiers import TierLimits

SearchMode = Literal["hybrid", "vector", "keyword"]

CHUNK_OVER = 2000
CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
MAX_CONTENT_CHARS = 200_000
MAX_METADATA_BYTES = 16 * 1024
_ROUTE_WORDS = frozenset({"search", "batch"})


@dataclass(frozen=True)
class MemoryInput:
    """One memory to store, as the client sent it.

    Attributes:
        content: The text.
        metadata: User metadata (stored exactly).
        id: Client id (upsert) or ``None``.
        dedup: Merge near-duplicates (default) or not.
        embedding: A client vector of the server's dimension, or ``None``.
    """

    content: str
    metadata: dict[str, Any]
    id: str | None = None
    dedup: bool = True
    embedding: Sequence[float] | None = None


@dataclass(frozen=True)
class MemoryPage:
    """A page of memories and the cursor to the next one."""

    records: list[SemanticRecord]
    next_cursor: str | None


class SemanticMemoryService:
    """The rules of semantic memory over any :class:`SemanticStore`."""

    def __init__(
        self,
        store: SemanticStore,
        embedder: Embedder,
        usage: UsageStore,
        clock: Callable[[], float],
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._usage = usage
        self._clock = clock

    # -- writing -----------------------------------------------------------------------------

    def store(
        self,
        tenant_id: str,
        limits: TierLimits,
        agent_id: str,
        namespace: str,
        items: list[MemoryInput],
    ) -> list[SemanticWrite]:
        """Embed and store memories atomically (all or none)."""
        drafts = self._drafts(tenant_id, agent_id, namespace, items)
        return self._store.write(
            tenant_id,
            drafts,
            self._clock(),
            SemanticWriteRules(max_vectors=limits.max_vectors),
        )

    def _drafts(
        self, tenant_id: str, agent_id: str, namespace: str, items: list[MemoryInput]
    ) -> list[SemanticDraft]:
        texts: list[str] = []
        plans: list[tuple[MemoryInput, list[str]]] = []
        for item in items:
            if item.id in _ROUTE_WORDS:
                raise ValidationError(f"id {item.id!r} is reserved")
            _check_content(item.content)
            _check_metadata(item.metadata)
            pieces = (
                chunk_text(item.content, size=CHUNK_SIZE, overlap=CHUNK_OVERLAP)
                if len(item.content) > CHUNK_OVER
                else []
            )
            plans.append((item, pieces))
            if item.embedding is None:
                texts.extend(pieces or [item.content])
        vectors = iter(self.embed(tenant_id, texts))
        drafts = []
        for item, pieces in plans:
            if item.embedding is not None:
                if pieces:
                    raise ValidationError(
                        "a client embedding is only accepted for content of at most "
                        f"{CHUNK_OVER} characters (longer content is chunked)"
                    )
                embedding = self._client_vector(item.embedding)
                chunks: tuple[tuple[str, Any], ...] = ()
            elif pieces:
                embedding = None
                chunks = tuple((piece, next(vectors)) for piece in pieces)
            else:
                embedding, chunks = next(vectors), ()
            drafts.append(
                SemanticDraft(
                    agent_id=agent_id,
                    namespace=namespace,
                    content=item.content,
                    metadata=item.metadata,
                    embedding=embedding,
                    chunks=chunks,
                    id=item.id,
                    dedup=item.dedup,
                )
            )
        return drafts

    def embed(self, tenant_id: str, texts: list[str]) -> np.ndarray[Any, Any]:
        """Embed texts with the server's model and count them for the tenant."""
        if not texts:
            return np.zeros((0, self._embedder.dimension), dtype=np.float32)
        vectors: np.ndarray[Any, Any] = self._embedder.embed(texts)
        self._usage.add(tenant_id, "embeddings", len(texts), self._clock())
        return vectors

    def _client_vector(self, values: Sequence[float]) -> np.ndarray[Any, Any]:
        if len(values) != self._embedder.dimension:
            raise ValidationError(
                f"embedding has {len(values)} dimensions; this server uses "
                f"{self._embedder.dimension}",
                details={"expected": self._embedder.dimension, "got": len(values)},
            )
        vector: np.ndarray[Any, Any] = normalise(np.asarray([values], dtype=np.float32))[0]
        if not np.isfinite(vector).all() or not vector.any():
            raise ValidationError("embedding must be finite and not all zero")
        return vector

    # -- reading -----------------------------------------------------------------------------

    def get(self, tenant_id: str, record_id: str) -> SemanticRecord:
        """A live memory of the tenant (404 for anything else, another tenant's ids included)."""
        record = self._store.get(tenant_id, record_id)
        if record is None:
            raise NotFoundError(f"no memory {record_id!r}")
        return record

    def list_memories(
        self,
        tenant_id: str,
        *,
        agent_id: str | None,
        namespace: str | None,
        limit: int,
        cursor: str | None,
    ) -> MemoryPage:
        """A page of live memories in insertion order."""
        position = decode_cursor(cursor, kind="semantic")
        after = int(position["after"]) if position else None
        rows = self._store.list_memories(
            tenant_id, agent_id=agent_id, namespace=namespace, limit=limit + 1, after=after
        )
        page = rows[:limit]
        more = len(rows) > limit
        next_cursor = encode_cursor({"k": "semantic", "after": page[-1][1]}) if more else None
        return MemoryPage([record for record, _ in page], next_cursor)

    def update(
        self,
        tenant_id: str,
        record_id: str,
        *,
        content: str | None,
        metadata: dict[str, Any] | None,
    ) -> SemanticRecord:
        """Change content (re-embedded) and/or metadata (replaced) of a live memory."""
        current = self.get(tenant_id, record_id)
        if metadata is not None:
            _check_metadata(metadata)
        embedding: Any = None
        chunks: tuple[tuple[str, Any], ...] = ()
        if content is not None and content != current.content:
            _check_content(content)
            if len(content) > CHUNK_OVER:
                pieces = chunk_text(content, size=CHUNK_SIZE, overlap=CHUNK_OVERLAP)
                chunks = tuple(zip(pieces, self.embed(tenant_id, pieces), strict=True))
            else:
                embedding = self.embed(tenant_id, [content])[0]
        else:
            content = None
        record = self._store.update(
            tenant_id,
            record_id,
            self._clock(),
            metadata=metadata,
            content=content,
            embedding=embedding,
            chunks=chunks,
        )
        if record is None:
            raise NotFoundError(f"no memory {record_id!r}")
        return record

    def select(
        self,
        tenant_id: str,
        *,
        record_ids: list[str] | None,
        metadata_filter: dict[str, Any] | None,
        agent_id: str | None,
        namespace: str | None,
        limit: int,
        cursor: str | None,
    ) -> MemoryPage:
        """The tenant's live memories among ``record_ids`` (in the order asked, each once)
        or, without ids, every one in scope in insertion order, a page at a time; only those
        of ``agent_id`` / ``namespace`` when given and passing ``metadata_filter``. Unknown
        ids are left out."""
        matcher = MetadataFilter(metadata_filter)
        if record_ids is not None:
            found = {
                record.id: record
                for record in self._store.get_many(
                    tenant_id, record_ids, agent_id=agent_id, namespace=namespace
                )
                if matcher.matches(record.metadata)
            }
            return MemoryPage([found[i] for i in dict.fromkeys(record_ids) if i in found], None)
        position = decode_cursor(cursor, kind="semantic-select")
        after = int(position["after"]) if position else None
        kept: list[SemanticRecord] = []
        while True:
            rows = self._store.list_memories(
                tenant_id, agent_id=agent_id, namespace=namespace, limit=limit, after=after
            )
            for record, place in rows:
                after = place
                if matcher.matches(record.metadata):
                    kept.append(record)
                    if len(kept) == limit:
                        more = {"k": "semantic-select", "after": place}
                        return MemoryPage(kept, encode_cursor(more))
            if len(rows) < limit:
                return MemoryPage(kept, None)

    def delete(self, tenant_id: str, record_id: str) -> None:
        """Soft-delete a memory: hidden from reads and search until purged."""
        if not self._store.soft_delete(tenant_id, [record_id], self._clock()):
            raise NotFoundError(f"no memory {record_id!r}")

    def delete_many(
        self,
        tenant_id: str,
        *,
        record_ids: list[str] | None,
        metadata_filter: dict[str, Any] | None,
        agent_id: str | None,
        namespace: str | None,
    ) -> list[str]:
        """Soft-delete, in one transaction, the memories among ``record_ids`` (or, without
        ids, every one of ``agent_id`` in scope) that pass ``metadata_filter``; returns the
        ids deleted, in the order asked (insertion order without ids).

        Raises:
            ValidationError: Neither ids nor a filter, or a filter without ``agent_id``.
        """
        if record_ids is None:
            if metadata_filter is None:
                raise ValidationError("name the memories to delete: ids or a metadata_filter")
            if agent_id is None:
                raise ValidationError("deleting by metadata_filter needs agent_id")
        matcher = MetadataFilter(metadata_filter)
        deleted = self._store.soft_delete(
            tenant_id,
            record_ids,
            self._clock(),
            agent_id=agent_id,
            namespace=namespace,
            matches=None if matcher.empty else matcher.matches,
        )
        if record_ids is None:
            return deleted
        hidden = set(deleted)
        return [i for i in dict.fromkeys(record_ids) if i in hidden]

    def search(
        self,
        tenant_id: str,
        query: str,
        *,
        agent_id: str | None,
        namespace: str | None,
        metadata_filter: dict[str, Any] | None,
        top_k: int,
        threshold: float,
        mode: SearchMode,
        include_embeddings: bool = False,
        group_chunks: bool = False,
    ) -> list[ScoredMemory]:
        """Search the tenant's memories by meaning, by keywords, or both (fused by score).

        With ``include_embeddings`` each hit's record carries its stored vector (for a chunk,
        the chunk's). With ``group_chunks`` a chunk that matched stands for its whole memory
        (content and metadata of the memory, scores of its best chunk), each memory once.
        """
        matcher = MetadataFilter(metadata_filter)
        matches = None if matcher.empty else matcher.matches
        vector_hits: list[SemanticHit] = []
        keyword_hits: list[SemanticHit] = []
        wanted = top_k * 3 if group_chunks else top_k
        pool = wanted if mode != "hybrid" else max(wanted * 3, 20)

        def keyword_search() -> list[SemanticHit]:
            # A hybrid search takes the keyword leg's likeliest rows when they are enough to
            # fill the page; the vector leg and the fusion rank the rest.
            return self._store.search_keyword(
                tenant_id,
                query,
                agent_id=agent_id,
                namespace=namespace,
                matches=matches,
                limit=pool,
                enough=wanted,
            )

        # A hybrid search's keyword leg runs beside the query's embedding, not after it.
        keyword_leg = beside(keyword_search) if mode == "hybrid" else None
        if mode in ("vector", "hybrid"):
            vector = self.embed(tenant_id, [query])[0]
            vector_hits = self._store.search_vector(
                tenant_id,
                vector,
                agent_id=agent_id,
                namespace=namespace,
                matches=matches,
                limit=pool,
                threshold=threshold,
            )
        if keyword_leg is not None:
            keyword_hits = keyword_leg.result()
        elif mode == "keyword":
            keyword_hits = keyword_search()
        terms = query_terms(query)
        if mode == "hybrid":
            fused = fuse(
                vector_hits, keyword_hits, len(vector_hits) + len(keyword_hits), terms=terms
            )
            fused = self._with_context(tenant_id, fused, wanted, matches)[:wanted]
        else:
            fused = fuse(vector_hits, keyword_hits, wanted, terms=terms)
        if include_embeddings:
            vectors = self._store.vectors(tenant_id, [hit.record.id for hit in fused])
            fused = [
                replace(hit, record=replace(hit.record, embedding=vectors.get(hit.record.id)))
                for hit in fused
            ]
        if group_chunks:
            fused = self._whole_memories(tenant_id, fused)
        return fused[:top_k]

    def _with_context(
        self,
        tenant_id: str,
        fused: list[ScoredMemory],
        wanted: int,
        matches: Callable[[dict[str, Any]], bool] | None,
    ) -> list[ScoredMemory]:
        """The fused hits with the memories written next to the first ``wanted`` of them
        (:func:`with_context`); neighbours the metadata filter rejects are left out."""
        ids = [hit.record.id for hit in fused[:wanted] if hit.record.parent_id is None]
        adjacent = self._store.adjacent(tenant_id, ids) if ids else {}
        if matches is not None:
            adjacent = {
                i: [record for record in records if matches(record.metadata)]
                for i, records in adjacent.items()
            }
        return with_context(fused, adjacent, wanted)

    def _whole_memories(self, tenant_id: str, hits: list[ScoredMemory]) -> list[ScoredMemory]:
        """Each hit as its whole memory, the first (best) hit of each memory only."""
        parents = {h.record.parent_id for h in hits if h.record.parent_id is not None}
        whole = {r.id: r for r in self._store.get_many(tenant_id, sorted(parents))}
        grouped: list[ScoredMemory] = []
        seen: set[str] = set()
        for hit in hits:
            memory_id = hit.record.parent_id or hit.record.id
            if memory_id in seen:
                continue
            seen.add(memory_id)
            if hit.record.parent_id is None:
                grouped.append(hit)
            elif memory_id in whole:
                record = replace(whole[memory_id], embedding=hit.record.embedding)
                grouped.append(replace(hit, record=record))
        return grouped


def _check_content(content: str) -> None:
    if not content.strip():
        raise ValidationError("content must not be empty")
    if len(content) > MAX_CONTENT_CHARS:
        raise PayloadTooLargeError(
            f"content has {len(content)} characters; the limit is {MAX_CONTENT_CHARS}"
        )


def _check_metadata(metadata: dict[str, Any]) -> None:
    size = len(json.dumps(metadata))
    if size > MAX_METADATA_BYTES:
        raise PayloadTooLargeError(f"metadata is {size} bytes; the limit is {MAX_METADATA_BYTES}")
