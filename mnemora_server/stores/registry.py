"""Which backend serves which store, by URL scheme: the one place that names concrete stores.

:data:`BACKENDS` is the whole table. Adding a backend is one row here plus its module, whose
store class builds itself with ``from_url(url, options)``; the store contract suite
(``tests/stores``) runs every row. A backend's module is imported only when a URL selects it,
so boto3 and psycopg are needed only where the configuration uses them.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Protocol, cast
from urllib.parse import urlparse

from mnemora_server.settings import Settings, StoreKind
from mnemora_server.stores.base import Store, StoreOptions, Stores


class UnsupportedStoreURLError(ValueError):
    """A store URL names a scheme no backend serves for that store."""


class StoreFactory(Protocol):
    """A store class of the table: it builds itself from its URL."""

    def from_url(self, url: str, options: StoreOptions) -> Store:
        """A store for ``url`` (no I/O: it connects on first use)."""


@dataclass(frozen=True)
class Backend:
    """One row of the table.

    Attributes:
        store: The store it serves.
        scheme: The URL scheme that selects it.
        target: ``module:Class`` of the store class.
    """

    store: StoreKind
    scheme: str
    target: str

    def factory(self) -> StoreFactory:
        """The store class (its module is imported now)."""
        module, _, name = self.target.partition(":")
        return cast(StoreFactory, getattr(importlib.import_module(module), name))


_SQLITE = "mnemora_server.stores.sqlite"
_DYNAMODB = "mnemora_server.stores.dynamodb"
_POSTGRES = "mnemora_server.stores.postgres"
_OBJECTS = "mnemora_server.stores.objects"

BACKENDS: tuple[Backend, ...] = (
    Backend("accounts", "sqlite", f"{_SQLITE}.accounts:SqliteAccountStore"),
    Backend("accounts", "dynamodb", f"{_DYNAMODB}.accounts:DynamoAccountStore"),
    Backend("state", "sqlite", f"{_SQLITE}.state:SqliteStateStore"),
    Backend("state", "dynamodb", f"{_DYNAMODB}.state:DynamoStateStore"),
    Backend("semantic", "sqlite", f"{_SQLITE}.semantic:SqliteSemanticStore"),
    Backend("semantic", "postgresql", f"{_POSTGRES}.semantic:PostgresSemanticStore"),
    Backend("episodes", "sqlite", f"{_SQLITE}.episodes:SqliteEpisodeStore"),
    Backend("episodes", "dynamodb", f"{_DYNAMODB}.episodes:DynamoEpisodeStore"),
    Backend("procedures", "sqlite", f"{_SQLITE}.procedures:SqliteProceduralStore"),
    Backend("procedures", "postgresql", f"{_POSTGRES}.procedures:PostgresProceduralStore"),
    Backend("cold", "file", f"{_OBJECTS}.files:FileColdStore"),
    Backend("cold", "s3", f"{_OBJECTS}.s3:S3ColdStore"),
    Backend("checkpoints", "sqlite", f"{_SQLITE}.checkpoints:SqliteCheckpointStore"),
    Backend("checkpoints", "postgresql", f"{_POSTGRES}.checkpoints:PostgresCheckpointStore"),
    Backend("items", "sqlite", f"{_SQLITE}.items:SqliteItemStore"),
    Backend("items", "postgresql", f"{_POSTGRES}.items:PostgresItemStore"),
)

_SCHEME_ALIASES = {"postgres": "postgresql"}


def schemes(store: StoreKind) -> list[str]:
    """Every URL scheme a backend serves for ``store``."""
    return [row.scheme for row in BACKENDS if row.store == store]


def backend_for(store: StoreKind, url: str) -> Backend:
    """The row serving ``store`` at ``url``.

    Raises:
        UnsupportedStoreURLError: No backend serves that scheme for that store.
    """
    scheme = urlparse(url).scheme
    scheme = _SCHEME_ALIASES.get(scheme, scheme)
    for row in BACKENDS:
        if row.store == store and row.scheme == scheme:
            return row
    raise UnsupportedStoreURLError(
        f"{Settings.store_url_variable(store)} scheme {scheme!r} is not supported"
        f" (supported: {', '.join(schemes(store))})"
    )


def open_store(store: StoreKind, url: str, options: StoreOptions) -> Any:
    """Create (without connecting) the store that ``url`` names.

    Raises:
        UnsupportedStoreURLError: No backend serves that scheme for that store.
    """
    return backend_for(store, url).factory().from_url(url, options)


def open_stores(settings: Settings, *, dimension: int = 384) -> Stores:
    """Create (without connecting) every store the settings name.

    Args:
        settings: The configuration.
        dimension: The embedder's vector dimension, for the semantic store.

    Raises:
        UnsupportedStoreURLError: If a URL's scheme is not supported for its store.
    """
    options = StoreOptions(
        dimension=dimension,
        busy_timeout=settings.sqlite_busy_timeout_seconds,
        postgres_admin_url=settings.postgres_admin_url,
        vector_index_bytes=settings.vector_index_mb * 1024**2,
    )

    def build(store: StoreKind) -> Any:
        return open_store(store, settings.store_url(store), options)

    accounts = build("accounts")  # one store serves accounts, usage and idempotency records
    return Stores(
        accounts=accounts,
        usage=accounts,
        idempotency=accounts,
        state=build("state"),
        semantic=build("semantic"),
        episodes=build("episodes"),
        procedures=build("procedures"),
        cold=build("cold"),
        checkpoints=build("checkpoints"),
        items=build("items"),
    )
