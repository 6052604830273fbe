"""Chat messages per key as one working-memory document, changed with optimistic locking.

A key's document is ``{"next": n, "messages": [{"id", "status", "message"}]}`` in the
session ``chat:<key in base64url>`` of the agent's working memory. Every change reads the
document, applies a pure function to it and writes it back only if its version is still the
one read (``version=0`` creates it only if nobody did meanwhile); on a conflict it starts
over. So concurrent changes (two ``archive_oldest_messages`` calls, say) never lose or share
a message, across processes and machines. A document holds up to about 400 KB of messages.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from llama_index.core.base.llms.types import ChatMessage

from mnemora import MnemoraConflictError, MnemoraNotFoundError
from mnemora.models import StateResponse
from mnemora_integrations._clients import MnemoraClients

T = TypeVar("T")
Document = dict[str, Any]
Change = Callable[[Document], tuple[Document | None, T]]
"""A pure change of a document: the new document (``None``: unchanged) and a result."""

ACTIVE, ARCHIVED = "active", "archived"
_PREFIX = "chat:"
_MAX_KEY_SESSION = 256
_ATTEMPTS = 50


def empty() -> Document:
    """The document of a key without messages."""
    return {"next": 0, "messages": []}


def entries(doc: Document, status: str | None) -> list[dict[str, Any]]:
    """The stored messages with ``status`` (all with ``None``), oldest first."""
    return [m for m in doc["messages"] if status is None or m["status"] == status]


def messages_of(items: list[dict[str, Any]]) -> list[ChatMessage]:
    """The chat messages of stored entries."""
    return [ChatMessage.model_validate(item["message"]) for item in items]


def appended(doc: Document, messages: list[ChatMessage], status: str) -> Document:
    """``doc`` with ``messages`` added after the others."""
    first = int(doc["next"])
    added = [
        {"id": first + i, "status": status, "message": m.model_dump(mode="json")}
        for i, m in enumerate(messages)
    ]
    return {"next": first + len(added), "messages": [*doc["messages"], *added]}


def without(doc: Document, ids: set[int]) -> Document:
    """``doc`` without the entries whose id is in ``ids``."""
    return {**doc, "messages": [m for m in doc["messages"] if m["id"] not in ids]}


class ChatLog:
    """The chat documents of one agent, read and changed through the SDK."""

    def __init__(self, clients: MnemoraClients, agent_id: str) -> None:
        self._clients = clients
        self.agent_id = agent_id

    # -- keys --------------------------------------------------------------------------------

    @staticmethod
    def session(key: str) -> str:
        """The working-memory session of ``key``."""
        session = _PREFIX + base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")
        if len(session) > _MAX_KEY_SESSION:
            raise ValueError(f"chat keys are at most about 180 UTF-8 bytes; got {len(key)}")
        return session

    @staticmethod
    def key(session: str) -> str | None:
        """The chat key of a session, or ``None`` for sessions that are not chats."""
        if not session.startswith(_PREFIX):
            return None
        encoded = session[len(_PREFIX) :]
        try:
            return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None

    def keys(self) -> list[str]:
        """Every chat key of the agent."""
        return self._keys(self._clients.sync.list_sessions(self.agent_id))

    async def akeys(self) -> list[str]:
        """Every chat key of the agent."""
        return self._keys(await self._clients.aio.list_sessions(self.agent_id))

    def _keys(self, sessions: list[str]) -> list[str]:
        return [k for k in map(self.key, sessions) if k is not None]

    # -- reading and changing ----------------------------------------------------------------

    def read(self, key: str) -> Document:
        """The key's document (empty when it has none)."""
        return self._document(self._get(key))[0]

    async def aread(self, key: str) -> Document:
        """The key's document (empty when it has none)."""
        return self._document(await self._aget(key))[0]

    def change(self, key: str, change: Change[T]) -> T:
        """Apply ``change`` to the key's document, atomically; returns its result."""
        for attempt in range(_ATTEMPTS):
            doc, version = self._document(self._get(key))
            new, result = change(doc)
            if new is None:
                return result
            try:
                self._clients.sync.update_state(
                    self.agent_id, new, version, session_id=self.session(key)
                )
                return result
            except MnemoraConflictError:
                time.sleep(_pause(attempt))
        raise MnemoraConflictError(f"chat {key!r} changed too often to write; retry")

    async def achange(self, key: str, change: Change[T]) -> T:
        """Apply ``change`` to the key's document, atomically; returns its result."""
        for attempt in range(_ATTEMPTS):
            doc, version = self._document(await self._aget(key))
            new, result = change(doc)
            if new is None:
                return result
            try:
                await self._clients.aio.update_state(
                    self.agent_id, new, version, session_id=self.session(key)
                )
                return result
            except MnemoraConflictError:
                await asyncio.sleep(_pause(attempt))
        raise MnemoraConflictError(f"chat {key!r} changed too often to write; retry")

    def drop(self, key: str) -> None:
        """Delete the key and all its messages."""
        with contextlib.suppress(MnemoraNotFoundError):
            self._clients.sync.delete_state(self.agent_id, self.session(key))

    async def adrop(self, key: str) -> None:
        """Delete the key and all its messages."""
        with contextlib.suppress(MnemoraNotFoundError):
            await self._clients.aio.delete_state(self.agent_id, self.session(key))

    def _get(self, key: str) -> StateResponse | None:
        try:
            return self._clients.sync.get_state(self.agent_id, self.session(key))
        except MnemoraNotFoundError:
            return None

    async def _aget(self, key: str) -> StateResponse | None:
        try:
            return await self._clients.aio.get_state(self.agent_id, self.session(key))
        except MnemoraNotFoundError:
            return None

    @staticmethod
    def _document(state: StateResponse | None) -> tuple[Document, int]:
        if state is None:
            return empty(), 0
        return state.data, state.version


def _pause(attempt: int) -> float:
    """A short, growing, jittered wait before trying a conflicting change again."""
    return random.uniform(0, 0.005 * (attempt + 1))  # noqa: S311 - jitter, not security
