"""What every store does besides its own operations, and how the registry builds one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Store(Protocol):
    """What every store does besides its own operations."""

    def setup(self) -> None:
        """Create or migrate the schema (versioned, idempotent)."""

    def check_health(self) -> None:
        """Raise :class:`~mnemora_server.errors.UnavailableError` if the backend is down."""

    def close(self) -> None:
        """Release connections held by this process."""


@dataclass(frozen=True)
class StoreOptions:
    """What a store may need besides its URL, from the server's settings.

    Attributes:
        dimension: The embedder's vector dimension (semantic stores).
        busy_timeout: Seconds an embedded-database write waits for another writer.
        postgres_admin_url: An administrator's URL for PostgreSQL migrations (default: the
            store's own URL).
        vector_index_bytes: The memory budget of each in-process vector index (embedded
            semantic memory and store items): least recently used agents are dropped beyond
            it, and read again from the database when they are searched.
    """

    dimension: int = 384
    busy_timeout: float = 10.0
    postgres_admin_url: str | None = None
    vector_index_bytes: int = 2 * 1024**3


class Backing(Protocol):
    """The database, table or directory a store lives in, as far as its lifecycle goes."""

    def setup(self) -> None:
        """Create or migrate what the store needs."""

    def check_health(self) -> None:
        """Raise ``UnavailableError`` unless the backing answers."""

    def close(self) -> None:
        """Release what this process holds."""


class BackedStore:
    """A store whose lifecycle is that of its :class:`Backing`: set up, checked and closed
    with it. Stores with more to check extend :meth:`setup` or :meth:`check_health`.

    Args:
        backing: The database, table or directory the store lives in.
    """

    def __init__(self, backing: Backing) -> None:
        self._backing = backing

    def setup(self) -> None:
        """Create or migrate the schema (versioned, idempotent)."""
        self._backing.setup()

    def check_health(self) -> None:
        """Raise :class:`~mnemora_server.errors.UnavailableError` if the backend is down."""
        self._backing.check_health()

    def close(self) -> None:
        """Release connections held by this process."""
        self._backing.close()
