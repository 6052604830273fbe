"""Per-tenant HNSW indexes on PostgreSQL: created for large tenants, chosen by the planner for
their searches only, dropped when the tenant shrinks or is erased."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import psycopg
import pytest

from mnemora_server.cli import main
from mnemora_server.services.semantic_writes import SemanticWriteRules
from mnemora_server.stores.base import SemanticDraft
from mnemora_server.stores.postgres.semantic import PostgresSemanticStore
from mnemora_server.stores.postgres.tenant_indexes import TenantIndexes, index_name
from tests.conftest import Postgres

DIMENSION = 8


@pytest.fixture
def database(postgres: Postgres) -> Postgres:
    return postgres.fresh_database()


@pytest.fixture
def store(database: Postgres) -> Iterator[PostgresSemanticStore]:
    semantic = PostgresSemanticStore(
        database.app_url, dimension=DIMENSION, admin_url=database.admin_url
    )
    semantic.setup()
    rng = np.random.default_rng(3)
    for tenant, count in (("big", 300), ("small", 20)):
        vectors = rng.standard_normal((count, DIMENSION)).astype(np.float32)
        semantic.write(
            tenant,
            [
                SemanticDraft("bot", "default", f"{tenant} {i}", {}, vectors[i], dedup=False)
                for i in range(count)
            ],
            0.0,
            SemanticWriteRules(max_vectors=None),
        )
    yield semantic
    semantic.close()


def indexes(database: Postgres) -> dict[str, str]:
    with psycopg.connect(database.admin_url) as conn:
        return {
            row[0]: row[1]
            for row in conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'semantic'"
            )
        }


def plan(database: Postgres, tenant: str, query: Any) -> str:
    """The app role's plan for a tenant's nearest-neighbour query when it goes through an
    HNSW index (at a few hundred rows sorting them all is cheaper, so sorts are priced out,
    as a tenant's rows would be at production sizes)."""
    vector = "[" + ",".join(str(float(x)) for x in query) + "]"
    with psycopg.connect(database.app_url) as conn, conn.transaction():
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant,))
        conn.execute("SET LOCAL enable_sort = off")
        conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        rows = conn.execute(
            "EXPLAIN SELECT id FROM semantic WHERE tenant_id = %s AND deleted_at IS NULL"
            " ORDER BY embedding <=> %s::vector LIMIT 10",
            (tenant, vector),
        ).fetchall()
    return "\n".join(row[0] for row in rows)


def test_large_tenants_get_an_index_of_their_own(
    store: PostgresSemanticStore, database: Postgres
) -> None:
    report = TenantIndexes(database.admin_url).sync(min_vectors=100)
    assert (report.created, report.kept, report.dropped) == (["big"], [], 0)
    big_index = index_name("big")
    assert "big" not in big_index, "the name does not show the tenant id"
    assert "WHERE (tenant_id = 'big'::text)" in indexes(database)[big_index]
    query = np.ones(DIMENSION, dtype=np.float32)
    assert big_index in plan(database, "big", query)
    small_plan = plan(database, "small", query)
    assert "semantic_hnsw" in small_plan, "the shared index"
    assert big_index not in small_plan, "never another tenant's index"
    hits = store.search_vector(
        "small", query, agent_id=None, namespace=None, matches=None, limit=50, threshold=-1.0
    )
    assert len(hits) == 20
    assert all(h.record.content.startswith("small ") for h in hits)
    again = TenantIndexes(database.admin_url).sync(min_vectors=100)
    assert (again.created, again.kept, again.dropped) == ([], ["big"], 0)


def test_indexes_of_erased_or_shrunk_tenants_are_dropped(
    store: PostgresSemanticStore, database: Postgres
) -> None:
    TenantIndexes(database.admin_url).sync(min_vectors=100)
    kept = TenantIndexes(database.admin_url).sync(min_vectors=500)  # 300 >= 500 / 2
    assert (kept.kept, kept.dropped) == (["big"], 0)
    store.purge_tenant("big")
    report = TenantIndexes(database.admin_url).sync(min_vectors=100)
    assert (report.created, report.kept, report.dropped) == ([], [], 1)
    assert not any("big" in definition for definition in indexes(database).values())


def test_the_cli_runs_it(
    store: PostgresSemanticStore,
    database: Postgres,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Any,
) -> None:
    monkeypatch.setenv("MNEMORA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MNEMORA_VECTOR_URL", database.app_url)
    monkeypatch.setenv("MNEMORA_POSTGRES_ADMIN_URL", database.admin_url)
    monkeypatch.setenv("MNEMORA_EMBEDDER", "hash")
    monkeypatch.setenv("MNEMORA_EMBEDDING_DIMENSION", str(DIMENSION))
    # The other stores live in the data directory, which the CLI never creates on its own.
    (tmp_path / "data").mkdir()
    assert main(["index-tenants", "--min-vectors", "100"]) == 0
    assert json.loads(capsys.readouterr().out) == {"created": ["big"], "kept": [], "dropped": 0}
