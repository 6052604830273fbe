"""What every store does besides its own operations."""

from __future__ import annotations

from typing import Protocol


class Store(Protocol):
    """What every store does besides its own operations."""

    def setup(self) -> None:
        """Create or migrate the schema (versioned, idempotent)."""

    def check_health(self) -> None:
        """Raise :class:`~mnemora_server.errors.UnavailableError` if the backend is down."""

    def close(self) -> None:
        """Release connections held by this process."""
