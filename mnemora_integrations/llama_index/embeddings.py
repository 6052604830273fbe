"""``MnemoraEmbedding``: LlamaIndex embeddings from the Mnemora server's own model."""

from __future__ import annotations

from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from pydantic import Field, PrivateAttr, SecretStr

from mnemora import MnemoraClient, MnemoraSync
from mnemora_integrations._clients import HoldsClients, MnemoraClients

_MAX_BATCH = 256


class MnemoraEmbedding(HoldsClients, BaseEmbedding):
    """Embeds with the server's model (``/v1/embeddings``, metered for the customer), so an
    index needs no other model or key, and the vectors it computes are the ones the server
    compares queries against.

    Args:
        api_key: The customer's key (default: ``MNEMORA_API_KEY``).
        base_url: The server (default: ``MNEMORA_API_URL``).
        client: An SDK client to use instead of ``api_key``/``base_url``.
        embed_batch_size: Texts per request (at most 256, the default).

    Example:
        ```python
        from mnemora_integrations.llama_index import MnemoraEmbedding

        embed_model = MnemoraEmbedding(api_key=customer_key)
        vector = embed_model.get_text_embedding("Refunds take 5 days")
        print(len(vector))  # 384
        ```
    """

    model_name: str = "mnemora-server"
    embed_batch_size: int = Field(default=_MAX_BATCH, gt=0, le=_MAX_BATCH)
    api_key: SecretStr | None = Field(default=None, exclude=True, repr=False)
    base_url: str | None = None
    client: MnemoraSync | MnemoraClient | None = Field(default=None, exclude=True, repr=False)

    _clients: MnemoraClients = PrivateAttr()

    def model_post_init(self, context: Any, /) -> None:
        """Bind the SDK clients (no I/O until the first embedding)."""
        super().model_post_init(context)
        key = self.api_key.get_secret_value() if self.api_key is not None else None
        self._clients = MnemoraClients(api_key=key, base_url=self.base_url, client=self.client)

    @classmethod
    def class_name(cls) -> str:
        """LlamaIndex's name of this class."""
        return "MnemoraEmbedding"

    def _get_query_embedding(self, query: str) -> Embedding:
        return self._get_text_embeddings([query])[0]

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return (await self._aget_text_embeddings([query]))[0]

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._get_text_embeddings([text])[0]

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return (await self._aget_text_embeddings([text]))[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return self._clients.sync.embed(_non_empty(texts)).embeddings

    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return (await self._clients.aio.embed(_non_empty(texts))).embeddings


def _non_empty(texts: list[str]) -> list[str]:
    """The server refuses empty strings; a blank text embeds as one space would."""
    return [text if text else " " for text in texts]
