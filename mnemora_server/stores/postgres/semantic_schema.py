"""The PostgreSQL schema of semantic memory: one shared table with an HNSW index (cosine) and
a generated ``tsvector`` with a GIN index, under row-level security; and per-agent totals
kept by a trigger."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from mnemora_server.stores.base import SemanticRecord
from mnemora_server.stores.postgres.database import tenant_policy_sql

COLUMNS = (
    "id, agent_id, namespace, content, metadata, created_at, updated_at, parent_id,"
    " chunk_index, chunk_count, deleted_at"
)
"""The columns :func:`record_from_row` reads, in its order."""


def record_from_row(row: Sequence[Any], embedding: Any = None) -> SemanticRecord:
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
        embedding=None if embedding is None else [float(x) for x in embedding],
    )


def vector_literal(values: Any) -> str | None:
    """A vector as pgvector's text form (``[0.1,0.2,...]``), for a ``%s::vector`` parameter."""
    if values is None:
        return None
    return "[" + ",".join(repr(float(x)) for x in np.asarray(values, dtype=np.float32)) + "]"


def migrations(dimension: int) -> list[list[Any]]:
    """The versioned schema of the semantic store; list ``i`` brings it to version ``i + 1``."""
    return [
        [
            "CREATE TABLE semantic (pk bigserial PRIMARY KEY, tenant_id text NOT NULL,"
            " id text NOT NULL, agent_id text NOT NULL, namespace text NOT NULL,"
            " content text NOT NULL, content_hash text NOT NULL, metadata text NOT NULL,"
            f" embedding vector({int(dimension)}), parent_id text, chunk_index int,"
            " chunk_count int, created_at double precision NOT NULL,"
            " updated_at double precision NOT NULL, deleted_at double precision,"
            " tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED,"
            " UNIQUE (tenant_id, id))",
            "CREATE INDEX semantic_hnsw ON semantic USING hnsw (embedding vector_cosine_ops)",
            "CREATE INDEX semantic_tsv ON semantic USING gin (tsv)",
            "CREATE INDEX semantic_listing ON semantic (tenant_id, agent_id, namespace, pk)",
            "CREATE INDEX semantic_by_hash ON semantic (tenant_id, agent_id, namespace,"
            " content_hash)",
            "CREATE INDEX semantic_by_parent ON semantic (tenant_id, parent_id)",
            *tenant_policy_sql("semantic"),
            "GRANT USAGE ON SEQUENCE semantic_pk_seq TO mnemora_app",
        ],
        # Totals per agent, kept by a trigger in the writing transaction, so that usage and
        # the vector quota read one row per agent instead of counting the tenant's rows.
        [
            "CREATE TABLE semantic_totals (tenant_id text NOT NULL, agent_id text NOT NULL,"
            " records bigint NOT NULL DEFAULT 0, vectors bigint NOT NULL DEFAULT 0,"
            " bytes bigint NOT NULL DEFAULT 0, PRIMARY KEY (tenant_id, agent_id))",
            *tenant_policy_sql("semantic_totals"),
            """
            CREATE FUNCTION semantic_totals_change() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                r bigint := 0; v bigint := 0; b bigint := 0;
            BEGIN
                IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.deleted_at IS NULL THEN
                    IF OLD.parent_id IS NULL THEN
                        r := r - 1;
                        b := b - octet_length(OLD.content) - octet_length(OLD.metadata);
                    END IF;
                    IF OLD.embedding IS NOT NULL THEN v := v - 1; END IF;
                END IF;
                IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.deleted_at IS NULL THEN
                    IF NEW.parent_id IS NULL THEN
                        r := r + 1;
                        b := b + octet_length(NEW.content) + octet_length(NEW.metadata);
                    END IF;
                    IF NEW.embedding IS NOT NULL THEN v := v + 1; END IF;
                END IF;
                IF TG_OP = 'DELETE' THEN
                    UPDATE semantic_totals SET records = records + r, vectors = vectors + v,
                        bytes = bytes + b
                    WHERE tenant_id = OLD.tenant_id AND agent_id = OLD.agent_id;
                ELSE
                    INSERT INTO semantic_totals AS t (tenant_id, agent_id, records, vectors, bytes)
                    VALUES (NEW.tenant_id, NEW.agent_id, r, v, b)
                    ON CONFLICT (tenant_id, agent_id) DO UPDATE SET
                        records = t.records + r, vectors = t.vectors + v, bytes = t.bytes + b;
                END IF;
                RETURN NULL;
            END $$
            """,
            "CREATE TRIGGER semantic_totals_change AFTER INSERT OR UPDATE OR DELETE ON semantic"
            " FOR EACH ROW EXECUTE FUNCTION semantic_totals_change()",
            "INSERT INTO semantic_totals (tenant_id, agent_id, records, vectors, bytes)"
            " SELECT tenant_id, agent_id,"
            " COUNT(*) FILTER (WHERE parent_id IS NULL AND deleted_at IS NULL),"
            " COUNT(*) FILTER (WHERE embedding IS NOT NULL AND deleted_at IS NULL),"
            " COALESCE(SUM(octet_length(content) + octet_length(metadata))"
            " FILTER (WHERE parent_id IS NULL AND deleted_at IS NULL), 0)"
            " FROM semantic GROUP BY tenant_id, agent_id",
        ],
    ]
