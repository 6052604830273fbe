"""The memories written just before and after others, on SQLite (the context a hybrid
search adds to its hits; see :meth:`SemanticStore.adjacent`)."""

from __future__ import annotations

import sqlite3

from mnemora_server.stores.base import SemanticRecord
from mnemora_server.stores.sqlite.semantic_schema import COLUMNS, record_from_row

_SEARCHABLE = "s.parent_id IS NULL AND s.deleted_at IS NULL AND s.embedding IS NOT NULL"
_NEIGHBOURS = (  # constant text; every value is a parameter
    "SELECT h.id,"  # noqa: S608
    " (SELECT s.pk FROM semantic s WHERE s.tenant_id = h.tenant_id AND s.agent_id = h.agent_id"
    f" AND s.namespace = h.namespace AND s.pk < h.pk AND {_SEARCHABLE}"
    " ORDER BY s.pk DESC LIMIT 1),"
    " (SELECT s.pk FROM semantic s WHERE s.tenant_id = h.tenant_id AND s.agent_id = h.agent_id"
    f" AND s.namespace = h.namespace AND s.pk > h.pk AND {_SEARCHABLE}"
    " ORDER BY s.pk LIMIT 1)"
    # "+": the hits are found by id, not by scanning the tenant's top-level rows.
    " FROM semantic h WHERE h.tenant_id = ? AND +h.parent_id IS NULL AND h.deleted_at IS NULL"
    " AND h.id IN ({marks})"
)


def adjacent_records(
    conn: sqlite3.Connection, tenant_id: str, record_ids: list[str]
) -> dict[str, list[SemanticRecord]]:
    """For each live top-level record of the tenant among ``record_ids`` (at most 500): the
    live searchable records of its agent and namespace written just before and just after
    it (chunks and chunked records skipped), the earlier first."""
    if not record_ids:
        return {}
    ids = list(dict.fromkeys(record_ids))[:500]
    rows = conn.execute(
        _NEIGHBOURS.format(marks=",".join("?" * len(ids))), (tenant_id, *ids)
    ).fetchall()
    wanted = {pk for _, before, after in rows for pk in (before, after) if pk is not None}
    if not wanted:
        return {}
    records = {
        int(row[-1]): record_from_row(row[:-1])
        for row in conn.execute(
            f"SELECT {COLUMNS}, pk FROM semantic WHERE +tenant_id = ?"  # noqa: S608
            f" AND pk IN ({','.join('?' * len(wanted))})",  # by key, not by tenant
            (tenant_id, *sorted(wanted)),
        ).fetchall()
    }
    return {
        record_id: [records[pk] for pk in (before, after) if pk in records]
        for record_id, before, after in rows
        if before is not None or after is not None
    }
