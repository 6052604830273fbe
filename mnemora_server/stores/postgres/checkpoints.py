"""Checkpoints of agent graphs on PostgreSQL, under row-level security.

Three tables, as LangGraph's own PostgreSQL saver lays them out (checkpoints, channel blobs
keyed by channel and version, pending writes), each with a ``tenant_id`` and ``agent_id`` and
the tenant policy. Values are ``bytea``: a 2 MB channel value is one row. Totals per agent
are kept by a trigger in the writing transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

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
from mnemora_server.stores.postgres.checkpoints_schema import migrations
from mnemora_server.stores.postgres.database import PostgresDatabase


class PostgresCheckpointStore(BackedStore):
    """:class:`~mnemora_server.stores.base.CheckpointStore` on PostgreSQL.

    Args:
        url: The application role's connection URL.
        admin_url: An administrator's URL for migrations.
    """

    def __init__(self, url: str, *, admin_url: str | None = None) -> None:
        self.db = PostgresDatabase(url, "checkpoints", migrations(), admin_url=admin_url)
        super().__init__(self.db)

    @classmethod
    def from_url(cls, url: str, options: StoreOptions) -> PostgresCheckpointStore:
        """The store of a ``postgresql://`` URL (the application role's)."""
        return cls(url, admin_url=options.postgres_admin_url)

    # -- writes ------------------------------------------------------------------------------

    def put(
        self, tenant_id: str, agent_id: str, record: CheckpointRecord, blobs: list[Blob]
    ) -> None:
        """Store a checkpoint and its new blobs in one transaction."""
        with self.db.transaction(tenant_id) as cur:
            for blob in blobs:
                cur.execute(
                    "INSERT INTO checkpoint_blobs (tenant_id, agent_id, thread_id,"
                    " checkpoint_ns, channel, version, type, data)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (
                        tenant_id,
                        agent_id,
                        record.thread_id,
                        record.checkpoint_ns,
                        blob.channel,
                        blob.version,
                        blob.type,
                        blob.data,
                    ),
                )
            cur.execute(
                "INSERT INTO checkpoints (tenant_id, agent_id, thread_id, checkpoint_ns,"
                " checkpoint_id, parent_checkpoint_id, checkpoint, metadata, created_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (tenant_id, agent_id, thread_id, checkpoint_ns, checkpoint_id)"
                " DO UPDATE SET parent_checkpoint_id = EXCLUDED.parent_checkpoint_id,"
                " checkpoint = EXCLUDED.checkpoint, metadata = EXCLUDED.metadata",
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
        with self.db.transaction(tenant_id) as cur:
            for write in writes:
                replace = write.idx < 0
                cur.execute(
                    "INSERT INTO checkpoint_writes (tenant_id, agent_id, thread_id,"
                    " checkpoint_ns, checkpoint_id, task_id, idx, channel, type, data, task_path)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (tenant_id, agent_id, thread_id, checkpoint_ns, checkpoint_id,"
                    " task_id, idx) DO UPDATE SET channel = EXCLUDED.channel,"
                    " type = EXCLUDED.type, data = EXCLUDED.data, task_path = EXCLUDED.task_path"
                    " WHERE %s",
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
                        replace,
                    ),
                )

    # -- reads -------------------------------------------------------------------------------

    def records(
        self, tenant_id: str, agent_id: str, query: CheckpointQuery, limit: int
    ) -> Iterator[CheckpointRecord]:
        """Checkpoints matching ``query``, newest first, at most ``limit``."""
        after = query.after or ("\uffff", "\uffff", "\uffff")
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                f"SELECT {RECORD_COLUMNS} FROM checkpoints WHERE tenant_id = %s"  # noqa: S608
                " AND agent_id = %s AND (%s::text IS NULL OR thread_id = %s)"
                " AND (%s::text IS NULL OR checkpoint_ns = %s)"
                " AND (%s::text IS NULL OR checkpoint_id = %s)"
                " AND (%s::text IS NULL OR checkpoint_id < %s)"
                " AND (checkpoint_id, thread_id, checkpoint_ns) < (%s, %s, %s)"
                " ORDER BY checkpoint_id DESC, thread_id DESC, checkpoint_ns DESC LIMIT %s",
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
            )
            rows = cur.fetchall()
        return (record_from_row(row) for row in rows)

    def values(
        self, tenant_id: str, agent_id: str, record: CheckpointRecord
    ) -> tuple[list[Blob], list[PendingWrite]]:
        """The blobs of the checkpoint's channel versions and its pending writes."""
        versions = record.channel_versions()
        scope = (tenant_id, agent_id, record.thread_id, record.checkpoint_ns)
        with self.db.transaction(tenant_id) as cur:
            blobs: list[Blob] = []
            if versions:
                cur.execute(
                    "SELECT channel, version, type, data FROM checkpoint_blobs"
                    " WHERE tenant_id = %s AND agent_id = %s AND thread_id = %s"
                    " AND checkpoint_ns = %s AND (channel, version) IN"
                    " (SELECT * FROM unnest(%s::text[], %s::text[]))",
                    (*scope, list(versions), list(versions.values())),
                )
                blobs = [Blob(r[0], r[1], r[2], bytes(r[3])) for r in cur.fetchall()]
            cur.execute(
                "SELECT task_id, idx, channel, type, data, task_path FROM checkpoint_writes"
                " WHERE tenant_id = %s AND agent_id = %s AND thread_id = %s"
                " AND checkpoint_ns = %s AND checkpoint_id = %s ORDER BY task_path, task_id, idx",
                (*scope, record.checkpoint_id),
            )
            writes = [PendingWrite(r[0], r[1], r[2], r[3], bytes(r[4]), r[5]) for r in cur]
        return blobs, writes

    # -- deletion and copies -----------------------------------------------------------------

    def delete_threads(self, tenant_id: str, agent_id: str, thread_ids: list[str]) -> int:
        """Delete every checkpoint, blob and write of the threads."""
        scope = (tenant_id, agent_id, list(thread_ids))
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                "DELETE FROM checkpoint_writes WHERE tenant_id = %s AND agent_id = %s"
                " AND thread_id = ANY(%s)",
                scope,
            )
            cur.execute(
                "DELETE FROM checkpoint_blobs WHERE tenant_id = %s AND agent_id = %s"
                " AND thread_id = ANY(%s)",
                scope,
            )
            cur.execute(
                "DELETE FROM checkpoints WHERE tenant_id = %s AND agent_id = %s"
                " AND thread_id = ANY(%s)",
                scope,
            )
            return int(cur.rowcount)

    def delete_checkpoints(
        self, tenant_id: str, agent_id: str, keys: list[tuple[str, str, str]]
    ) -> int:
        """Delete checkpoints with their writes, then the blobs none of their thread uses."""
        removed = 0
        with self.db.transaction(tenant_id) as cur:
            for thread_id, checkpoint_ns, checkpoint_id in keys:
                scope = (tenant_id, agent_id, thread_id, checkpoint_ns, checkpoint_id)
                cur.execute(
                    "DELETE FROM checkpoint_writes WHERE tenant_id = %s AND agent_id = %s"
                    " AND thread_id = %s AND checkpoint_ns = %s AND checkpoint_id = %s",
                    scope,
                )
                cur.execute(
                    "DELETE FROM checkpoints WHERE tenant_id = %s AND agent_id = %s"
                    " AND thread_id = %s AND checkpoint_ns = %s AND checkpoint_id = %s",
                    scope,
                )
                removed += cur.rowcount
            for thread_id, checkpoint_ns in {(k[0], k[1]) for k in keys}:
                self._drop_unused_blobs(cur, tenant_id, agent_id, thread_id, checkpoint_ns)
        return removed

    @staticmethod
    def _drop_unused_blobs(
        cur: Any, tenant_id: str, agent_id: str, thread_id: str, checkpoint_ns: str
    ) -> None:
        scope = (tenant_id, agent_id, thread_id, checkpoint_ns)
        cur.execute(
            "SELECT checkpoint FROM checkpoints WHERE tenant_id = %s AND agent_id = %s"
            " AND thread_id = %s AND checkpoint_ns = %s",
            scope,
        )
        used = {
            (str(channel), version_key(version))
            for (checkpoint,) in cur.fetchall()
            for channel, version in (json.loads(checkpoint).get("channel_versions") or {}).items()
        }
        cur.execute(
            "SELECT channel, version FROM checkpoint_blobs WHERE tenant_id = %s"
            " AND agent_id = %s AND thread_id = %s AND checkpoint_ns = %s",
            scope,
        )
        unused = [row for row in cur.fetchall() if (row[0], row[1]) not in used]
        for channel, version in unused:
            cur.execute(
                "DELETE FROM checkpoint_blobs WHERE tenant_id = %s AND agent_id = %s"
                " AND thread_id = %s AND checkpoint_ns = %s AND channel = %s AND version = %s",
                (*scope, channel, version),
            )

    def copy_thread(self, tenant_id: str, agent_id: str, source: str, target: str) -> int:
        """Copy every checkpoint, blob and write of ``source`` into ``target``."""
        scope = (target, tenant_id, agent_id, source)
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                "INSERT INTO checkpoint_blobs (tenant_id, agent_id, thread_id, checkpoint_ns,"
                " channel, version, type, data) SELECT tenant_id, agent_id, %s, checkpoint_ns,"
                " channel, version, type, data FROM checkpoint_blobs WHERE tenant_id = %s"
                " AND agent_id = %s AND thread_id = %s ON CONFLICT DO NOTHING",
                scope,
            )
            cur.execute(
                "INSERT INTO checkpoint_writes (tenant_id, agent_id, thread_id, checkpoint_ns,"
                " checkpoint_id, task_id, idx, channel, type, data, task_path)"
                " SELECT tenant_id, agent_id, %s, checkpoint_ns, checkpoint_id, task_id, idx,"
                " channel, type, data, task_path FROM checkpoint_writes WHERE tenant_id = %s"
                " AND agent_id = %s AND thread_id = %s ON CONFLICT DO NOTHING",
                scope,
            )
            cur.execute(
                "INSERT INTO checkpoints (tenant_id, agent_id, thread_id, checkpoint_ns,"
                " checkpoint_id, parent_checkpoint_id, checkpoint, metadata, created_at)"
                " SELECT tenant_id, agent_id, %s, checkpoint_ns, checkpoint_id,"
                " parent_checkpoint_id, checkpoint, metadata, created_at FROM checkpoints"
                " WHERE tenant_id = %s AND agent_id = %s AND thread_id = %s"
                " ON CONFLICT (tenant_id, agent_id, thread_id, checkpoint_ns, checkpoint_id)"
                " DO UPDATE SET parent_checkpoint_id = EXCLUDED.parent_checkpoint_id,"
                " checkpoint = EXCLUDED.checkpoint, metadata = EXCLUDED.metadata",
                scope,
            )
            return int(cur.rowcount)

    # -- totals, export, erasure -------------------------------------------------------------

    def totals(self, tenant_id: str) -> CheckpointTotals:
        """The tenant's checkpoints and bytes (kept by a trigger) and threads."""
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                "SELECT COALESCE(SUM(checkpoints), 0), COALESCE(SUM(bytes), 0)"
                " FROM checkpoint_totals WHERE tenant_id = %s",
                (tenant_id,),
            )
            row = cur.fetchone()
            cur.execute(
                "SELECT COUNT(*) FROM (SELECT DISTINCT agent_id, thread_id FROM checkpoints"
                " WHERE tenant_id = %s) t",
                (tenant_id,),
            )
            threads = cur.fetchone()[0]
        return CheckpointTotals(checkpoints=int(row[0]), bytes=int(row[1]), threads=int(threads))

    def agent_counts(self, tenant_id: str, now: float) -> dict[str, int]:
        """Checkpoints (kept by a trigger), per agent."""
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                "SELECT agent_id, checkpoints FROM checkpoint_totals WHERE tenant_id = %s",
                (tenant_id,),
            )
            rows = cur.fetchall()
        return {agent: int(count) for agent, count in rows if count}

    def export(self, tenant_id: str, agent_id: str | None) -> Iterator[tuple[str, CheckpointTuple]]:
        """Every checkpoint with its blobs and writes, oldest first, in pages."""
        after = 0
        while True:
            with self.db.transaction(tenant_id) as cur:
                cur.execute(
                    f"SELECT agent_id, {RECORD_COLUMNS}, pk FROM checkpoints"  # noqa: S608
                    " WHERE tenant_id = %s AND (%s::text IS NULL OR agent_id = %s) AND pk > %s"
                    " ORDER BY pk LIMIT 200",
                    (tenant_id, agent_id, agent_id, after),
                )
                rows = cur.fetchall()
            if not rows:
                return
            for row in rows:
                record = record_from_row(row[1:8])
                blobs, writes = self.values(tenant_id, row[0], record)
                yield row[0], CheckpointTuple(record, blobs, writes)
            after = rows[-1][-1]

    def _purge(self, tenant_id: str, agent_id: str | None) -> int:
        scope = (tenant_id, agent_id, agent_id)
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                "DELETE FROM checkpoint_writes WHERE tenant_id = %s"
                " AND (%s::text IS NULL OR agent_id = %s)",
                scope,
            )
            cur.execute(
                "DELETE FROM checkpoint_blobs WHERE tenant_id = %s"
                " AND (%s::text IS NULL OR agent_id = %s)",
                scope,
            )
            cur.execute(
                "DELETE FROM checkpoints WHERE tenant_id = %s"
                " AND (%s::text IS NULL OR agent_id = %s)",
                scope,
            )
            removed = int(cur.rowcount)
            cur.execute(
                "DELETE FROM checkpoint_totals WHERE tenant_id = %s"
                " AND (%s::text IS NULL OR agent_id = %s)",
                scope,
            )
        return removed

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Remove everything of the agent."""
        return self._purge(tenant_id, agent_id)

    def purge_tenant(self, tenant_id: str) -> int:
        """Remove everything of the tenant."""
        return self._purge(tenant_id, None)
