"""Keyword search with SQLite FTS5: query building.

Queries are built from quoted words only, so no FTS5 syntax from a client ever reaches the
engine; the tenant (and agent) are enforced by the SQL that joins the matches to their rows.
Scoping inside FTS5 was measured and dropped: with a tenant/agent token column in every
MATCH, a 100K-row agent's keyword query took 5.8 ms instead of 0.27 ms, because FTS5 walks the
scope token's full posting list.
"""

from __future__ import annotations

from mnemora_server.stores.text import query_terms


def match_query(text: str) -> str | None:
    """An FTS5 query matching any meaningful word of ``text`` (``None`` if it has none)."""
    terms = query_terms(text)
    if not terms:
        return None
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
