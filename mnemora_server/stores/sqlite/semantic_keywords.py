"""Keyword search over semantic memory's FTS5 index: BM25 over the caller's own rows (terms
scoped to the agent, or to the tenant when no agent is named: see
:mod:`~mnemora_server.stores.sqlite.scoped_terms`), the rows holding the query's rare terms
first (see :func:`bounded_match_query`)."""

from __future__ import annotations

import sqlite3

from mnemora_server.stores.base import Matcher, SemanticHit
from mnemora_server.stores.base.semantic import first_matching, keyword_fetch
from mnemora_server.stores.sqlite.fulltext import bounded_match_query
from mnemora_server.stores.sqlite.scoped_terms import (
    agent_scope,
    scoped_query_terms,
    tenant_scope,
)
from mnemora_server.stores.sqlite.semantic_schema import COLUMNS, record_from_row

_SQL = (
    f"SELECT {', '.join('s.' + c.strip() for c in COLUMNS.split(','))},"  # noqa: S608
    " bm25(semantic_terms) FROM semantic_terms"
    " JOIN semantic s ON s.pk = semantic_terms.rowid"
    " WHERE semantic_terms MATCH ? AND s.tenant_id = ? AND s.deleted_at IS NULL"
    " AND NOT (s.parent_id IS NULL AND s.chunk_count IS NOT NULL)"
    " AND (? IS NULL OR s.agent_id = ?) AND (? IS NULL OR s.namespace = ?)"
    " ORDER BY bm25(semantic_terms) LIMIT ?"
)


def search_keyword(
    conn: sqlite3.Connection,
    tenant_id: str,
    text: str,
    *,
    agent_id: str | None,
    namespace: str | None,
    matches: Matcher | None,
    limit: int,
    enough: int,
) -> list[SemanticHit]:
    """Records matching any word of ``text``, by BM25 relevance.

    Rows holding one of the query's rare terms (or, without one, all of its terms) are ranked
    first (up to ``limit`` of them); only when they give fewer than ``enough`` results of this
    tenant and agent is every row holding any term ranked.
    """
    scope = tenant_scope(tenant_id) if agent_id is None else agent_scope(tenant_id, agent_id)
    queries = bounded_match_query(conn, "semantic_terms", scoped_query_terms(scope, text))
    if queries is None:
        return []
    bounded, full = queries

    def ranked(query: str) -> list[SemanticHit]:
        rows = conn.execute(
            _SQL,
            (
                query,
                tenant_id,
                agent_id,
                agent_id,
                namespace,
                namespace,
                keyword_fetch(limit, matches),
            ),
        ).fetchall()
        hits = (
            SemanticHit(record_from_row(row[:11]), None, keyword_score=-float(row[11]))
            for row in rows
        )
        return first_matching(hits, matches, limit)

    hits = ranked(bounded)
    if bounded != full and len(hits) < enough:
        hits = ranked(full)
    return hits
