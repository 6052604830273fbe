"""Keyword search with SQLite FTS5: query building and tenant scoping.

Every indexed row carries scope tokens for its tenant and its agent, and every query requires
them, so FTS5 intersects a term's postings with the tenant's own instead of walking every
tenant's matches, and a keyword query cannot match another tenant's rows even before the SQL
filter on ``tenant_id`` applies. Queries are built from quoted words only: no FTS5 syntax from
the client ever reaches the engine.
"""

from __future__ import annotations

import hashlib
import re

_WORDS = re.compile(r"\w+", re.UNICODE)
_MAX_TERMS = 32

#: Words too common to tell documents apart (English); dropped from queries.
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
    ]
)


def scope_tokens(tenant_id: str, agent_id: str) -> str:
    """The scope column of a row: one token for the tenant, one for the tenant's agent."""
    return f"{_token('t', tenant_id)} {_token('a', tenant_id + '/' + agent_id)}"


def _token(kind: str, value: str) -> str:
    return kind + hashlib.blake2b(value.encode(), digest_size=10).hexdigest()


def match_query(text: str, tenant_id: str, agent_id: str | None) -> str | None:
    """An FTS5 query: any meaningful word of ``text``, within the tenant (and agent).

    Returns ``None`` when ``text`` has no searchable word.
    """
    words = [w.lower() for w in _WORDS.findall(text)]
    terms = [w for w in dict.fromkeys(words) if w not in STOPWORDS] or list(dict.fromkeys(words))
    if not terms:
        return None
    quoted = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms[:_MAX_TERMS])
    scope = f'scope : "{_token("t", tenant_id)}"'
    if agent_id is not None:
        scope += f' AND scope : "{_token("a", tenant_id + "/" + agent_id)}"'
    return f"{scope} AND content : ({quoted})"
