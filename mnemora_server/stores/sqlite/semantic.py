"""Semantic memory on SQLite: rows with vectors, FTS5 for keywords, an in-process vector index.

Writes run their rules inside one ``BEGIN IMMEDIATE`` transaction (see
:mod:`~mnemora_server.stores.sqlite.semantic_writes`), so concurrent identical writes from any
number of processes keep one record. Every change takes a new value from a global sequence,
which is how each process's :class:`VectorIndex` learns what changed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

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
)
from mnemora_server.stores.sqlite.database import SqliteDatabase, sqlite_path_from_url
from mnemora_server.stores.sqlite.fulltext import erase_deleted_terms
from mnemora_server.stores.sqlite.semantic_adjacent import adjacent_records
from mnemora_server.stores.sqlite.semantic_keywords import search_keyword
from mnemora_server.stores.sqlite.semantic_schema import COLUMNS, MIGRATIONS, record_from_row
from mnemora_server.stores.sqlite.semantic_writes import (
    SqliteSemanticTransaction,
    index_unscoped_rows,
    next_seq,
    read_record,
)
from mnemora_server.stores.sqlite.vector_index import VectorIndex


class SqliteSemanticStore(BackedStore):
    """:class:`~mnemora_server.stores.base.SemanticStore` on SQLite with an in-process index."""

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
        self.index = VectorIndex(dimension, max_bytes=index_bytes)
        super().__init__(self.db)

    @classmethod
    def from_url(cls, url: str, options: StoreOptions) -> SqliteSemanticStore:
        """The store of a ``sqlite:///path`` URL."""
        return cls(
            sqlite_path_from_url(url),
            dimension=options.dimension,
            busy_timeout=options.busy_timeout,
            index_bytes=options.vector_index_bytes,
        )

    def setup(self) -> None:
        """Create or migrate the schema; check that it holds vectors of this dimension.

        Raises:
            UnavailableError: If the file was made for another dimension (another model).
        """
        self.db.setup()
        with self.db.write() as conn:
            index_unscoped_rows(conn)
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

    # -- writes ------------------------------------------------------------------------------

    def write(
        self,
        tenant_id: str,
        drafts: list[SemanticDraft],
        now: float,
        rules: SemanticWriteRules,
    ) -> list[SemanticWrite]:
        """Write drafts atomically, the rules deciding under the database lock."""
        try:
            with self.db.write() as conn:
                return rules.apply(
                    SqliteSemanticTransaction(conn, self.index, tenant_id, now), drafts
                )
        except BaseException:
            # The duplicate checks may have read this transaction's own rows into the index;
            # they were rolled back, so the cached partitions must be rebuilt.
            for agent_id in {d.agent_id for d in drafts}:
                self.index.drop(tenant_id, agent_id)
            raise

    # -- reads -------------------------------------------------------------------------------

    def get(self, tenant_id: str, record_id: str) -> SemanticRecord | None:
        """A live record of the tenant, or ``None``."""
        with self.db.read() as conn:
            return read_record(conn, tenant_id, record_id)

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
                f"SELECT {COLUMNS}, pk FROM semantic WHERE tenant_id = ?"  # noqa: S608
                " AND (? IS NULL OR agent_id = ?) AND (? IS NULL OR namespace = ?)"
                " AND parent_id IS NULL AND deleted_at IS NULL AND pk > ? ORDER BY pk LIMIT ?",
                (tenant_id, agent_id, agent_id, namespace, namespace, after or 0, limit),
            ).fetchall()
        return [(record_from_row(row), int(row[-1])) for row in rows]

    def _records(
        self, conn: sqlite3.Connection, tenant_id: str, ids: list[str]
    ) -> dict[str, SemanticRecord]:
        found: dict[str, SemanticRecord] = {}
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = conn.execute(
                f"SELECT {COLUMNS} FROM semantic WHERE tenant_id = ?"  # noqa: S608
                f" AND deleted_at IS NULL AND id IN ({marks})",
                (tenant_id, *part),
            ).fetchall()
            found.update((row[0], record_from_row(row)) for row in rows)
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
        enough: int | None = None,
    ) -> list[SemanticHit]:
        """Records matching any word of ``text``, by BM25 relevance (rows holding the
        query's rare terms first; see :mod:`~mnemora_server.stores.sqlite.semantic_keywords`)."""
        with self.db.read() as conn:
            return search_keyword(
                conn,
                tenant_id,
                text,
                agent_id=agent_id,
                namespace=namespace,
                matches=matches,
                limit=limit,
                enough=limit if enough is None else enough,
            )

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
            old = read_record(conn, tenant_id, record_id)
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
                        (json.dumps(draft_metadata), now, next_seq(conn), pk),
                    )
            else:
                draft = SemanticDraft.revising(
                    old, content=content, metadata=metadata, embedding=embedding, chunks=chunks
                )
                tx = SqliteSemanticTransaction(conn, self.index, tenant_id, now)
                tx.put(record_id, draft, draft.metadata, old.created_at)
            return read_record(conn, tenant_id, record_id)

    def get_many(
        self,
        tenant_id: str,
        record_ids: list[str],
        *,
        agent_id: str | None = None,
        namespace: str | None = None,
    ) -> list[SemanticRecord]:
        """The live top-level records among ``record_ids`` (of one agent/namespace if given)."""
        with self.db.read() as conn:
            return [
                record_from_row(row)
                for row in self._top_level(conn, tenant_id, record_ids, agent_id, namespace)
            ]

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
        """Hide live records and their chunks from reads and search (purge removes them)."""
        with self.db.write() as conn:
            rows = self._top_level(conn, tenant_id, record_ids, agent_id, namespace)
            found = [
                row[0] for row in rows if matches is None or matches(record_from_row(row).metadata)
            ]
            for record_id in found:
                hidden = conn.execute(
                    "SELECT pk FROM semantic WHERE tenant_id = ? AND (id = ? OR parent_id = ?)"
                    " AND deleted_at IS NULL",
                    (tenant_id, record_id, record_id),
                ).fetchall()
                for (pk,) in hidden:
                    conn.execute("DELETE FROM semantic_terms WHERE rowid = ?", (pk,))
                    conn.execute(
                        "UPDATE semantic SET deleted_at = ?, seq = ? WHERE pk = ?",
                        (now, next_seq(conn), pk),
                    )
        return found

    @staticmethod
    def _top_level(
        conn: sqlite3.Connection,
        tenant_id: str,
        record_ids: list[str] | None,
        agent_id: str | None,
        namespace: str | None,
    ) -> list[tuple[Any, ...]]:
        """Live top-level rows in scope: those of ``record_ids``, or all when ``None``."""
        scope = (
            f"SELECT {COLUMNS} FROM semantic WHERE tenant_id = ?"  # noqa: S608
            " AND (? IS NULL OR agent_id = ?) AND (? IS NULL OR namespace = ?)"
            " AND parent_id IS NULL AND deleted_at IS NULL"
        )
        args = (tenant_id, agent_id, agent_id, namespace, namespace)
        if record_ids is None:
            return list(conn.execute(scope + " ORDER BY pk", args).fetchall())
        rows: list[tuple[Any, ...]] = []
        unique = list(dict.fromkeys(record_ids))
        for start in range(0, len(unique), 500):
            part = unique[start : start + 500]
            marks = ",".join("?" * len(part))
            rows.extend(conn.execute(f"{scope} AND id IN ({marks})", (*args, *part)).fetchall())
        return rows

    def adjacent(self, tenant_id: str, record_ids: list[str]) -> dict[str, list[SemanticRecord]]:
        """The live searchable records written just before and after each record."""
        with self.db.read() as conn:
            return adjacent_records(conn, tenant_id, record_ids)

    def vectors(self, tenant_id: str, record_ids: list[str]) -> dict[str, list[float]]:
        """The stored vectors of live records (or chunks) by id."""
        found: dict[str, list[float]] = {}
        with self.db.read() as conn:
            for start in range(0, len(record_ids), 500):
                part = record_ids[start : start + 500]
                rows = conn.execute(
                    "SELECT id, embedding FROM semantic WHERE tenant_id = ?"  # noqa: S608
                    f" AND deleted_at IS NULL AND embedding IS NOT NULL AND id IN"
                    f" ({','.join('?' * len(part))})",
                    (tenant_id, *part),
                ).fetchall()
                found.update((row[0], np.frombuffer(row[1], np.float32).tolist()) for row in rows)
        return found

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

    def agent_counts(self, tenant_id: str, now: float) -> dict[str, int]:
        """Live records, per agent."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT agent_id, COUNT(*) FROM semantic WHERE tenant_id = ?"
                " AND parent_id IS NULL AND deleted_at IS NULL GROUP BY agent_id",
                (tenant_id,),
            ).fetchall()
        return {agent: int(count) for agent, count in rows if count}

    def export(self, tenant_id: str, agent_id: str | None) -> Iterator[SemanticRecord]:
        """Every record with content (live or soft-deleted), with embeddings, in order."""
        after = 0
        while True:
            with self.db.read() as conn:
                rows = conn.execute(
                    f"SELECT {COLUMNS}, embedding, pk FROM semantic"  # noqa: S608
                    " WHERE tenant_id = ? AND (? IS NULL OR agent_id = ?) AND pk > ?"
                    " AND (parent_id IS NULL OR content != '') ORDER BY pk LIMIT 500",
                    (tenant_id, agent_id, agent_id, after),
                ).fetchall()
            if not rows:
                return
            for row in rows:
                yield record_from_row(row[:11], row[11])
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
            "DELETE FROM semantic_terms WHERE rowid IN (SELECT pk FROM semantic"
            " WHERE tenant_id = ? AND (? IS NULL OR agent_id = ?))",
            scope,
        )
        conn.execute(
            "DELETE FROM semantic WHERE tenant_id = ? AND (? IS NULL OR agent_id = ?)", scope
        )
        erase_deleted_terms(conn, "semantic_terms")
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
