"""Tenants, API keys, usage counters and idempotency records in one SQLite database.

The usage and idempotency operations live in :mod:`.usage` and :mod:`.idempotency`; the
store class here joins them over the one database.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from mnemora_server.errors import AlreadyExistsError
from mnemora_server.stores.base import (
    ApiKeyRecord,
    BackedStore,
    StoreOptions,
    Tenant,
)
from mnemora_server.stores.sqlite.database import SqliteDatabase, sqlite_path_from_url
from mnemora_server.stores.sqlite.idempotency import SqliteIdempotencyRecords
from mnemora_server.stores.sqlite.usage import SqliteUsageCounters

MIGRATIONS = (
    """
    CREATE TABLE tenants (
        tenant_id TEXT PRIMARY KEY,
        tier TEXT NOT NULL,
        limits TEXT NOT NULL DEFAULT '{}',
        created_at REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE api_keys (
        key_id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
        key_hash TEXT NOT NULL UNIQUE,
        prefix TEXT NOT NULL,
        scope TEXT NOT NULL CHECK (scope IN ('read_write', 'read_only')),
        created_at REAL NOT NULL,
        expires_at REAL,
        revoked_at REAL
    );
    CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, created_at);
    CREATE TABLE usage_daily (
        tenant_id TEXT NOT NULL,
        day TEXT NOT NULL,
        counter TEXT NOT NULL,
        value INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, day, counter)
    ) WITHOUT ROWID;
    CREATE TABLE burst_windows (
        tenant_id TEXT PRIMARY KEY,
        window_second INTEGER NOT NULL,
        calls INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE idempotency (
        tenant_id TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        finished INTEGER NOT NULL DEFAULT 0,
        status INTEGER NOT NULL DEFAULT 0,
        body TEXT,
        agent_id TEXT,
        expires_at REAL NOT NULL,
        PRIMARY KEY (tenant_id, idempotency_key)
    ) WITHOUT ROWID;
    CREATE INDEX idempotency_by_agent ON idempotency (tenant_id, agent_id)
    """,
    # When a request's first attempt started: a retry after a failure redoes that attempt.
    "ALTER TABLE idempotency ADD COLUMN started_at REAL",
)


class SqliteAccountStore(SqliteUsageCounters, SqliteIdempotencyRecords, BackedStore):
    """Accounts, usage and idempotency on one SQLite file (commits survive process crashes).

    It implements :class:`AccountStore`, :class:`UsageStore` and :class:`IdempotencyStore`:
    counting a call and checking its limit happen in one transaction, so counters stay exact
    with any number of threads and processes on the machine.
    """

    def __init__(self, path: Path, *, busy_timeout: float = 10.0) -> None:
        # NORMAL: every call writes a counter; WAL + NORMAL survives process crashes without
        # an fsync per request.
        self.db = SqliteDatabase(path, MIGRATIONS, synchronous="NORMAL", busy_timeout=busy_timeout)
        super().__init__(self.db)

    @classmethod
    def from_url(cls, url: str, options: StoreOptions) -> SqliteAccountStore:
        """The store of a ``sqlite:///path`` URL."""
        return cls(sqlite_path_from_url(url), busy_timeout=options.busy_timeout)

    # -- tenants -----------------------------------------------------------------------------

    def create_tenant(self, tenant: Tenant) -> Tenant:
        """Insert a tenant; raise ``AlreadyExistsError`` if the id is taken."""
        with self.db.write() as conn:
            try:
                conn.execute(
                    "INSERT INTO tenants (tenant_id, tier, limits, created_at) VALUES (?, ?, ?, ?)",
                    (tenant.tenant_id, tenant.tier, json.dumps(tenant.limits), tenant.created_at),
                )
            except sqlite3.IntegrityError as exc:
                raise AlreadyExistsError(f"tenant {tenant.tenant_id!r} already exists") from exc
        return tenant

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        """Return the tenant or ``None``."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT tenant_id, tier, limits, created_at FROM tenants WHERE tenant_id = ?",
                (tenant_id,),
            ).fetchone()
        return _tenant(row) if row else None

    def list_tenants(self, *, limit: int, after: str | None) -> list[Tenant]:
        """Tenants ordered by id, starting after ``after``."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT tenant_id, tier, limits, created_at FROM tenants"
                " WHERE tenant_id > ? ORDER BY tenant_id LIMIT ?",
                (after or "", limit),
            ).fetchall()
        return [_tenant(row) for row in rows]

    def update_tenant(
        self, tenant_id: str, *, tier: str | None, limits: dict[str, int] | None
    ) -> Tenant | None:
        """Change tier and/or limit overrides."""
        with self.db.write() as conn:
            if tier is not None:
                conn.execute("UPDATE tenants SET tier = ? WHERE tenant_id = ?", (tier, tenant_id))
            if limits is not None:
                conn.execute(
                    "UPDATE tenants SET limits = ? WHERE tenant_id = ?",
                    (json.dumps(limits), tenant_id),
                )
            row = conn.execute(
                "SELECT tenant_id, tier, limits, created_at FROM tenants WHERE tenant_id = ?",
                (tenant_id,),
            ).fetchone()
        return _tenant(row) if row else None

    def delete_tenant(self, tenant_id: str) -> bool:
        """Delete the tenant row; its keys go with it (foreign key cascade)."""
        with self.db.write() as conn:
            cursor = conn.execute("DELETE FROM tenants WHERE tenant_id = ?", (tenant_id,))
        return cursor.rowcount > 0

    # -- keys --------------------------------------------------------------------------------

    def create_key(self, record: ApiKeyRecord) -> None:
        """Insert a key record (hash only)."""
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO api_keys (key_id, tenant_id, key_hash, prefix, scope, created_at,"
                " expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.key_id,
                    record.tenant_id,
                    record.key_hash,
                    record.prefix,
                    record.scope,
                    record.created_at,
                    record.expires_at,
                    record.revoked_at,
                ),
            )

    def find_key(self, key_hash: str) -> tuple[ApiKeyRecord, Tenant] | None:
        """The key with this hash and its tenant, or ``None``."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT k.key_id, k.tenant_id, k.key_hash, k.prefix, k.scope, k.created_at,"
                " k.expires_at, k.revoked_at, t.tenant_id, t.tier, t.limits, t.created_at"
                " FROM api_keys k JOIN tenants t ON t.tenant_id = k.tenant_id"
                " WHERE k.key_hash = ?",
                (key_hash,),
            ).fetchone()
        if row is None:
            return None
        return _key(row[:8]), _tenant(row[8:])

    def list_keys(self, tenant_id: str) -> list[ApiKeyRecord]:
        """Every key of the tenant, newest first."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT key_id, tenant_id, key_hash, prefix, scope, created_at, expires_at,"
                " revoked_at FROM api_keys WHERE tenant_id = ? ORDER BY created_at DESC, key_id",
                (tenant_id,),
            ).fetchall()
        return [_key(row) for row in rows]

    def revoke_key(self, key_id: str, now: float, *, tenant_id: str | None = None) -> bool:
        """Revoke a key; ``False`` if there is no such key (of that tenant)."""
        with self.db.write() as conn:
            cursor = conn.execute(
                "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?)"
                " WHERE key_id = ? AND (? IS NULL OR tenant_id = ?)",
                (now, key_id, tenant_id, tenant_id),
            )
        return cursor.rowcount > 0

    def revoke_tenant_keys(self, tenant_id: str, now: float) -> int:
        """Revoke every live key of a tenant."""
        with self.db.write() as conn:
            cursor = conn.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE tenant_id = ? AND revoked_at IS NULL",
                (now, tenant_id),
            )
        return cursor.rowcount

    def purge_tenant(self, tenant_id: str) -> int:
        """Delete the tenant's counters and idempotency records."""
        with self.db.write() as conn:
            removed = conn.execute(
                "DELETE FROM usage_daily WHERE tenant_id = ?", (tenant_id,)
            ).rowcount
            removed += conn.execute(
                "DELETE FROM burst_windows WHERE tenant_id = ?", (tenant_id,)
            ).rowcount
            removed += conn.execute(
                "DELETE FROM idempotency WHERE tenant_id = ?", (tenant_id,)
            ).rowcount
        return removed


def _tenant(row: tuple[object, ...]) -> Tenant:
    limits = json.loads(str(row[2])) if row[2] else {}
    return Tenant(tenant_id=str(row[0]), tier=str(row[1]), limits=limits, created_at=float(row[3]))  # type: ignore[arg-type]


def _key(row: tuple[object, ...]) -> ApiKeyRecord:
    return ApiKeyRecord(
        key_id=str(row[0]),
        tenant_id=str(row[1]),
        key_hash=str(row[2]),
        prefix=str(row[3]),
        scope=str(row[4]),  # type: ignore[arg-type]
        created_at=float(row[5]),  # type: ignore[arg-type]
        expires_at=None if row[6] is None else float(row[6]),  # type: ignore[arg-type]
        revoked_at=None if row[7] is None else float(row[7]),  # type: ignore[arg-type]
    )
