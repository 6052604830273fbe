"""``MnemoraVectorStore``: LangChain's vector store on Mnemora semantic memory."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore
from langchain_core.vectorstores.utils import maximal_marginal_relevance

from mnemora import MnemoraClient, MnemoraSync
from mnemora.models import SemanticResponse
from mnemora_integrations._batches import batches, write_batches
from mnemora_integrations._clients import HoldsClients, MnemoraClients
from mnemora_integrations.langchain.documents import document_of
from mnemora_integrations.langchain.filters import translate_filter

SearchMode = Literal["vector", "hybrid", "keyword"]
_MAX_FETCH = 100


class MnemoraVectorStore(HoldsClients, VectorStore):
    """A LangChain ``VectorStore`` over one agent's semantic memory on Mnemora.

    Bound to one tenant key, one ``agent_id`` and one ``namespace`` for its life: searches,
    reads and deletes never leave them, and a customer's key never reaches another
    customer's memories. The server embeds (its model, its dimension), so no ``Embeddings``
    object is needed; long texts are chunked by the server and a search returns the chunk
    that matched, under its document's id.

    Documents keep their ids: ``add_documents`` upserts by id (``ids=`` first, then
    ``Document.id``, else a new UUID), ``get_by_ids`` and ``delete(ids)`` work in batches of
    500, and ``metadata`` comes back exactly as stored. Ids are unique within the customer's
    key: writing an id that another agent or namespace holds moves that memory here.
    ``delete()`` without ids refuses; :meth:`purge` empties the namespace.

    Scores: ``similarity_search_with_score`` gives the cosine similarity in [-1, 1]
    (vector mode); ``similarity_search_with_relevance_scores`` maps it to [0, 1]. Filters
    use PGVector's Mongo-style dialect (see :mod:`mnemora_integrations.langchain.filters`).
    ``search_mode="hybrid"`` fuses vector and keyword matches by rank (scores are then the
    fused rank scores); ``"keyword"`` matches words only.

    Args:
        agent_id: The agent whose memories these are.
        namespace: The partition within the agent (``"default"``).
        api_key: The customer's key (default: ``MNEMORA_API_KEY``).
        base_url: The server (default: ``MNEMORA_API_URL``).
        client: An SDK client to use instead of ``api_key``/``base_url``.
        search_mode: ``"vector"`` (default), ``"hybrid"`` or ``"keyword"``.

    Example:
        ```python
        from langchain_core.documents import Document
        from mnemora_integrations.langchain import MnemoraVectorStore

        with MnemoraVectorStore(agent_id="support-agent", api_key=customer_key) as store:
            store.add_documents(
                [Document("Refunds take 5 days", metadata={"topic": "billing"})], ids=["faq-1"]
            )
            docs = store.similarity_search("how long is a refund?", k=1,
                                           filter={"topic": {"$in": ["billing"]}})
            print(docs[0].id, docs[0].page_content)  # faq-1 Refunds take 5 days
        ```
    """

    def __init__(
        self,
        *,
        agent_id: str,
        namespace: str = "default",
        api_key: str | None = None,
        base_url: str | None = None,
        client: MnemoraSync | MnemoraClient | None = None,
        search_mode: SearchMode = "vector",
    ) -> None:
        if search_mode not in ("vector", "hybrid", "keyword"):
            raise ValueError("search_mode is 'vector', 'hybrid' or 'keyword'")
        self.agent_id = agent_id
        self.namespace = namespace
        self.search_mode: SearchMode = search_mode
        self._clients = MnemoraClients(api_key=api_key, base_url=base_url, client=client)

    @property
    def embeddings(self) -> Embeddings | None:
        """``None``: the server embeds with its own model."""
        return None

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def from_texts(
        cls,
        texts: list[str],
        embedding: Embeddings | None = None,
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> MnemoraVectorStore:
        """A store (``kwargs`` are the constructor's) with ``texts`` added.

        Raises:
            ValueError: ``embedding`` was given: the server embeds with its own model.
        """
        _no_embedding(embedding)
        store = cls(**kwargs)
        store.add_texts(texts, metadatas, ids=ids)
        return store

    @classmethod
    async def afrom_texts(
        cls,
        texts: list[str],
        embedding: Embeddings | None = None,
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> MnemoraVectorStore:
        """A store (``kwargs`` are the constructor's) with ``texts`` added."""
        _no_embedding(embedding)
        store = cls(**kwargs)
        await store.aadd_texts(texts, metadatas, ids=ids)
        return store

    # -- writing -----------------------------------------------------------------------------

    def add_documents(self, documents: list[Document], **kwargs: Any) -> list[str]:
        """Upsert documents; returns their ids in order.

        Args:
            documents: The documents (not modified).
            ids: Ids that take precedence over ``Document.id`` (``None`` entries fall back).
        """
        parts, ids = self._memories(documents, kwargs)
        for items in parts:
            self._clients.sync.store_memories(self.agent_id, items, namespace=self.namespace)
        return ids

    async def aadd_documents(self, documents: list[Document], **kwargs: Any) -> list[str]:
        """Upsert documents; returns their ids in order."""
        parts, ids = self._memories(documents, kwargs)
        for items in parts:
            await self._clients.aio.store_memories(self.agent_id, items, namespace=self.namespace)
        return ids

    def add_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        """Upsert texts with their metadata; returns their ids."""
        return self.add_documents(_documents(texts, metadatas), ids=ids, **kwargs)

    async def aadd_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        """Upsert texts with their metadata; returns their ids."""
        return await self.aadd_documents(_documents(texts, metadatas), ids=ids, **kwargs)

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool:
        """Delete documents by id (unknown ids are ignored).

        Raises:
            ValueError: No ids: deleting everything is :meth:`purge`.
        """
        for part in batches(_ids_to_delete(ids, kwargs)):
            self._clients.sync.delete_memories(part, self.agent_id, self.namespace)
        return True

    async def adelete(self, ids: list[str] | None = None, **kwargs: Any) -> bool:
        """Delete documents by id (unknown ids are ignored)."""
        for part in batches(_ids_to_delete(ids, kwargs)):
            await self._clients.aio.delete_memories(part, self.agent_id, self.namespace)
        return True

    def purge(self) -> int:
        """Delete every document of this store's agent and namespace (one atomic request);
        returns how many."""
        return len(self._clients.sync.delete_memories(**self._everything()))

    async def apurge(self) -> int:
        """Delete every document of this store's agent and namespace (one atomic request);
        returns how many."""
        return len(await self._clients.aio.delete_memories(**self._everything()))

    def _everything(self) -> dict[str, Any]:
        return {"agent_id": self.agent_id, "namespace": self.namespace, "metadata_filter": {}}

    # -- reading -----------------------------------------------------------------------------

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        """The documents with these ids, in the order asked; unknown ids are left out."""
        found: list[SemanticResponse] = []
        for part in batches(list(ids)):
            found += self._clients.sync.get_memories(part, self.agent_id, self.namespace)
        return [document_of(memory) for memory in found]

    async def aget_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        """The documents with these ids, in the order asked; unknown ids are left out."""
        found: list[SemanticResponse] = []
        for part in batches(list(ids)):
            found += await self._clients.aio.get_memories(part, self.agent_id, self.namespace)
        return [document_of(memory) for memory in found]

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        """The ``k`` documents nearest to ``query``.

        Args:
            query: The text to search for.
            k: How many (at most 100).
            filter: A metadata filter (Mongo-style).
            search_mode: ``"vector"``, ``"hybrid"`` or ``"keyword"`` for this call.
        """
        return [doc for doc, _ in self.similarity_search_with_score(query, k, **kwargs)]

    async def asimilarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        """The ``k`` documents nearest to ``query``."""
        return [doc for doc, _ in await self.asimilarity_search_with_score(query, k, **kwargs)]

    def similarity_search_with_score(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        """Documents with their cosine similarity to ``query`` (vector mode), best first."""
        search = self._search(query, k, kwargs)
        return self._scored(self._clients.sync.search_memory(**search), search["mode"])

    async def asimilarity_search_with_score(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        """Documents with their cosine similarity to ``query`` (vector mode), best first."""
        search = self._search(query, k, kwargs)
        return self._scored(await self._clients.aio.search_memory(**search), search["mode"])

    def _select_relevance_score_fn(self) -> Callable[[float], float]:
        """Cosine similarity in [-1, 1] to relevance in [0, 1]."""
        if self.search_mode != "vector":
            raise ValueError(
                "relevance scores are cosine similarities: use search_mode='vector' for them"
            )
        return _relevance

    def max_marginal_relevance_search(
        self,
        query: str,
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        **kwargs: Any,
    ) -> list[Document]:
        """``k`` documents relevant to ``query`` and diverse among themselves: the nearest
        ``fetch_k`` are re-ranked by maximal marginal relevance (``lambda_mult`` 1 is pure
        relevance, 0 pure diversity)."""
        (vector,) = self._clients.sync.embed([query]).embeddings
        search = self._search(query, fetch_k, {**kwargs, "search_mode": "vector"}, vectors=True)
        return _diverse(vector, self._clients.sync.search_memory(**search), k, lambda_mult)

    async def amax_marginal_relevance_search(
        self,
        query: str,
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        **kwargs: Any,
    ) -> list[Document]:
        """``k`` relevant and diverse documents (see :meth:`max_marginal_relevance_search`)."""
        (vector,) = (await self._clients.aio.embed([query])).embeddings
        search = self._search(query, fetch_k, {**kwargs, "search_mode": "vector"}, vectors=True)
        return _diverse(vector, await self._clients.aio.search_memory(**search), k, lambda_mult)

    # -- conversions -------------------------------------------------------------------------

    def _memories(
        self, documents: list[Document], kwargs: dict[str, Any]
    ) -> tuple[list[list[dict[str, Any]]], list[str]]:
        given = kwargs.pop("ids", None)
        if kwargs:
            raise TypeError(f"unexpected arguments: {', '.join(sorted(kwargs))}")
        if given is not None and len(given) != len(documents):
            raise ValueError(f"{len(given)} ids for {len(documents)} documents")
        ids = [
            (given[i] if given is not None else None) or doc.id or str(uuid.uuid4())
            for i, doc in enumerate(documents)
        ]
        items = [
            {"content": doc.page_content, "metadata": dict(doc.metadata), "id": i, "dedup": False}
            for doc, i in zip(documents, ids, strict=True)
        ]
        return write_batches(items), ids

    def _search(
        self, query: str, k: int, kwargs: dict[str, Any], *, vectors: bool = False
    ) -> dict[str, Any]:
        options = dict(kwargs)
        mode = options.pop("search_mode", None) or self.search_mode
        metadata_filter = translate_filter(options.pop("filter", None))
        if options:
            raise TypeError(f"unexpected search arguments: {', '.join(sorted(options))}")
        return {
            "query": query,
            "agent_id": self.agent_id,
            "namespace": self.namespace,
            "top_k": min(k, _MAX_FETCH) if vectors else k,
            "threshold": -1.0,
            "metadata_filter": metadata_filter,
            "mode": mode,
            "include_embeddings": vectors,
        }

    @staticmethod
    def _scored(hits: list[SemanticResponse], mode: str) -> list[tuple[Document, float]]:
        def score(hit: SemanticResponse) -> float:
            value = hit.similarity_score if mode == "vector" else hit.score
            return float(value or 0.0)

        return [(document_of(hit), score(hit)) for hit in hits]


def _documents(texts: Iterable[str], metadatas: list[dict[str, Any]] | None) -> list[Document]:
    listed = list(texts)
    if metadatas is not None and len(metadatas) != len(listed):
        raise ValueError(f"{len(metadatas)} metadatas for {len(listed)} texts")
    return [
        Document(page_content=text, metadata=(metadatas[i] if metadatas else {}))
        for i, text in enumerate(listed)
    ]


def _diverse(
    query_vector: list[float], hits: list[SemanticResponse], k: int, lambda_mult: float
) -> list[Document]:
    with_vectors = [hit for hit in hits if hit.embedding is not None]
    if not with_vectors:
        return []
    chosen = maximal_marginal_relevance(
        np.asarray(query_vector, dtype=np.float32),
        [list(hit.embedding or ()) for hit in with_vectors],
        k=min(k, len(with_vectors)),
        lambda_mult=lambda_mult,
    )
    return [document_of(with_vectors[i]) for i in chosen]


def _relevance(similarity: float) -> float:
    return min(1.0, max(0.0, (similarity + 1.0) / 2.0))


def _ids_to_delete(ids: list[str] | None, kwargs: dict[str, Any]) -> list[str]:
    if kwargs:
        raise TypeError(f"unexpected arguments: {', '.join(sorted(kwargs))}")
    if ids is None:
        raise ValueError("delete() needs ids; to delete every document of this store call purge()")
    return list(ids)


def _no_embedding(embedding: Embeddings | None) -> None:
    if embedding is not None:
        raise ValueError("MnemoraVectorStore embeds with the server's model: pass embedding=None")
