"""Long-term store items on SQLite, searched by meaning with the in-process vector index.

A namespace gets a sequence number when its first item arrives and loses it with its last, so
listings run in the order namespaces were (re)created, then by each item's first write (an
update keeps an item's place; a delete and a new put moves it to the end). Every vector change
takes a value of the change sequence, which is how each process's index learns of it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mnemora_server.stores.base import BackedStore, StoreOptions
from mnemora_server.stores.base.items import (
    ItemTotals,
    ItemWrite,
    Namespace,
    RankedItem,
    StoredItem,
    join_namespace,
    split_namespace,
)
from mnemora_server.stores.sqlite.database import SqliteDatabase, sqlite_path_from_url
from mnemora_server.stores.sqlite.items_schema import MIGRATIONS
from mnemora_server.stores.sqlite.vector_index import VectorIndex, VectorTables

_COLUMNS = "namespace, key, value, created_at, updated_at, expires_at, ttl_minutes"
_LIVE = "(expires_at IS NULL OR expires_at > ?)"
# A namespace under a prefix (whole labels: "a" holds "a" and "a.b", never "ab").
_UNDER = "(? = '' OR i.namespace = ? OR substr(i.namespace, 1, length(?) + 1) = ? || '.')"


def _item(row: Sequence[Any]) -> StoredItem:
    return StoredItem(split_namespace(row[0]), row[1], json.loads(row[2]), *row[3:7])


def _next_seq(conn: sqlite3.Connection) -> int:
    return int(
        conn.execute("UPDATE item_sequence SET value = value + 1 RETURNING value").fetchone()[0]
    )


class SqliteItemStore(BackedStore):
    """:class:`~mnemora_server.stores.base.ItemStore` on a SQLite file."""

    def __init__(
        self,
        path: Path,
        *,
        dimension: int,
        busy_timeout: float = 10.0,
        index_bytes: int = 2 * 1024**3,
    ) -> None:
        self.dimension = dimension
        self.db = SqliteDatabase(path, MIGRATIONS, synchronous="FULL", busy_timeout=busy_timeout)
        tables = VectorTables("item_vectors", "item_partitions")
        self.index = VectorIndex(dimension, max_bytes=index_bytes, tables=tables)
        super().__init__(self.db)

    @classmethod
    def from_url(cls, url: str, options: StoreOptions) -> SqliteItemStore:
        """The store of a ``sqlite:///path`` URL."""
        return cls(
            sqlite_path_from_url(url),
            dimension=options.dimension,
            busy_timeout=options.busy_timeout,
            index_bytes=options.vector_index_bytes,
        )

    # -- reads -------------------------------------------------------------------------------

    def get(
        self, tenant_id: str, agent_id: str, items: list[tuple[Namespace, str]], now: float
    ) -> dict[tuple[Namespace, str], StoredItem]:
        """The live items among the pairs asked for."""
        found: dict[tuple[Namespace, str], StoredItem] = {}
        with self.db.read() as conn:
            for namespace, key in items:
                row = conn.execute(
                    f"SELECT {_COLUMNS} FROM items WHERE tenant_id = ? AND agent_id = ?"  # noqa: S608
                    f" AND namespace = ? AND key = ? AND {_LIVE}",
                    (tenant_id, agent_id, join_namespace(namespace), key, now),
                ).fetchone()
                if row is not None:
                    found[(namespace, key)] = _item(row)
        return found

    def scan(
        self, tenant_id: str, agent_id: str, prefix: Namespace, now: float
    ) -> Iterator[StoredItem]:
        """Live items under ``prefix`` in listing order, read in pages."""
        return self._scan(tenant_id, agent_id, prefix, now, unindexed=False)

    def unindexed(
        self, tenant_id: str, agent_id: str, prefix: Namespace, now: float
    ) -> Iterator[StoredItem]:
        """Live items under ``prefix`` without any vector, in listing order."""
        return self._scan(tenant_id, agent_id, prefix, now, unindexed=True)

    def _scan(
        self, tenant_id: str, agent_id: str, prefix: Namespace, now: float, *, unindexed: bool
    ) -> Iterator[StoredItem]:
        under = join_namespace(prefix)
        after = (-1, -1)
        while True:
            with self.db.read() as conn:
                rows = conn.execute(
                    "SELECT i.namespace, i.key, i.value, i.created_at, i.updated_at,"  # noqa: S608
                    " i.expires_at, i.ttl_minutes, n.seq, i.pk FROM items i JOIN item_namespaces n"
                    " ON n.tenant_id = i.tenant_id AND n.agent_id = i.agent_id"
                    " AND n.namespace = i.namespace WHERE i.tenant_id = ? AND i.agent_id = ?"
                    f" AND {_UNDER}"
                    " AND (i.expires_at IS NULL OR i.expires_at > ?) AND (n.seq, i.pk) > (?, ?)"
                    " AND (NOT ? OR NOT EXISTS (SELECT 1 FROM item_vectors v"
                    " WHERE v.tenant_id = i.tenant_id AND v.agent_id = i.agent_id"
                    " AND v.namespace = i.namespace AND v.item_key = i.key"
                    " AND v.deleted_at IS NULL))"
                    " ORDER BY n.seq, i.pk LIMIT 500",
                    (tenant_id, agent_id, under, under, under, under, now, *after, unindexed),
                ).fetchall()
            yield from (_item(row) for row in rows)
            if len(rows) < 500:
                return
            after = (rows[-1][7], rows[-1][8])

    def rank(
        self,
        tenant_id: str,
        agent_id: str,
        prefix: Namespace,
        vector: Any,
        now: float,
        limit: int,
    ) -> list[RankedItem]:
        """The live items under ``prefix`` with the best field scores, best first."""
        under = join_namespace(prefix)

        def inside(metadata: Any) -> bool:
            stored = metadata["ns"]
            return not under or stored == under or stored.startswith(under + ".")

        query = np.asarray(vector, dtype=np.float32)
        want = max(limit * 2, 16)
        while True:
            with self.db.read() as conn:
                conn.execute("BEGIN")  # one snapshot for the index and the item reads
                try:
                    matches = self.index.search(
                        conn,
                        tenant_id,
                        [agent_id],
                        query,
                        namespace=None,
                        matches=inside,
                        limit=want,
                        threshold=-1.0,
                    )
                    ranked = self._live_ranked(conn, tenant_id, agent_id, matches, now)
                finally:
                    conn.execute("COMMIT")
            if len(ranked) >= limit or len(matches) < want:
                return ranked[:limit]
            want *= 4

    @staticmethod
    def _live_ranked(
        conn: sqlite3.Connection, tenant_id: str, agent_id: str, matches: Any, now: float
    ) -> list[RankedItem]:
        best: dict[tuple[str, str], float] = {}
        for match in matches:  # best first: an item's first match is its best field
            namespace, key, _ = match.record_id.split("\x1f", 2)
            best.setdefault((namespace, key), match.similarity)
        ranked = []
        for (namespace, key), score in best.items():
            live = conn.execute(
                "SELECT 1 FROM items WHERE tenant_id = ? AND agent_id = ? AND namespace = ?"
                " AND key = ? AND (expires_at IS NULL OR expires_at > ?)",
                (tenant_id, agent_id, namespace, key, now),
            ).fetchone()
            if live is not None:
                ranked.append(RankedItem(split_namespace(namespace), key, score))
        return ranked

    def namespaces(self, tenant_id: str, agent_id: str, now: float) -> list[Namespace]:
        """Every namespace holding a live item."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT DISTINCT namespace FROM items WHERE tenant_id = ? AND agent_id = ?"
                " AND (expires_at IS NULL OR expires_at > ?)",
                (tenant_id, agent_id, now),
            ).fetchall()
        return [split_namespace(row[0]) for row in rows]

    # -- writes ------------------------------------------------------------------------------

    def apply(
        self,
        tenant_id: str,
        agent_id: str,
        writes: list[ItemWrite],
        refresh: list[tuple[Namespace, str]],
        now: float,
    ) -> None:
        """Puts, deletes and TTL refreshes in one transaction; expired items go on the way."""
        try:
            with self.db.write() as conn:
                self._touch_partition(conn, tenant_id, agent_id)
                expired = conn.execute(
                    "SELECT namespace, key FROM items WHERE tenant_id = ? AND agent_id = ?"
                    " AND expires_at IS NOT NULL AND expires_at <= ?",
                    (tenant_id, agent_id, now),
                ).fetchall()
                for namespace, key in expired:
                    self._delete(conn, tenant_id, agent_id, namespace, key, now)
                for write in writes:
                    if write.value is None:
                        self._delete(
                            conn,
                            tenant_id,
                            agent_id,
                            join_namespace(write.namespace),
                            write.key,
                            now,
                        )
                    else:
                        self._put(conn, tenant_id, agent_id, write, now)
                for namespace, key in refresh:
                    conn.execute(
                        "UPDATE items SET expires_at = ? + ttl_minutes * 60 WHERE tenant_id = ?"
                        " AND agent_id = ? AND namespace = ? AND key = ?"
                        " AND ttl_minutes IS NOT NULL",
                        (now, tenant_id, agent_id, join_namespace(namespace), key),
                    )
        except BaseException:
            self.index.drop(tenant_id, agent_id)
            raise

    def _touch_partition(self, conn: sqlite3.Connection, tenant_id: str, agent_id: str) -> None:
        exists = conn.execute(
            "SELECT 1 FROM item_partitions WHERE tenant_id = ? AND agent_id = ?",
            (tenant_id, agent_id),
        ).fetchone()
        if exists is None:
            conn.execute(
                "INSERT INTO item_partitions (tenant_id, agent_id, generation) VALUES (?, ?, ?)",
                (tenant_id, agent_id, _next_seq(conn)),
            )

    def _put(
        self, conn: sqlite3.Connection, tenant_id: str, agent_id: str, write: ItemWrite, now: float
    ) -> None:
        namespace = join_namespace(write.namespace)
        conn.execute(
            "INSERT INTO item_namespaces (tenant_id, agent_id, namespace, seq) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (tenant_id, agent_id, namespace, _next_seq(conn)),
        )
        expires = None if write.ttl_minutes is None else now + write.ttl_minutes * 60
        conn.execute(
            "INSERT INTO items (tenant_id, agent_id, namespace, key, value, created_at,"
            " updated_at, expires_at, ttl_minutes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (tenant_id, agent_id, namespace, key) DO UPDATE SET"
            " value = excluded.value, updated_at = excluded.updated_at,"
            " expires_at = excluded.expires_at, ttl_minutes = excluded.ttl_minutes,"
            " created_at = CASE WHEN ? THEN excluded.created_at ELSE created_at END",
            (
                tenant_id,
                agent_id,
                namespace,
                write.key,
                json.dumps(write.value),
                write.created_at or now,
                now,
                expires,
                write.ttl_minutes,
                write.created_at is not None,
            ),
        )
        self._retire_vectors(conn, tenant_id, agent_id, namespace, write.key, now)
        for field, vector in write.vectors:
            conn.execute(
                "INSERT INTO item_vectors (tenant_id, agent_id, id, namespace, item_key, field,"
                " metadata, embedding, deleted_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)"
                " ON CONFLICT (tenant_id, agent_id, id) DO UPDATE SET"
                " embedding = excluded.embedding, deleted_at = NULL, seq = excluded.seq",
                (
                    tenant_id,
                    agent_id,
                    f"{namespace}\x1f{write.key}\x1f{field}",
                    namespace,
                    write.key,
                    field,
                    json.dumps({"ns": namespace}),
                    np.asarray(vector, dtype=np.float32).tobytes(),
                    _next_seq(conn),
                ),
            )

    def _delete(
        self,
        conn: sqlite3.Connection,
        tenant_id: str,
        agent_id: str,
        namespace: str,
        key: str,
        now: float,
    ) -> None:
        removed = conn.execute(
            "DELETE FROM items WHERE tenant_id = ? AND agent_id = ? AND namespace = ? AND key = ?",
            (tenant_id, agent_id, namespace, key),
        ).rowcount
        if not removed:
            return
        self._retire_vectors(conn, tenant_id, agent_id, namespace, key, now)
        conn.execute(
            "DELETE FROM item_namespaces WHERE tenant_id = ? AND agent_id = ? AND namespace = ?"
            " AND NOT EXISTS (SELECT 1 FROM items WHERE tenant_id = ? AND agent_id = ?"
            " AND namespace = ?)",
            (tenant_id, agent_id, namespace, tenant_id, agent_id, namespace),
        )

    @staticmethod
    def _retire_vectors(
        conn: sqlite3.Connection,
        tenant_id: str,
        agent_id: str,
        namespace: str,
        key: str,
        now: float,
    ) -> None:
        rows = conn.execute(
            "SELECT pk FROM item_vectors WHERE tenant_id = ? AND agent_id = ? AND namespace = ?"
            " AND item_key = ? AND deleted_at IS NULL",
            (tenant_id, agent_id, namespace, key),
        ).fetchall()
        for (pk,) in rows:
            conn.execute(
                "UPDATE item_vectors SET deleted_at = ?, embedding = NULL, seq = ? WHERE pk = ?",
                (now, _next_seq(conn), pk),
            )

    # -- totals, export, erasure -------------------------------------------------------------

    def totals(self, tenant_id: str, now: float) -> ItemTotals:
        """The tenant's items and bytes (kept by triggers) and indexed fields."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT COALESCE(SUM(items), 0), COALESCE(SUM(bytes), 0) FROM item_totals"
                " WHERE tenant_id = ?",
                (tenant_id,),
            ).fetchone()
            vectors = conn.execute(
                "SELECT COUNT(*) FROM item_vectors WHERE tenant_id = ? AND deleted_at IS NULL",
                (tenant_id,),
            ).fetchone()[0]
        return ItemTotals(items=int(row[0]), bytes=int(row[1]), vectors=int(vectors))

    def agent_counts(self, tenant_id: str, now: float) -> dict[str, int]:
        """Items (kept by triggers), per agent."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT agent_id, items FROM item_totals WHERE tenant_id = ?",
                (tenant_id,),
            ).fetchall()
        return {agent: int(count) for agent, count in rows if count}

    def export(
        self, tenant_id: str, agent_id: str | None
    ) -> Iterator[tuple[str, StoredItem, list[tuple[str, list[float]]]]]:
        """Every item with its vectors, in listing order per agent."""
        with self.db.read() as conn:
            agents = [
                row[0]
                for row in conn.execute(
                    "SELECT DISTINCT agent_id FROM items WHERE tenant_id = ?"
                    " AND (? IS NULL OR agent_id = ?) ORDER BY agent_id",
                    (tenant_id, agent_id, agent_id),
                )
            ]
        for agent in agents:
            for item in self.scan(tenant_id, agent, (), 0.0):
                with self.db.read() as conn:
                    rows = conn.execute(
                        "SELECT field, embedding FROM item_vectors WHERE tenant_id = ?"
                        " AND agent_id = ? AND namespace = ? AND item_key = ?"
                        " AND deleted_at IS NULL ORDER BY field",
                        (tenant_id, agent, join_namespace(item.namespace), item.key),
                    ).fetchall()
                vectors = [(f, np.frombuffer(e, np.float32).tolist()) for f, e in rows]
                yield agent, item, vectors

    def _purge(self, tenant_id: str, agent_id: str | None) -> int:
        scope = (tenant_id, agent_id, agent_id)
        with self.db.write() as conn:
            removed = conn.execute(
                "DELETE FROM items WHERE tenant_id = ? AND (? IS NULL OR agent_id = ?)", scope
            ).rowcount
            for table in ("item_vectors", "item_namespaces", "item_partitions", "item_totals"):
                conn.execute(
                    f"DELETE FROM {table} WHERE tenant_id = ? AND (? IS NULL OR agent_id = ?)",  # noqa: S608
                    scope,
                )
        self.index.drop(tenant_id, agent_id)
        return int(removed)

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Remove every item of the agent (the index partition is rebuilt everywhere)."""
        return self._purge(tenant_id, agent_id)

    def purge_tenant(self, tenant_id: str) -> int:
        """Remove every item of the tenant."""
        return self._purge(tenant_id, None)
