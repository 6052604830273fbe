"""The SDK clients of one integration object: every framework class holds one of these.

Blocking methods go through :class:`~mnemora.MnemoraSync` and coroutines through
:class:`~mnemora.MnemoraClient`, both made on first use (constructors do no I/O) from the
same key and URL, or from the client the caller passed. An asyncio client belongs to the event
loop it was first used in, so a coroutine running in another loop gets a client of its own.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Self

from mnemora import MnemoraClient, MnemoraConfigError, MnemoraSync


class MnemoraClients:
    """A blocking and an asyncio SDK client for one tenant key.

    Args:
        api_key: The tenant's key (default: ``MNEMORA_API_KEY``).
        base_url: The server (default: ``MNEMORA_API_URL``, then ``http://127.0.0.1:8000``).
        client: An SDK client to use instead (``MnemoraSync`` or ``MnemoraClient``); the other
            kind is made from its key and URL when needed. It is not closed by :meth:`close`.

    Raises:
        MnemoraConfigError: No key is given, in ``client`` or the environment.
        TypeError: ``client`` is not an SDK client.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        client: MnemoraSync | MnemoraClient | None = None,
    ) -> None:
        if client is not None and not isinstance(client, MnemoraSync | MnemoraClient):
            raise TypeError("client must be a mnemora.MnemoraSync or mnemora.MnemoraClient")
        if client is not None and (api_key or base_url):
            raise ValueError("pass either client= or api_key=/base_url=, not both")
        if client is None and not (api_key or os.environ.get("MNEMORA_API_KEY")):
            raise MnemoraConfigError(
                "no API key: pass api_key=... (the customer's key) or set MNEMORA_API_KEY",
                code="CONFIG_ERROR",
            )
        self._api_key = api_key
        self._base_url = base_url
        self._given = client
        self._sync: MnemoraSync | None = client if isinstance(client, MnemoraSync) else None
        self._async: MnemoraClient | None = client if isinstance(client, MnemoraClient) else None
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self._owned: list[Any] = []

    @property
    def sync(self) -> MnemoraSync:
        """The blocking client."""
        if self._sync is None:
            if isinstance(self._given, MnemoraClient):
                self._sync = self._given.sync_twin()
            else:
                self._sync = MnemoraSync(api_key=self._api_key, base_url=self._base_url)
            self._owned.append(self._sync)
        return self._sync

    @property
    def aio(self) -> MnemoraClient:
        """The asyncio client of the running event loop."""
        loop = asyncio.get_running_loop()
        if self._async is not None and (
            self._async is self._given or self._async_loop in (None, loop)
        ):
            self._async_loop = loop
            return self._async
        if self._given is not None:
            made = self.sync.async_twin()
        else:
            made = MnemoraClient(api_key=self._api_key, base_url=self._base_url)
        self._async, self._async_loop = made, loop
        self._owned.append(made)
        return made

    def close(self) -> None:
        """Close the blocking client this object made (asyncio ones close with :meth:`aclose`)."""
        for client in [c for c in self._owned if isinstance(c, MnemoraSync)]:
            client.close()
            self._owned.remove(client)
        if self._sync is not self._given:
            self._sync = None

    async def aclose(self) -> None:
        """Close every client this object made."""
        self.close()
        loop = asyncio.get_running_loop()
        for client in [c for c in self._owned if isinstance(c, MnemoraClient)]:
            if client is self._async and self._async_loop is loop:
                await client.close()
            self._owned.remove(client)
        if self._async is not self._given:
            self._async = None


class HoldsClients:
    """``close``/``aclose`` and ``with`` / ``async with`` for an integration object whose SDK
    clients are ``self._clients`` (a :class:`MnemoraClients`)."""

    _clients: MnemoraClients

    def close(self) -> None:
        """Close the connections this object opened (not a client passed in)."""
        self._clients.close()

    async def aclose(self) -> None:
        """Close the connections this object opened, asyncio ones too."""
        await self._clients.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
