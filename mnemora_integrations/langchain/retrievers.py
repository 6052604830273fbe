"""``MnemoraRetriever``: a LangChain retriever over one agent's semantic memory."""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    CallbackManagerForRetrieverRun,
)
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr

from mnemora import MnemoraClient, MnemoraSync
from mnemora_integrations._clients import HoldsClients, MnemoraClients
from mnemora_integrations.langchain.documents import document_of
from mnemora_integrations.langchain.filters import translate_filter


class MnemoraRetriever(HoldsClients, BaseRetriever):
    """Retrieves an agent's memories relevant to a query: hybrid search (meaning and
    keywords, fused by rank) by default.

    Bound to one tenant key and ``agent_id`` for its life. ``k``, ``filter`` (Mongo-style,
    see :mod:`mnemora_integrations.langchain.filters`) and ``search_mode`` are defaults that
    each ``invoke(query, k=..., filter=..., search_mode=...)`` may override. Documents carry
    the memory's id and exactly the metadata stored with it.

    Args:
        agent_id: The agent whose memories to search.
        namespace: One namespace, or ``None`` for every namespace of the agent.
        k: How many documents (at most 100).
        filter: A default metadata filter.
        search_mode: ``"hybrid"`` (default), ``"vector"`` or ``"keyword"``.
        threshold: Minimum cosine similarity of vector matches (default 0.1).
        api_key: The customer's key (default: ``MNEMORA_API_KEY``).
        base_url: The server (default: ``MNEMORA_API_URL``).
        client: An SDK client to use instead of ``api_key``/``base_url``.

    Example:
        ```python
        from mnemora_integrations.langchain import MnemoraRetriever

        retriever = MnemoraRetriever(agent_id="support-agent", api_key=customer_key, k=3)
        for doc in retriever.invoke("refund policy", filter={"topic": "billing"}):
            print(doc.page_content)
        ```
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    agent_id: str
    namespace: str | None = None
    k: int = Field(default=4, ge=1, le=100)
    filter: dict[str, Any] | None = None
    search_mode: Literal["hybrid", "vector", "keyword"] = "hybrid"
    threshold: float = Field(default=0.1, ge=-1.0, le=1.0)
    api_key: SecretStr | None = Field(default=None, repr=False)
    base_url: str | None = None
    client: MnemoraSync | MnemoraClient | None = Field(default=None, exclude=True, repr=False)

    _clients: MnemoraClients = PrivateAttr()

    def model_post_init(self, context: Any, /) -> None:
        """Bind the SDK clients (no I/O until the first search)."""
        super().model_post_init(context)
        key = self.api_key.get_secret_value() if self.api_key is not None else None
        self._clients = MnemoraClients(api_key=key, base_url=self.base_url, client=self.client)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        hits = self._clients.sync.search_memory(**self._search(query, kwargs))
        return [document_of(hit) for hit in hits]

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        hits = await self._clients.aio.search_memory(**self._search(query, kwargs))
        return [document_of(hit) for hit in hits]

    def _search(self, query: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        options = dict(kwargs)
        k = options.pop("k", self.k)
        mode = options.pop("search_mode", self.search_mode)
        spec = options.pop("filter", self.filter)
        if options:
            raise TypeError(f"unexpected retriever arguments: {', '.join(sorted(options))}")
        return {
            "query": query,
            "agent_id": self.agent_id,
            "namespace": self.namespace,
            "top_k": k,
            "threshold": self.threshold,
            "metadata_filter": translate_filter(spec),
            "mode": mode,
        }
