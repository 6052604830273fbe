"""Fusing the vector and keyword legs of a search into one ranking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mnemora_server.stores.base import SemanticHit, SemanticRecord
from mnemora_server.stores.base.keywords import term_coverage

RRF_K = 60
"""The constant of reciprocal-rank fusion (used where lists without comparable scores meet,
as semantic and episodic results in the unified search): a hit at rank ``r`` of a list
scores ``1 / (RRF_K + r + 1)``."""

KEYWORD_WEIGHT = 0.6
"""The keyword leg's share of a hybrid score; the vector leg has the rest.

A hit's hybrid score is ``(1 - w) * cosine + w * relevance * coverage``: the cosine
similarity is already on one scale for every query; keyword relevance (BM25 on SQLite,
``ts_rank`` on PostgreSQL) is not, so it is min-max normalised over the leg's candidates and
weighed by the share of the query's terms the memory holds, so that a memory matching one
common word of a long question does not outrank the one the vector leg found by meaning.
Chosen on the LoCoMo development set (BENCHMARKS.md, where every weight from 0.6 to 0.7 does
about as well): it beats each leg alone at recall@1, @5 and @10, where reciprocal-rank
fusion fell behind the keyword leg at @1 and @5."""


@dataclass(frozen=True)
class ScoredMemory:
    """A search result with its scores.

    Attributes:
        record: The memory (or chunk).
        similarity: Cosine similarity to the query, when known.
        score: The fused ranking score (higher first).
        matched: How it matched: ``vector``, ``keyword`` or both.
    """

    record: SemanticRecord
    similarity: float | None
    score: float
    matched: tuple[str, ...]


def fuse(
    vector_hits: list[SemanticHit],
    keyword_hits: list[SemanticHit],
    top_k: int,
    *,
    terms: list[str] | None = None,
    keyword_weight: float = KEYWORD_WEIGHT,
) -> list[ScoredMemory]:
    """One ranking from the two legs (see :data:`KEYWORD_WEIGHT`); with one list, its own
    order and scores are kept.

    Args:
        vector_hits: The vector leg, best first, with similarities.
        keyword_hits: The keyword leg, best first, with relevance scores.
        top_k: How many to return.
        terms: The query's terms (:func:`query_terms`), for the keyword hits' coverage;
            ``None`` counts every keyword hit as covering the whole query.
        keyword_weight: The keyword leg's share.
    """
    if not keyword_hits:
        return [
            ScoredMemory(h.record, h.similarity, h.similarity or 0.0, ("vector",))
            for h in vector_hits[:top_k]
        ]
    if not vector_hits:
        return [
            ScoredMemory(h.record, None, h.keyword_score or 0.0, ("keyword",))
            for h in keyword_hits[:top_k]
        ]
    fused: dict[str, dict[str, Any]] = {}

    def entry(hit: SemanticHit, kind: str) -> dict[str, Any]:
        found = fused.setdefault(
            hit.record.id, {"record": hit.record, "similarity": None, "score": 0.0, "matched": []}
        )
        found["matched"].append(kind)
        if hit.similarity is not None:
            found["similarity"] = hit.similarity
        return found

    for hit in vector_hits:
        entry(hit, "vector")["score"] += (1.0 - keyword_weight) * (hit.similarity or 0.0)
    relevance = _min_max([h.keyword_score or 0.0 for h in keyword_hits])
    for hit, share in zip(keyword_hits, relevance, strict=True):
        coverage = 1.0 if terms is None else term_coverage(terms, hit.record.content)
        entry(hit, "keyword")["score"] += keyword_weight * share * coverage
    ranked = sorted(fused.values(), key=lambda e: e["score"], reverse=True)[:top_k]
    return [
        ScoredMemory(e["record"], e["similarity"], round(e["score"], 6), tuple(e["matched"]))
        for e in ranked
    ]


def _min_max(scores: list[float]) -> list[float]:
    """Scores mapped onto 0..1 (the best 1, the worst 0; all 1 when they are equal)."""
    low, high = min(scores), max(scores)
    if high <= low:
        return [1.0] * len(scores)
    return [(score - low) / (high - low) for score in scores]


CONTEXT_SHARE = 0.3
"""The share of a hit's hybrid score that the memories written just before and after it take
on top of their own (the neighbouring turns of a conversation often hold the answer to the
turn that matched the question). Chosen on the LoCoMo development set, where shares from 0.2
to 0.5 of the first ten hits' scores raise recall@5 and @10 by 0.03-0.04 (BENCHMARKS.md)."""

CONTEXT_WINDOW_SECONDS = 1800.0
"""Neighbours count as context only when written within this long of the hit: turns of one
conversation, not facts stored hours apart that happen to follow each other."""


def with_context(
    ranked: list[ScoredMemory],
    adjacent: dict[str, list[SemanticRecord]],
    top_k: int,
    *,
    share: float = CONTEXT_SHARE,
) -> list[ScoredMemory]:
    """``ranked`` (best first) re-ranked with context: each memory written just before or
    after one of the first ``top_k`` hits (``adjacent``, by hit id) and within
    :data:`CONTEXT_WINDOW_SECONDS` of it gains ``share`` of that hit's score (the largest,
    when next to several) and ``"context"`` in ``matched``; a neighbour that was no hit
    joins as ``matched=("context",)``."""
    by_id = {hit.record.id: hit for hit in ranked}
    gains: dict[str, float] = {}
    records: dict[str, SemanticRecord] = {}
    for hit in ranked[:top_k]:
        for neighbour in adjacent.get(hit.record.id, []):
            if abs(neighbour.created_at - hit.record.created_at) > CONTEXT_WINDOW_SECONDS:
                continue
            gain = share * hit.score
            if gain > gains.get(neighbour.id, 0.0):
                gains[neighbour.id] = gain
                records[neighbour.id] = neighbour
    if not gains:
        return ranked
    rescored = [
        ScoredMemory(
            hit.record,
            hit.similarity,
            round(hit.score + gains[hit.record.id], 6),
            (*hit.matched, "context"),
        )
        if hit.record.id in gains
        else hit
        for hit in ranked
    ]
    rescored += [
        ScoredMemory(records[i], None, round(gain, 6), ("context",))
        for i, gain in gains.items()
        if i not in by_id
    ]
    return sorted(rescored, key=lambda hit: hit.score, reverse=True)
