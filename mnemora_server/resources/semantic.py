"""Semantic-memory routes: ``/v1/memory/semantic`` and ``/v1/embeddings``."""

from __future__ import annotations

import falcon

from mnemora_server.errors import ValidationError
from mnemora_server.http import operation, read_body, read_query, send
from mnemora_server.identifiers import check_identifier
from mnemora_server.resources.context import bind_agent, tenant_of
from mnemora_server.schemas.semantic import (
    DeletedMemories,
    EmbeddingsOut,
    EmbeddingsRequest,
    MemoryBatch,
    MemoryBatchOut,
    MemoryItem,
    MemoryList,
    MemoryListQuery,
    MemoryOut,
    MemoryPatch,
    MemorySearch,
    MemorySelection,
    MemorySelectionPage,
    MemoryWrite,
    SearchOut,
)
from mnemora_server.services.semantic import MemoryInput, SemanticMemoryService

_TAGS = ("semantic memory",)


def _input(item: MemoryItem) -> MemoryInput:
    return MemoryInput(
        content=item.content,
        metadata=item.metadata,
        id=item.id,
        dedup=item.dedup,
        embedding=item.embedding,
    )


class SemanticCollectionResource:
    """``POST|GET /v1/memory/semantic``."""

    def __init__(self, service: SemanticMemoryService, max_body_bytes: int) -> None:
        self._service = service
        self._max_body = max_body_bytes

    @operation(
        summary="Store a memory (embedded server-side; near-duplicates merge)",
        request=MemoryWrite,
        response=MemoryOut,
        status=201,
        writes=True,
        tags=_TAGS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Store one memory."""
        tenant = tenant_of(req)
        body = read_body(req, MemoryWrite, self._max_body)
        bind_agent(req, body.agent_id)
        (written,) = self._service.store(
            tenant.tenant_id, tenant.limits, body.agent_id, body.namespace, [_input(body)]
        )
        send(
            resp,
            MemoryOut.of(written.record, deduplicated=written.deduplicated),
            201 if written.created else 200,
        )

    @operation(
        summary="List memories (cursor-paged, oldest first)",
        query=MemoryListQuery,
        response=MemoryList,
        tags=_TAGS,
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """List memories."""
        tenant = tenant_of(req)
        query = read_query(req, MemoryListQuery)
        page = self._service.list_memories(
            tenant.tenant_id,
            agent_id=query.agent_id,
            namespace=query.namespace,
            limit=query.limit,
            cursor=query.cursor,
        )
        items = [MemoryOut.of(r) for r in page.records]
        send(resp, MemoryList(memories=items, count=len(items), next_cursor=page.next_cursor))


class SemanticBatchResource:
    """``POST /v1/memory/semantic/batch``."""

    def __init__(self, service: SemanticMemoryService, max_body_bytes: int) -> None:
        self._service = service
        self._max_body = max_body_bytes

    @operation(
        summary="Store up to 500 memories atomically",
        request=MemoryBatch,
        response=MemoryBatchOut,
        status=201,
        writes=True,
        tags=_TAGS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Store a batch."""
        tenant = tenant_of(req)
        body = read_body(req, MemoryBatch, self._max_body)
        bind_agent(req, body.agent_id)
        written = self._service.store(
            tenant.tenant_id,
            tenant.limits,
            body.agent_id,
            body.namespace,
            [_input(i) for i in body.items],
        )
        items = [MemoryOut.of(w.record, deduplicated=w.deduplicated) for w in written]
        send(resp, MemoryBatchOut(memories=items, count=len(items)), 201)


class SemanticBatchGetResource:
    """``POST /v1/memory/semantic/batch/get``."""

    def __init__(self, service: SemanticMemoryService, max_body_bytes: int) -> None:
        self._service = service
        self._max_body = max_body_bytes

    @operation(
        summary="Read memories by id and/or metadata filter (unknown ids are left out)",
        request=MemorySelectionPage,
        response=MemoryList,
        writes=False,
        tags=_TAGS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Read memories by id."""
        tenant = tenant_of(req)
        body = read_body(req, MemorySelectionPage, self._max_body)
        page = self._service.select(
            tenant.tenant_id,
            record_ids=body.ids,
            metadata_filter=body.metadata_filter,
            agent_id=body.agent_id,
            namespace=body.namespace,
            limit=body.limit,
            cursor=body.cursor,
        )
        items = [MemoryOut.of(r) for r in page.records]
        send(resp, MemoryList(memories=items, count=len(items), next_cursor=page.next_cursor))


class SemanticBatchDeleteResource:
    """``POST /v1/memory/semantic/batch/delete``."""

    def __init__(self, service: SemanticMemoryService, max_body_bytes: int) -> None:
        self._service = service
        self._max_body = max_body_bytes

    @operation(
        summary="Soft-delete memories by id and/or metadata filter, atomically",
        request=MemorySelection,
        response=DeletedMemories,
        writes=True,
        tags=_TAGS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Delete memories by id."""
        tenant = tenant_of(req)
        body = read_body(req, MemorySelection, self._max_body)
        if body.agent_id is not None:
            bind_agent(req, body.agent_id)
        deleted = self._service.delete_many(
            tenant.tenant_id,
            record_ids=body.ids,
            metadata_filter=body.metadata_filter,
            agent_id=body.agent_id,
            namespace=body.namespace,
        )
        send(resp, DeletedMemories(deleted=deleted, count=len(deleted)))


class SemanticSearchResource:
    """``POST /v1/memory/semantic/search``."""

    def __init__(self, service: SemanticMemoryService, max_body_bytes: int) -> None:
        self._service = service
        self._max_body = max_body_bytes

    @operation(
        summary="Search memories: hybrid (default), vector or keyword",
        request=MemorySearch,
        response=SearchOut,
        writes=False,
        tags=_TAGS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Search."""
        tenant = tenant_of(req)
        body = read_body(req, MemorySearch, self._max_body)
        if body.metadata_filter is not None and body.filter is not None:
            raise ValidationError("send metadata_filter or filter, not both")
        hits = self._service.search(
            tenant.tenant_id,
            body.query,
            agent_id=body.agent_id,
            namespace=body.namespace,
            metadata_filter=body.metadata_filter or body.filter,
            top_k=body.top_k,
            threshold=body.threshold,
            mode=body.mode,
            include_embeddings=body.include_embeddings,
            group_chunks=body.group_chunks,
        )
        results = [MemoryOut.scored(hit) for hit in hits]
        send(resp, SearchOut(results=results, count=len(results), mode=body.mode))


class SemanticItemResource:
    """``GET|PATCH|DELETE /v1/memory/semantic/{memory_id}``."""

    def __init__(self, service: SemanticMemoryService, max_body_bytes: int) -> None:
        self._service = service
        self._max_body = max_body_bytes

    @operation(summary="Read a memory", response=MemoryOut, tags=_TAGS)
    def on_get(self, req: falcon.Request, resp: falcon.Response, memory_id: str) -> None:
        """Get a memory."""
        tenant = tenant_of(req)
        record = self._service.get(tenant.tenant_id, check_identifier(memory_id, "id"))
        send(resp, MemoryOut.of(record))

    @operation(
        summary="Change a memory's content (re-embedded) or metadata",
        request=MemoryPatch,
        response=MemoryOut,
        writes=True,
        tags=_TAGS,
    )
    def on_patch(self, req: falcon.Request, resp: falcon.Response, memory_id: str) -> None:
        """Patch a memory."""
        tenant = tenant_of(req)
        check_identifier(memory_id, "id")
        body = read_body(req, MemoryPatch, self._max_body)
        record = self._service.update(
            tenant.tenant_id, memory_id, content=body.content, metadata=body.metadata
        )
        req.context.agent_id = record.agent_id
        send(resp, MemoryOut.of(record))

    @operation(
        summary="Soft-delete a memory (hidden at once; purge removes it)",
        status=204,
        writes=True,
        tags=_TAGS,
    )
    def on_delete(self, req: falcon.Request, resp: falcon.Response, memory_id: str) -> None:
        """Delete a memory."""
        tenant = tenant_of(req)
        self._service.delete(tenant.tenant_id, check_identifier(memory_id, "id"))
        resp.status = falcon.HTTP_204


class EmbeddingsResource:
    """``POST /v1/embeddings``: the server's model, metered."""

    def __init__(self, service: SemanticMemoryService, model: str, max_body_bytes: int) -> None:
        self._service = service
        self._model = model
        self._max_body = max_body_bytes

    @operation(
        summary="Embed texts with the server's model (counted as embeddings)",
        request=EmbeddingsRequest,
        response=EmbeddingsOut,
        writes=False,
        tags=("embeddings",),
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Embed texts."""
        tenant = tenant_of(req)
        body = read_body(req, EmbeddingsRequest, self._max_body)
        vectors = self._service.embed(tenant.tenant_id, body.input)
        send(
            resp,
            EmbeddingsOut(
                model=self._model,
                dimension=int(vectors.shape[1]),
                embeddings=vectors.tolist(),
                count=len(body.input),
            ),
        )
