"""Idempotency records of the embedded accounts database."""

from __future__ import annotations

from mnemora_server.stores.base import IdempotencyRecord
from mnemora_server.stores.sqlite.database import SqliteDatabase


class SqliteIdempotencyRecords:
    """:class:`~mnemora_server.stores.base.IdempotencyStore` operations over ``self.db``."""

    db: SqliteDatabase

    def begin(
        self, tenant_id: str, key: str, fingerprint: str, now: float, *, lock_seconds: int
    ) -> IdempotencyRecord | None:
        """Claim the key, or return the record that holds it."""
        with self.db.write() as conn:
            row = conn.execute(
                "SELECT fingerprint, finished, status, body, expires_at, started_at"
                " FROM idempotency WHERE tenant_id = ? AND idempotency_key = ?",
                (tenant_id, key),
            ).fetchone()
            if row is not None and row[4] > now:
                return IdempotencyRecord(
                    fingerprint=row[0], finished=bool(row[1]), status=int(row[2]), body=row[3]
                )
            if row is not None and not row[1] and row[0] == fingerprint:
                conn.execute(
                    "UPDATE idempotency SET expires_at = ?"
                    " WHERE tenant_id = ? AND idempotency_key = ?",
                    (now + lock_seconds, tenant_id, key),
                )
                started = now if row[5] is None else float(row[5])
                return IdempotencyRecord(
                    fingerprint, finished=False, reclaimed=True, started_at=started
                )
            conn.execute(
                "INSERT OR REPLACE INTO idempotency (tenant_id, idempotency_key, fingerprint,"
                " finished, status, body, agent_id, expires_at, started_at)"
                " VALUES (?, ?, ?, 0, 0, NULL, NULL, ?, ?)",
                (tenant_id, key, fingerprint, now + lock_seconds, now),
            )
        return None

    def finish(
        self,
        tenant_id: str,
        key: str,
        *,
        status: int,
        body: str | None,
        agent_id: str | None,
        now: float,
        ttl_seconds: int,
    ) -> None:
        """Store the answer of a claimed key."""
        with self.db.write() as conn:
            conn.execute(
                "UPDATE idempotency SET finished = 1, status = ?, body = ?, agent_id = ?,"
                " expires_at = ? WHERE tenant_id = ? AND idempotency_key = ?",
                (status, body, agent_id, now + ttl_seconds, tenant_id, key),
            )

    def release(self, tenant_id: str, key: str) -> None:
        """Let a retry take over an unfinished claim at once (fingerprint and start kept)."""
        with self.db.write() as conn:
            conn.execute(
                "UPDATE idempotency SET expires_at = 0 WHERE tenant_id = ?"
                " AND idempotency_key = ? AND finished = 0",
                (tenant_id, key),
            )

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Delete the records of writes to one agent."""
        with self.db.write() as conn:
            return conn.execute(
                "DELETE FROM idempotency WHERE tenant_id = ? AND agent_id = ?",
                (tenant_id, agent_id),
            ).rowcount
