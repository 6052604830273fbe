"""``MnemoraByteStore``: LangChain's key-value ``ByteStore`` over Mnemora working memory."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import re
from collections.abc import AsyncIterator, Iterator, Sequence

from langchain_core.stores import ByteStore

from mnemora import MnemoraClient, MnemoraNotFoundError, MnemoraSync
from mnemora.models import StateResponse
from mnemora_integrations._clients import HoldsClients, MnemoraClients

_NAMESPACE = re.compile(r"[A-Za-z0-9_.\-@]{1,64}")
_MAX_ENCODED = 256


class MnemoraByteStore(HoldsClients, ByteStore):
    """Bytes by string key in one agent's working memory (e.g. for ``CacheBackedEmbeddings``
    or a ``ParentDocumentRetriever``'s documents).

    Each key is one working-memory session of the agent (``kv:<namespace>:<key in
    base64url>``), so values are read in well under 10 ms, never expire, and go with the
    agent and the customer on purge and export. Keys are any strings of up to 180 UTF-8
    bytes; values up to about 300 KB. ``amget``/``amset``/``amdelete`` send their requests
    concurrently.

    Args:
        agent_id: The agent whose working memory holds the values.
        namespace: Keeps several stores of one agent apart (``[A-Za-z0-9_.-@]``, default
            ``"default"``).
        api_key: The customer's key (default: ``MNEMORA_API_KEY``).
        base_url: The server (default: ``MNEMORA_API_URL``).
        client: An SDK client to use instead of ``api_key``/``base_url``.

    Example:
        ```python
        from mnemora_integrations.langchain import MnemoraByteStore

        store = MnemoraByteStore(agent_id="support-agent", api_key=customer_key)
        store.mset([("greeting", b"hello")])
        print(store.mget(["greeting", "missing"]))  # [b'hello', None]
        print(list(store.yield_keys(prefix="gr")))  # ['greeting']
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
    ) -> None:
        if not _NAMESPACE.fullmatch(namespace):
            raise ValueError("namespace is 1-64 characters of A-Z a-z 0-9 _ . - @")
        self.agent_id = agent_id
        self.namespace = namespace
        self._prefix = f"kv:{namespace}:"
        self._clients = MnemoraClients(api_key=api_key, base_url=base_url, client=client)

    def mget(self, keys: Sequence[str]) -> list[bytes | None]:
        """The values of ``keys`` in order (``None`` for a missing key)."""
        return [self._get(key) for key in keys]

    async def amget(self, keys: Sequence[str]) -> list[bytes | None]:
        """The values of ``keys`` in order (``None`` for a missing key)."""
        return list(await asyncio.gather(*(self._aget(key) for key in keys)))

    def mset(self, key_value_pairs: Sequence[tuple[str, bytes]]) -> None:
        """Set values (the last of a repeated key wins)."""
        for key, value in dict(key_value_pairs).items():
            self._clients.sync.store_state(self.agent_id, _data(value), self._session(key))

    async def amset(self, key_value_pairs: Sequence[tuple[str, bytes]]) -> None:
        """Set values (the last of a repeated key wins)."""
        aio = self._clients.aio
        await asyncio.gather(
            *(
                aio.store_state(self.agent_id, _data(value), self._session(key))
                for key, value in dict(key_value_pairs).items()
            )
        )

    def mdelete(self, keys: Sequence[str]) -> None:
        """Delete keys (missing ones are ignored)."""
        for key in dict.fromkeys(keys):
            with contextlib.suppress(MnemoraNotFoundError):
                self._clients.sync.delete_state(self.agent_id, self._session(key))

    async def amdelete(self, keys: Sequence[str]) -> None:
        """Delete keys (missing ones are ignored)."""
        await asyncio.gather(*(self._adelete(key) for key in dict.fromkeys(keys)))

    def yield_keys(self, *, prefix: str | None = None) -> Iterator[str]:
        """Every key (starting with ``prefix``), in no particular order."""
        for session in self._clients.sync.list_sessions(self.agent_id):
            key = self._key(session)
            if key is not None and key.startswith(prefix or ""):
                yield key

    async def ayield_keys(self, *, prefix: str | None = None) -> AsyncIterator[str]:
        """Every key (starting with ``prefix``), in no particular order."""
        for session in await self._clients.aio.list_sessions(self.agent_id):
            key = self._key(session)
            if key is not None and key.startswith(prefix or ""):
                yield key

    # -- keys and values -----------------------------------------------------------------------

    def _get(self, key: str) -> bytes | None:
        try:
            return _value(self._clients.sync.get_state(self.agent_id, self._session(key)))
        except MnemoraNotFoundError:
            return None

    async def _aget(self, key: str) -> bytes | None:
        try:
            return _value(await self._clients.aio.get_state(self.agent_id, self._session(key)))
        except MnemoraNotFoundError:
            return None

    async def _adelete(self, key: str) -> None:
        with contextlib.suppress(MnemoraNotFoundError):
            await self._clients.aio.delete_state(self.agent_id, self._session(key))

    def _session(self, key: str) -> str:
        if not isinstance(key, str):
            raise TypeError(f"keys are strings, not {type(key).__name__}")
        encoded = base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")
        session = self._prefix + encoded
        if len(session) > _MAX_ENCODED:
            raise ValueError(f"keys are at most about 180 UTF-8 bytes; got {len(key)} characters")
        return session

    def _key(self, session: str) -> str | None:
        if not session.startswith(self._prefix):
            return None
        encoded = session[len(self._prefix) :]
        try:
            return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None


def _data(value: bytes) -> dict[str, str]:
    if not isinstance(value, bytes | bytearray):
        raise TypeError(f"values are bytes, not {type(value).__name__}")
    return {"b64": base64.b64encode(value).decode()}


def _value(state: StateResponse) -> bytes | None:
    encoded = state.data.get("b64")
    return None if encoded is None else base64.b64decode(encoded)
