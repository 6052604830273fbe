"""Semantic memory on SQLite: rows with vectors, FTS5 for keywords, an in-process vector index.

Every change takes a new value from a global sequence, which is how each process's
:class:`VectorIndex` learns what changed. Writes hold the database lock from the duplicate
check to the insert, so concurrent identical writes from any number of processes keep one
record.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from mnemora_server.errors import QuotaExceededError, UnavailableError
from mnemora_server.stores.base import (
    MemoryTotals,
    SemanticDraft,
    SemanticHit,
    SemanticRecord,
    SemanticWrite,
)
from mnemora_server.stores.sqlite.database import SqliteDatabase
from mnemora_server.stores.sqlite.fulltext import erase_deleted_terms, match_query
from mnemora_server.stores.sqlite.vector_index import Matcher, VectorIndex

MIGRATIONS = (
    """
    CREATE TABLE semantic (
        pk INTEGER PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        namespace TEXT NOT NULL,
        content TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        metadata TEXT NOT NULL,
        embedding BLOB,
        parent_id TEXT,
        chunk_index INTEGER,
        chunk_count INTEGER,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        deleted_at REAL,
        seq INTEGER NOT NULL,
        UNIQUE (tenant_id, id)
    );
    CREATE INDEX semantic_changes ON semantic (tenant_id, agent_id, seq);
    CREATE INDEX semantic_listing ON semantic (tenant_id, agent_id, namespace, pk);
    CREATE INDEX semantic_by_hash ON semantic (tenant_id, agent_id, namespace, content_hash);
    CREATE INDEX semantic_by_parent ON semantic (tenant_id, parent_id);
    CREATE VIRTUAL TABLE semantic_fts USING fts5 (content, tokenize = 'unicode61');
    CREATE TABLE semantic_partitions (
        tenant_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        generation INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, agent_id)
    ) WITHOUT ROWID;
    CREATE TABLE semantic_sequence (value INTEGER NOT NULL);
    INSERT INTO semantic_sequence (value) VALUES (0);
    CREATE TABLE semantic_totals (
        tenant_id TEXT PRIMARY KEY,
        records INTEGER NOT NULL DEFAULT 0,
        vectors INTEGER NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE TRIGGER semantic_totals_on_insert AFTER INSERT ON semantic BEGIN
        INSERT INTO semantic_totals (tenant_id) VALUES (NEW.tenant_id) ON CONFLICT DO NOTHING;
        UPDATE semantic_totals SET
            records = records + (NEW.parent_id IS NULL AND NEW.deleted_at IS NULL),
            vectors = vectors + (NEW.embedding IS NOT NULL AND NEW.deleted_at IS NULL),
            bytes = bytes + (NEW.parent_id IS NULL AND NEW.deleted_at IS NULL)
                * (LENGTH(CAST(NEW.content AS BLOB)) + LENGTH(CAST(NEW.metadata AS BLOB)))
        WHERE tenant_id = NEW.tenant_id;
    END;
    CREATE TRIGGER semantic_totals_on_delete AFTER DELETE ON semantic BEGIN
        UPDATE semantic_totals SET
            records = records - (OLD.parent_id IS NULL AND OLD.deleted_at IS NULL),
            vectors = vectors - (OLD.embedding IS NOT NULL AND OLD.deleted_at IS NULL),
            bytes = bytes - (OLD.parent_id IS NULL AND OLD.deleted_at IS NULL)
                * (LENGTH(CAST(OLD.content AS BLOB)) + LENGTH(CAST(OLD.metadata AS BLOB)))
        WHERE tenant_id = OLD.tenant_id;
    END;
    CREATE TRIGGER semantic_totals_on_update AFTER UPDATE ON semantic BEGIN
        UPDATE semantic_totals SET
            records = records - (OLD.parent_id IS NULL AND OLD.deleted_at IS NULL)
                + (NEW.parent_id IS NULL AND NEW.deleted_at IS NULL),
            vectors = vectors - (OLD.embedding IS NOT NULL AND OLD.deleted_at IS NULL)
                + (NEW.embedding IS NOT NULL AND NEW.deleted_at IS NULL),
            bytes = bytes - (OLD.parent_id IS NULL AND OLD.deleted_at IS NULL)
                * (LENGTH(CAST(OLD.content AS BLOB)) + LENGTH(CAST(OLD.metadata AS BLOB)))
                + (NEW.parent_id IS NULL AND NEW.deleted_at IS NULL)
                * (LENGTH(CAST(NEW.content AS BLOB)) + LENGTH(CAST(NEW.metadata AS BLOB)))
        WHERE tenant_id = NEW.tenant_id;
    END
    """,
    # The vector dimension the file was made with: another embedder must not mix its vectors in.
    """
    CREATE TABLE semantic_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    INSERT INTO semantic_settings (name, value)
        SELECT 'dimension', LENGTH(embedding) / 4 FROM semantic
        WHERE embedding IS NOT NULL LIMIT 1;
    """,
)

_COLUMNS = (
    "id, agent_id, namespace, content, metadata, created_at, updated_at, parent_id,"
    " chunk_index, chunk_count, deleted_at"
)


def content_hash(content: str) -> str:
    """The hash under which identical content is recognised."""
    return hashlib.sha256(content.encode()).hexdigest()


def _record(row: Sequence[Any], embedding: bytes | None = None) -> SemanticRecord:
    return SemanticRecord(
        id=row[0],
        agent_id=row[1],
        namespace=row[2],
        content=row[3],
        metadata=json.loads(row[4]),
        created_at=row[5],
        updated_at=row[6],
        parent_id=row[7],
        chunk_index=row[8],
        chunk_count=row[9],
        deleted_at=row[10],
        embedding=None if embedding is None else np.frombuffer(embedding, np.float32).tolist(),
    )


def _blob(vector: Any) -> bytes | None:
    if vector is None:
        return None
    return np.asarray(vector, dtype=np.float32).tobytes()


class SqliteSemanticStore:
    """:class:`~mnemora_server.stores.base.SemanticStore` on SQLite with an in-process index."""

    def __init__(self, path: Path, *, dimension: int, busy_timeout: float = 10.0) -> None:
        self.dimension = dimension
        self.db = SqliteDatabase(path, MIGRATIONS, synchronous="FULL", busy_timeout=busy_timeout)
        self.index = VectorIndex(dimension)

    def setup(self) -> None:
        """Create or migrate the schema; check that it holds vectors of this dimension.

        Raises:
            UnavailableError: If the file was made for another dimension (another model).
        """
        self.db.setup()
        with self.db.write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO semantic_settings (name, value) VALUES ('dimension', ?)",
                (str(self.dimension),),
            )
            stored = int(
                conn.execute(
                    "SELECT value FROM semantic_settings WHERE name = 'dimension'"
                ).fetchone()[0]
            )
        if stored != self.dimension:
            raise UnavailableError(
                f"the vector store holds {stored}-d vectors but the embedder makes "
                f"{self.dimension}-d ones: use the same model, or a new data directory"
            )

    def check_health(self) -> None:
        """Raise ``UnavailableError`` if the database is unusable."""
        self.db.check_health()

    def close(self) -> None:
        """Close this process's connections."""
        self.db.close()

    # -- writes ------------------------------------------------------------------------------

    def write(
        self,
        tenant_id: str,
        drafts: list[SemanticDraft],
        now: float,
        *,
        dedup_threshold: float,
        max_vectors: int | None,
    ) -> list[SemanticWrite]:
        """Write drafts atomically, merging near-duplicates under the database lock."""
        try:
            with self.db.write() as conn:
                results = [
                    self._write_one(conn, tenant_id, d, now, dedup_threshold) for d in drafts
                ]
                if max_vectors is not None:
                    vectors = self._vector_count(conn, tenant_id)
                    if vectors > max_vectors:
                        raise QuotaExceededError(
                            f"the tier allows {max_vectors} vectors; this write would make "
                            f"{vectors}",
                            details={"limit": max_vectors, "would_be": vectors},
                        )
        except BaseException:
            # The duplicate checks may have read this transaction's own rows into the index;
            # they were rolled back, so the cached partitions must be rebuilt.
            for agent_id in {d.agent_id for d in drafts}:
                self.index.drop(tenant_id, agent_id)
            raise
        return results

    def _write_one(
        self,
        conn: sqlite3.Connection,
        tenant_id: str,
        draft: SemanticDraft,
        now: float,
        threshold: float,
    ) -> SemanticWrite:
        self._touch_partition(conn, tenant_id, draft.agent_id)
        digest = content_hash(draft.content)
        if draft.id is not None:
            existing = conn.execute(
                "SELECT id FROM semantic WHERE tenant_id = ? AND id = ? AND parent_id IS NULL",
                (tenant_id, draft.id),
            ).fetchone()
            if existing is not None:
                record = self._replace(conn, tenant_id, draft.id, draft, now, merge=False)
                return SemanticWrite(record, deduplicated=False, created=False)
        elif draft.dedup:
            duplicate = self._find_duplicate(conn, tenant_id, draft, digest, threshold)
            if duplicate is not None:
                record = self._replace(conn, tenant_id, duplicate, draft, now, merge=True)
                return SemanticWrite(record, deduplicated=True, created=False)
        record_id = draft.id or str(uuid.uuid4())
        self._put(conn, tenant_id, record_id, draft, now, draft.created_at or now)
        created = self._get(conn, tenant_id, record_id)
        assert created is not None
        return SemanticWrite(created, deduplicated=False, created=True)

    def _find_duplicate(
        self,
        conn: sqlite3.Connection,
        tenant_id: str,
        draft: SemanticDraft,
        digest: str,
        threshold: float,
    ) -> str | None:
        same = conn.execute(
            "SELECT id FROM semantic WHERE tenant_id = ? AND agent_id = ? AND namespace = ?"
            " AND content_hash = ? AND parent_id IS NULL AND deleted_at IS NULL LIMIT 1",
            (tenant_id, draft.agent_id, draft.namespace, digest),
        ).fetchone()
        if same is not None:
            return str(same[0])
        if draft.embedding is None:
            return None
        nearest = self.index.nearest(
            conn,
            tenant_id,
            draft.agent_id,
            draft.namespace,
            np.asarray(draft.embedding, dtype=np.float32),
        )
        if nearest is None or nearest.similarity <= threshold:
            return None
        row = conn.execute(
            "SELECT COALESCE(parent_id, id) FROM semantic WHERE tenant_id = ? AND id = ?",
            (tenant_id, nearest.record_id),
        ).fetchone()
        return None if row is None else str(row[0])

    def _next_seq(self, conn: sqlite3.Connection) -> int:
        return int(
            conn.execute(
                "UPDATE semantic_sequence SET value = value + 1 RETURNING value"
            ).fetchone()[0]
        )

    def _touch_partition(self, conn: sqlite3.Connection, tenant_id: str, agent_id: str) -> None:
        # A generation is a sequence value, never reused: a purged and re-created agent gets a
        # new one, so every process rebuilds its cached partition.
        exists = conn.execute(
            "SELECT 1 FROM semantic_partitions WHERE tenant_id = ? AND agent_id = ?",
            (tenant_id, agent_id),
        ).fetchone()
        if exists is None:
            conn.execute(
                "INSERT INTO semantic_partitions (tenant_id, agent_id, generation)"
                " VALUES (?, ?, ?)",
                (tenant_id, agent_id, self._next_seq(conn)),
            )

    def _put_row(
        self,
        conn: sqlite3.Connection,
        tenant_id: str,
        record_id: str,
        draft: SemanticDraft,
        content: str,
        embedding: Any,
        now: float,
        created_at: float,
        *,
        parent_id: str | None = None,
        chunk_index: int | None = None,
        chunk_count: int | None = None,
    ) -> None:
        """Insert or overwrite one row (a new sequence value tells every index)."""
        pk = conn.execute(
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
                tenant_id,
                record_id,
                draft.agent_id,
                draft.namespace,
                content,
                content_hash(content),
                json.dumps(draft.metadata),
                _blob(embedding),
                parent_id,
                chunk_index,
                chunk_count,
                created_at,
                now,
                self._next_seq(conn),
            ),
        ).fetchone()[0]
        conn.execute("DELETE FROM semantic_fts WHERE rowid = ?", (pk,))
        if embedding is not None:  # only searchable units (not chunked parents) are indexed
            conn.execute("INSERT INTO semantic_fts (rowid, content) VALUES (?, ?)", (pk, content))

    def _put(
        self,
        conn: sqlite3.Connection,
        tenant_id: str,
        record_id: str,
        draft: SemanticDraft,
        now: float,
        created_at: float,
    ) -> None:
        count = len(draft.chunks) or None
        # A chunked record keeps its full text for reads; only its chunks carry vectors.
        self._put_row(
            conn,
            tenant_id,
            record_id,
            draft,
            draft.content,
            None if draft.chunks else draft.embedding,
            now,
            created_at,
            chunk_count=count,
        )
        for index, (text, vector) in enumerate(draft.chunks):
            self._put_row(
                conn,
                tenant_id,
                f"{record_id}:chunk:{index}",
                draft,
                text,
                vector,
                now,
                created_at,
                parent_id=record_id,
                chunk_index=index,
                chunk_count=count,
            )
        self._retire_chunks(conn, tenant_id, record_id, keep=len(draft.chunks), now=now)

    def _retire_chunks(
        self,
        conn: sqlite3.Connection,
        tenant_id: str,
        record_id: str,
        *,
        keep: int,
        now: float,
    ) -> None:
        """Empty the chunks of a record past ``keep`` (their text is gone at once)."""
        rows = conn.execute(
            "SELECT pk FROM semantic WHERE tenant_id = ? AND parent_id = ? AND chunk_index >= ?"
            " AND content != ''",
            (tenant_id, record_id, keep),
        ).fetchall()
        for (pk,) in rows:
            conn.execute("DELETE FROM semantic_fts WHERE rowid = ?", (pk,))
            conn.execute(
                "UPDATE semantic SET content = '', content_hash = '', metadata = '{}',"
                " embedding = NULL, deleted_at = ?, seq = ? WHERE pk = ?",
                (now, self._next_seq(conn), pk),
            )

    def _replace(
        self,
        conn: sqlite3.Connection,
        tenant_id: str,
        record_id: str,
        draft: SemanticDraft,
        now: float,
        *,
        merge: bool,
    ) -> SemanticRecord:
        old = self._get(conn, tenant_id, record_id, include_deleted=True)
        assert old is not None
        metadata = {**old.metadata, **draft.metadata} if merge else draft.metadata
        merged = SemanticDraft(
            agent_id=draft.agent_id,
            namespace=draft.namespace,
            content=draft.content,
            metadata=metadata,
            embedding=draft.embedding,
            chunks=draft.chunks,
            id=record_id,
        )
        if old.agent_id != draft.agent_id:
            self._touch_partition(conn, tenant_id, draft.agent_id)
        self._put(conn, tenant_id, record_id, merged, now, old.created_at)
        record = self._get(conn, tenant_id, record_id)
        assert record is not None
        return record

    # -- reads -------------------------------------------------------------------------------

    def _get(
        self,
        conn: sqlite3.Connection,
        tenant_id: str,
        record_id: str,
        *,
        include_deleted: bool = False,
    ) -> SemanticRecord | None:
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM semantic WHERE tenant_id = ? AND id = ?"  # noqa: S608
            " AND (? OR deleted_at IS NULL)",
            (tenant_id, record_id, include_deleted),
        ).fetchone()
        return None if row is None else _record(row)

    def get(self, tenant_id: str, record_id: str) -> SemanticRecord | None:
        """A live record of the tenant, or ``None``."""
        with self.db.read() as conn:
            return self._get(conn, tenant_id, record_id)

    def list_memories(
        self,
        tenant_id: str,
        *,
        agent_id: str | None,
        namespace: str | None,
        limit: int,
        after: int | None,
    ) -> list[tuple[SemanticRecord, int]]:
        """Live records (chunks excluded) in insertion order after ``after``, with positions."""
        with self.db.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS}, pk FROM semantic WHERE tenant_id = ?"  # noqa: S608
                " AND (? IS NULL OR agent_id = ?) AND (? IS NULL OR namespace = ?)"
                " AND parent_id IS NULL AND deleted_at IS NULL AND pk > ? ORDER BY pk LIMIT ?",
                (tenant_id, agent_id, agent_id, namespace, namespace, after or 0, limit),
            ).fetchall()
        return [(_record(row), int(row[-1])) for row in rows]

    def _records(
        self, conn: sqlite3.Connection, tenant_id: str, ids: list[str]
    ) -> dict[str, SemanticRecord]:
        found: dict[str, SemanticRecord] = {}
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM semantic WHERE tenant_id = ?"  # noqa: S608
                f" AND deleted_at IS NULL AND id IN ({marks})",
                (tenant_id, *part),
            ).fetchall()
            found.update((row[0], _record(row)) for row in rows)
        return found

    def _agents(self, conn: sqlite3.Connection, tenant_id: str, agent_id: str | None) -> list[str]:
        if agent_id is not None:
            return [agent_id]
        rows = conn.execute(
            "SELECT agent_id FROM semantic_partitions WHERE tenant_id = ? ORDER BY agent_id",
            (tenant_id,),
        ).fetchall()
        return [row[0] for row in rows]

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
        """Exact nearest neighbours by cosine similarity, filtered, best first."""
        vector: npt.NDArray[np.float32] = np.asarray(query, dtype=np.float32)
        with self.db.read() as conn:
            conn.execute("BEGIN")  # one snapshot for the index sync and the record reads
            try:
                found = self.index.search(
                    conn,
                    tenant_id,
                    self._agents(conn, tenant_id, agent_id),
                    vector,
                    namespace=namespace,
                    matches=matches,
                    limit=limit,
                    threshold=threshold,
                )
                records = self._records(conn, tenant_id, [m.record_id for m in found])
            finally:
                conn.execute("COMMIT")
        return [
            SemanticHit(records[m.record_id], m.similarity) for m in found if m.record_id in records
        ]

    def search_keyword(
        self,
        tenant_id: str,
        text: str,
        *,
        agent_id: str | None,
        namespace: str | None,
        matches: Matcher | None,
        limit: int,
    ) -> list[SemanticHit]:
        """Records matching any word of ``text``, by BM25 relevance."""
        query = match_query(text)
        if query is None:
            return []
        hits: list[SemanticHit] = []
        with self.db.read() as conn:
            rows = conn.execute(
                f"SELECT {', '.join('s.' + c.strip() for c in _COLUMNS.split(','))},"  # noqa: S608
                " bm25(semantic_fts) FROM semantic_fts"
                " JOIN semantic s ON s.pk = semantic_fts.rowid"
                " WHERE semantic_fts MATCH ? AND s.tenant_id = ? AND s.deleted_at IS NULL"
                " AND NOT (s.parent_id IS NULL AND s.chunk_count IS NOT NULL)"
                " AND (? IS NULL OR s.agent_id = ?) AND (? IS NULL OR s.namespace = ?)"
                " ORDER BY bm25(semantic_fts) LIMIT ?",
                (
                    query,
                    tenant_id,
                    agent_id,
                    agent_id,
                    namespace,
                    namespace,
                    limit if matches is None else limit * 5 + 20,
                ),
            ).fetchall()
        for row in rows:
            record = _record(row[:11])
            if matches is None or matches(record.metadata):
                hits.append(SemanticHit(record, None, keyword_score=-float(row[11])))
                if len(hits) == limit:
                    break
        return hits

    # -- changes and deletion ----------------------------------------------------------------

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
        with self.db.write() as conn:
            old = self._get(conn, tenant_id, record_id)
            if old is None or old.parent_id is not None:
                return None
            if content is None:
                # Metadata only: the vectors stay; chunks carry the new metadata too.
                draft_metadata = old.metadata if metadata is None else metadata
                rows = conn.execute(
                    "SELECT pk FROM semantic WHERE tenant_id = ? AND (id = ? OR parent_id = ?)"
                    " AND deleted_at IS NULL",
                    (tenant_id, record_id, record_id),
                ).fetchall()
                for (pk,) in rows:
                    conn.execute(
                        "UPDATE semantic SET metadata = ?, updated_at = ?, seq = ? WHERE pk = ?",
                        (json.dumps(draft_metadata), now, self._next_seq(conn), pk),
                    )
            else:
                draft = SemanticDraft(
                    agent_id=old.agent_id,
                    namespace=old.namespace,
                    content=content,
                    metadata=old.metadata if metadata is None else metadata,
                    embedding=embedding,
                    chunks=chunks,
                    id=record_id,
                )
                self._put(conn, tenant_id, record_id, draft, now, old.created_at)
            return self._get(conn, tenant_id, record_id)

    def soft_delete(self, tenant_id: str, record_id: str, now: float) -> bool:
        """Hide a live record and its chunks from reads and search (purge removes them)."""
        with self.db.write() as conn:
            rows = conn.execute(
                "SELECT pk FROM semantic WHERE tenant_id = ? AND (id = ? OR parent_id = ?)"
                " AND deleted_at IS NULL AND (id = ? OR content != '')",
                (tenant_id, record_id, record_id, record_id),
            ).fetchall()
            top = conn.execute(
                "SELECT 1 FROM semantic WHERE tenant_id = ? AND id = ? AND parent_id IS NULL"
                " AND deleted_at IS NULL",
                (tenant_id, record_id),
            ).fetchone()
            if top is None:
                return False
            for (pk,) in rows:
                conn.execute("DELETE FROM semantic_fts WHERE rowid = ?", (pk,))
                conn.execute(
                    "UPDATE semantic SET deleted_at = ?, seq = ? WHERE pk = ?",
                    (now, self._next_seq(conn), pk),
                )
        return True

    def _vector_count(self, conn: sqlite3.Connection, tenant_id: str) -> int:
        row = conn.execute(
            "SELECT vectors FROM semantic_totals WHERE tenant_id = ?", (tenant_id,)
        ).fetchone()
        return int(row[0]) if row else 0

    def totals(self, tenant_id: str) -> MemoryTotals:
        """The tenant's live records, vectors and bytes (kept by triggers) and agents."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT records, vectors, bytes FROM semantic_totals WHERE tenant_id = ?",
                (tenant_id,),
            ).fetchone()
            agents = conn.execute(
                "SELECT COUNT(*) FROM semantic_partitions WHERE tenant_id = ?", (tenant_id,)
            ).fetchone()[0]
        if row is None:
            return MemoryTotals(agents=agents)
        return MemoryTotals(records=row[0], vectors=row[1], bytes=row[2], agents=agents)

    def export(self, tenant_id: str, agent_id: str | None) -> Iterator[SemanticRecord]:
        """Every record with content (live or soft-deleted), with embeddings, in order."""
        after = 0
        while True:
            with self.db.read() as conn:
                rows = conn.execute(
                    f"SELECT {_COLUMNS}, embedding, pk FROM semantic"  # noqa: S608
                    " WHERE tenant_id = ? AND (? IS NULL OR agent_id = ?) AND pk > ?"
                    " AND (parent_id IS NULL OR content != '') ORDER BY pk LIMIT 500",
                    (tenant_id, agent_id, agent_id, after),
                ).fetchall()
            if not rows:
                return
            for row in rows:
                yield _record(row[:11], row[11])
            after = rows[-1][-1]

    def _purge(self, conn: sqlite3.Connection, tenant_id: str, agent_id: str | None) -> int:
        scope = (tenant_id, agent_id, agent_id)
        removed = int(
            conn.execute(
                "SELECT COUNT(*) FROM semantic WHERE tenant_id = ? AND (? IS NULL OR agent_id = ?)"
                " AND parent_id IS NULL",
                scope,
            ).fetchone()[0]
        )
        conn.execute(
            "DELETE FROM semantic_fts WHERE rowid IN (SELECT pk FROM semantic"
            " WHERE tenant_id = ? AND (? IS NULL OR agent_id = ?))",
            scope,
        )
        conn.execute(
            "DELETE FROM semantic WHERE tenant_id = ? AND (? IS NULL OR agent_id = ?)", scope
        )
        erase_deleted_terms(conn, "semantic_fts")
        return removed

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Remove every row of the agent, soft-deleted ones included."""
        with self.db.write() as conn:
            removed = self._purge(conn, tenant_id, agent_id)
            # Without its partition row, every process drops its cached vectors of the agent.
            conn.execute(
                "DELETE FROM semantic_partitions WHERE tenant_id = ? AND agent_id = ?",
                (tenant_id, agent_id),
            )
        self.index.drop(tenant_id, agent_id)
        return removed

    def purge_tenant(self, tenant_id: str) -> int:
        """Remove every row of the tenant."""
        with self.db.write() as conn:
            removed = self._purge(conn, tenant_id, None)
            conn.execute("DELETE FROM semantic_partitions WHERE tenant_id = ?", (tenant_id,))
            conn.execute("DELETE FROM semantic_totals WHERE tenant_id = ?", (tenant_id,))
        self.index.drop(tenant_id)
        return removed
