"""What keyword search sees: the searchable text of an episode and the terms of a query.

Every keyword-search backend (FTS5, PostgreSQL ``tsvector``, the DynamoDB term index) takes
its words from here, so the same query finds the same records on each of them.
"""

from __future__ import annotations

import json
import re
from typing import Any

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


def query_terms(text: str) -> list[str]:
    """The distinct lower-cased words of ``text`` worth searching for (stopwords dropped,
    unless nothing else is left), at most 32."""
    words = [w.lower() for w in _WORDS.findall(text)]
    terms = [w for w in dict.fromkeys(words) if w not in STOPWORDS] or list(dict.fromkeys(words))
    return terms[:_MAX_TERMS]


def term_coverage(terms: list[str], text: str) -> float:
    """The share of ``terms`` (from :func:`query_terms`) that occur as words of ``text``,
    compared as keyword search compares them (lower case, whole words)."""
    if not terms:
        return 0.0
    words = {w.lower() for w in _WORDS.findall(text)}
    return sum(term in words for term in terms) / len(terms)


def searchable_text(content: Any) -> str:
    """The text of an episode that keyword search sees (JSON content as its JSON text)."""
    return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
