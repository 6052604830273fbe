"""Keyword terms scoped to their agent and tenant, for semantic memory's FTS5 index.

FTS5 cannot restrict a query to some rows: a query walks each of its terms' posting lists
in full, and the SQL that joins the matches to their rows drops other tenants' and agents'
rows only afterwards. With every tenant in one index, a small agent's question paid for the
largest agents' rows (22 ms for a 2,000-memory agent beside a 100,000-memory one, against
0.7 ms for the large agent itself). So each row is indexed under terms prefixed by a short
code of its agent (one column) and of its tenant (another): a query asks for its own scope's
terms and walks only its own rows' postings, and BM25 counts document frequencies within
the agent (or tenant) it searches. A code shared by two scopes (a hash collision) costs only
speed: the SQL still checks every row's tenant, agent and namespace.
"""

from __future__ import annotations

import hashlib
import re

from mnemora_server.stores.base.keywords import query_terms

_TOKENS = re.compile(r"[^\W_]+", re.UNICODE)
_CODE_LENGTH = 6


def _code(kind: str, *parts: str) -> str:
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    number = int.from_bytes(digest, "big")
    letters = []
    for _ in range(_CODE_LENGTH - 1):
        number, digit = divmod(number, 36)
        letters.append("0123456789abcdefghijklmnopqrstuvwxyz"[digit])
    return kind + "".join(letters)


def agent_scope(tenant_id: str, agent_id: str) -> str:
    """The term prefix of one agent's rows."""
    return _code("a", tenant_id, agent_id)


def tenant_scope(tenant_id: str) -> str:
    """The term prefix of one tenant's rows."""
    return _code("t", tenant_id)


def scoped_text(scope: str, text: str) -> str:
    """``text`` as FTS5 should index it under ``scope``: each word (letters and digits, as
    FTS5's ``unicode61`` tokenizer splits them) prefixed with the scope's code."""
    return " ".join(scope + word for word in _TOKENS.findall(text))


def scoped_query_terms(scope: str, text: str) -> list[str]:
    """The FTS5 terms a keyword query for ``text`` asks for within ``scope`` (its
    :func:`query_terms`, split as :func:`scoped_text` splits words)."""
    words = [part for term in query_terms(text) for part in _TOKENS.findall(term)]
    return [scope + word for word in dict.fromkeys(words)]
