"""``MnemoraVectorStore``: a LlamaIndex vector store over one agent's semantic memory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.indices.query.embedding_utils import get_top_k_mmr_embeddings
from llama_index.core.schema import BaseNode
from llama_index.core.vector_stores.types import (
    BasePydanticVectorStore,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
    VectorStoreQueryResult,
)
from pydantic import PrivateAttr

from mnemora import MnemoraClient, MnemoraSync
from mnemora.models import SemanticResponse
from mnemora_integrations._batches import batches, write_batches
from mnemora_integrations._clients import HoldsClients, MnemoraClients
from mnemora_integrations.llama_index.filters import translate_filters
from mnemora_integrations.llama_index.nodes import NODE_ID_KEY, memory_id, memory_of, node_of

_MODES = {
    VectorStoreQueryMode.DEFAULT: "vector",
    VectorStoreQueryMode.MMR: "vector",
    VectorStoreQueryMode.HYBRID: "hybrid",
    VectorStoreQueryMode.TEXT_SEARCH: "keyword",
    VectorStoreQueryMode.SPARSE: "keyword",
}
_MAX_FETCH = 100


class MnemoraVectorStore(HoldsClients, BasePydanticVectorStore):
    """A LlamaIndex vector store over one agent's semantic memory on Mnemora.

    Bound to one tenant key, ``agent_id`` and ``namespace`` for its life: queries, reads and
    deletes never leave them. The server embeds node texts and queries with its model
    (``is_embedding_query`` is false, so retrievers send the query text); long texts are
    chunked and a query returns whole nodes. Nodes round-trip whole: id, text, metadata and
    relationships, so ``delete(ref_doc_id)`` removes every node of a document.

    Query modes: ``DEFAULT`` (by meaning), ``HYBRID`` (meaning and keywords fused by rank),
    ``TEXT_SEARCH``/``SPARSE`` (keywords), ``MMR`` (diverse results, ``mmr_threshold`` as
    LlamaIndex uses it). ``MetadataFilters`` with every operator and condition, nested, are
    evaluated by the server (see :mod:`mnemora_integrations.llama_index.filters`);
    ``doc_ids`` and ``node_ids`` restrict a query too.

    Args:
        agent_id: The agent whose memories hold the nodes.
        namespace: The partition within the agent (``"default"``).
        api_key: The customer's key (default: ``MNEMORA_API_KEY``).
        base_url: The server (default: ``MNEMORA_API_URL``).
        client: An SDK client to use instead of ``api_key``/``base_url``.
        client_embeddings: Store the nodes' own embeddings instead of embedding again on
            the server. Only for vectors of the server's model (:class:`MnemoraEmbedding`):
            queries are embedded by the server. Texts over 2,000 characters are chunked and
            embedded by the server anyway.

    Example:
        ```python
        from llama_index.core import Document, StorageContext, VectorStoreIndex
        from mnemora_integrations.llama_index import MnemoraEmbedding, MnemoraVectorStore

        store = MnemoraVectorStore(agent_id="support-agent", api_key=customer_key,
                                   client_embeddings=True)
        index = VectorStoreIndex.from_documents(
            [Document(text="Refunds take 5 days.", metadata={"topic": "billing"})],
            storage_context=StorageContext.from_defaults(vector_store=store),
            embed_model=MnemoraEmbedding(api_key=customer_key),
        )
        nodes = index.as_retriever(similarity_top_k=1).retrieve("how long is a refund?")
        print(nodes[0].node.get_content())  # Refunds take 5 days.
        ```
    """

    stores_text: bool = True
    is_embedding_query: bool = False
    flat_metadata: bool = False
    agent_id: str
    namespace: str = "default"
    client_embeddings: bool = False

    _clients: MnemoraClients = PrivateAttr()

    def __init__(
        self,
        *,
        agent_id: str,
        namespace: str = "default",
        api_key: str | None = None,
        base_url: str | None = None,
        client: MnemoraSync | MnemoraClient | None = None,
        client_embeddings: bool = False,
    ) -> None:
        fields: dict[str, Any] = {
            "agent_id": agent_id,
            "namespace": namespace,
            "client_embeddings": client_embeddings,
        }
        super().__init__(**fields)
        self._clients = MnemoraClients(api_key=api_key, base_url=base_url, client=client)

    @classmethod
    def class_name(cls) -> str:
        """LlamaIndex's name of this class."""
        return "MnemoraVectorStore"

    @property
    def client(self) -> MnemoraSync:
        """The blocking SDK client."""
        return self._clients.sync

    # -- writing -----------------------------------------------------------------------------

    def add(self, nodes: Sequence[BaseNode], **add_kwargs: Any) -> list[str]:
        """Upsert nodes by id, 500 per request; returns their ids."""
        for part in self._memories(nodes):
            self._clients.sync.store_memories(self.agent_id, part, self.namespace)
        return [node.node_id for node in nodes]

    async def async_add(self, nodes: Sequence[BaseNode], **add_kwargs: Any) -> list[str]:
        """Upsert nodes by id, 500 per request; returns their ids."""
        for part in self._memories(nodes):
            await self._clients.aio.store_memories(self.agent_id, part, self.namespace)
        return [node.node_id for node in nodes]

    def delete(self, ref_doc_id: str, **delete_kwargs: Any) -> None:
        """Delete every node of the document ``ref_doc_id`` (one atomic request)."""
        self._clients.sync.delete_memories(**self._document(ref_doc_id))

    async def adelete(self, ref_doc_id: str, **delete_kwargs: Any) -> None:
        """Delete every node of the document ``ref_doc_id`` (one atomic request)."""
        await self._clients.aio.delete_memories(**self._document(ref_doc_id))

    def delete_nodes(
        self,
        node_ids: list[str] | None = None,
        filters: MetadataFilters | None = None,
        **delete_kwargs: Any,
    ) -> None:
        """Delete the nodes with these ids and/or passing ``filters``.

        Raises:
            ValueError: Neither ids nor filters: deleting everything is :meth:`clear`.
        """
        for selection in self._selections(node_ids, filters, deleting=True):
            self._clients.sync.delete_memories(**selection)

    async def adelete_nodes(
        self,
        node_ids: list[str] | None = None,
        filters: MetadataFilters | None = None,
        **delete_kwargs: Any,
    ) -> None:
        """Delete the nodes with these ids and/or passing ``filters``."""
        for selection in self._selections(node_ids, filters, deleting=True):
            await self._clients.aio.delete_memories(**selection)

    def clear(self) -> None:
        """Delete every node of this store's agent and namespace (one atomic request)."""
        self._clients.sync.delete_memories(**self._scope(metadata_filter={}))

    async def aclear(self) -> None:
        """Delete every node of this store's agent and namespace (one atomic request)."""
        await self._clients.aio.delete_memories(**self._scope(metadata_filter={}))

    # -- reading -----------------------------------------------------------------------------

    def get_nodes(
        self, node_ids: list[str] | None = None, filters: MetadataFilters | None = None
    ) -> list[BaseNode]:
        """The nodes with these ids and/or passing ``filters`` (all of them with neither)."""
        found: list[SemanticResponse] = []
        for selection in self._selections(node_ids, filters, deleting=False):
            found += self._clients.sync.get_memories(**selection)
        return [node_of(memory) for memory in found]

    async def aget_nodes(
        self, node_ids: list[str] | None = None, filters: MetadataFilters | None = None
    ) -> list[BaseNode]:
        """The nodes with these ids and/or passing ``filters`` (all of them with neither)."""
        found: list[SemanticResponse] = []
        for selection in self._selections(node_ids, filters, deleting=False):
            found += await self._clients.aio.get_memories(**selection)
        return [node_of(memory) for memory in found]

    def query(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        """The nodes that best match ``query``."""
        search = self._search(query)
        if query.mode != VectorStoreQueryMode.MMR:
            return _result(self._clients.sync.search_memory(**search), search["mode"])
        vector = query.query_embedding or self._clients.sync.embed([search["query"]]).embeddings[0]
        return _diverse(query, vector, self._clients.sync.search_memory(**search))

    async def aquery(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        """The nodes that best match ``query``."""
        search = self._search(query)
        aio = self._clients.aio
        if query.mode != VectorStoreQueryMode.MMR:
            return _result(await aio.search_memory(**search), search["mode"])
        vector = query.query_embedding or (await aio.embed([search["query"]])).embeddings[0]
        return _diverse(query, vector, await aio.search_memory(**search))

    # -- requests ----------------------------------------------------------------------------

    def _memories(self, nodes: Sequence[BaseNode]) -> list[list[dict[str, Any]]]:
        return write_batches([memory_of(n, with_embedding=self.client_embeddings) for n in nodes])

    def _scope(self, **extra: Any) -> dict[str, Any]:
        return {"agent_id": self.agent_id, "namespace": self.namespace, **extra}

    def _document(self, ref_doc_id: str) -> dict[str, Any]:
        return self._scope(metadata_filter={"ref_doc_id": {"$in": [ref_doc_id]}})

    def _selections(
        self, node_ids: list[str] | None, filters: MetadataFilters | None, *, deleting: bool
    ) -> list[dict[str, Any]]:
        translated = translate_filters(filters)
        if node_ids is None:
            if translated is None and deleting:
                raise ValueError(
                    "delete_nodes() needs node_ids or filters; to delete every node call clear()"
                )
            return [self._scope(metadata_filter=translated or {})]
        return [
            self._scope(ids=part, metadata_filter=translated)
            for part in batches([memory_id(node_id) for node_id in node_ids])
        ]

    def _search(self, query: VectorStoreQuery) -> dict[str, Any]:
        if query.mode not in _MODES:
            raise ValueError(
                f"query mode {query.mode.value!r} is not supported; use default, hybrid, "
                "text_search, sparse or mmr"
            )
        if not query.query_str:
            raise ValueError(
                "MnemoraVectorStore searches by the query's text (the server embeds it); "
                "query_str is empty"
            )
        if query.alpha is not None:
            raise ValueError("hybrid results are fused by rank on the server; alpha is not used")
        parts = [translate_filters(query.filters)]
        if query.doc_ids:
            parts.append({"ref_doc_id": {"$in": list(query.doc_ids)}})
        if query.node_ids:
            parts.append({NODE_ID_KEY: {"$in": list(query.node_ids)}})
        conditions = [part for part in parts if part]
        mmr = query.mode == VectorStoreQueryMode.MMR
        top_k = query.similarity_top_k
        return {
            "query": query.query_str,
            "agent_id": self.agent_id,
            "namespace": self.namespace,
            "top_k": min(max(top_k * 4, 20), _MAX_FETCH) if mmr else top_k,
            "threshold": -1.0,
            "metadata_filter": (
                None
                if not conditions
                else conditions[0]
                if len(conditions) == 1
                else {"$and": conditions}
            ),
            "mode": _MODES[query.mode],
            "include_embeddings": mmr,
            "group_chunks": True,
        }


def _result(hits: list[SemanticResponse], mode: str) -> VectorStoreQueryResult:
    def score(hit: SemanticResponse) -> float:
        value = hit.similarity_score if mode == "vector" else hit.score
        return float(value or 0.0)

    nodes = [node_of(hit) for hit in hits]
    return VectorStoreQueryResult(
        nodes=nodes, similarities=[score(hit) for hit in hits], ids=[n.node_id for n in nodes]
    )


def _diverse(
    query: VectorStoreQuery, vector: list[float], hits: list[SemanticResponse]
) -> VectorStoreQueryResult:
    pool = [hit for hit in hits if hit.embedding]
    if not pool:
        return VectorStoreQueryResult(nodes=[], similarities=[], ids=[])
    scores, chosen = get_top_k_mmr_embeddings(
        vector,
        [list(hit.embedding or ()) for hit in pool],
        similarity_top_k=query.similarity_top_k,
        embedding_ids=list(range(len(pool))),
        mmr_threshold=query.mmr_threshold,
    )
    nodes = [node_of(pool[i]) for i in chosen]
    return VectorStoreQueryResult(
        nodes=nodes, similarities=list(scores), ids=[n.node_id for n in nodes]
    )
