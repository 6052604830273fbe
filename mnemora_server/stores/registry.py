"""Build the stores named by the configured URLs: the one place that names concrete stores."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from mnemora_server.settings import Settings
from mnemora_server.stores.base import (
    AccountStore,
    ColdStore,
    EpisodeStore,
    IdempotencyStore,
    SemanticStore,
    StateStore,
    Store,
    UsageStore,
)
from mnemora_server.stores.files import FileColdStore, file_root_from_url
from mnemora_server.stores.sqlite.accounts import SqliteAccountStore
from mnemora_server.stores.sqlite.database import sqlite_path_from_url
from mnemora_server.stores.sqlite.episodes import SqliteEpisodeStore
from mnemora_server.stores.sqlite.semantic import SqliteSemanticStore
from mnemora_server.stores.sqlite.state import SqliteStateStore


@dataclass(frozen=True)
class Stores:
    """Every store the server uses, one attribute per concern.

    Several attributes may be the same object (the embedded accounts database serves
    accounts, usage and idempotency).
    """

    accounts: AccountStore
    usage: UsageStore
    idempotency: IdempotencyStore
    state: StateStore
    semantic: SemanticStore
    episodes: EpisodeStore
    cold: ColdStore

    def distinct(self) -> list[Store]:
        """Each underlying store once, in a stable order."""
        seen: list[Store] = []
        every: tuple[Store, ...] = (
            self.accounts,
            self.usage,
            self.idempotency,
            self.state,
            self.semantic,
            self.episodes,
            self.cold,
        )
        for store in every:
            if not any(store is other for other in seen):
                seen.append(store)
        return seen

    def setup(self) -> None:
        """Create or migrate every store's schema."""
        for store in self.distinct():
            store.setup()

    def close(self) -> None:
        """Close every store's connections in this process."""
        for store in self.distinct():
            store.close()


class UnsupportedStoreURLError(ValueError):
    """A store URL names a scheme this build cannot serve."""


def open_stores(settings: Settings, *, dimension: int = 384) -> Stores:
    """Create (without connecting) the stores named by ``settings``.

    Args:
        settings: The configuration.
        dimension: The embedder's vector dimension, for the semantic store.

    Raises:
        UnsupportedStoreURLError: If a URL's scheme is not supported for its store.
    """
    accounts_url = settings.resolved_accounts_url()
    state_url = settings.resolved_state_url()
    wait = settings.sqlite_busy_timeout_seconds
    accounts_store = SqliteAccountStore(
        _sqlite_only(accounts_url, "MNEMORA_ACCOUNTS_URL"), busy_timeout=wait
    )
    return Stores(
        accounts=accounts_store,
        usage=accounts_store,
        idempotency=accounts_store,
        state=SqliteStateStore(_sqlite_only(state_url, "MNEMORA_STATE_URL"), busy_timeout=wait),
        semantic=SqliteSemanticStore(
            _sqlite_only(settings.resolved_vector_url(), "MNEMORA_VECTOR_URL"),
            dimension=dimension,
            busy_timeout=wait,
        ),
        episodes=SqliteEpisodeStore(
            _sqlite_only(settings.resolved_episodes_url(), "MNEMORA_EPISODES_URL"),
            busy_timeout=wait,
        ),
        cold=FileColdStore(_file_only(settings.resolved_cold_url(), "MNEMORA_COLD_URL")),
    )


def _sqlite_only(url: str, variable: str) -> Path:
    scheme = urlparse(url).scheme
    if scheme != "sqlite":
        raise UnsupportedStoreURLError(f"{variable} scheme {scheme!r} is not supported yet")
    return sqlite_path_from_url(url)


def _file_only(url: str, variable: str) -> Path:
    scheme = urlparse(url).scheme
    if scheme != "file":
        raise UnsupportedStoreURLError(f"{variable} scheme {scheme!r} is not supported yet")
    return file_root_from_url(url)
