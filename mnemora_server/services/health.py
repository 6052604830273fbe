"""Whether every store answers: what ``/v1/health`` reports."""

from __future__ import annotations

from mnemora_server.errors import UnavailableError
from mnemora_server.stores.base import Stores


class HealthService:
    """Checks each store of the process once per call.

    Args:
        stores: The stores to check (a store serving several concerns is checked once).
    """

    def __init__(self, stores: Stores) -> None:
        self._stores = stores

    def check(self) -> dict[str, str]:
        """``ok`` or ``unavailable: <why>`` for each store, by the concern that names it."""
        results: dict[str, str] = {}
        for name, store in self._stores.named():
            try:
                store.check_health()
                results[name] = "ok"
            except UnavailableError as exc:
                results[name] = f"unavailable: {exc.message}"
        return results
