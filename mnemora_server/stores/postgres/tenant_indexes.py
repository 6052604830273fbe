"""HNSW indexes of their own for the largest tenants of the shared semantic table.

Every tenant's vectors sit in one table with one HNSW index. A small tenant's search is an
exact scan of its own rows (the planner sees the tenant and reads the b-tree on ``tenant_id``);
a tenant holding a large share of the table searches the shared graph with a tenant filter,
and there recall suffers: measured at 1M vectors (BENCHMARKS.md), a tenant holding 18% of
them got recall@10 0.93 with single queries at 0.0, at a p99 of 73 ms. With a partial index
over its own rows (``WHERE tenant_id = '<tenant>'``), the same queries got 0.994 (never below
0.9) at a p99 of 18 ms. The hardest size for the shared index is about 1% of the rows
(14K of 1M: p50 58 ms), hence the default threshold of 5,000 vectors. The planner picks such
an index by itself, because every search is planned for its tenant
(``plan_cache_mode = force_custom_plan``).

``mnemora-server index-tenants`` (run it from cron or after large imports) creates the
indexes of tenants above a size and drops those of tenants that shrank below half of it or
were erased. It needs the administrator's URL: the application role owns no table. Index
names carry a hash of the tenant id, not the id; the id itself appears only in the index
predicate, which is dropped with the index.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

INDEX_PREFIX = "semantic_hnsw_tenant_"
DEFAULT_MIN_VECTORS = 5_000


def index_name(tenant_id: str) -> str:
    """The name of a tenant's own index (a hash of its id: catalog listings show no ids)."""
    return INDEX_PREFIX + hashlib.sha256(tenant_id.encode()).hexdigest()[:20]


@dataclass
class TenantIndexReport:
    """What one run changed: tenant ids whose index was created, kept or dropped."""

    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    dropped: int = 0


class TenantIndexes:
    """Keeps one partial HNSW index per large tenant on the ``semantic`` table.

    Args:
        admin_url: A URL of the tables' owner (with ``BYPASSRLS``, or a superuser, so that it
            can read every tenant's totals).
    """

    def __init__(self, admin_url: str) -> None:
        self._admin_url = admin_url

    def sync(
        self, min_vectors: int = DEFAULT_MIN_VECTORS, *, build_memory: str = "1GB"
    ) -> TenantIndexReport:
        """Create the indexes of tenants with at least ``min_vectors`` live vectors; drop
        those of tenants below half of that (or gone). Builds run concurrently with traffic
        (``CREATE INDEX CONCURRENTLY``), one at a time."""
        import psycopg
        from psycopg import sql

        report = TenantIndexReport()
        with psycopg.connect(self._admin_url, autocommit=True) as conn:
            sizes = {
                row[0]: int(row[1])
                for row in conn.execute(
                    "SELECT tenant_id, SUM(vectors) FROM semantic_totals GROUP BY tenant_id"
                )
            }
            existing = {
                row[0]
                for row in conn.execute(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'semantic'"
                    " AND indexname LIKE %s",
                    (INDEX_PREFIX + "%",),
                )
            }
            keep = {index_name(t): t for t, n in sizes.items() if n >= min_vectors / 2}
            conn.execute(sql.SQL("SET maintenance_work_mem = {}").format(sql.Literal(build_memory)))
            for tenant_id, vectors in sorted(sizes.items(), key=lambda item: -item[1]):
                name = index_name(tenant_id)
                if name in existing and name in keep:
                    report.kept.append(tenant_id)
                elif name not in existing and vectors >= min_vectors:
                    conn.execute(
                        sql.SQL(
                            "CREATE INDEX CONCURRENTLY IF NOT EXISTS {} ON semantic"
                            " USING hnsw (embedding vector_cosine_ops) WHERE tenant_id = {}"
                        ).format(sql.Identifier(name), sql.Literal(tenant_id))
                    )
                    report.created.append(tenant_id)
            for name in sorted(existing - set(keep)):
                conn.execute(
                    sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(sql.Identifier(name))
                )
                report.dropped += 1
            if report.created:
                # Fresh statistics, so that the planner knows these tenants are large.
                conn.execute("ANALYZE semantic")
        return report
