"""Store fixtures: each contract test runs once per backend of the registry's table.

A fixture is parametrised by every URL scheme that :data:`~mnemora_server.stores.registry.BACKENDS`
lists for its store, so a new backend row is picked up by the contract suite at once; it only
needs a way to make a fresh test URL of its scheme here (a missing one fails loudly).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mnemora_server.settings import StoreKind
from mnemora_server.stores.base import StoreOptions
from mnemora_server.stores.registry import open_store, schemes

#: The vector dimension of the semantic contract tests.
DIMENSION = 8


Location = tuple[str, StoreOptions]
"""A store URL and the options to open it with."""


def _sqlite(request: pytest.FixtureRequest, tmp_path: Path, store: str) -> Location:
    return f"sqlite:///{tmp_path / store}.db", StoreOptions(dimension=DIMENSION)


def _dynamodb(request: pytest.FixtureRequest, tmp_path: Path, store: str) -> Location:
    url = request.getfixturevalue("moto_url")
    return f"dynamodb://{store}-{uuid.uuid4().hex[:8]}?endpoint_url={url}", StoreOptions()


def _postgresql(request: pytest.FixtureRequest, tmp_path: Path, store: str) -> Location:
    database = request.getfixturevalue("postgres").fresh_database()
    options = StoreOptions(dimension=DIMENSION, postgres_admin_url=database.admin_url)
    return database.app_url, options


def _file(request: pytest.FixtureRequest, tmp_path: Path, store: str) -> Location:
    return f"file://{tmp_path / store}", StoreOptions()


def _s3(request: pytest.FixtureRequest, tmp_path: Path, store: str) -> Location:
    url = request.getfixturevalue("moto_url")
    return f"s3://{store}-{uuid.uuid4().hex[:8]}/mnemora?endpoint_url={url}", StoreOptions()


#: A fresh, empty location of each scheme for one test.
TEST_URLS: dict[str, Callable[[pytest.FixtureRequest, Path, str], Location]] = {
    "sqlite": _sqlite,
    "dynamodb": _dynamodb,
    "postgresql": _postgresql,
    "file": _file,
    "s3": _s3,
}


def _open(request: pytest.FixtureRequest, tmp_path: Path, store: StoreKind) -> Iterator[Any]:
    url, options = TEST_URLS[request.param](request, tmp_path, store)
    built = open_store(store, url, options)
    built.setup()
    yield built
    built.close()


@pytest.fixture(params=schemes("state"))
def state_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    yield from _open(request, tmp_path, "state")


@pytest.fixture(params=schemes("cold"))
def cold_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    yield from _open(request, tmp_path, "cold")


@pytest.fixture(params=schemes("procedures"))
def procedural_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    yield from _open(request, tmp_path, "procedures")


@pytest.fixture(params=schemes("semantic"))
def semantic_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    yield from _open(request, tmp_path, "semantic")


@pytest.fixture(params=schemes("accounts"))
def account_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """One object implementing AccountStore, UsageStore and IdempotencyStore."""
    yield from _open(request, tmp_path, "accounts")


@pytest.fixture(params=schemes("episodes"))
def episode_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    yield from _open(request, tmp_path, "episodes")


@pytest.fixture(params=schemes("checkpoints"))
def checkpoint_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    yield from _open(request, tmp_path, "checkpoints")


@pytest.fixture(params=schemes("items"))
def item_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    yield from _open(request, tmp_path, "items")
