"""The primitives a semantic write rule uses on SQLite, inside one write transaction.

The transaction holds the database lock (``BEGIN IMMEDIATE``) from the duplicate check to the
insert, so writers in every process are serialised. Every changed row takes a new value from
a global sequence, which is how each process's vector index learns what changed.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import numpy as np

from mnemora_server.stores.base import (
    SemanticDraft,
    SemanticRecord,
    SemanticRow,
    content_hash,
)
from mnemora_server.stores.sqlite.scoped_terms import agent_scope, scoped_text, tenant_scope
from mnemora_server.stores.sqlite.semantic_schema import COLUMNS, record_from_row, vector_blob
from mnemora_server.stores.sqlite.vector_index import VectorIndex, VectorMatch


def next_seq(conn: sqlite3.Connection) -> int:
    """The next value of the change sequence."""
    return int(
        conn.execute("UPDATE semantic_sequence SET value = value + 1 RETURNING value").fetchone()[0]
    )


def index_terms(
    conn: sqlite3.Connection, pk: int, tenant_id: str, agent_id: str, content: str
) -> None:
    """Index a searchable row's words under its agent's and its tenant's scope."""
    conn.execute(
        "INSERT INTO semantic_terms (rowid, agent_terms, tenant_terms) VALUES (?, ?, ?)",
        (
            pk,
            scoped_text(agent_scope(tenant_id, agent_id), content),
            scoped_text(tenant_scope(tenant_id), content),
        ),
    )


def index_unscoped_rows(conn: sqlite3.Connection) -> None:
    """Index the searchable rows written before keyword terms were scoped (once, after the
    migration that scoped them; a no-op afterwards)."""
    pending = conn.execute(
        "SELECT 1 FROM semantic_settings WHERE name = 'terms' AND value = 'to index'"
    ).fetchone()
    if pending is None:
        return
    rows = conn.execute(
        "SELECT pk, tenant_id, agent_id, content FROM semantic"
        " WHERE embedding IS NOT NULL AND deleted_at IS NULL"
    )
    for pk, tenant_id, agent_id, content in rows:
        index_terms(conn, pk, tenant_id, agent_id, content)
    conn.execute("DELETE FROM semantic_settings WHERE name = 'terms'")


def read_record(
    conn: sqlite3.Connection, tenant_id: str, record_id: str, *, include_deleted: bool = False
) -> SemanticRecord | None:
    """A row of the tenant by id (live only, unless ``include_deleted``), or ``None``."""
    row = conn.execute(
        f"SELECT {COLUMNS} FROM semantic WHERE tenant_id = ? AND id = ?"  # noqa: S608
        " AND (? OR deleted_at IS NULL)",
        (tenant_id, record_id, include_deleted),
    ).fetchone()
    return None if row is None else record_from_row(row)


class SqliteSemanticTransaction:
    """:class:`~mnemora_server.stores.base.SemanticTransaction` over one SQLite write
    transaction of one tenant.

    Args:
        conn: A connection inside ``BEGIN IMMEDIATE``.
        index: This process's vector index (synced from ``conn``, own writes included).
        tenant_id: The tenant.
        now: The time of the write.
    """

    def __init__(
        self, conn: sqlite3.Connection, index: VectorIndex, tenant_id: str, now: float
    ) -> None:
        self.conn = conn
        self.now = now
        self._index = index
        self._tenant = tenant_id

    def find(self, record_id: str) -> SemanticRecord | None:
        """The record (not a chunk) with this id, soft-deleted or not."""
        record = read_record(self.conn, self._tenant, record_id, include_deleted=True)
        return record if record is not None and record.parent_id is None else None

    def with_content(self, agent_id: str, namespace: str, digest: str) -> str | None:
        """A live record of the agent and namespace with this content hash."""
        row = self.conn.execute(
            "SELECT id FROM semantic WHERE tenant_id = ? AND agent_id = ? AND namespace = ?"
            " AND content_hash = ? AND parent_id IS NULL AND deleted_at IS NULL LIMIT 1",
            (self._tenant, agent_id, namespace, digest),
        ).fetchone()
        return None if row is None else str(row[0])

    def nearest(self, agent_id: str, namespace: str, vector: Any) -> tuple[str, float] | None:
        """The record with the nearest live vector in the agent and namespace (exact)."""
        return self.nearest_many(agent_id, namespace, [vector])[0]

    def nearest_many(
        self, agent_id: str, namespace: str, vectors: list[Any]
    ) -> list[tuple[str, float] | None]:
        """:meth:`nearest` for each vector, in one pass over the agent's index."""
        if not vectors:
            return []
        matches = self._index.nearest_many(
            self.conn,
            self._tenant,
            agent_id,
            namespace,
            np.asarray(np.stack(vectors), dtype=np.float32),
        )
        return [None if match is None else self._of_record(match) for match in matches]

    def _of_record(self, match: VectorMatch) -> tuple[str, float] | None:
        """The match as its record's id (a chunk's parent) and similarity."""
        row = self.conn.execute(
            "SELECT COALESCE(parent_id, id) FROM semantic WHERE tenant_id = ? AND id = ?",
            (self._tenant, match.record_id),
        ).fetchone()
        return None if row is None else (str(row[0]), match.similarity)

    def put(
        self, record_id: str, draft: SemanticDraft, metadata: dict[str, Any], created_at: float
    ) -> SemanticRecord:
        """Store the draft's rows as ``record_id`` and retire chunks it no longer has."""
        self._touch_partition(draft.agent_id)
        rows = draft.rows(record_id)
        for row in rows:
            self._put_row(row, draft, metadata, created_at)
        self._retire_chunks(record_id, keep=len(rows) - 1)
        record = read_record(self.conn, self._tenant, record_id)
        assert record is not None
        return record

    def vector_count(self) -> int:
        """The tenant's live vectors (kept by triggers)."""
        row = self.conn.execute(
            "SELECT vectors FROM semantic_totals WHERE tenant_id = ?", (self._tenant,)
        ).fetchone()
        return int(row[0]) if row else 0

    def _touch_partition(self, agent_id: str) -> None:
        # A generation is a sequence value, never reused: a purged and re-created agent gets a
        # new one, so every process rebuilds its cached partition.
        exists = self.conn.execute(
            "SELECT 1 FROM semantic_partitions WHERE tenant_id = ? AND agent_id = ?",
            (self._tenant, agent_id),
        ).fetchone()
        if exists is None:
            self.conn.execute(
                "INSERT INTO semantic_partitions (tenant_id, agent_id, generation)"
                " VALUES (?, ?, ?)",
                (self._tenant, agent_id, next_seq(self.conn)),
            )

    def _put_row(
        self, row: SemanticRow, draft: SemanticDraft, metadata: dict[str, Any], created_at: float
    ) -> None:
        """Insert or overwrite one row (a new sequence value tells every index)."""
        pk = self.conn.execute(
            "INSERT INTO semantic (tenant_id, id, agent_id, namespace, content, content_hash,"
            " metadata, embedding, parent_id, chunk_index, chunk_count, created_at, updated_at,"
            " deleted_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)"
            " ON CONFLICT (tenant_id, id) DO UPDATE SET agent_id = excluded.agent_id,"
            " namespace = excluded.namespace, content = excluded.content,"
            " content_hash = excluded.content_hash, metadata = excluded.metadata,"
            " embedding = excluded.embedding, parent_id = excluded.parent_id,"
            " chunk_index = excluded.chunk_index, chunk_count = excluded.chunk_count,"
            " created_at = excluded.created_at, updated_at = excluded.updated_at,"
            " deleted_at = NULL, seq = excluded.seq RETURNING pk",
            (
                self._tenant,
                row.id,
                draft.agent_id,
                draft.namespace,
                row.content,
                content_hash(row.content),
                json.dumps(metadata),
                vector_blob(row.embedding),
                row.parent_id,
                row.chunk_index,
                row.chunk_count,
                created_at,
                self.now,
                next_seq(self.conn),
            ),
        ).fetchone()[0]
        self.conn.execute("DELETE FROM semantic_terms WHERE rowid = ?", (pk,))
        if row.embedding is not None:  # only searchable units (not chunked parents) are indexed
            index_terms(self.conn, pk, self._tenant, draft.agent_id, row.content)

    def _retire_chunks(self, record_id: str, *, keep: int) -> None:
        """Empty the chunks of a record past ``keep`` (their text is gone at once)."""
        rows = self.conn.execute(
            "SELECT pk FROM semantic WHERE tenant_id = ? AND parent_id = ? AND chunk_index >= ?"
            " AND content != ''",
            (self._tenant, record_id, keep),
        ).fetchall()
        for (pk,) in rows:
            self.conn.execute("DELETE FROM semantic_terms WHERE rowid = ?", (pk,))
            self.conn.execute(
                "UPDATE semantic SET content = '', content_hash = '', metadata = '{}',"
                " embedding = NULL, deleted_at = ?, seq = ? WHERE pk = ?",
                (self.now, next_seq(self.conn), pk),
            )
