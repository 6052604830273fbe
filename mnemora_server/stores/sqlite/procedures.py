"""Procedural memory on SQLite: immutable versions per tenant, agent and name."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from mnemora_server.stores.base import BackedStore, Procedure, StoreOptions
from mnemora_server.stores.sqlite.database import SqliteDatabase, sqlite_path_from_url

MIGRATIONS = (
    """
    CREATE TABLE procedures (
        pk INTEGER PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        type TEXT NOT NULL,
        definition TEXT NOT NULL,
        description TEXT,
        active INTEGER NOT NULL,
        created_at REAL NOT NULL,
        UNIQUE (tenant_id, agent_id, name, version)
    );
    CREATE TABLE procedure_names (
        tenant_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        name TEXT NOT NULL,
        last_version INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, agent_id, name)
    ) WITHOUT ROWID
    """,
)

_COLUMNS = "agent_id, name, version, type, definition, description, active, created_at"


def _procedure(row: Sequence[Any]) -> Procedure:
    return Procedure(
        agent_id=row[0],
        name=row[1],
        version=row[2],
        type=row[3],
        definition=json.loads(row[4]),
        description=row[5],
        active=bool(row[6]),
        created_at=row[7],
    )


class SqliteProceduralStore(BackedStore):
    """:class:`~mnemora_server.stores.base.ProceduralStore` on SQLite."""

    def __init__(self, path: Path, *, busy_timeout: float = 10.0) -> None:
        self.db = SqliteDatabase(path, MIGRATIONS, synchronous="FULL", busy_timeout=busy_timeout)
        super().__init__(self.db)

    @classmethod
    def from_url(cls, url: str, options: StoreOptions) -> SqliteProceduralStore:
        """The store of a ``sqlite:///path`` URL."""
        return cls(sqlite_path_from_url(url), busy_timeout=options.busy_timeout)

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
        with self.db.write() as conn:
            version = conn.execute(
                "INSERT INTO procedure_names (tenant_id, agent_id, name, last_version)"
                " VALUES (?, ?, ?, 1) ON CONFLICT (tenant_id, agent_id, name)"
                " DO UPDATE SET last_version = last_version + 1 RETURNING last_version",
                (tenant_id, agent_id, name),
            ).fetchone()[0]
            conn.execute(
                f"INSERT INTO procedures (tenant_id, {_COLUMNS})"  # noqa: S608
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    tenant_id,
                    agent_id,
                    name,
                    version,
                    type,
                    json.dumps(definition),
                    description,
                    int(active),
                    now,
                ),
            )
        return Procedure(agent_id, name, int(version), type, definition, description, active, now)

    def get(
        self, tenant_id: str, agent_id: str, name: str, version: int | None
    ) -> Procedure | None:
        """A given version, or the latest active one."""
        with self.db.read() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM procedures WHERE tenant_id = ? AND agent_id = ?"  # noqa: S608
                " AND name = ? AND ((? IS NULL AND active = 1) OR version = ?)"
                " ORDER BY version DESC LIMIT 1",
                (tenant_id, agent_id, name, version, version),
            ).fetchone()
        return None if row is None else _procedure(row)

    def versions(self, tenant_id: str, agent_id: str, name: str) -> list[Procedure]:
        """Every version of a name, oldest first."""
        with self.db.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM procedures WHERE tenant_id = ? AND agent_id = ?"  # noqa: S608
                " AND name = ? ORDER BY version",
                (tenant_id, agent_id, name),
            ).fetchall()
        return [_procedure(row) for row in rows]

    def list_latest(
        self, tenant_id: str, agent_id: str, *, limit: int, after: str | None
    ) -> list[Procedure]:
        """The latest active version of each name."""
        with self.db.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM procedures p WHERE tenant_id = ? AND agent_id = ?"  # noqa: S608
                " AND name > ? AND active = 1 AND version = (SELECT MAX(version) FROM procedures"
                " q WHERE q.tenant_id = p.tenant_id AND q.agent_id = p.agent_id"
                " AND q.name = p.name AND q.active = 1) ORDER BY name LIMIT ?",
                (tenant_id, agent_id, after or "", limit),
            ).fetchall()
        return [_procedure(row) for row in rows]

    def restore_version(self, tenant_id: str, procedure: Procedure) -> bool:
        """Store an exported version as it was, unless that version exists."""
        p = procedure
        with self.db.write() as conn:
            exists = conn.execute(
                "SELECT 1 FROM procedures WHERE tenant_id = ? AND agent_id = ? AND name = ?"
                " AND version = ?",
                (tenant_id, p.agent_id, p.name, p.version),
            ).fetchone()
            if exists:
                return False
            conn.execute(
                f"INSERT INTO procedures (tenant_id, {_COLUMNS})"  # noqa: S608
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    tenant_id,
                    p.agent_id,
                    p.name,
                    p.version,
                    p.type,
                    json.dumps(p.definition),
                    p.description,
                    int(p.active),
                    p.created_at,
                ),
            )
            conn.execute(
                "INSERT INTO procedure_names (tenant_id, agent_id, name, last_version)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, agent_id, name)"
                " DO UPDATE SET last_version = MAX(last_version, excluded.last_version)",
                (tenant_id, p.agent_id, p.name, p.version),
            )
        return True

    def delete(self, tenant_id: str, agent_id: str, name: str) -> int:
        """Delete every version of a name (its version counter stays, so numbers never repeat)."""
        with self.db.write() as conn:
            return int(
                conn.execute(
                    "DELETE FROM procedures WHERE tenant_id = ? AND agent_id = ? AND name = ?",
                    (tenant_id, agent_id, name),
                ).rowcount
            )

    def totals(self, tenant_id: str) -> tuple[int, int]:
        """Versions and bytes of the tenant."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(CAST(definition AS BLOB))"
                " + COALESCE(LENGTH(CAST(description AS BLOB)), 0)), 0)"
                " FROM procedures WHERE tenant_id = ?",
                (tenant_id,),
            ).fetchone()
        return int(row[0]), int(row[1])

    def agent_counts(self, tenant_id: str, now: float) -> dict[str, int]:
        """Procedures by name, per agent."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT agent_id, COUNT(DISTINCT name) FROM procedures WHERE tenant_id = ?"
                " GROUP BY agent_id",
                (tenant_id,),
            ).fetchall()
        return {agent: int(count) for agent, count in rows if count}

    def export(self, tenant_id: str, agent_id: str | None) -> Iterator[Procedure]:
        """Every version, in insertion order."""
        with self.db.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM procedures WHERE tenant_id = ?"  # noqa: S608
                " AND (? IS NULL OR agent_id = ?) ORDER BY pk",
                (tenant_id, agent_id, agent_id),
            ).fetchall()
        for row in rows:
            yield _procedure(row)

    def _purge(self, tenant_id: str, agent_id: str | None) -> int:
        with self.db.write() as conn:
            removed = conn.execute(
                "DELETE FROM procedures WHERE tenant_id = ? AND (? IS NULL OR agent_id = ?)",
                (tenant_id, agent_id, agent_id),
            ).rowcount
            conn.execute(
                "DELETE FROM procedure_names WHERE tenant_id = ? AND (? IS NULL OR agent_id = ?)",
                (tenant_id, agent_id, agent_id),
            )
        return int(removed)

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Remove every version and counter of the agent."""
        return self._purge(tenant_id, agent_id)

    def purge_tenant(self, tenant_id: str) -> int:
        """Remove every version and counter of the tenant."""
        return self._purge(tenant_id, None)
