"""Working memory on SQLite: one row per tenant, agent and session.

A deleted session leaves a tombstone that keeps its version, so a document re-created under
the same key continues the version sequence and a client holding an old version can never
overwrite it by accident. Purge removes tombstones too.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mnemora_server.stores.base import (
    BackedStore,
    NextVersion,
    StateRecord,
    StateStats,
    StoredVersion,
    StoreOptions,
    TtlChange,
    require_version,
)
from mnemora_server.stores.sqlite.database import SqliteDatabase, sqlite_path_from_url

MIGRATIONS = (
    """
    CREATE TABLE state (
        tenant_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        data TEXT,
        version INTEGER NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        expires_at REAL,
        deleted INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant_id, agent_id, session_id)
    ) WITHOUT ROWID
    """,
)


class SqliteStateStore(BackedStore):
    """:class:`~mnemora_server.stores.base.StateStore` on a SQLite file (``synchronous=FULL``)."""

    def __init__(self, path: Path, *, busy_timeout: float = 10.0) -> None:
        self.db = SqliteDatabase(path, MIGRATIONS, synchronous="FULL", busy_timeout=busy_timeout)
        super().__init__(self.db)

    @classmethod
    def from_url(cls, url: str, options: StoreOptions) -> SqliteStateStore:
        """The store of a ``sqlite:///path`` URL."""
        return cls(sqlite_path_from_url(url), busy_timeout=options.busy_timeout)

    def put(
        self,
        tenant_id: str,
        agent_id: str,
        session_id: str,
        data: dict[str, Any],
        ttl: TtlChange,
        now: float,
    ) -> StateRecord:
        """Write unconditionally, continuing the version sequence."""
        with self.db.write() as conn:
            current = _current(conn, tenant_id, agent_id, session_id)
            return _write(conn, tenant_id, agent_id, session_id, data, ttl, now, current)

    def put_if_version(
        self,
        tenant_id: str,
        agent_id: str,
        session_id: str,
        data: dict[str, Any],
        expected_version: int,
        ttl: TtlChange,
        now: float,
    ) -> StateRecord:
        """Write only if the live document has ``expected_version``."""
        with self.db.write() as conn:
            current = _current(conn, tenant_id, agent_id, session_id)
            require_version(
                current, expected_version, now, agent_id=agent_id, session_id=session_id
            )
            return _write(conn, tenant_id, agent_id, session_id, data, ttl, now, current)

    def get(self, tenant_id: str, agent_id: str, session_id: str, now: float) -> StateRecord | None:
        """The live document, or ``None``."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT data, version, created_at, updated_at, expires_at FROM state"
                " WHERE tenant_id = ? AND agent_id = ? AND session_id = ?"
                " AND deleted = 0 AND (expires_at IS NULL OR expires_at > ?)",
                (tenant_id, agent_id, session_id, now),
            ).fetchone()
        if row is None:
            return None
        return StateRecord(
            agent_id=agent_id,
            session_id=session_id,
            data=json.loads(row[0]),
            version=row[1],
            created_at=row[2],
            updated_at=row[3],
            expires_at=row[4],
        )

    def list_sessions(
        self, tenant_id: str, agent_id: str, now: float, *, limit: int, after: str | None
    ) -> list[str]:
        """Live session ids in ascending order after ``after``."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT session_id FROM state WHERE tenant_id = ? AND agent_id = ?"
                " AND session_id > ? AND deleted = 0 AND (expires_at IS NULL OR expires_at > ?)"
                " ORDER BY session_id LIMIT ?",
                (tenant_id, agent_id, after or "", now, limit),
            ).fetchall()
        return [row[0] for row in rows]

    def delete(self, tenant_id: str, agent_id: str, session_id: str, now: float) -> bool:
        """Turn a live document into a tombstone that keeps its version."""
        with self.db.write() as conn:
            cursor = conn.execute(
                "UPDATE state SET data = NULL, deleted = 1, expires_at = NULL, updated_at = ?"
                " WHERE tenant_id = ? AND agent_id = ? AND session_id = ?"
                " AND deleted = 0 AND (expires_at IS NULL OR expires_at > ?)",
                (now, tenant_id, agent_id, session_id, now),
            )
        return cursor.rowcount > 0

    def stats(self, tenant_id: str, now: float) -> StateStats:
        """Agents, sessions and bytes of the tenant's live documents."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT COUNT(DISTINCT agent_id), COUNT(*),"
                " COALESCE(SUM(LENGTH(CAST(data AS BLOB))), 0) FROM state WHERE tenant_id = ?"
                " AND deleted = 0 AND (expires_at IS NULL OR expires_at > ?)",
                (tenant_id, now),
            ).fetchone()
        return StateStats(agents=row[0], sessions=row[1], bytes=row[2])

    def agent_counts(self, tenant_id: str, now: float) -> dict[str, int]:
        """Live documents, per agent."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT agent_id, COUNT(*) FROM state WHERE tenant_id = ? AND deleted = 0"
                " AND (expires_at IS NULL OR expires_at > ?) GROUP BY agent_id",
                (tenant_id, now),
            ).fetchall()
        return {agent: int(count) for agent, count in rows if count}

    def export(self, tenant_id: str, agent_id: str | None, now: float) -> Iterator[StateRecord]:
        """Every live document of the tenant (or agent), by agent and session."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT agent_id, session_id, data, version, created_at, updated_at, expires_at"
                " FROM state WHERE tenant_id = ? AND (? IS NULL OR agent_id = ?)"
                " AND deleted = 0 AND (expires_at IS NULL OR expires_at > ?)"
                " ORDER BY agent_id, session_id",
                (tenant_id, agent_id, agent_id, now),
            ).fetchall()
        for row in rows:
            yield StateRecord(row[0], row[1], json.loads(row[2]), row[3], row[4], row[5], row[6])

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Remove every row of the agent; return documents (not tombstones) removed."""
        with self.db.write() as conn:
            documents = conn.execute(
                "SELECT COUNT(*) FROM state WHERE tenant_id = ? AND agent_id = ? AND deleted = 0",
                (tenant_id, agent_id),
            ).fetchone()[0]
            conn.execute(
                "DELETE FROM state WHERE tenant_id = ? AND agent_id = ?", (tenant_id, agent_id)
            )
        return int(documents)

    def purge_tenant(self, tenant_id: str) -> int:
        """Remove every row of the tenant; return documents removed."""
        with self.db.write() as conn:
            documents = conn.execute(
                "SELECT COUNT(*) FROM state WHERE tenant_id = ? AND deleted = 0", (tenant_id,)
            ).fetchone()[0]
            conn.execute("DELETE FROM state WHERE tenant_id = ?", (tenant_id,))
        return int(documents)


def _current(
    conn: sqlite3.Connection, tenant_id: str, agent_id: str, session_id: str
) -> StoredVersion | None:
    row = conn.execute(
        "SELECT version, created_at, expires_at, deleted FROM state"
        " WHERE tenant_id = ? AND agent_id = ? AND session_id = ?",
        (tenant_id, agent_id, session_id),
    ).fetchone()
    if row is None:
        return None
    return StoredVersion(int(row[0]), float(row[1]), row[2], bool(row[3]))


def _write(
    conn: sqlite3.Connection,
    tenant_id: str,
    agent_id: str,
    session_id: str,
    data: dict[str, Any],
    ttl: TtlChange,
    now: float,
    current: StoredVersion | None,
) -> StateRecord:
    upcoming = NextVersion.after(current, ttl, now)
    conn.execute(
        "INSERT INTO state (tenant_id, agent_id, session_id, data, version, created_at,"
        " updated_at, expires_at, deleted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)"
        " ON CONFLICT (tenant_id, agent_id, session_id) DO UPDATE SET data = excluded.data,"
        " version = excluded.version, created_at = excluded.created_at,"
        " updated_at = excluded.updated_at, expires_at = excluded.expires_at, deleted = 0",
        (
            tenant_id,
            agent_id,
            session_id,
            json.dumps(data, separators=(",", ":")),
            upcoming.version,
            upcoming.created_at,
            now,
            upcoming.expires_at,
        ),
    )
    return StateRecord(
        agent_id=agent_id,
        session_id=session_id,
        data=data,
        version=upcoming.version,
        created_at=upcoming.created_at,
        updated_at=now,
        expires_at=upcoming.expires_at,
    )
