"""Long-term store items on PostgreSQL + pgvector, under row-level security.

Items, the order namespaces were created in, and each indexed field's vector live in three
tables with the tenant policy. A search by meaning ranks an agent's fields exactly (the
agent's rows, scored by cosine distance, best field per item): an agent's store is small
enough that an approximate index would only cost recall.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

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
from mnemora_server.stores.postgres.database import PostgresDatabase
from mnemora_server.stores.postgres.items_schema import migrations
from mnemora_server.stores.postgres.semantic_schema import vector_literal

_COLUMNS = "namespace, key, value, created_at, updated_at, expires_at, ttl_minutes"
# A namespace under a prefix (whole labels: "a" holds "a" and "a.b", never "ab"), over the
# namespace column of a table aliased ``t``.
_UNDER = (
    "(%(under)s = '' OR t.namespace = %(under)s"
    " OR left(t.namespace, length(%(under)s) + 1) = %(under)s || '.')"
)


def _item(row: Sequence[Any]) -> StoredItem:
    return StoredItem(split_namespace(row[0]), row[1], json.loads(row[2]), *row[3:7])


class PostgresItemStore(BackedStore):
    """:class:`~mnemora_server.stores.base.ItemStore` on PostgreSQL.

    Args:
        url: The application role's connection URL.
        dimension: The vector dimension (fixed by the first migration).
        admin_url: An administrator's URL for migrations.
    """

    def __init__(self, url: str, *, dimension: int, admin_url: str | None = None) -> None:
        self.dimension = dimension
        self.db = PostgresDatabase(url, "items", migrations(dimension), admin_url=admin_url)
        super().__init__(self.db)

    @classmethod
    def from_url(cls, url: str, options: StoreOptions) -> PostgresItemStore:
        """The store of a ``postgresql://`` URL (the application role's)."""
        return cls(url, dimension=options.dimension, admin_url=options.postgres_admin_url)

    # -- reads -------------------------------------------------------------------------------

    def get(
        self, tenant_id: str, agent_id: str, items: list[tuple[Namespace, str]], now: float
    ) -> dict[tuple[Namespace, str], StoredItem]:
        """The live items among the pairs asked for."""
        if not items:
            return {}
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                f"SELECT {_COLUMNS} FROM items WHERE tenant_id = %s AND agent_id = %s"  # noqa: S608
                " AND (namespace, key) IN (SELECT * FROM unnest(%s::text[], %s::text[]))"
                " AND (expires_at IS NULL OR expires_at > %s)",
                (
                    tenant_id,
                    agent_id,
                    [join_namespace(ns) for ns, _ in items],
                    [key for _, key in items],
                    now,
                ),
            )
            found = [_item(row) for row in cur.fetchall()]
        return {(item.namespace, item.key): item for item in found}

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
        after = (-1, -1)
        params: dict[str, Any] = {
            "tenant": tenant_id,
            "agent": agent_id,
            "under": join_namespace(prefix),
            "now": now,
            "unindexed": unindexed,
        }
        while True:
            with self.db.transaction(tenant_id) as cur:
                cur.execute(
                    "SELECT i.namespace, i.key, i.value, i.created_at, i.updated_at,"  # noqa: S608
                    " i.expires_at, i.ttl_minutes, n.seq, i.pk FROM items i JOIN item_namespaces n"
                    " ON n.tenant_id = i.tenant_id AND n.agent_id = i.agent_id"
                    " AND n.namespace = i.namespace CROSS JOIN LATERAL (SELECT i.namespace) t"
                    f" WHERE i.tenant_id = %(tenant)s AND i.agent_id = %(agent)s AND {_UNDER}"
                    " AND (i.expires_at IS NULL OR i.expires_at > %(now)s)"
                    " AND (n.seq, i.pk) > (%(seq)s, %(pk)s)"
                    " AND (NOT %(unindexed)s OR NOT EXISTS (SELECT 1 FROM item_vectors v"
                    " WHERE v.tenant_id = i.tenant_id AND v.agent_id = i.agent_id"
                    " AND v.namespace = i.namespace AND v.item_key = i.key))"
                    " ORDER BY n.seq, i.pk LIMIT 500",
                    {**params, "seq": after[0], "pk": after[1]},
                )
                rows = cur.fetchall()
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
        """The live items under ``prefix`` with the best field scores (exact), best first."""
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                "SELECT v.namespace, v.item_key, MAX(1 - (v.embedding <=> %(q)s::vector)) AS score"  # noqa: S608
                " FROM item_vectors v JOIN items i ON i.tenant_id = v.tenant_id"
                " AND i.agent_id = v.agent_id AND i.namespace = v.namespace AND i.key = v.item_key"
                " CROSS JOIN LATERAL (SELECT v.namespace) t"
                f" WHERE v.tenant_id = %(tenant)s AND v.agent_id = %(agent)s AND {_UNDER}"
                " AND (i.expires_at IS NULL OR i.expires_at > %(now)s)"
                " GROUP BY v.namespace, v.item_key ORDER BY score DESC, v.namespace, v.item_key"
                " LIMIT %(limit)s",
                {
                    "q": vector_literal(vector),
                    "tenant": tenant_id,
                    "agent": agent_id,
                    "under": join_namespace(prefix),
                    "now": now,
                    "limit": limit,
                },
            )
            rows = cur.fetchall()
        return [RankedItem(split_namespace(row[0]), row[1], float(row[2])) for row in rows]

    def namespaces(self, tenant_id: str, agent_id: str, now: float) -> list[Namespace]:
        """Every namespace holding a live item."""
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                "SELECT DISTINCT namespace FROM items WHERE tenant_id = %s AND agent_id = %s"
                " AND (expires_at IS NULL OR expires_at > %s)",
                (tenant_id, agent_id, now),
            )
            return [split_namespace(row[0]) for row in cur.fetchall()]

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
        with self.db.transaction(tenant_id) as cur:
            # Writers of one agent take turns, so namespace order and vectors stay consistent.
            cur.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"items#{tenant_id}#{agent_id}",)
            )
            cur.execute(
                "SELECT namespace, key FROM items WHERE tenant_id = %s AND agent_id = %s"
                " AND expires_at IS NOT NULL AND expires_at <= %s",
                (tenant_id, agent_id, now),
            )
            for namespace, key in cur.fetchall():
                self._delete(cur, tenant_id, agent_id, namespace, key)
            for write in writes:
                if write.value is None:
                    self._delete(
                        cur, tenant_id, agent_id, join_namespace(write.namespace), write.key
                    )
                else:
                    self._put(cur, tenant_id, agent_id, write, now)
            for namespace, key in refresh:
                cur.execute(
                    "UPDATE items SET expires_at = %s + ttl_minutes * 60 WHERE tenant_id = %s"
                    " AND agent_id = %s AND namespace = %s AND key = %s"
                    " AND ttl_minutes IS NOT NULL",
                    (now, tenant_id, agent_id, join_namespace(namespace), key),
                )

    @staticmethod
    def _put(cur: Any, tenant_id: str, agent_id: str, write: ItemWrite, now: float) -> None:
        namespace = join_namespace(write.namespace)
        cur.execute(
            "INSERT INTO item_namespaces (tenant_id, agent_id, namespace)"
            " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            (tenant_id, agent_id, namespace),
        )
        expires = None if write.ttl_minutes is None else now + write.ttl_minutes * 60
        cur.execute(
            "INSERT INTO items (tenant_id, agent_id, namespace, key, value, created_at,"
            " updated_at, expires_at, ttl_minutes) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (tenant_id, agent_id, namespace, key) DO UPDATE SET"
            " value = EXCLUDED.value, updated_at = EXCLUDED.updated_at,"
            " expires_at = EXCLUDED.expires_at, ttl_minutes = EXCLUDED.ttl_minutes,"
            " created_at = CASE WHEN %s THEN EXCLUDED.created_at ELSE items.created_at END",
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
        cur.execute(
            "DELETE FROM item_vectors WHERE tenant_id = %s AND agent_id = %s"
            " AND namespace = %s AND item_key = %s",
            (tenant_id, agent_id, namespace, write.key),
        )
        for field, vector in write.vectors:
            cur.execute(
                "INSERT INTO item_vectors (tenant_id, agent_id, namespace, item_key, field,"
                " embedding) VALUES (%s, %s, %s, %s, %s, %s::vector)",
                (tenant_id, agent_id, namespace, write.key, field, vector_literal(vector)),
            )

    @staticmethod
    def _delete(cur: Any, tenant_id: str, agent_id: str, namespace: str, key: str) -> None:
        scope = (tenant_id, agent_id, namespace)
        cur.execute(
            "DELETE FROM items WHERE tenant_id = %s AND agent_id = %s AND namespace = %s"
            " AND key = %s",
            (*scope, key),
        )
        cur.execute(
            "DELETE FROM item_vectors WHERE tenant_id = %s AND agent_id = %s AND namespace = %s"
            " AND item_key = %s",
            (*scope, key),
        )
        cur.execute(
            "DELETE FROM item_namespaces WHERE tenant_id = %s AND agent_id = %s"
            " AND namespace = %s AND NOT EXISTS (SELECT 1 FROM items WHERE tenant_id = %s"
            " AND agent_id = %s AND namespace = %s)",
            (*scope, *scope),
        )

    # -- totals, export, erasure -------------------------------------------------------------

    def totals(self, tenant_id: str, now: float) -> ItemTotals:
        """The tenant's items and bytes (kept by a trigger) and indexed fields."""
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                "SELECT COALESCE(SUM(items), 0), COALESCE(SUM(bytes), 0) FROM item_totals"
                " WHERE tenant_id = %s",
                (tenant_id,),
            )
            row = cur.fetchone()
            cur.execute("SELECT COUNT(*) FROM item_vectors WHERE tenant_id = %s", (tenant_id,))
            vectors = cur.fetchone()[0]
        return ItemTotals(items=int(row[0]), bytes=int(row[1]), vectors=int(vectors))

    def agent_counts(self, tenant_id: str, now: float) -> dict[str, int]:
        """Items (kept by a trigger), per agent."""
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                "SELECT agent_id, items FROM item_totals WHERE tenant_id = %s",
                (tenant_id,),
            )
            rows = cur.fetchall()
        return {agent: int(count) for agent, count in rows if count}

    def export(
        self, tenant_id: str, agent_id: str | None
    ) -> Iterator[tuple[str, StoredItem, list[tuple[str, list[float]]]]]:
        """Every item with its vectors, in listing order per agent."""
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                "SELECT DISTINCT agent_id FROM items WHERE tenant_id = %s"
                " AND (%s::text IS NULL OR agent_id = %s) ORDER BY agent_id",
                (tenant_id, agent_id, agent_id),
            )
            agents = [row[0] for row in cur.fetchall()]
        for agent in agents:
            for item in self.scan(tenant_id, agent, (), 0.0):
                with self.db.transaction(tenant_id) as cur:
                    cur.execute(
                        "SELECT field, embedding::text FROM item_vectors WHERE tenant_id = %s"
                        " AND agent_id = %s AND namespace = %s AND item_key = %s ORDER BY field",
                        (tenant_id, agent, join_namespace(item.namespace), item.key),
                    )
                    vectors = [(f, json.loads(v)) for f, v in cur.fetchall()]
                yield agent, item, vectors

    def _purge(self, tenant_id: str, agent_id: str | None) -> int:
        scope = (tenant_id, agent_id, agent_id)
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                "DELETE FROM item_vectors WHERE tenant_id = %s"
                " AND (%s::text IS NULL OR agent_id = %s)",
                scope,
            )
            cur.execute(
                "DELETE FROM items WHERE tenant_id = %s AND (%s::text IS NULL OR agent_id = %s)",
                scope,
            )
            removed = int(cur.rowcount)
            cur.execute(
                "DELETE FROM item_namespaces WHERE tenant_id = %s"
                " AND (%s::text IS NULL OR agent_id = %s)",
                scope,
            )
            cur.execute(
                "DELETE FROM item_totals WHERE tenant_id = %s"
                " AND (%s::text IS NULL OR agent_id = %s)",
                scope,
            )
        return removed

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Remove every item of the agent."""
        return self._purge(tenant_id, agent_id)

    def purge_tenant(self, tenant_id: str) -> int:
        """Remove every item of the tenant."""
        return self._purge(tenant_id, None)
