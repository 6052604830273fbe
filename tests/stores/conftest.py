"""Store fixtures: each contract test runs once per backend that implements the protocol."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mnemora_server.stores.aws import parse_aws_url
from mnemora_server.stores.base import (
    ColdStore,
    EpisodeStore,
    ProceduralStore,
    SemanticStore,
    StateStore,
)
from mnemora_server.stores.dynamo_accounts import DynamoAccountStore
from mnemora_server.stores.dynamo_episodes import DynamoEpisodeStore
from mnemora_server.stores.dynamodb import DynamoStateStore
from mnemora_server.stores.files import FileColdStore
from mnemora_server.stores.pg_procedures import PostgresProceduralStore
from mnemora_server.stores.pg_semantic import PostgresSemanticStore
from mnemora_server.stores.s3 import S3ColdStore
from mnemora_server.stores.sqlite.accounts import SqliteAccountStore
from mnemora_server.stores.sqlite.episodes import SqliteEpisodeStore
from mnemora_server.stores.sqlite.procedures import SqliteProceduralStore
from mnemora_server.stores.sqlite.semantic import SqliteSemanticStore
from mnemora_server.stores.sqlite.state import SqliteStateStore


@pytest.fixture(params=["sqlite", "dynamodb"])
def state_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    store: StateStore
    if request.param == "sqlite":
        store = SqliteStateStore(tmp_path / "state.db")
    else:
        url = request.getfixturevalue("moto_url")
        table = f"state-{uuid.uuid4().hex[:8]}"
        store = DynamoStateStore(
            parse_aws_url(f"dynamodb://{table}?endpoint_url={url}", "dynamodb")
        )
    store.setup()
    yield store
    store.close()


@pytest.fixture(params=["files", "s3"])
def cold_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ColdStore]:
    store: ColdStore
    if request.param == "files":
        store = FileColdStore(tmp_path / "cold")
    else:
        url = request.getfixturevalue("moto_url")
        bucket = f"cold-{uuid.uuid4().hex[:8]}"
        store = S3ColdStore(parse_aws_url(f"s3://{bucket}/mnemora?endpoint_url={url}", "s3"))
    store.setup()
    yield store
    store.close()


@pytest.fixture(params=["sqlite", "postgres"])
def procedural_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProceduralStore]:
    store: ProceduralStore
    if request.param == "sqlite":
        store = SqliteProceduralStore(tmp_path / "procedures.db")
    else:
        database = request.getfixturevalue("postgres").fresh_database()
        store = PostgresProceduralStore(database.app_url, admin_url=database.admin_url)
    store.setup()
    yield store
    store.close()


@pytest.fixture(params=["sqlite", "postgres"])
def semantic_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SemanticStore]:
    store: SemanticStore
    if request.param == "sqlite":
        store = SqliteSemanticStore(tmp_path / "semantic.db", dimension=8)
    else:
        database = request.getfixturevalue("postgres").fresh_database()
        store = PostgresSemanticStore(database.app_url, dimension=8, admin_url=database.admin_url)
    store.setup()
    yield store
    store.close()


@pytest.fixture(params=["sqlite", "dynamodb"])
def account_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """One object implementing AccountStore, UsageStore and IdempotencyStore."""
    store: Any
    if request.param == "sqlite":
        store = SqliteAccountStore(tmp_path / "accounts.db")
    else:
        url = request.getfixturevalue("moto_url")
        table = f"accounts-{uuid.uuid4().hex[:8]}"
        store = DynamoAccountStore(
            parse_aws_url(f"dynamodb://{table}?endpoint_url={url}", "dynamodb")
        )
    store.setup()
    yield store
    store.close()


@pytest.fixture(params=["sqlite", "dynamodb"])
def episode_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EpisodeStore]:
    store: EpisodeStore
    if request.param == "sqlite":
        store = SqliteEpisodeStore(tmp_path / "episodes.db")
    else:
        url = request.getfixturevalue("moto_url")
        table = f"episodes-{uuid.uuid4().hex[:8]}"
        store = DynamoEpisodeStore(
            parse_aws_url(f"dynamodb://{table}?endpoint_url={url}", "dynamodb")
        )
    store.setup()
    yield store
    store.close()
