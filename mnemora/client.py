"""``MnemoraClient``: the asyncio client."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from mnemora._api import MemoryApi
from mnemora._core import ClientConfig
from mnemora._transport import AsyncTransport

if TYPE_CHECKING:
    from mnemora.sync_client import MnemoraSync


class MnemoraClient(AsyncTransport, MemoryApi):
    """Async client for the Mnemora API; every method is a coroutine.

    Args:
        api_key: The tenant's key; defaults to ``MNEMORA_API_KEY``.
        base_url: API root; defaults to ``MNEMORA_API_URL``, then ``http://127.0.0.1:8000``.
        timeout: Seconds per request.
        max_retries: Retries after the first attempt (429, 5xx, connection errors).
        http_client: An ``httpx.AsyncClient`` to use instead of a new one.

    Example::

        async with MnemoraClient(api_key="mnm_...") as client:
            await client.store_state("agent-1", {"task": "summarise"})
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        *,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        config = ClientConfig.resolve(api_key, base_url, timeout, max_retries)
        super().__init__(config, http_client)

    def sync_twin(self) -> MnemoraSync:
        """A blocking client with this client's key, URL, timeout and retries (its own
        connection pool; close it separately)."""
        from mnemora.sync_client import MnemoraSync

        c = self._config
        return MnemoraSync(c.api_key, c.base_url, c.timeout, c.max_retries)
