"""Isolation at the database itself: the application role, with no WHERE clause at all, sees
one tenant's rows of every tenant table (including the vector table and a nearest-neighbour
query over the shared HNSW index), and cannot write another tenant's."""

from __future__ import annotations

import psycopg
import pytest

from mnemora_server.services.semantic_writes import SemanticWriteRules
from mnemora_server.stores.base import SemanticDraft
from mnemora_server.stores.postgres.procedures import PostgresProceduralStore
from mnemora_server.stores.postgres.semantic import PostgresSemanticStore
from tests.conftest import Postgres

#: Every table the stores create holds tenant data; the tests below also discover them, so a
#: table added later is covered without being listed here.
TENANT_TABLES = ("procedures", "procedure_names", "semantic", "semantic_totals")


def tenant_tables(admin_url: str) -> list[str]:
    """Every table of the database with a ``tenant_id`` column."""
    with psycopg.connect(admin_url) as conn:
        found = sorted(
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.columns"
                " WHERE table_schema = 'public' AND column_name = 'tenant_id'"
            )
        )
    assert set(TENANT_TABLES) <= set(found)
    return found


@pytest.fixture
def database(postgres: Postgres) -> Postgres:
    db = postgres.fresh_database()
    store = PostgresProceduralStore(db.app_url, admin_url=db.admin_url)
    store.setup()
    for tenant in ("tenant-a", "tenant-b"):
        for name in ("refund", "lookup"):
            store.add_version(
                tenant,
                "bot",
                name,
                type="tool",
                definition={"t": tenant},
                description=None,
                active=True,
                now=0.0,
            )
    store.close()
    semantic = PostgresSemanticStore(db.app_url, dimension=4, admin_url=db.admin_url)
    semantic.setup()
    for tenant in ("tenant-a", "tenant-b"):
        semantic.write(
            tenant,
            [
                SemanticDraft(
                    agent_id="bot",
                    namespace="default",
                    content=f"secret of {tenant}",
                    metadata={},
                    embedding=[1.0, 0.0, 0.0, 0.0],
                )
            ],
            0.0,
            SemanticWriteRules(max_vectors=None),
        )
    semantic.close()
    return db


def test_the_app_role_is_not_privileged_and_owns_nothing(database: Postgres) -> None:
    with psycopg.connect(database.app_url) as conn:
        role = conn.execute(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        assert role == (False, False)
        for table in tenant_tables(database.admin_url):
            owner, forced, enabled = conn.execute(
                "SELECT pg_get_userbyid(relowner), relforcerowsecurity, relrowsecurity"
                " FROM pg_class WHERE relname = %s",
                (table,),
            ).fetchone()
            assert owner != "mnemora_app"
            assert forced
            assert enabled


def test_select_without_where_sees_only_the_current_tenant(database: Postgres) -> None:
    with psycopg.connect(database.app_url) as conn:
        for table in tenant_tables(database.admin_url):
            with conn.transaction():
                conn.execute("SELECT set_config('app.tenant_id', 'tenant-a', true)")
                tenants = {row[0] for row in conn.execute(f"SELECT tenant_id FROM {table}")}
            assert tenants == {"tenant-a"}, table
            with conn.transaction():
                rows = conn.execute(f"SELECT * FROM {table}").fetchall()
            assert rows == [], f"no tenant set: {table} shows nothing"


def test_writing_another_tenants_rows_is_refused(database: Postgres) -> None:
    with psycopg.connect(database.app_url) as conn:
        refused = None
        try:
            with conn.transaction():
                conn.execute("SELECT set_config('app.tenant_id', 'tenant-a', true)")
                conn.execute(
                    "INSERT INTO procedures (tenant_id, agent_id, name, version, type,"
                    " definition, active, created_at)"
                    " VALUES ('tenant-b', 'bot', 'evil', 9, 'tool', '{}', true, 0)"
                )
        except psycopg.errors.InsufficientPrivilege as exc:
            refused = exc
        assert refused is not None, "the database must refuse a row of another tenant"
        assert "row-level security" in str(refused)
        with conn.transaction():
            conn.execute("SELECT set_config('app.tenant_id', 'tenant-a', true)")
            updated = conn.execute(
                "UPDATE procedures SET definition = '{}' WHERE tenant_id = 'tenant-b'"
            ).rowcount
            deleted = conn.execute("DELETE FROM procedure_names").rowcount
        assert updated == 0
        assert deleted == 2, "only tenant-a's two counters"
    with psycopg.connect(database.admin_url) as admin:
        left = admin.execute(
            "SELECT tenant_id, COUNT(*) FROM procedure_names GROUP BY tenant_id ORDER BY 1"
        ).fetchall()
    assert left == [("tenant-b", 2)]
