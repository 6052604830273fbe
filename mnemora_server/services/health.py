"""Whether every component answers: what ``/v1/health`` reports."""

from __future__ import annotations

from mnemora_server.embeddings.base import Embedder
from mnemora_server.embeddings.unavailable import UnavailableEmbedder
from mnemora_server.errors import UnavailableError
from mnemora_server.stores.base import Stores


class HealthService:
    """Checks each store of the process, and the embedder, once per call.

    Args:
        stores: The stores to check (a store serving several concerns is checked once).
        embedder: The embedder: ``ok`` when its model is loaded (a remote service is not
            called: it is reached, and reported, on use).
    """

    def __init__(self, stores: Stores, embedder: Embedder) -> None:
        self._stores = stores
        self._embedder = embedder

    def check(self, *, every_concern: bool = False) -> dict[str, str]:
        """``ok`` or ``unavailable: <why>`` for each store, by the concern that names it,
        and for the embedder.

        Args:
            every_concern: Name every concern, a store that serves several under each of
                them (checked once all the same).
        """
        results: dict[str, str] = {}
        for name, store in self._stores.named():
            try:
                store.check_health()
                results[name] = "ok"
            except UnavailableError as exc:
                results[name] = f"unavailable: {exc.message}"
        if every_concern:
            for name, store in self._stores.every():
                owner = next(first for first, other in self._stores.named() if other is store)
                results[name] = results[owner]
        if isinstance(self._embedder, UnavailableEmbedder):
            results["embedder"] = f"unavailable: {self._embedder.reason}"
        else:
            results["embedder"] = "ok"
        return results
