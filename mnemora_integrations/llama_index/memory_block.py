"""``MnemoraMemoryBlock``: long-term memory for LlamaIndex's ``Memory``."""

from __future__ import annotations

from typing import Any, Literal

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.memory.memory import BaseMemoryBlock
from pydantic import Field, PrivateAttr

from mnemora import MnemoraClient, MnemoraSync
from mnemora.models import SemanticResponse
from mnemora_integrations._batches import write_batches
from mnemora_integrations._clients import HoldsClients, MnemoraClients

_REMEMBERED = (MessageRole.USER, MessageRole.ASSISTANT)


class MnemoraMemoryBlock(HoldsClients, BaseMemoryBlock[str]):
    """A ``Memory`` block that keeps what falls out of the short-term window as semantic
    memories of the agent, and recalls the ones relevant to the conversation.

    When ``Memory`` flushes old messages, each user and assistant message with text becomes
    one memory (metadata: ``session_id``, ``role``); messages are events, so near-duplicates
    are kept apart. On ``aget``, the latest messages (``context_window`` of them) are the query;
    the best ``top_k`` memories of the session (or, with ``scope="agent"``, of every session
    of the agent) come back as lines of text.

    Args:
        agent_id: The agent whose semantic memory holds the messages.
        namespace: The partition within the agent (``"long-term"``).
        scope: ``"session"`` (default) or ``"agent"``: which memories are recalled.
        top_k: How many memories to recall.
        threshold: Minimum cosine similarity of a recalled memory.
        context_window: How many recent messages make the query.
        api_key: The customer's key (default: ``MNEMORA_API_KEY``).
        base_url: The server (default: ``MNEMORA_API_URL``).
        client: An SDK client to use instead of ``api_key``/``base_url``.

    Example:
        ```python
        from llama_index.core.memory import Memory
        from mnemora_integrations.llama_index import MnemoraChatStore, MnemoraMemoryBlock

        mine = {"agent_id": "support-agent", "api_key": customer_key}
        memory = Memory.from_defaults(
            session_id="ticket-4711",
            chat_store=MnemoraChatStore(**mine),
            memory_blocks=[MnemoraMemoryBlock(**mine)],
            token_limit=2000,
        )
        ```
    """

    name: str = "mnemora"
    description: str | None = "Relevant memories from earlier in this conversation."
    priority: int = 1
    agent_id: str
    namespace: str = "long-term"
    scope: Literal["session", "agent"] = "session"
    top_k: int = Field(default=5, ge=1, le=100)
    threshold: float = Field(default=0.2, ge=-1.0, le=1.0)
    context_window: int = Field(default=5, ge=1)

    _clients: MnemoraClients = PrivateAttr()

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        client: MnemoraSync | MnemoraClient | None = None,
        **fields: Any,
    ) -> None:
        super().__init__(**fields)
        self._clients = MnemoraClients(api_key=api_key, base_url=base_url, client=client)

    async def _aget(self, messages: list[ChatMessage] | None = None, **block_kwargs: Any) -> str:
        query = "\n".join(m.content for m in (messages or [])[-self.context_window :] if m.content)
        if not query.strip():
            return ""
        session_id = block_kwargs.get("session_id")
        metadata_filter = (
            {"session_id": session_id}
            if self.scope == "session" and session_id is not None
            else None
        )
        hits = await self._clients.aio.search_memory(
            query[-10_000:],
            agent_id=self.agent_id,
            namespace=self.namespace,
            top_k=self.top_k,
            threshold=self.threshold,
            metadata_filter=metadata_filter,
            mode="vector",
        )
        return _lines(hits)

    async def _aput(self, messages: list[ChatMessage]) -> None:
        items = []
        for message in messages:
            session_id = message.additional_kwargs.pop("session_id", None)
            if message.role not in _REMEMBERED or not (message.content or "").strip():
                continue
            metadata: dict[str, Any] = {"role": message.role.value}
            if session_id is not None:
                metadata["session_id"] = session_id
            items.append({"content": message.content, "metadata": metadata, "dedup": False})
        for part in write_batches(items):
            await self._clients.aio.store_memories(self.agent_id, part, self.namespace)


def _lines(hits: list[SemanticResponse]) -> str:
    return "\n".join(f"- {hit.metadata.get('role', 'note')}: {hit.content}" for hit in hits)
