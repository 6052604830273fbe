"""The primitives a semantic write rule uses on PostgreSQL, inside one transaction.

The transaction first takes an advisory lock per agent and namespace it writes to (sorted, so
two writers never wait for each other in a cycle); every other writer of those in any server
process waits for it, so duplicate checks and inserts cannot interleave.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from mnemora_server.stores.base import (
    SemanticDraft,
    SemanticRecord,
    SemanticRow,
    content_hash,
)
from mnemora_server.stores.postgres.semantic_schema import COLUMNS, record_from_row, vector_literal

SCAN_ONCE_FROM = 8
"""Drafts from which :meth:`PostgresSemanticTransaction.nearest_many` reads the scope's
vectors once instead of searching them once per draft."""


def lock_scopes(cur: Any, tenant_id: str, scopes: set[tuple[str, str]]) -> None:
    """Take the transaction's advisory locks on ``(agent_id, namespace)`` scopes."""
    for agent_id, namespace in sorted(scopes):
        cur.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{tenant_id}#{agent_id}#{namespace}",)
        )


def read_record(cur: Any, tenant_id: str, record_id: str) -> SemanticRecord | None:
    """A row of the tenant by id, soft-deleted or not, or ``None``."""
    cur.execute(
        f"SELECT {COLUMNS} FROM semantic WHERE tenant_id = %s AND id = %s",  # noqa: S608
        (tenant_id, record_id),
    )
    row = cur.fetchone()
    return None if row is None else record_from_row(row)


class PostgresSemanticTransaction:
    """:class:`~mnemora_server.stores.base.SemanticTransaction` over one PostgreSQL transaction
    of one tenant (under row-level security for that tenant).

    Args:
        cur: A cursor in a transaction that holds the scopes' advisory locks.
        tenant_id: The tenant.
        now: The time of the write.
    """

    def __init__(self, cur: Any, tenant_id: str, now: float) -> None:
        self.cur = cur
        self.now = now
        self._tenant = tenant_id

    def find(self, record_id: str) -> SemanticRecord | None:
        """The record (not a chunk) with this id, soft-deleted or not."""
        record = read_record(self.cur, self._tenant, record_id)
        return record if record is not None and record.parent_id is None else None

    def with_content(self, agent_id: str, namespace: str, digest: str) -> str | None:
        """A live record of the agent and namespace with this content hash."""
        self.cur.execute(
            "SELECT id FROM semantic WHERE tenant_id = %s AND agent_id = %s AND namespace = %s"
            " AND content_hash = %s AND parent_id IS NULL AND deleted_at IS NULL LIMIT 1",
            (self._tenant, agent_id, namespace, digest),
        )
        row = self.cur.fetchone()
        return None if row is None else str(row[0])

    def nearest(self, agent_id: str, namespace: str, vector: Any) -> tuple[str, float] | None:
        """The record with the nearest live vector in the agent and namespace.

        ``+ 0`` keeps the planner off the HNSW index: this must be exact.
        """
        literal = vector_literal(vector)
        self.cur.execute(
            "SELECT COALESCE(parent_id, id), 1 - (embedding <=> %s::vector) FROM semantic"
            " WHERE tenant_id = %s AND agent_id = %s AND namespace = %s"
            " AND embedding IS NOT NULL AND deleted_at IS NULL"
            " ORDER BY (embedding <=> %s::vector) + 0 LIMIT 1",
            (literal, self._tenant, agent_id, namespace, literal),
        )
        row = self.cur.fetchone()
        return None if row is None else (str(row[0]), float(row[1]))

    def nearest_many(
        self, agent_id: str, namespace: str, vectors: list[Any]
    ) -> list[tuple[str, float] | None]:
        """:meth:`nearest` for each vector, exactly: a few in one statement (one search
        each, without a round trip each); from :data:`SCAN_ONCE_FROM` on, the scope's
        vectors are read once and every draft is scored against them here (each search
        of the statement would read all of them again)."""
        if not vectors:
            return []
        if len(vectors) >= SCAN_ONCE_FROM:
            return self._nearest_in_one_read(agent_id, namespace, vectors)
        self.cur.execute(
            "SELECT d.i, n.id, n.similarity FROM unnest(%s::vector[]) WITH ORDINALITY AS d(v, i)"
            " CROSS JOIN LATERAL (SELECT COALESCE(parent_id, id) AS id,"
            " 1 - (embedding <=> d.v) AS similarity FROM semantic WHERE tenant_id = %s"
            " AND agent_id = %s AND namespace = %s AND embedding IS NOT NULL"
            " AND deleted_at IS NULL ORDER BY (embedding <=> d.v) + 0 LIMIT 1) AS n",
            ([vector_literal(v) for v in vectors], self._tenant, agent_id, namespace),
        )
        found: list[tuple[str, float] | None] = [None] * len(vectors)
        for position, record_id, similarity in self.cur.fetchall():
            found[int(position) - 1] = (str(record_id), float(similarity))
        return found

    def _nearest_in_one_read(
        self, agent_id: str, namespace: str, vectors: list[Any]
    ) -> list[tuple[str, float] | None]:
        queries = np.asarray(vectors, dtype=np.float32)
        queries /= np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12)
        best = np.full(len(queries), -np.inf, dtype=np.float32)
        found: list[tuple[str, float] | None] = [None] * len(queries)
        # A cursor of the same transaction (same tenant under row-level security) that reads
        # rows in binary: an unregistered type arrives as its raw bytes, which for pgvector
        # are a 4-byte header and big-endian float4 values.
        with self.cur.connection.cursor(binary=True) as rows:
            rows.execute(
                "SELECT COALESCE(parent_id, id), embedding FROM semantic WHERE tenant_id = %s"
                " AND agent_id = %s AND namespace = %s AND embedding IS NOT NULL"
                " AND deleted_at IS NULL",
                (self._tenant, agent_id, namespace),
            )
            while slice_ := rows.fetchmany(2000):
                raw = np.frombuffer(b"".join(bytes(row[1]) for row in slice_), dtype=np.uint8)
                stored = raw.reshape(len(slice_), -1)[:, 4:].copy().view(">f4").astype(np.float32)
                stored /= np.maximum(np.linalg.norm(stored, axis=1, keepdims=True), 1e-12)
                scores = queries @ stored.T
                rows_best = np.argmax(scores, axis=1)
                for query, row in enumerate(rows_best.tolist()):
                    score = float(scores[query, row])
                    if score > best[query]:
                        best[query] = score
                        found[query] = (str(slice_[row][0]), score)
        return found

    def put(
        self, record_id: str, draft: SemanticDraft, metadata: dict[str, Any], created_at: float
    ) -> SemanticRecord:
        """Store the draft's rows as ``record_id`` and delete chunks it no longer has."""
        rows = draft.rows(record_id)
        for row in rows:
            self._put_row(row, draft, metadata, created_at)
        self.cur.execute(
            "DELETE FROM semantic WHERE tenant_id = %s AND parent_id = %s AND chunk_index >= %s",
            (self._tenant, record_id, len(rows) - 1),
        )
        record = read_record(self.cur, self._tenant, record_id)
        assert record is not None
        return record

    def vector_count(self) -> int:
        """The tenant's live vectors (kept per agent by a trigger)."""
        self.cur.execute(
            "SELECT COALESCE(SUM(vectors), 0) FROM semantic_totals WHERE tenant_id = %s",
            (self._tenant,),
        )
        return int(self.cur.fetchone()[0])

    def _put_row(
        self, row: SemanticRow, draft: SemanticDraft, metadata: dict[str, Any], created_at: float
    ) -> None:
        self.cur.execute(
            "INSERT INTO semantic (tenant_id, id, agent_id, namespace, content, content_hash,"
            " metadata, embedding, parent_id, chunk_index, chunk_count, created_at,"
            " updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s::vector, %s, %s, %s, %s, %s)"
            " ON CONFLICT (tenant_id, id) DO UPDATE SET agent_id = EXCLUDED.agent_id,"
            " namespace = EXCLUDED.namespace, content = EXCLUDED.content,"
            " content_hash = EXCLUDED.content_hash, metadata = EXCLUDED.metadata,"
            " embedding = EXCLUDED.embedding, parent_id = EXCLUDED.parent_id,"
            " chunk_index = EXCLUDED.chunk_index, chunk_count = EXCLUDED.chunk_count,"
            " created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at,"
            " deleted_at = NULL",
            (
                self._tenant,
                row.id,
                draft.agent_id,
                draft.namespace,
                row.content,
                content_hash(row.content),
                json.dumps(metadata),
                vector_literal(row.embedding),
                row.parent_id,
                row.chunk_index,
                row.chunk_count,
                created_at,
                self.now,
            ),
        )
