"""Build the stores named by the configured URLs: the one place that names concrete stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from mnemora_server.settings import Settings
from mnemora_server.stores.base import (
    ColdStore,
    EpisodeStore,
    ProceduralStore,
    SemanticStore,
    StateStore,
    Stores,
)
from mnemora_server.stores.files import FileColdStore, file_root_from_url
from mnemora_server.stores.sqlite.accounts import SqliteAccountStore
from mnemora_server.stores.sqlite.database import sqlite_path_from_url
from mnemora_server.stores.sqlite.episodes import SqliteEpisodeStore
from mnemora_server.stores.sqlite.procedures import SqliteProceduralStore
from mnemora_server.stores.sqlite.semantic import SqliteSemanticStore
from mnemora_server.stores.sqlite.state import SqliteStateStore


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
    accounts_store: Any
    if urlparse(accounts_url).scheme == "dynamodb":
        from mnemora_server.stores.aws import parse_aws_url
        from mnemora_server.stores.dynamo_accounts import DynamoAccountStore

        accounts_store = DynamoAccountStore(parse_aws_url(accounts_url, "dynamodb"))
    else:
        accounts_store = SqliteAccountStore(
            _sqlite_only(accounts_url, "MNEMORA_ACCOUNTS_URL"), busy_timeout=wait
        )
    return Stores(
        accounts=accounts_store,
        usage=accounts_store,
        idempotency=accounts_store,
        state=_state_store(state_url, wait),
        semantic=_semantic_store(settings, dimension, wait),
        episodes=_episode_store(settings.resolved_episodes_url(), wait),
        procedures=_procedural_store(settings, wait),
        cold=_cold_store(settings.resolved_cold_url()),
    )


def _sqlite_only(url: str, variable: str) -> Path:
    scheme = urlparse(url).scheme
    if scheme != "sqlite":
        raise UnsupportedStoreURLError(f"{variable} scheme {scheme!r} is not supported yet")
    return sqlite_path_from_url(url)


def _state_store(url: str, wait: float) -> StateStore:
    scheme = urlparse(url).scheme
    if scheme == "dynamodb":  # boto3 is only needed (and imported) for AWS stores
        from mnemora_server.stores.aws import parse_aws_url
        from mnemora_server.stores.dynamodb import DynamoStateStore

        return DynamoStateStore(parse_aws_url(url, "dynamodb"))
    return SqliteStateStore(_sqlite_only(url, "MNEMORA_STATE_URL"), busy_timeout=wait)


def _semantic_store(settings: Settings, dimension: int, wait: float) -> SemanticStore:
    url = settings.resolved_vector_url()
    if urlparse(url).scheme in ("postgresql", "postgres"):
        from mnemora_server.stores.pg_semantic import PostgresSemanticStore

        return PostgresSemanticStore(
            url, dimension=dimension, admin_url=settings.postgres_admin_url
        )
    return SqliteSemanticStore(
        _sqlite_only(url, "MNEMORA_VECTOR_URL"), dimension=dimension, busy_timeout=wait
    )


def _procedural_store(settings: Settings, wait: float) -> ProceduralStore:
    url = settings.resolved_procedures_url()
    if urlparse(url).scheme in ("postgresql", "postgres"):
        from mnemora_server.stores.pg_procedures import PostgresProceduralStore

        return PostgresProceduralStore(url, admin_url=settings.postgres_admin_url)
    return SqliteProceduralStore(_sqlite_only(url, "MNEMORA_PROCEDURES_URL"), busy_timeout=wait)


def _episode_store(url: str, wait: float) -> EpisodeStore:
    if urlparse(url).scheme == "dynamodb":
        from mnemora_server.stores.aws import parse_aws_url
        from mnemora_server.stores.dynamo_episodes import DynamoEpisodeStore

        return DynamoEpisodeStore(parse_aws_url(url, "dynamodb"))
    return SqliteEpisodeStore(_sqlite_only(url, "MNEMORA_EPISODES_URL"), busy_timeout=wait)


def _cold_store(url: str) -> ColdStore:
    scheme = urlparse(url).scheme
    if scheme == "s3":
        from mnemora_server.stores.aws import parse_aws_url
        from mnemora_server.stores.s3 import S3ColdStore

        return S3ColdStore(parse_aws_url(url, "s3"))
    if scheme != "file":
        raise UnsupportedStoreURLError(f"MNEMORA_COLD_URL scheme {scheme!r} is not supported")
    return FileColdStore(file_root_from_url(url))
