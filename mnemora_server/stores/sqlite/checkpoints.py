"""Checkpoints of agent graphs on SQLite: checkpoints, channel blobs and pending writes.

Writes take the database lock (``BEGIN IMMEDIATE``), so a checkpoint and its blobs land
together; per-agent totals are kept by triggers in the same transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from mnemora_server.stores.base import BackedStore, StoreOptions
from mnemora_server.stores.base.checkpoints import (
    RECORD_COLUMNS,
    Blob,
    CheckpointQuery,
    CheckpointRecord,
    CheckpointTotals,
    CheckpointTuple,
    PendingWrite,
    record_from_row,
    version_key,
)
from mnemora_server.stores.sqlite.checkpoints_schema import MIGRATIONS
from mnemora_server.stores.sqlite.database import SqliteDatabase, sqlite_path_from_url


class SqliteCheckpointStore(BackedStore):
    """:class:`~mnemora_server.stores.base.CheckpointStore` on a SQLite file."""

    def __init__(self, path: Path, *, busy_timeout: float = 10.0) -> None:
        self.db = SqliteDatabase(path, MIGRATIONS, synchronous="FULL", busy_timeout=busy_timeout)
        super().__init__(self.db)

    @classmethod
    def from_url(cls, url: str, options: StoreOptions) -> SqliteCheckpointStore:
        """The store of a ``sqlite:///path`` URL."""
        return cls(sqlite_path_from_url(url), busy_timeout=options.busy_timeout)

    # -- writes ------------------------------------------------------------------------------

    def put(
        self, tenant_id: str, agent_id: str, record: CheckpointRecord, blobs: list[Blob]
    ) -> None:
        """Store a checkpoint and its new blobs in one transaction."""
        with self.db.write() as conn:
            _put_blobs(conn, tenant_id, agent_id, record.thread_id, record.checkpoint_ns, blobs)
            conn.execute(
                "INSERT INTO checkpoints (tenant_id, agent_id, thread_id, checkpoint_ns,"
                " checkpoint_id, parent_checkpoint_id, checkpoint, metadata, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (tenant_id, agent_id, thread_id, checkpoint_ns, checkpoint_id)"
                " DO UPDATE SET parent_checkpoint_id = excluded.parent_checkpoint_id,"
                " checkpoint = excluded.checkpoint, metadata = excluded.metadata",
                (
                    tenant_id,
                    agent_id,
                    record.thread_id,
                    record.checkpoint_ns,
                    record.checkpoint_id,
                    record.parent_checkpoint_id,
                    json.dumps(record.checkpoint),
                    json.dumps(record.metadata),
                    record.created_at,
                ),
            )

    def put_writes(
        self,
        tenant_id: str,
        agent_id: str,
        thread_id: str,
        checkpoint_ns: str,
        checkpoint_id: str,
        writes: list[PendingWrite],
    ) -> None:
        """Store pending writes (regular ones only once, special ones replaced)."""
        with self.db.write() as conn:
            for write in writes:
                conflict = (
                    "DO NOTHING"
                    if write.idx >= 0
                    else (
                        "DO UPDATE SET channel = excluded.channel, type = excluded.type,"
                        " data = excluded.data, task_path = excluded.task_path"
                    )
                )
                conn.execute(
                    "INSERT INTO checkpoint_writes (tenant_id, agent_id, thread_id,"  # noqa: S608
                    " checkpoint_ns, checkpoint_id, task_id, idx, channel, type, data,"
                    " task_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (tenant_id, agent_id, thread_id, checkpoint_ns, checkpoint_id,"
                    f" task_id, idx) {conflict}",
                    (
                        tenant_id,
                        agent_id,
                        thread_id,
                        checkpoint_ns,
                        checkpoint_id,
                        write.task_id,
                        write.idx,
                        write.channel,
                        write.type,
                        write.data,
                        write.task_path,
                    ),
                )

    # -- reads -------------------------------------------------------------------------------

    def records(
        self, tenant_id: str, agent_id: str, query: CheckpointQuery, limit: int
    ) -> Iterator[CheckpointRecord]:
        """Checkpoints matching ``query``, newest first, at most ``limit``."""
        after = query.after or ("\uffff", "\uffff", "\uffff")
        with self.db.read() as conn:
            rows = conn.execute(
                f"SELECT {RECORD_COLUMNS} FROM checkpoints WHERE tenant_id = ?"  # noqa: S608
                " AND agent_id = ?"
                " AND (? IS NULL OR thread_id = ?) AND (? IS NULL OR checkpoint_ns = ?)"
                " AND (? IS NULL OR checkpoint_id = ?) AND (? IS NULL OR checkpoint_id < ?)"
                " AND (checkpoint_id, thread_id, checkpoint_ns) < (?, ?, ?)"
                " ORDER BY checkpoint_id DESC, thread_id DESC, checkpoint_ns DESC LIMIT ?",
                (
                    tenant_id,
                    agent_id,
                    query.thread_id,
                    query.thread_id,
                    query.checkpoint_ns,
                    query.checkpoint_ns,
                    query.checkpoint_id,
                    query.checkpoint_id,
                    query.before,
                    query.before,
                    *after,
                    limit,
                ),
            ).fetchall()
        return (record_from_row(row) for row in rows)

    def values(
        self, tenant_id: str, agent_id: str, record: CheckpointRecord
    ) -> tuple[list[Blob], list[PendingWrite]]:
        """The blobs of the checkpoint's channel versions and its pending writes."""
        versions = record.channel_versions()
        with self.db.read() as conn:
            blobs = _blobs(conn, tenant_id, agent_id, record, versions)
            rows = conn.execute(
                "SELECT task_id, idx, channel, type, data, task_path FROM checkpoint_writes"
                " WHERE tenant_id = ?"
                " AND agent_id = ? AND thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?"
                " ORDER BY task_path, task_id, idx",
                (tenant_id, agent_id, record.thread_id, record.checkpoint_ns, record.checkpoint_id),
            ).fetchall()
        return blobs, [PendingWrite(r[0], r[1], r[2], r[3], bytes(r[4]), r[5]) for r in rows]

    # -- deletion and copies -----------------------------------------------------------------

    def delete_threads(self, tenant_id: str, agent_id: str, thread_ids: list[str]) -> int:
        """Delete every checkpoint, blob and write of the threads."""
        removed = 0
        with self.db.write() as conn:
            for thread_id in thread_ids:
                scope = (tenant_id, agent_id, thread_id)
                conn.execute(
                    "DELETE FROM checkpoint_writes WHERE tenant_id = ? AND agent_id = ?"
                    " AND thread_id = ?",
                    scope,
                )
                conn.execute(
                    "DELETE FROM checkpoint_blobs WHERE tenant_id = ? AND agent_id = ?"
                    " AND thread_id = ?",
                    scope,
                )
                removed += conn.execute(
                    "DELETE FROM checkpoints WHERE tenant_id = ?"
                    " AND agent_id = ? AND thread_id = ?",
                    scope,
                ).rowcount
        return removed

    def delete_checkpoints(
        self, tenant_id: str, agent_id: str, keys: list[tuple[str, str, str]]
    ) -> int:
        """Delete checkpoints with their writes, then the blobs none of their thread uses."""
        removed = 0
        with self.db.write() as conn:
            for thread_id, checkpoint_ns, checkpoint_id in keys:
                scope = (tenant_id, agent_id, thread_id, checkpoint_ns, checkpoint_id)
                conn.execute(
                    "DELETE FROM checkpoint_writes WHERE tenant_id = ?"
                    " AND agent_id = ? AND thread_id = ?"
                    " AND checkpoint_ns = ? AND checkpoint_id = ?",
                    scope,
                )
                removed += conn.execute(
                    "DELETE FROM checkpoints WHERE tenant_id = ? AND agent_id = ? AND thread_id = ?"
                    " AND checkpoint_ns = ? AND checkpoint_id = ?",
                    scope,
                ).rowcount
            for thread_id, checkpoint_ns in {(k[0], k[1]) for k in keys}:
                _drop_unused_blobs(conn, tenant_id, agent_id, thread_id, checkpoint_ns)
        return removed

    def copy_thread(self, tenant_id: str, agent_id: str, source: str, target: str) -> int:
        """Copy every checkpoint, blob and write of ``source`` into ``target``."""
        with self.db.write() as conn:
            scope = (target, tenant_id, agent_id, source)
            conn.execute(
                "INSERT OR IGNORE INTO checkpoint_blobs (tenant_id, agent_id, thread_id,"
                " checkpoint_ns, channel, version, type, data) SELECT tenant_id, agent_id, ?,"
                " checkpoint_ns, channel, version, type, data FROM checkpoint_blobs"
                " WHERE tenant_id = ? AND agent_id = ? AND thread_id = ?",
                scope,
            )
            conn.execute(
                "INSERT OR IGNORE INTO checkpoint_writes (tenant_id, agent_id, thread_id,"
                " checkpoint_ns, checkpoint_id, task_id, idx, channel, type, data, task_path)"
                " SELECT tenant_id, agent_id, ?, checkpoint_ns, checkpoint_id, task_id, idx,"
                " channel, type, data, task_path FROM checkpoint_writes"
                " WHERE tenant_id = ? AND agent_id = ? AND thread_id = ?",
                scope,
            )
            return int(
                conn.execute(
                    "INSERT OR REPLACE INTO checkpoints (tenant_id, agent_id, thread_id,"
                    " checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata,"
                    " created_at) SELECT tenant_id, agent_id, ?, checkpoint_ns, checkpoint_id,"
                    " parent_checkpoint_id, checkpoint, metadata, created_at FROM checkpoints"
                    " WHERE tenant_id = ? AND agent_id = ? AND thread_id = ?",
                    scope,
                ).rowcount
            )

    # -- totals, export, erasure -------------------------------------------------------------

    def totals(self, tenant_id: str) -> CheckpointTotals:
        """The tenant's checkpoints, bytes and threads (totals kept by triggers)."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT COALESCE(SUM(checkpoints), 0), COALESCE(SUM(bytes), 0)"
                " FROM checkpoint_totals WHERE tenant_id = ?",
                (tenant_id,),
            ).fetchone()
            threads = conn.execute(
                "SELECT COUNT(*) FROM (SELECT DISTINCT agent_id, thread_id FROM checkpoints"
                " WHERE tenant_id = ?)",
                (tenant_id,),
            ).fetchone()[0]
        return CheckpointTotals(checkpoints=int(row[0]), bytes=int(row[1]), threads=int(threads))

    def agent_counts(self, tenant_id: str, now: float) -> dict[str, int]:
        """Checkpoints (kept by triggers), per agent."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT agent_id, checkpoints FROM checkpoint_totals WHERE tenant_id = ?",
                (tenant_id,),
            ).fetchall()
        return {agent: int(count) for agent, count in rows if count}

    def export(self, tenant_id: str, agent_id: str | None) -> Iterator[tuple[str, CheckpointTuple]]:
        """Every checkpoint with its blobs and writes, oldest first, in pages."""
        after = 0
        while True:
            with self.db.read() as conn:
                rows = conn.execute(
                    f"SELECT agent_id, {RECORD_COLUMNS}, pk FROM checkpoints"  # noqa: S608
                    " WHERE tenant_id = ? AND (? IS NULL OR agent_id = ?) AND pk > ?"
                    " ORDER BY pk LIMIT 200",
                    (tenant_id, agent_id, agent_id, after),
                ).fetchall()
            if not rows:
                return
            for row in rows:
                record = record_from_row(row[1:8])
                blobs, writes = self.values(tenant_id, row[0], record)
                yield row[0], CheckpointTuple(record, blobs, writes)
            after = rows[-1][-1]

    def _purge(self, tenant_id: str, agent_id: str | None) -> int:
        scope = (tenant_id, agent_id, agent_id)
        with self.db.write() as conn:
            conn.execute(
                "DELETE FROM checkpoint_writes WHERE tenant_id = ? AND (? IS NULL OR agent_id = ?)",
                scope,
            )
            conn.execute(
                "DELETE FROM checkpoint_blobs WHERE tenant_id = ? AND (? IS NULL OR agent_id = ?)",
                scope,
            )
            removed = conn.execute(
                "DELETE FROM checkpoints WHERE tenant_id = ? AND (? IS NULL OR agent_id = ?)",
                scope,
            ).rowcount
            conn.execute(
                "DELETE FROM checkpoint_totals WHERE tenant_id = ? AND (? IS NULL OR agent_id = ?)",
                scope,
            )
        return int(removed)

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Remove everything of the agent."""
        return self._purge(tenant_id, agent_id)

    def purge_tenant(self, tenant_id: str) -> int:
        """Remove everything of the tenant."""
        return self._purge(tenant_id, None)


def _put_blobs(
    conn: sqlite3.Connection,
    tenant_id: str,
    agent_id: str,
    thread_id: str,
    checkpoint_ns: str,
    blobs: list[Blob],
) -> None:
    for blob in blobs:
        conn.execute(
            "INSERT INTO checkpoint_blobs (tenant_id, agent_id, thread_id, checkpoint_ns,"
            " channel, version, type, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (tenant_id, agent_id, thread_id, checkpoint_ns, channel, version)"
            " DO NOTHING",
            (
                tenant_id,
                agent_id,
                thread_id,
                checkpoint_ns,
                blob.channel,
                blob.version,
                blob.type,
                blob.data,
            ),
        )


def _blobs(
    conn: sqlite3.Connection,
    tenant_id: str,
    agent_id: str,
    record: CheckpointRecord,
    versions: dict[str, str],
) -> list[Blob]:
    found: list[Blob] = []
    for channel, version in versions.items():
        row = conn.execute(
            "SELECT type, data FROM checkpoint_blobs WHERE tenant_id = ?"
            " AND agent_id = ? AND thread_id = ?"
            " AND checkpoint_ns = ? AND channel = ? AND version = ?",
            (tenant_id, agent_id, record.thread_id, record.checkpoint_ns, channel, version),
        ).fetchone()
        if row is not None:
            found.append(Blob(channel, version, row[0], bytes(row[1])))
    return found


def _drop_unused_blobs(
    conn: sqlite3.Connection, tenant_id: str, agent_id: str, thread_id: str, checkpoint_ns: str
) -> None:
    used: set[tuple[str, str]] = set()
    for (checkpoint,) in conn.execute(
        "SELECT checkpoint FROM checkpoints WHERE tenant_id = ? AND agent_id = ? AND thread_id = ?"
        " AND checkpoint_ns = ?",
        (tenant_id, agent_id, thread_id, checkpoint_ns),
    ):
        versions = json.loads(checkpoint).get("channel_versions") or {}
        used.update((str(c), version_key(v)) for c, v in versions.items())
    stored = conn.execute(
        "SELECT channel, version FROM checkpoint_blobs WHERE tenant_id = ?"
        " AND agent_id = ? AND thread_id = ?"
        " AND checkpoint_ns = ?",
        (tenant_id, agent_id, thread_id, checkpoint_ns),
    ).fetchall()
    for channel, version in stored:
        if (channel, version) not in used:
            conn.execute(
                "DELETE FROM checkpoint_blobs WHERE tenant_id = ?"
                " AND agent_id = ? AND thread_id = ?"
                " AND checkpoint_ns = ? AND channel = ? AND version = ?",
                (tenant_id, agent_id, thread_id, checkpoint_ns, channel, version),
            )
