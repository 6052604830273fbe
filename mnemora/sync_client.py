"""``MnemoraSync``: the blocking client."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from mnemora._api import MemoryApi
from mnemora._core import ClientConfig
from mnemora._transport import SyncTransport

if TYPE_CHECKING:
    from mnemora.client import MnemoraClient


class MnemoraSync(SyncTransport, MemoryApi):
    """Blocking client for the Mnemora API; safe inside a running event loop (e.g. Jupyter).

    Every method of :class:`~mnemora.MnemoraClient` exists here with the same name and
    arguments, returning the result directly. Writes carry an ``Idempotency-Key``, so the
    automatic retries (429, 5xx, connection errors; ``Retry-After`` honoured) never write twice.

    Args:
        api_key: The tenant's key; defaults to ``MNEMORA_API_KEY``.
        base_url: API root; defaults to ``MNEMORA_API_URL``, then ``http://127.0.0.1:8000``.
        timeout: Seconds per request.
        max_retries: Retries after the first attempt.
        http_client: An ``httpx.Client`` to use instead of a new one (for custom transports).

    Example::

        with MnemoraSync(api_key="mnm_...") as client:
            client.store_state("agent-1", {"task": "summarise"})
            print(client.get_state("agent-1").data)
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        *,
        http_client: httpx.Client | None = None,
    ) -> None:
        config = ClientConfig.resolve(api_key, base_url, timeout, max_retries)
        super().__init__(config, http_client)

    def async_twin(self) -> MnemoraClient:
        """An asyncio client with this client's key, URL, timeout and retries (its own
        connection pool; close it separately)."""
        from mnemora.client import MnemoraClient

        c = self._config
        return MnemoraClient(c.api_key, c.base_url, c.timeout, c.max_retries)
