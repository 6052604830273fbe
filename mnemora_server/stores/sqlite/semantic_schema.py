"""The SQLite schema of semantic memory, and how its rows become records.

One table holds records and their chunks (a chunked record keeps its full text but no
vector; its chunks carry the vectors). An FTS5 table indexes the searchable rows' words,
scoped to their agent and tenant; triggers
keep each tenant's totals; ``seq`` (from a global sequence) tells every process's vector
index what changed; ``semantic_partitions`` gives each agent a generation that a purge ends.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from mnemora_server.stores.base import SemanticRecord

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
    # Keyword terms scoped to their agent and tenant (stores/sqlite/scoped_terms.py); the
    # store's setup indexes the rows already there (SQL cannot prefix each word).
    """
    CREATE VIRTUAL TABLE semantic_terms USING fts5 (
        agent_terms, tenant_terms, tokenize = 'unicode61'
    );
    DROP TABLE semantic_fts;
    INSERT INTO semantic_settings (name, value) VALUES ('terms', 'to index');
    """,
)

COLUMNS = (
    "id, agent_id, namespace, content, metadata, created_at, updated_at, parent_id,"
    " chunk_index, chunk_count, deleted_at"
)
"""The columns :func:`record_from_row` reads, in its order."""


def record_from_row(row: Sequence[Any], embedding: bytes | None = None) -> SemanticRecord:
    """The record of a row selected with :data:`COLUMNS` (and its vector, when given)."""
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


def vector_blob(vector: Any) -> bytes | None:
    """A vector as the float32 bytes stored in the ``embedding`` column."""
    if vector is None:
        return None
    return np.asarray(vector, dtype=np.float32).tobytes()
