"""Semantic memory on PostgreSQL + pgvector, under row-level security.

Vectors sit in one HNSW index (cosine) shared by all tenants; searches filter by tenant,
agent and namespace in the same query and use pgvector's iterative index scans, so a small
tenant in a large shared index still gets its full ``top_k``. Keywords use a generated
``tsvector`` with a GIN index. Duplicate checks and writes of one agent and namespace are
serialised with a transaction-scoped advisory lock, so concurrent identical writes from any
number of server processes keep one record.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from mnemora_server.errors import UnavailableError
from mnemora_server.stores.base import (
    BackedStore,
    Matcher,
    MemoryTotals,
    SemanticDraft,
    SemanticHit,
    SemanticRecord,
    SemanticWrite,
    SemanticWriteRules,
    StoreOptions,
    first_matching,
    keyword_fetch,
)
from mnemora_server.stores.base.keywords import query_terms
from mnemora_server.stores.postgres.database import PostgresDatabase
from mnemora_server.stores.postgres.semantic_schema import (
    COLUMNS,
    migrations,
    record_from_row,
    vector_literal,
)
from mnemora_server.stores.postgres.semantic_writes import (
    PostgresSemanticTransaction,
    lock_scopes,
    read_record,
)

_SCOPE = "(%s::text IS NULL OR agent_id = %s) AND (%s::text IS NULL OR namespace = %s)"
"""An optional agent and namespace condition (each parameter given twice)."""


@dataclass(frozen=True)
class VectorSearchTuning:
    """How a vector search uses the shared HNSW index.

    Attributes:
        ef_search: ``hnsw.ef_search``: the candidate list of one graph search.
        iterative_scan: ``hnsw.iterative_scan``: ``relaxed_order`` (default), ``strict_order``
            or ``off``; an iterative scan keeps searching until enough rows pass the tenant
            filter, so small tenants in a large index get their full ``top_k``.
        min_candidates: Rows fetched at least before the final sort (a relaxed-order scan
            returns nearly sorted rows, so a few times ``top_k`` are re-sorted).
    """

    ef_search: int = 200
    iterative_scan: Literal["relaxed_order", "strict_order", "off"] = "relaxed_order"
    min_candidates: int = 40


class PostgresSemanticStore(BackedStore):
    """:class:`~mnemora_server.stores.base.SemanticStore` on PostgreSQL + pgvector.

    Args:
        url: The application role's connection URL.
        dimension: The vector dimension (fixed by the first migration).
        admin_url: An administrator's URL for migrations.
        tuning: How searches use the HNSW index (defaults measured in BENCHMARKS.md).
    """

    def __init__(
        self,
        url: str,
        *,
        dimension: int,
        admin_url: str | None = None,
        tuning: VectorSearchTuning | None = None,
    ) -> None:
        self.dimension = dimension
        self.tuning = tuning or VectorSearchTuning()
        self.db = PostgresDatabase(url, "semantic", migrations(dimension), admin_url=admin_url)
        super().__init__(self.db)

    @classmethod
    def from_url(cls, url: str, options: StoreOptions) -> PostgresSemanticStore:
        """The store of a ``postgresql://`` URL (the application role's)."""
        return cls(url, dimension=options.dimension, admin_url=options.postgres_admin_url)

    def setup(self) -> None:
        """Create the role, table, indexes and policies (versioned); check the dimension."""
        self.db.setup()
        self._check_dimension()

    def check_health(self) -> None:
        """Raise ``UnavailableError`` unless PostgreSQL answers with the expected dimension."""
        self._check_dimension()

    def _check_dimension(self) -> None:
        with self.db.transaction(None) as cur:
            cur.execute(
                "SELECT atttypmod FROM pg_attribute WHERE attrelid = 'semantic'::regclass"
                " AND attname = 'embedding'"
            )
            stored = int(cur.fetchone()[0])
        if stored != self.dimension:
            raise UnavailableError(
                f"the vector store holds {stored}-d vectors but the embedder makes "
                f"{self.dimension}-d ones: use the same model, or a new database"
            )

    # -- writes ------------------------------------------------------------------------------

    def write(
        self,
        tenant_id: str,
        drafts: list[SemanticDraft],
        now: float,
        rules: SemanticWriteRules,
    ) -> list[SemanticWrite]:
        """Write drafts atomically, the rules deciding under advisory locks."""
        with self.db.transaction(tenant_id) as cur:
            lock_scopes(cur, tenant_id, {(d.agent_id, d.namespace) for d in drafts})
            return rules.apply(PostgresSemanticTransaction(cur, tenant_id, now), drafts)

    # -- reads -------------------------------------------------------------------------------

    def get(self, tenant_id: str, record_id: str) -> SemanticRecord | None:
        """A live record of the tenant, or ``None``."""
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                f"SELECT {COLUMNS} FROM semantic WHERE tenant_id = %s AND id = %s"  # noqa: S608
                " AND deleted_at IS NULL",
                (tenant_id, record_id),
            )
            row = cur.fetchone()
        return None if row is None else record_from_row(row)

    def list_memories(
        self,
        tenant_id: str,
        *,
        agent_id: str | None,
        namespace: str | None,
        limit: int,
        after: int | None,
    ) -> list[tuple[SemanticRecord, int]]:
        """Live records (chunks excluded) in insertion order, with positions."""
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                f"SELECT {COLUMNS}, pk FROM semantic WHERE tenant_id = %s"  # noqa: S608
                " AND (%s::text IS NULL OR agent_id = %s) AND (%s::text IS NULL OR namespace = %s)"
                " AND parent_id IS NULL AND deleted_at IS NULL AND pk > %s ORDER BY pk LIMIT %s",
                (tenant_id, agent_id, agent_id, namespace, namespace, after or 0, limit),
            )
            return [(record_from_row(row), int(row[-1])) for row in cur.fetchall()]

    def search_vector(
        self,
        tenant_id: str,
        query: Any,
        *,
        agent_id: str | None,
        namespace: str | None,
        matches: Matcher | None,
        limit: int,
        threshold: float,
    ) -> list[SemanticHit]:
        """Nearest neighbours by cosine similarity (HNSW with iterative scans), filtered."""
        vector = vector_literal(query)
        hits: list[SemanticHit] = []
        # A relaxed-order scan returns near-sorted candidates: take several times top_k and
        # re-sort, as pgvector recommends, so the true nearest are in the candidate set.
        fetch = max(limit * 4, self.tuning.min_candidates)
        if not np.any(np.asarray(query, dtype=np.float32)):
            # A query without direction is equally far from everything (cosine 0), as in the
            # embedded store; pgvector would answer NaN distances.
            return self._zero_query(tenant_id, agent_id, namespace, matches, limit, threshold)
        with self.db.transaction(tenant_id) as cur:
            # A custom plan per query: the planner sees the tenant, so a small tenant gets an
            # exact scan of its rows and a tenant with its own partial index gets that index
            # (a generic plan, which psycopg's prepared statements allow, knows neither).
            cur.execute(
                "SELECT set_config('hnsw.iterative_scan', %s, true),"
                " set_config('hnsw.ef_search', %s, true),"
                " set_config('plan_cache_mode', 'force_custom_plan', true)",
                (self.tuning.iterative_scan, str(self.tuning.ef_search)),
            )
            while True:
                cur.execute(
                    f"SELECT {COLUMNS}, 1 - (embedding <=> %s::vector) AS similarity"  # noqa: S608
                    " FROM semantic WHERE tenant_id = %s AND (%s::text IS NULL OR agent_id = %s)"
                    " AND (%s::text IS NULL OR namespace = %s) AND deleted_at IS NULL"
                    " AND embedding IS NOT NULL ORDER BY embedding <=> %s::vector LIMIT %s",
                    (vector, tenant_id, agent_id, agent_id, namespace, namespace, vector, fetch),
                )
                rows = cur.fetchall()
                hits = [
                    SemanticHit(record_from_row(row[:11]), float(row[11]))
                    for row in rows
                    if float(row[11]) >= threshold
                    and (matches is None or matches(json.loads(row[4])))
                ]
                if len(hits) >= limit or len(rows) < fetch:
                    break
                fetch *= 4
        hits.sort(key=lambda h: h.similarity or 0.0, reverse=True)
        return hits[:limit]

    def _zero_query(
        self,
        tenant_id: str,
        agent_id: str | None,
        namespace: str | None,
        matches: Matcher | None,
        limit: int,
        threshold: float,
    ) -> list[SemanticHit]:
        if threshold > 0:
            return []
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                f"SELECT {COLUMNS} FROM semantic WHERE tenant_id = %s"  # noqa: S608
                " AND (%s::text IS NULL OR agent_id = %s) AND (%s::text IS NULL OR namespace = %s)"
                " AND deleted_at IS NULL AND embedding IS NOT NULL ORDER BY pk",
                (tenant_id, agent_id, agent_id, namespace, namespace),
            )
            rows = cur.fetchall()
        hits = [
            SemanticHit(record_from_row(row), 0.0)
            for row in rows
            if matches is None or matches(json.loads(row[4]))
        ]
        return hits[:limit]

    def search_keyword(
        self,
        tenant_id: str,
        text: str,
        *,
        agent_id: str | None,
        namespace: str | None,
        matches: Matcher | None,
        limit: int,
        enough: int | None = None,
    ) -> list[SemanticHit]:
        """Records matching any meaningful word of ``text``, by ``ts_rank`` (every match is
        ranked, so ``enough`` changes nothing here)."""
        terms = query_terms(text)
        if not terms:
            return []
        tsquery = " | ".join("'" + t.replace("'", "''") + "'" for t in terms)
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                f"SELECT {COLUMNS}, ts_rank(tsv, q) FROM semantic,"  # noqa: S608
                " to_tsquery('simple', %s) q WHERE tenant_id = %s AND tsv @@ q"
                " AND deleted_at IS NULL AND NOT (parent_id IS NULL AND chunk_count IS NOT NULL)"
                " AND (%s::text IS NULL OR agent_id = %s) AND (%s::text IS NULL OR namespace = %s)"
                " ORDER BY ts_rank(tsv, q) DESC LIMIT %s",
                (
                    tsquery,
                    tenant_id,
                    agent_id,
                    agent_id,
                    namespace,
                    namespace,
                    keyword_fetch(limit, matches),
                ),
            )
            rows = cur.fetchall()
        hits = (
            SemanticHit(record_from_row(row[:11]), None, keyword_score=float(row[11]))
            for row in rows
        )
        return first_matching(hits, matches, limit)

    # -- changes, totals, export, erasure ----------------------------------------------------

    def update(
        self,
        tenant_id: str,
        record_id: str,
        now: float,
        *,
        metadata: dict[str, Any] | None,
        content: str | None = None,
        embedding: Any = None,
        chunks: tuple[tuple[str, Any], ...] = (),
    ) -> SemanticRecord | None:
        """Change a live record's metadata and/or content (with its new vectors)."""
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                f"SELECT {COLUMNS} FROM semantic WHERE tenant_id = %s AND id = %s"  # noqa: S608
                " AND deleted_at IS NULL AND parent_id IS NULL FOR UPDATE",
                (tenant_id, record_id),
            )
            row = cur.fetchone()
            if row is None:
                return None
            old = record_from_row(row)
            new_metadata = old.metadata if metadata is None else metadata
            if content is None:
                cur.execute(
                    "UPDATE semantic SET metadata = %s, updated_at = %s"
                    " WHERE tenant_id = %s AND (id = %s OR parent_id = %s)",
                    (json.dumps(new_metadata), now, tenant_id, record_id, record_id),
                )
            else:
                draft = SemanticDraft.revising(
                    old, content=content, metadata=metadata, embedding=embedding, chunks=chunks
                )
                tx = PostgresSemanticTransaction(cur, tenant_id, now)
                tx.put(record_id, draft, draft.metadata, old.created_at)
            return read_record(cur, tenant_id, record_id)

    def get_many(
        self,
        tenant_id: str,
        record_ids: list[str],
        *,
        agent_id: str | None = None,
        namespace: str | None = None,
    ) -> list[SemanticRecord]:
        """The live top-level records among ``record_ids`` (of one agent/namespace if given)."""
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                f"SELECT {COLUMNS} FROM semantic WHERE tenant_id = %s"  # noqa: S608
                f" AND {_SCOPE} AND parent_id IS NULL AND deleted_at IS NULL AND id = ANY(%s)",
                (tenant_id, agent_id, agent_id, namespace, namespace, list(record_ids)),
            )
            return [record_from_row(row) for row in cur.fetchall()]

    def soft_delete(
        self,
        tenant_id: str,
        record_ids: list[str] | None,
        now: float,
        *,
        agent_id: str | None = None,
        namespace: str | None = None,
        matches: Matcher | None = None,
    ) -> list[str]:
        """Hide live records and their chunks in one transaction (purge removes them)."""
        ids_given = record_ids is not None
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                "SELECT id, metadata FROM semantic WHERE tenant_id = %s"  # noqa: S608
                f" AND {_SCOPE} AND parent_id IS NULL AND deleted_at IS NULL"
                " AND (NOT %s OR id = ANY(%s)) ORDER BY pk FOR UPDATE",
                (
                    tenant_id,
                    agent_id,
                    agent_id,
                    namespace,
                    namespace,
                    ids_given,
                    list(record_ids or []),
                ),
            )
            found = [
                row[0] for row in cur.fetchall() if matches is None or matches(json.loads(row[1]))
            ]
            if found:
                cur.execute(
                    "UPDATE semantic SET deleted_at = %s WHERE tenant_id = %s"
                    " AND deleted_at IS NULL AND (id = ANY(%s) OR parent_id = ANY(%s))",
                    (now, tenant_id, found, found),
                )
        return found

    def adjacent(self, tenant_id: str, record_ids: list[str]) -> dict[str, list[SemanticRecord]]:
        """The live searchable records written just before and after each record."""
        if not record_ids:
            return {}
        searchable = "s.parent_id IS NULL AND s.deleted_at IS NULL AND s.embedding IS NOT NULL"
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                f"SELECT {', '.join('n.' + c.strip() for c in COLUMNS.split(','))}, h.id"  # noqa: S608
                " FROM semantic h LEFT JOIN LATERAL (SELECT s.pk FROM semantic s"
                " WHERE s.tenant_id = h.tenant_id AND s.agent_id = h.agent_id"
                f" AND s.namespace = h.namespace AND s.pk < h.pk AND {searchable}"
                " ORDER BY s.pk DESC LIMIT 1) b ON true"
                " LEFT JOIN LATERAL (SELECT s.pk FROM semantic s"
                " WHERE s.tenant_id = h.tenant_id AND s.agent_id = h.agent_id"
                f" AND s.namespace = h.namespace AND s.pk > h.pk AND {searchable}"
                " ORDER BY s.pk LIMIT 1) a ON true JOIN semantic n ON n.tenant_id = h.tenant_id"
                " AND n.pk IN (b.pk, a.pk) WHERE h.tenant_id = %s AND h.parent_id IS NULL"
                " AND h.deleted_at IS NULL AND h.id = ANY(%s) ORDER BY h.id, n.pk",
                (tenant_id, list(dict.fromkeys(record_ids))),
            )
            rows = cur.fetchall()
        found: dict[str, list[SemanticRecord]] = {}
        for row in rows:
            found.setdefault(row[-1], []).append(record_from_row(row[:-1]))
        return found

    def vectors(self, tenant_id: str, record_ids: list[str]) -> dict[str, list[float]]:
        """The stored vectors of live records (or chunks) by id."""
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                "SELECT id, embedding::text FROM semantic WHERE tenant_id = %s"
                " AND deleted_at IS NULL AND embedding IS NOT NULL AND id = ANY(%s)",
                (tenant_id, list(record_ids)),
            )
            return {row[0]: json.loads(row[1]) for row in cur.fetchall()}

    def totals(self, tenant_id: str) -> MemoryTotals:
        """The tenant's live records, vectors and bytes, and its agents (kept by a trigger)."""
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                "SELECT COALESCE(SUM(records), 0), COALESCE(SUM(vectors), 0),"
                " COALESCE(SUM(bytes), 0), COUNT(*) FROM semantic_totals WHERE tenant_id = %s",
                (tenant_id,),
            )
            row = cur.fetchone()
        return MemoryTotals(
            records=int(row[0]), vectors=int(row[1]), bytes=int(row[2]), agents=int(row[3])
        )

    def agent_counts(self, tenant_id: str, now: float) -> dict[str, int]:
        """Live records (kept by a trigger), per agent."""
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                "SELECT agent_id, records FROM semantic_totals WHERE tenant_id = %s",
                (tenant_id,),
            )
            rows = cur.fetchall()
        return {agent: int(count) for agent, count in rows if count}

    def export(self, tenant_id: str, agent_id: str | None) -> Iterator[SemanticRecord]:
        """Every record (live or soft-deleted), with embeddings, in insertion order."""
        after = 0
        while True:
            with self.db.transaction(tenant_id) as cur:
                cur.execute(
                    f"SELECT {COLUMNS}, embedding::text, pk FROM semantic"  # noqa: S608
                    " WHERE tenant_id = %s AND (%s::text IS NULL OR agent_id = %s) AND pk > %s"
                    " ORDER BY pk LIMIT 500",
                    (tenant_id, agent_id, agent_id, after),
                )
                rows = cur.fetchall()
            if not rows:
                return
            for row in rows:
                vector = None if row[11] is None else json.loads(row[11])
                yield record_from_row(row[:11], vector)
            after = rows[-1][-1]

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Remove every row of the agent; return records removed (chunks not counted)."""
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                "DELETE FROM semantic WHERE tenant_id = %s AND agent_id = %s RETURNING parent_id",
                (tenant_id, agent_id),
            )
            removed = sum(1 for row in cur.fetchall() if row[0] is None)
            cur.execute(
                "DELETE FROM semantic_totals WHERE tenant_id = %s AND agent_id = %s",
                (tenant_id, agent_id),
            )
            return removed

    def purge_tenant(self, tenant_id: str) -> int:
        """Remove every row of the tenant."""
        with self.db.transaction(tenant_id) as cur:
            cur.execute(
                "DELETE FROM semantic WHERE tenant_id = %s RETURNING parent_id", (tenant_id,)
            )
            removed = sum(1 for row in cur.fetchall() if row[0] is None)
            cur.execute("DELETE FROM semantic_totals WHERE tenant_id = %s", (tenant_id,))
            return removed
