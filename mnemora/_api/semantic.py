"""Semantic memory: texts searched by meaning and keywords."""

from __future__ import annotations

from typing import Any

from mnemora._api.descriptors import Page, api_method, api_pages
from mnemora._api.paths import put_optional, segment
from mnemora._core import Call, Plan
from mnemora.models import EmbeddingsResponse, SemanticResponse


class SemanticMemoryApi:
    """Semantic-memory methods of both clients."""

    @api_method
    def store_memory(
        self,
        agent_id: str,
        content: str,
        namespace: str | None = None,
        metadata: dict[str, Any] | None = None,
        *,
        id: str | None = None,
        dedup: bool = True,
        embedding: list[float] | None = None,
    ) -> Plan[SemanticResponse]:
        """Store a text as semantic memory (embedded server-side).

        A near-duplicate (cosine > 0.95) in the same agent and namespace is merged into the
        existing memory (``deduplicated=True``) unless ``dedup=False``. Long text is chunked.

        Args:
            agent_id: The agent.
            content: The text.
            namespace: Partition within the agent (``"default"``).
            metadata: JSON metadata, stored and returned exactly.
            id: Your own id: writing it again replaces that memory.
            dedup: Merge near-duplicates.
            embedding: Your own vector of the server's dimension, instead of embedding.
        """
        body: dict[str, Any] = {"agent_id": agent_id, "content": content, "dedup": dedup}
        put_optional(body, namespace=namespace, metadata=metadata, id=id, embedding=embedding)
        result = yield Call("POST", "/v1/memory/semantic", json=body)
        return SemanticResponse.model_validate(result)

    @api_method
    def store_memories(
        self,
        agent_id: str,
        items: list[dict[str, Any]],
        namespace: str | None = None,
    ) -> Plan[list[SemanticResponse]]:
        """Store up to 500 memories at once, atomically (all or none).

        Args:
            agent_id: The agent.
            items: Dicts with ``content`` and optionally ``metadata``, ``id``, ``dedup``,
                ``embedding``.
            namespace: Partition within the agent.
        """
        body: dict[str, Any] = {"agent_id": agent_id, "items": items}
        put_optional(body, namespace=namespace)
        result = yield Call("POST", "/v1/memory/semantic/batch", json=body)
        return [SemanticResponse.model_validate(m) for m in result["memories"]]

    @api_method
    def search_memory(
        self,
        query: str,
        agent_id: str | None = None,
        namespace: str | None = None,
        top_k: int = 10,
        threshold: float = 0.1,
        metadata_filter: dict[str, Any] | None = None,
        *,
        mode: str = "hybrid",
        include_embeddings: bool = False,
        group_chunks: bool = False,
    ) -> Plan[list[SemanticResponse]]:
        """Search semantic memory.

        Args:
            query: Natural-language query.
            agent_id: One agent, or the whole tenant when omitted.
            namespace: One namespace.
            top_k: Results wanted.
            threshold: Minimum cosine similarity for vector matches.
            metadata_filter: ``{"k": v}`` or operators ``$eq $ne $gt $gte $lt $lte $in $nin
                $exists $contains $icontains $contains_any $contains_all $empty``, combined
                with ``$and`` / ``$or`` / ``$not``.
            mode: ``hybrid`` (vector and keyword, fused), ``vector`` or ``keyword``.
            include_embeddings: Return each hit's stored vector (``embedding``), e.g. for
                maximal-marginal-relevance reranking.
            group_chunks: Return a long memory whole when one of its chunks matched (with
                that chunk's scores), each memory once.
        """
        body: dict[str, Any] = {
            "query": query,
            "top_k": top_k,
            "threshold": threshold,
            "mode": mode,
        }
        if include_embeddings:
            body["include_embeddings"] = True
        if group_chunks:
            body["group_chunks"] = True
        put_optional(body, agent_id=agent_id, namespace=namespace, metadata_filter=metadata_filter)
        result = yield Call("POST", "/v1/memory/semantic/search", json=body, write=False)
        return [SemanticResponse.model_validate(r) for r in result["results"]]

    @api_method
    def get_memory(self, memory_id: str) -> Plan[SemanticResponse]:
        """A memory by id.

        Raises:
            MnemoraNotFoundError: No such live memory for this tenant.
        """
        result = yield Call("GET", f"/v1/memory/semantic/{segment(memory_id)}")
        return SemanticResponse.model_validate(result)

    @api_method
    def get_memories(
        self,
        ids: list[str] | None = None,
        agent_id: str | None = None,
        namespace: str | None = None,
        *,
        metadata_filter: dict[str, Any] | None = None,
    ) -> Plan[list[SemanticResponse]]:
        """Memories by id (up to 500, in the order asked; unknown or deleted ids are left
        out) and/or by metadata filter (every match in scope, oldest first).

        Args:
            ids: The memory ids.
            agent_id: Only memories of this agent.
            namespace: Only memories of this namespace.
            metadata_filter: Only memories whose metadata passes it (``{}``: all in scope).
        """
        body: dict[str, Any] = {}
        put_optional(
            body, ids=ids, agent_id=agent_id, namespace=namespace, metadata_filter=metadata_filter
        )
        found: list[SemanticResponse] = []
        while True:
            result = yield Call("POST", "/v1/memory/semantic/batch/get", json=body, write=False)
            found += [SemanticResponse.model_validate(m) for m in result["memories"]]
            if not result.get("next_cursor"):
                return found
            body["cursor"] = result["next_cursor"]

    @api_method
    def update_memory(
        self,
        memory_id: str,
        content: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Plan[SemanticResponse]:
        """Change a memory's content (re-embedded) and/or replace its metadata."""
        body: dict[str, Any] = {}
        put_optional(body, content=content, metadata=metadata)
        result = yield Call("PATCH", f"/v1/memory/semantic/{segment(memory_id)}", json=body)
        return SemanticResponse.model_validate(result)

    @api_method
    def delete_memory(self, memory_id: str) -> Plan[None]:
        """Soft-delete a memory: hidden from reads and search at once; purge erases it."""
        yield Call("DELETE", f"/v1/memory/semantic/{segment(memory_id)}")

    @api_method
    def delete_memories(
        self,
        ids: list[str] | None = None,
        agent_id: str | None = None,
        namespace: str | None = None,
        *,
        metadata_filter: dict[str, Any] | None = None,
    ) -> Plan[list[str]]:
        """Soft-delete memories in one transaction: by id (up to 500) and/or by metadata
        filter (``{}``: every memory of the agent, or of its namespace).

        Args:
            ids: The memory ids.
            agent_id: Only memories of this agent are deleted (needed without ``ids``).
            namespace: Only memories of this namespace are deleted.
            metadata_filter: Only memories whose metadata passes it.

        Returns:
            The ids deleted (unknown, already deleted or out-of-scope ids are not).
        """
        body: dict[str, Any] = {}
        put_optional(
            body, ids=ids, agent_id=agent_id, namespace=namespace, metadata_filter=metadata_filter
        )
        result = yield Call("POST", "/v1/memory/semantic/batch/delete", json=body)
        return list(result["deleted"])

    @api_pages
    def iter_memories(
        self,
        agent_id: str | None = None,
        namespace: str | None = None,
        *,
        page_size: int = 100,
        cursor: str | None = None,
    ) -> Plan[Page[SemanticResponse]]:
        """Every live memory (of an agent, a namespace, or the tenant), oldest first."""
        result = yield Call(
            "GET",
            "/v1/memory/semantic",
            params={
                "agent_id": agent_id,
                "namespace": namespace,
                "limit": page_size,
                "cursor": cursor,
            },
        )
        items = [SemanticResponse.model_validate(m) for m in result["memories"]]
        return items, result.get("next_cursor")

    @api_method
    def embed(self, texts: list[str]) -> Plan[EmbeddingsResponse]:
        """Embed texts with the server's model (counted as embeddings for the tenant)."""
        result = yield Call("POST", "/v1/embeddings", json={"input": texts}, write=False)
        return EmbeddingsResponse.model_validate(result)
