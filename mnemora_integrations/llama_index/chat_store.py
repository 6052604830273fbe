"""``MnemoraChatStore``: LlamaIndex chat stores over one agent's working memory."""

from __future__ import annotations

from typing import Any

from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.storage.chat_store.base import BaseChatStore
from llama_index.core.storage.chat_store.base_db import AsyncDBChatStore, MessageStatus
from pydantic import PrivateAttr

from mnemora import MnemoraClient, MnemoraSync
from mnemora_integrations._clients import HoldsClients, MnemoraClients
from mnemora_integrations.llama_index.chat_log import (
    ACTIVE,
    ARCHIVED,
    ChatLog,
    Document,
    appended,
    empty,
    entries,
    messages_of,
    without,
)


def _status(status: MessageStatus | None) -> str | None:
    return None if status is None else (ACTIVE if status == MessageStatus.ACTIVE else ARCHIVED)


class MnemoraChatStore(HoldsClients, AsyncDBChatStore):
    """The chat store of LlamaIndex's ``Memory``: each key's messages (active and archived)
    in one agent's working memory, every change atomic (optimistic locking), so
    ``archive_oldest_messages`` from several processes at once never archives a message
    twice. Keys are ``Memory``'s session ids; a document holds up to about 400 KB.

    ``ChatMemoryBuffer`` and other users of the older ``BaseChatStore`` get the same
    messages through :meth:`legacy`.

    Args:
        agent_id: The agent whose working memory holds the chats.
        api_key: The customer's key (default: ``MNEMORA_API_KEY``).
        base_url: The server (default: ``MNEMORA_API_URL``).
        client: An SDK client to use instead of ``api_key``/``base_url``.

    Example:
        ```python
        from llama_index.core.llms import ChatMessage
        from llama_index.core.memory import Memory
        from mnemora_integrations.llama_index import MnemoraChatStore

        memory = Memory.from_defaults(
            session_id="ticket-4711",
            chat_store=MnemoraChatStore(agent_id="support-agent", api_key=customer_key),
        )
        memory.put_messages([ChatMessage(role="user", content="My parcel is late")])
        print(memory.get()[-1].content)  # My parcel is late
        ```
    """

    agent_id: str
    _log: ChatLog = PrivateAttr()
    _clients: MnemoraClients = PrivateAttr()

    def __init__(
        self,
        *,
        agent_id: str,
        api_key: str | None = None,
        base_url: str | None = None,
        client: MnemoraSync | MnemoraClient | None = None,
    ) -> None:
        fields: dict[str, Any] = {"agent_id": agent_id}
        super().__init__(**fields)
        self._clients = MnemoraClients(api_key=api_key, base_url=base_url, client=client)
        self._log = ChatLog(self._clients, agent_id)

    @classmethod
    def class_name(cls) -> str:
        """LlamaIndex's name of this class."""
        return "MnemoraChatStore"

    def legacy(self) -> MnemoraLegacyChatStore:
        """The same chats as an older ``BaseChatStore`` (for ``ChatMemoryBuffer``)."""
        return MnemoraLegacyChatStore(self._log)

    async def get_messages(
        self,
        key: str,
        status: MessageStatus | None = MessageStatus.ACTIVE,
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[ChatMessage]:
        """The key's messages with ``status`` (all with ``None``), oldest first."""
        found = entries(await self._log.aread(key), _status(status))
        start = offset or 0
        return messages_of(found[start : None if limit is None else start + limit])

    async def count_messages(
        self, key: str, status: MessageStatus | None = MessageStatus.ACTIVE
    ) -> int:
        """How many messages the key has with ``status`` (all with ``None``)."""
        return len(entries(await self._log.aread(key), _status(status)))

    async def add_message(
        self, key: str, message: ChatMessage, status: MessageStatus = MessageStatus.ACTIVE
    ) -> None:
        """Add one message after the others."""
        await self.add_messages(key, [message], status)

    async def add_messages(
        self,
        key: str,
        messages: list[ChatMessage],
        status: MessageStatus = MessageStatus.ACTIVE,
    ) -> None:
        """Add messages, in order, after the others."""
        flag = _status(status) or ACTIVE
        await self._log.achange(key, lambda doc: (appended(doc, messages, flag), None))

    async def set_messages(
        self,
        key: str,
        messages: list[ChatMessage],
        status: MessageStatus = MessageStatus.ACTIVE,
    ) -> None:
        """Replace every message of the key with ``messages``."""
        flag = _status(status) or ACTIVE
        await self._log.achange(
            key, lambda doc: (appended({**empty(), "next": doc["next"]}, messages, flag), None)
        )

    async def delete_message(self, key: str, idx: int) -> ChatMessage | None:
        """Delete the message whose id is ``idx`` (as ``get_messages`` numbers them from 0
        in order of arrival); returns it, or ``None``."""

        def change(doc: Document) -> tuple[Document | None, ChatMessage | None]:
            found = [m for m in doc["messages"] if m["id"] == idx]
            if not found:
                return None, None
            return without(doc, {idx}), messages_of(found)[0]

        return await self._log.achange(key, change)

    async def delete_messages(self, key: str, status: MessageStatus | None = None) -> None:
        """Delete the key's messages with ``status`` (the key itself with ``None``)."""
        flag = _status(status)
        if flag is None:
            await self._log.adrop(key)
            return

        def change(doc: Document) -> tuple[Document | None, None]:
            doomed = {m["id"] for m in entries(doc, flag)}
            return (without(doc, doomed) if doomed else None), None

        await self._log.achange(key, change)

    async def delete_oldest_messages(self, key: str, n: int) -> list[ChatMessage]:
        """Delete the ``n`` oldest active messages; returns them."""

        def change(doc: Document) -> tuple[Document | None, list[ChatMessage]]:
            oldest = entries(doc, ACTIVE)[: max(n, 0)]
            if not oldest:
                return None, []
            return without(doc, {m["id"] for m in oldest}), messages_of(oldest)

        return await self._log.achange(key, change)

    async def archive_oldest_messages(self, key: str, n: int) -> list[ChatMessage]:
        """Archive the ``n`` oldest active messages; returns them. Atomic: concurrent calls
        archive different messages."""

        def change(doc: Document) -> tuple[Document | None, list[ChatMessage]]:
            oldest = entries(doc, ACTIVE)[: max(n, 0)]
            if not oldest:
                return None, []
            moving = {m["id"] for m in oldest}
            kept = [{**m, "status": ARCHIVED} if m["id"] in moving else m for m in doc["messages"]]
            return {**doc, "messages": kept}, messages_of(oldest)

        return await self._log.achange(key, change)

    async def get_keys(self) -> list[str]:
        """Every chat key of the agent."""
        return await self._log.akeys()


class MnemoraLegacyChatStore(BaseChatStore):
    """The chats of a :class:`MnemoraChatStore` as an older ``BaseChatStore`` (what
    ``ChatMemoryBuffer`` takes): every message of a key, active and archived, in order;
    ``delete_message`` takes a position in that list. Made by
    :meth:`MnemoraChatStore.legacy`."""

    _log: ChatLog = PrivateAttr()

    def __init__(self, log: ChatLog) -> None:
        super().__init__()
        self._log = log

    @classmethod
    def class_name(cls) -> str:
        """LlamaIndex's name of this class."""
        return "MnemoraLegacyChatStore"

    def set_messages(self, key: str, messages: list[ChatMessage]) -> None:
        """Replace the key's messages."""
        self._log.change(key, lambda doc: (_replaced(doc, messages), None))

    async def aset_messages(self, key: str, messages: list[ChatMessage]) -> None:
        """Replace the key's messages."""
        await self._log.achange(key, lambda doc: (_replaced(doc, messages), None))

    def get_messages(self, key: str) -> list[ChatMessage]:
        """The key's messages, oldest first."""
        return messages_of(entries(self._log.read(key), None))

    async def aget_messages(self, key: str) -> list[ChatMessage]:
        """The key's messages, oldest first."""
        return messages_of(entries(await self._log.aread(key), None))

    def add_message(self, key: str, message: ChatMessage) -> None:
        """Add a message after the others."""
        self._log.change(key, lambda doc: (appended(doc, [message], ACTIVE), None))

    async def async_add_message(self, key: str, message: ChatMessage) -> None:
        """Add a message after the others."""
        await self._log.achange(key, lambda doc: (appended(doc, [message], ACTIVE), None))

    def delete_messages(self, key: str) -> list[ChatMessage] | None:
        """Delete the key; returns its messages (``None`` if it had none)."""
        found = messages_of(entries(self._log.read(key), None))
        self._log.drop(key)
        return found or None

    async def adelete_messages(self, key: str) -> list[ChatMessage] | None:
        """Delete the key; returns its messages (``None`` if it had none)."""
        found = messages_of(entries(await self._log.aread(key), None))
        await self._log.adrop(key)
        return found or None

    def delete_message(self, key: str, idx: int) -> ChatMessage | None:
        """Delete the message at position ``idx``; returns it (``None`` if out of range)."""
        return self._log.change(key, lambda doc: _take_at(doc, idx))

    async def adelete_message(self, key: str, idx: int) -> ChatMessage | None:
        """Delete the message at position ``idx``; returns it (``None`` if out of range)."""
        return await self._log.achange(key, lambda doc: _take_at(doc, idx))

    def delete_last_message(self, key: str) -> ChatMessage | None:
        """Delete the newest message; returns it (``None`` if there is none)."""
        return self._log.change(key, lambda doc: _take_at(doc, -1))

    async def adelete_last_message(self, key: str) -> ChatMessage | None:
        """Delete the newest message; returns it (``None`` if there is none)."""
        return await self._log.achange(key, lambda doc: _take_at(doc, -1))

    def get_keys(self) -> list[str]:
        """Every chat key of the agent."""
        return self._log.keys()

    async def aget_keys(self) -> list[str]:
        """Every chat key of the agent."""
        return await self._log.akeys()


def _replaced(doc: Document, messages: list[ChatMessage]) -> Document:
    return appended({**empty(), "next": doc["next"]}, messages, ACTIVE)


def _take_at(doc: Document, idx: int) -> tuple[Document | None, ChatMessage | None]:
    items = doc["messages"]
    if not -len(items) <= idx < len(items):
        return None, None
    item = items[idx]
    return without(doc, {item["id"]}), messages_of([item])[0]
