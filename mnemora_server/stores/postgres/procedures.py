"""Procedural memory on PostgreSQL, under row-level security."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from mnemora_server.stores.base import BackedStore, Procedure, StoreOptions
from mnemora_server.stores.postgres.database import PostgresDatabase, tenant_policy_sql

_COLUMNS = "agent_id, name, version, type, definition, description, active, created_at"


def _migrations() -> list[list[Any]]:
    return [
        [
            "CREATE TABLE procedures (pk bigserial PRIMARY KEY, tenant_id text NOT NULL,"
            " agent_id text NOT NULL, name text NOT NULL, version int NOT NULL, type text NOT NULL,"
            " definition text NOT NULL, description text, active boolean NOT NULL,"
            " created_at double precision NOT NULL, UNIQUE (tenant_id, agent_id, name, version))",
            "CREATE TABLE procedure_names (tenant_id text NOT NULL, agent_id text NOT NULL,"
            " name text NOT NULL, last_version int NOT NULL,"
            " PRIMARY KEY (tenant_id, agent_id, name))",
            *tenant_policy_sql("procedures"),
            *tenant_policy_sql("procedure_names"),
            "GRANT USAGE ON SEQUENCE procedures_pk_seq TO mnemora_app",
        ]
    ]


def _procedure(row: Sequence[Any]) -> Procedure:
    return Procedure(
        agent_id=row[0],
        name=row[1],
        version=row[2],
        type=row[3],
        definition=json.loads(row[4]),
        description=row[5],
        active=row[6],
        created_at=row[7],
    )


class PostgresProceduralStore(BackedStore):
    """:class:`~mnemora_server.stores.base.ProceduralStore` on PostgreSQL.

    Args:
        url: The application role's connection URL.
        admin_url: An administrator's URL for migrations.
    """

    def __init__(self, url: str, *, admin_url: str | None = None) -> None:
        self.db = PostgresDatabase(url, "procedures", _migrations(), admin_url=admin_url)
        super().__init__(self.db)

    @classmethod
    def from_url(cls, url: str, options: StoreOptions) -> PostgresProceduralStore:
        """The store of a ``postgresql://`` URL (the application role's)."""
        return cls(url, admin_url=options.postgres_admin_url)

    def add_version(
        self,
        tenant_id: str,
        agent_id: str,
        name: str,
        *,
        type: str,
        definition: Any,
        description: str | None,
        active: bool,
        now: float,
    ) -> Procedure:
        """Add the next version of a name."""
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                "INSERT INTO procedure_names (tenant_id, agent_id, name, last_version)"
                " VALUES (%s, %s, %s, 1) ON CONFLICT (tenant_id, agent_id, name)"
                " DO UPDATE SET last_version = procedure_names.last_version + 1"
                " RETURNING last_version",
                (tenant_id, agent_id, name),
            )
            version = int(cur.fetchone()[0])
            cur.execute(
                f"INSERT INTO procedures (tenant_id, {_COLUMNS})"  # noqa: S608
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    tenant_id,
                    agent_id,
                    name,
                    version,
                    type,
                    json.dumps(definition),
                    description,
                    active,
                    now,
                ),
            )
        return Procedure(agent_id, name, version, type, definition, description, active, now)

    def get(
        self, tenant_id: str, agent_id: str, name: str, version: int | None
    ) -> Procedure | None:
        """A given version, or the latest active one."""
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                f"SELECT {_COLUMNS} FROM procedures WHERE tenant_id = %s AND agent_id = %s"  # noqa: S608
                " AND name = %s AND ((%s::int IS NULL AND active) OR version = %s::int)"
                " ORDER BY version DESC LIMIT 1",
                (tenant_id, agent_id, name, version, version),
            )
            row = cur.fetchone()
        return None if row is None else _procedure(row)

    def versions(self, tenant_id: str, agent_id: str, name: str) -> list[Procedure]:
        """Every version of a name, oldest first."""
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                f"SELECT {_COLUMNS} FROM procedures WHERE tenant_id = %s AND agent_id = %s"  # noqa: S608
                " AND name = %s ORDER BY version",
                (tenant_id, agent_id, name),
            )
            return [_procedure(row) for row in cur.fetchall()]

    def list_latest(
        self, tenant_id: str, agent_id: str, *, limit: int, after: str | None
    ) -> list[Procedure]:
        """The latest active version of each name."""
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                f"SELECT DISTINCT ON (name) {_COLUMNS} FROM procedures"  # noqa: S608
                " WHERE tenant_id = %s AND agent_id = %s AND name > %s AND active"
                " ORDER BY name, version DESC LIMIT %s",
                (tenant_id, agent_id, after or "", limit),
            )
            return [_procedure(row) for row in cur.fetchall()]

    def restore_version(self, tenant_id: str, procedure: Procedure) -> bool:
        """Store an exported version as it was, unless that version exists."""
        p = procedure
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                f"INSERT INTO procedures (tenant_id, {_COLUMNS})"  # noqa: S608
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (tenant_id, agent_id, name, version) DO NOTHING",
                (
                    tenant_id,
                    p.agent_id,
                    p.name,
                    p.version,
                    p.type,
                    json.dumps(p.definition),
                    p.description,
                    p.active,
                    p.created_at,
                ),
            )
            stored = bool(cur.rowcount > 0)
            cur.execute(
                "INSERT INTO procedure_names (tenant_id, agent_id, name, last_version)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (tenant_id, agent_id, name)"
                " DO UPDATE SET last_version = GREATEST(procedure_names.last_version,"
                " EXCLUDED.last_version)",
                (tenant_id, p.agent_id, p.name, p.version),
            )
        return stored

    def delete(self, tenant_id: str, agent_id: str, name: str) -> int:
        """Delete every version of a name (the counter stays, so numbers never repeat)."""
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                "DELETE FROM procedures WHERE tenant_id = %s AND agent_id = %s AND name = %s",
                (tenant_id, agent_id, name),
            )
            return int(cur.rowcount)

    def totals(self, tenant_id: str) -> tuple[int, int]:
        """Versions and bytes of the tenant."""
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                "SELECT COUNT(*), COALESCE(SUM(octet_length(definition)"
                " + COALESCE(octet_length(description), 0)), 0)"
                " FROM procedures WHERE tenant_id = %s",
                (tenant_id,),
            )
            row = cur.fetchone()
        return int(row[0]), int(row[1])

    def agent_counts(self, tenant_id: str, now: float) -> dict[str, int]:
        """Procedures by name, per agent."""
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                "SELECT agent_id, COUNT(DISTINCT name) FROM procedures WHERE tenant_id = %s"
                " GROUP BY agent_id",
                (tenant_id,),
            )
            rows = cur.fetchall()
        return {agent: int(count) for agent, count in rows if count}

    def export(self, tenant_id: str, agent_id: str | None) -> Iterator[Procedure]:
        """Every version, in insertion order."""
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                f"SELECT {_COLUMNS} FROM procedures WHERE tenant_id = %s"  # noqa: S608
                " AND (%s::text IS NULL OR agent_id = %s) ORDER BY pk",
                (tenant_id, agent_id, agent_id),
            )
            rows = cur.fetchall()
        for row in rows:
            yield _procedure(row)

    def _purge(self, tenant_id: str, agent_id: str | None) -> int:
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                "DELETE FROM procedures WHERE tenant_id = %s"
                " AND (%s::text IS NULL OR agent_id = %s)",
                (tenant_id, agent_id, agent_id),
            )
            removed = int(cur.rowcount)
            cur.execute(
                "DELETE FROM procedure_names WHERE tenant_id = %s"
                " AND (%s::text IS NULL OR agent_id = %s)",
                (tenant_id, agent_id, agent_id),
            )
        return removed

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Remove every version and counter of the agent."""
        return self._purge(tenant_id, agent_id)

    def purge_tenant(self, tenant_id: str) -> int:
        """Remove every version and counter of the tenant."""
        return self._purge(tenant_id, None)
